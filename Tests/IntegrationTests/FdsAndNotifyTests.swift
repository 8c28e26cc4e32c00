import Foundation
import Testing

/// --preserve-fds, socket activation (LISTEN_FDS) and NOTIFY_SOCKET, as runc passes them.
@Suite(Harness.enabled)
struct FdsAndNotify {
    static let python = Harness.which("python3")
    static let cc = Harness.which("cc")

    @Test("--preserve-fds passes fds 3.. on; LISTEN_FDS/LISTEN_PID for the runtime go first, with LISTEN_PID=1")
    func preserveAndListenFds() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try "first\n".write(toFile: t.dir + "/one", atomically: true, encoding: .utf8)
        try "second\n".write(toFile: t.dir + "/two", atomically: true, encoding: .utf8)
        try t.setArgs(["sh", "-c", "echo $(ls /proc/self/fd); env | grep LISTEN | sort; cat <&3; cat <&4"])
        let plain = "exec 3<\(t.dir)/one 4<\(t.dir)/two; exec \(Harness.binary) --root \(t.root) run --preserve-fds 2 -b \(t.bundle) \(t.newID("fds"))"
        let result = host("/bin/sh", ["-c", plain], ioDirectory: t.dir + "/io")
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["0 1 2 3 4 5", "first", "second"], "\(result)")

        let activated = "exec 3<\(t.dir)/one 4<\(t.dir)/two; LISTEN_FDS=1 LISTEN_PID=$$ exec \(Harness.binary) --root \(t.root) run --preserve-fds 1 -b \(t.bundle) \(t.newID("listen"))"
        let socket = host("/bin/sh", ["-c", activated], ioDirectory: t.dir + "/io")
        #expect(socket.status == 0, "\(socket)")
        #expect(socket.lines == ["0 1 2 3 4 5", "LISTEN_FDS=1", "LISTEN_PID=1", "first", "second"], "\(socket)")

        // Without --preserve-fds nothing beyond stdio gets in.
        let closed = "exec 3<\(t.dir)/one; exec \(Harness.binary) --root \(t.root) run -b \(t.bundle) \(t.newID("closed"))"
        let none = host("/bin/sh", ["-c", closed], ioDirectory: t.dir + "/io")
        #expect(none.lines.first == "0 1 2 3", "\(none)")
    }

    @Test("NOTIFY_SOCKET: the container's READY=1 reaches the runtime's socket with MAINPID; start waits for it",
          .enabled(if: python != nil && cc != nil, "needs python3 (listener) and cc (a static sender for the rootfs)"),
          .enabled(if: !Harness.isRunc, "runc 1.1 only sees READY= at the start of a datagram (it tests the datagram, not each line) and hangs"))
    func notifySocket() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        chmod(t.dir, 0o755)
        let source = t.dir + "/notify.c"
        try """
            #include <string.h>
            #include <stdlib.h>
            #include <sys/socket.h>
            #include <sys/un.h>
            int main(int argc, char **argv) {
                const char *path = getenv("NOTIFY_SOCKET");
                if (!path || argc < 2) return 2;
                struct sockaddr_un a = {.sun_family = AF_UNIX};
                strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
                int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
                return sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&a, sizeof(a)) < 0 ? 1 : 0;
            }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let built = host(try #require(Self.cc), ["-static", "-O2", "-o", t.rootfs + "/bin/notify-send", source], ioDirectory: t.dir + "/io")
        try #require(built.succeeded, "\(built)")
        let hostSocket = t.dir + "/host-notify.sock"
        let received = t.dir + "/received.txt"
        let code = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1]); open(sys.argv[1] + ".ready", "w").close()
            out = open(sys.argv[2], "wb")
            for _ in range(2):
                out.write(s.recv(4096) + b"|"); out.flush()
            """
        let listener = Child(try #require(Self.python), ["-c", code, hostSocket, received], ioDirectory: t.dir + "/io")
        #expect(Harness.eventually(timeout: 90) { FileManager.default.fileExists(atPath: hostSocket + ".ready") })
        try t.setArgs(["sh", "-c", "echo $NOTIFY_SOCKET > /tmp/notify-env; sleep 1; notify-send 'STATUS=x\nREADY=1'; sleep 100"])
        try t.setConfig("root.readonly", false)
        let id = t.newID("notify")
        let env = "NOTIFY_SOCKET=\(hostSocket)"
        let create = host("/usr/bin/env", [env, Harness.binary, "--root", t.root, "create", "-b", t.bundle, id], ioDirectory: t.dir + "/io")
        try #require(create.succeeded, "\(create)")
        t.onCleanup { _ = t.runtime(["delete", "--force", id]) }
        let started = Date()
        let start = host("/usr/bin/env", [env, Harness.binary, "--root", t.root, "start", id], ioDirectory: t.dir + "/io")
        #expect(start.status == 0, "\(start)")
        #expect(Date().timeIntervalSince(started) >= 0.9, "start returns after READY, not before")
        _ = listener.wait(timeout: 90)
        let text = (try? String(contentsOfFile: received, encoding: .utf8)) ?? ""
        let pid = try #require(try t.state(id)["pid"] as? Int)
        #expect(text == "READY=1\n|MAINPID=\(pid)|", "\(text)")
        let inside = (try? String(contentsOfFile: t.rootfs + "/tmp/notify-env", encoding: .utf8)) ?? ""
        #expect(inside.hasPrefix("/run/notify/notify.sock"), "\(inside)")
    }
}
