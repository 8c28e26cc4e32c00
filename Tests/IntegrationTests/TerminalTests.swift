import Foundation
import Testing

/// Terminals: the pty master sent over --console-socket (runc's protocol), /dev/console,
/// consoleSize, and the foreground relay when there is no console socket.
enum TerminalTools {
    static let python = Harness.which("python3")
    static let script = Harness.which("script")
}

@Suite(Harness.enabled, .enabled(if: TerminalTools.python != nil, "needs python3 for the console socket receiver"))
struct Terminals {
    static let python = TerminalTools.python
    static let script = TerminalTools.script

    /// A console socket receiver: takes the pty master, writes everything read from it
    /// (until the last slave closes) to `output`.
    private func receiver(_ t: Sandbox, socket: String, output: String) throws -> Child {
        let code = """
            import socket, sys, os
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(sys.argv[1]); s.listen(1)
            open(sys.argv[1] + ".ready", "w").close()
            c, _ = s.accept()
            msg, fds, flags, addr = socket.recv_fds(c, 1024, 1)
            out = open(sys.argv[2], "wb")
            out.write(b"NAME=" + msg + b"\\n"); out.flush()
            while True:
                try:
                    data = os.read(fds[0], 4096)
                except OSError:
                    break
                if not data:
                    break
                out.write(data); out.flush()
            """
        let child = Child(try #require(Self.python), ["-c", code, socket, output], ioDirectory: t.dir + "/io")
        #expect(Harness.eventually(timeout: 90) { FileManager.default.fileExists(atPath: socket + ".ready") })
        return child
    }

    @Test("run -d with process.terminal sends the pty master; /dev/console is that pty; consoleSize applies")
    func consoleSocketRun() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let socket = t.dir + "/console.sock"
        let output = t.dir + "/console.out"
        let listener = try receiver(t, socket: socket, output: output)
        try t.setConfig("process.terminal", true)
        try t.setConfig("process.consoleSize", ["height": 33, "width": 101])
        try t.setArgs(["sh", "-c", "tty; stty size; stat -c '%t:%T' /dev/console; stat -L -c '%t:%T' $(tty); echo end"])
        let id = t.newID("tty")
        let run = t.runtime(["run", "--detach", "--console-socket", socket, "--bundle", t.bundle, id])
        #expect(run.status == 0, "\(run)")
        _ = listener.wait(timeout: 90)
        let text = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").replacingOccurrences(of: "\r", with: "")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NAME=") == true, "\(text)")
        try #require(lines.count >= 6, "\(text)")
        #expect(lines[1].hasPrefix("/dev/pts/"), "\(text)")
        #expect(lines[2] == "33 101", "\(text)")
        #expect(lines[3] == lines[4], "/dev/console is the container's pty: \(text)")
        #expect(lines[5] == "end")
    }

    @Test("exec --tty --console-socket sends the exec'd process's pty master")
    func consoleSocketExec() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let socket = t.dir + "/console.sock"
        let output = t.dir + "/console.out"
        let listener = try receiver(t, socket: socket, output: output)
        let exec = t.runtime(["exec", "--tty", "--console-socket", socket, "--detach", id, "sh", "-c", "tty; echo exec-end"])
        #expect(exec.status == 0, "\(exec)")
        _ = listener.wait(timeout: 90)
        let text = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").replacingOccurrences(of: "\r", with: "")
        #expect(text.contains("/dev/pts/") && text.contains("exec-end"), "\(text)")
    }

    @Test("without a console socket, foreground run and exec relay the caller's terminal",
          .enabled(if: TerminalTools.script != nil, "needs script(1) for a pty"),
          .enabled(if: !Harness.isRunc, "runc's relay needs a real tty on stdin too; the shape differs"))
    func foregroundRelay() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.terminal", true)
        try t.setArgs(["sh", "-c", "tty; echo relayed; exit 5"])
        let id = t.newID("fg")
        let command = "\(Harness.binary) --root \(t.root) run --bundle \(t.bundle) \(id)"
        let run = host(try #require(Self.script), ["-qec", command, "/dev/null"], ioDirectory: t.dir + "/io")
        #expect(run.stdout.contains("/dev/pts/") && run.stdout.contains("relayed"), "\(run)")
        #expect(run.status == 5, "\(run)")

        try t.setConfig("process.terminal", false)
        let bg = try t.runDetached(["sleep", "100"])
        let exec = "\(Harness.binary) --root \(t.root) exec -t \(bg) sh -c 'tty; exit 6'"
        let result = host(try #require(Self.script), ["-qec", exec, "/dev/null"], ioDirectory: t.dir + "/io")
        #expect(result.stdout.contains("/dev/pts/"), "\(result)")
        #expect(result.status == 6, "\(result)")
    }

    @Test("a terminal with --detach and no console socket is refused and leaves nothing")
    func detachedTerminalNeedsSocket() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.terminal", true)
        try t.setArgs(["true"])
        let id = t.newID()
        let result = t.runtime(["run", "--detach", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("console socket"), "\(result)")
        #expect(!t.hasStateDir(id))
    }
}
