import Foundation
import Testing

/// Attacks on the paths the runtime itself opens, mounts or writes inside the container:
/// /dev/console, /dev/null (masked paths), /proc (sysctls, LSM labels, cap_last_cap). Each
/// plants or swaps the file the runtime uses, then checks that nothing landed where the
/// attacker pointed it and that the host is untouched.
@Suite(Harness.enabled)
struct MountTargetAttacks {
    /// Removes the `/dev` tmpfs so the rootfs's own /dev (which the attacker controls) is used.
    private func useRootfsDev(_ t: Sandbox) throws {
        try t.editConfig { config in
            let mounts = config["mounts"] as? [[String: Any]] ?? []
            config["mounts"] = mounts.filter { $0["destination"] as? String != "/dev" }
        }
    }

    /// Replaces the proc mount at /proc with a bind of a host directory holding fake files.
    private func fakeProc(_ t: Sandbox, files: [String: String]) throws -> String {
        let fake = try t.hostDir("fake-proc")
        for (path, content) in files {
            let file = fake + "/" + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: file, atomically: false, encoding: .utf8)
        }
        try t.editConfig { config in
            var mounts = (config["mounts"] as? [[String: Any]] ?? []).filter { $0["destination"] as? String != "/proc" }
            mounts.insert(["destination": "/proc", "type": "bind", "source": fake, "options": ["rbind"]], at: 0)
            config["mounts"] = mounts
        }
        return fake
    }

    private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test("an image whose /dev/console is a symlink to a /proc file never gets the pty mounted there (CVE-2025-52565 class)",
          .enabled(if: TerminalTools.python != nil, "needs python3 for the console socket receiver"),
          .enabled(if: !Harness.isRunc, "runc 1.1.5 is vulnerable: it mounts the pty through the symlink"))
    func consoleSymlink() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let hostname = read("/proc/sys/kernel/hostname")
        try useRootfsDev(t)
        try FileManager.default.createSymbolicLink(atPath: t.rootfs + "/dev/console", withDestinationPath: "/proc/sys/kernel/hostname")
        let socket = t.dir + "/console.sock"
        let output = t.dir + "/console.out"
        let listener = try consoleReceiver(t, socket: socket, output: output)
        defer { listener.signal(SIGKILL); _ = listener.wait() }
        try t.setConfig("process.terminal", true)
        try t.setArgs(["sh", "-c", "stat -c %F /proc/sys/kernel/hostname; cat /proc/sys/kernel/hostname"])
        let id = t.newID("console")
        let result = t.runtime(["run", "--detach", "--console-socket", socket, "--bundle", t.bundle, id])
        // Refused with a clear error (Petrel), or the pty did not land on the /proc file.
        if result.status != 0 {
            #expect(result.stderr.contains("/dev/console"), "\(result)")
        } else {
            // A pty mounted over the /proc file stays open after the process: do not wait for EOF.
            Harness.eventually(timeout: 90) { (self.read(output) ?? "").split(separator: "\n").count >= 2 }
            let text = read(output) ?? ""
            #expect(!text.contains("character special file"), "the pty was mounted over /proc/sys/kernel/hostname: \(text)")
        }
        #expect(!t.hasStateDir(id) || result.status == 0)
        #expect(read("/proc/sys/kernel/hostname") == hostname, "the host's hostname changed")
        // The symlink is still what the image had: nothing was created through it.
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: t.rootfs + "/dev/console")) == "/proc/sys/kernel/hostname")
    }

    @Test("a /dev/console that is a real file or device in the image still gets the pty",
          .enabled(if: TerminalTools.python != nil, "needs python3 for the console socket receiver"))
    func consoleRegularFile() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // runc reopens the rootfs's /dev/null, which a nodev file system (the guest's /tmp) refuses.
        var info = statvfs()
        if Harness.isRunc && statvfs(t.rootfs, &info) == 0 && info.f_flag & 4 /* ST_NODEV */ != 0 { return }
        try useRootfsDev(t)
        try "image file\n".write(toFile: t.rootfs + "/dev/console", atomically: false, encoding: .utf8)
        let socket = t.dir + "/console.sock"
        let output = t.dir + "/console.out"
        let listener = try consoleReceiver(t, socket: socket, output: output)
        try t.setConfig("process.terminal", true)
        try t.setArgs(["sh", "-c", "stat -c '%t:%T' /dev/console; stat -L -c '%t:%T' $(tty); echo end"])
        let id = t.newID("console")
        let result = t.runtime(["run", "--detach", "--console-socket", socket, "--bundle", t.bundle, id])
        #expect(result.status == 0, "\(result)")
        _ = listener.wait(timeout: 90)
        let lines = (read(output) ?? "").replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
        try #require(lines.count >= 4, "\(lines)")
        #expect(lines[1] == lines[2], "/dev/console is the container's pty: \(lines)")
        // runc 1.1.5 truncates it (os.Create) before mounting.
        if !Harness.isRunc { #expect(read(t.rootfs + "/dev/console") == "image file\n", "the image's file is only covered") }
    }

    @Test("/dev/null swapped for a symlink before masking is refused, never bound (CVE-2025-31133 class)",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 is vulnerable: it binds the symlink's target onto masked paths"))
    func devNullSwappedBeforeMasking() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let corePattern = read("/proc/sys/kernel/core_pattern")
        try useRootfsDev(t)
        try "secret\n".write(toFile: t.rootfs + "/masked-file", atomically: false, encoding: .utf8)
        try t.editConfig { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            linux["maskedPaths"] = (linux["maskedPaths"] as? [String] ?? []) + ["/masked-file"]
            config["linux"] = linux
        }
        // The attacker's move, between the devices step and masking: createRuntime hooks run
        // there, in the host's mount namespace, where the rootfs's /dev is this directory.
        let swap = "rm -f \(t.rootfs)/dev/null && ln -s /proc/sys/kernel/core_pattern \(t.rootfs)/dev/null"
        try t.setConfig("hooks", ["createRuntime": [["path": "/bin/sh", "args": ["sh", "-c", swap]]]])
        // Through a host directory: with /dev/null a symlink, runc loses the process's stdout.
        let out = try t.hostDir("out")
        try t.addBind(out, at: "/out")
        let result = try t.run(["sh", "-c", "cat /masked-file > /out/masked; grep masked-file /proc/self/mountinfo > /out/mounts"])
        if result.status != 0 {
            #expect(result.stderr.contains("/dev/null"), "\(result)")
        } else {
            #expect(read(out + "/masked") == "", "the masked path shows the symlink's target: \(read(out + "/mounts") ?? "")")
        }
        #expect(read("/proc/sys/kernel/core_pattern") == corePattern, "the host's core_pattern changed")
    }

    @Test("/dev/null raced with a symlink while containers start: a masked file always reads empty (CVE-2025-31133 class)",
          .enabled(if: Harness.which("cc") != nil, "needs cc -static for the racer"),
          .enabled(if: !Harness.isRunc, "runc 1.1.5 is vulnerable: it binds the symlink's target onto masked paths"))
    func devNullRaced() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try useRootfsDev(t)
        try "secret\n".write(toFile: t.rootfs + "/masked-file", atomically: false, encoding: .utf8)
        try t.editConfig { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            linux["maskedPaths"] = ["/masked-file"]
            config["linux"] = linux
        }
        // Swaps dev/null with a symlink to the secret file in a loop (RENAME_EXCHANGE), as a
        // process sharing the directory (another container, a volume) would.
        let source = t.dir + "/racer.c"
        try """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/stat.h>
            #include <sys/sysmacros.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                int dev = open(argv[1], O_DIRECTORY | O_RDONLY);
                if (dev < 0) return 1;
                unlinkat(dev, "evil", 0);
                if (symlinkat("/masked-file", dev, "evil") != 0) return 2;
                for (;;) {
                    if (faccessat(dev, "null", F_OK, AT_SYMLINK_NOFOLLOW) != 0) mknodat(dev, "null", S_IFCHR | 0666, makedev(1, 3));
                    renameat2(dev, "null", dev, "evil", RENAME_EXCHANGE);
                    if (access(argv[2], F_OK) == 0) return 0;
                }
            }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let racer = t.dir + "/racer"
        let built = host(try #require(Harness.which("cc")), ["-static", "-O2", "-o", racer, source], ioDirectory: t.dir + "/io")
        try #require(built.succeeded, "\(built)")
        let stop = t.dir + "/stop-racer"
        let child = Child(racer, [t.rootfs + "/dev", stop], ioDirectory: t.dir + "/io")
        defer {
            try? "".write(toFile: stop, atomically: false, encoding: .utf8)
            _ = child.wait()
        }
        // Probabilistic against a vulnerable runtime (the hook test above is the deterministic
        // one); never fails a runtime that binds /dev/null by a verified fd.
        // The racer's own device node may win; on a nodev file system (the guest's /tmp) it
        // cannot be opened, so only the secret showing up is the failure.
        for _ in 0..<30 {
            let result = try t.run(["cat", "/masked-file"])
            #expect(!result.out.contains("secret"), "a masked path showed the symlink's target: \(result)")
            if result.stderr.contains("level=error") {
                #expect(result.stderr.contains("/dev/null"), "\(result)")
            }
        }
        #expect(read(t.rootfs + "/masked-file") == "secret\n")
    }

    @Test("a host file mounted over /proc/sys/kernel/domainname never receives the kernel.domainname sysctl (CVE-2025-52881 class)")
    func sysctlThroughOvermount() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let target = try t.hostDir("host") + "/domainname"
        try "host file\n".write(toFile: target, atomically: false, encoding: .utf8)
        try t.addMount(destination: "/proc/sys/kernel/domainname", type: "bind", source: target, options: ["bind"])
        try t.setConfig("linux.sysctl", ["kernel.domainname": "attacker.example"])
        try t.setArgs(["sleep", "100"])
        let id = t.newID("sysctl")
        let result = t.runtime(["run", "--detach", "--bundle", t.bundle, id])
        #expect(read(target) == "host file\n", "the sysctl write landed in the host file")
        if Harness.isRunc {
            // runc refuses mounts inside /proc other than a few lxcfs files.
            #expect(result.status != 0, "\(result)")
            return
        }
        // Petrel writes the sysctl through its own procfs handle: it lands in the kernel.
        #expect(result.status == 0, "\(result)")
        guard result.status == 0, let pid = try t.state(id)["pid"] as? Int else { return }
        let seen = host(try #require(Harness.which("nsenter")), ["-u", "-t", "\(pid)", "cat", "/proc/sys/kernel/domainname"],
                        ioDirectory: t.dir + "/io")
        #expect(seen.out == "attacker.example", "\(seen)")
    }

    @Test("a fake /proc (a bind of a host directory) never receives sysctl writes (CVE-2025-52881 class)")
    func sysctlThroughFakeProc() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let fake = try fakeProc(t, files: ["sys/kernel/domainname": "fake\n"])
        try t.setConfig("linux.sysctl", ["kernel.domainname": "attacker.example"])
        try t.setArgs(["sleep", "100"])
        let id = t.newID("fakeproc")
        let result = t.runtime(["run", "--detach", "--bundle", t.bundle, id])
        #expect(read(fake + "/sys/kernel/domainname") == "fake\n", "the sysctl write landed in the fake /proc")
        if Harness.isRunc {
            // runc refuses a non-procfs mount at /proc.
            #expect(result.status != 0, "\(result)")
            return
        }
        #expect(result.status == 0, "\(result)")
        guard result.status == 0, let pid = try t.state(id)["pid"] as? Int else { return }
        let seen = host(try #require(Harness.which("nsenter")), ["-u", "-t", "\(pid)", "cat", "/proc/sys/kernel/domainname"],
                        ioDirectory: t.dir + "/io")
        #expect(seen.out == "attacker.example", "\(seen)")
    }

    @Test("exec still drops the whole bounding set when the container mounted a fake /proc/sys/kernel/cap_last_cap",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 takes the container's value: the exec'd process keeps every capability above it"))
    func execWithFakeCapLastCap() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // A container allowed to mount covers cap_last_cap with "1"; a later, less privileged
        // `exec` must still lose every capability its config does not list.
        var caps = ["CAP_SYS_ADMIN", "CAP_KILL", "CAP_CHOWN"]
        caps.sort()
        try t.setConfig("process.capabilities", ["bounding": caps, "effective": caps, "permitted": caps])
        let id = try t.runDetached(["sh", "-c", "echo 1 > /dev/shm/last && mount --bind /dev/shm/last /proc/sys/kernel/cap_last_cap && sleep 100"])
        let initPid = try #require(try t.state(id)["pid"] as? Int)
        #expect(Harness.eventually { (read("/proc/\(initPid)/mountinfo") ?? "").contains("/proc/sys/kernel/cap_last_cap") })
        let process: [String: Any] = [
            "args": ["sleep", "100"], "cwd": "/", "env": ["PATH=/bin"], "user": ["uid": 0, "gid": 0],
            "capabilities": ["bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]],
        ]
        let processFile = t.dir + "/process.json"
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: processFile))
        let exec = t.runtime(["exec", "--detach", "--process", processFile, "--pid-file", t.dir + "/exec.pid", id])
        try #require(exec.status == 0, "\(exec)")
        let pid = try #require(Int((read(t.dir + "/exec.pid") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        let status = read("/proc/\(pid)/status") ?? ""
        let bounding = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }.map { $0.split(separator: "\t").last.map(String.init) ?? "" }
        #expect(bounding == "0000000000000020", "CAP_KILL only: \(status)")
        kill(pid_t(pid), SIGKILL)
    }

    @Test("an AppArmor profile is never written into a fake /proc (CVE-2019-16884, CVE-2023-28642 classes)",
          .enabled(if: SecurityLabels.apparmor, "host has no AppArmor (a profile is then refused up front)"))
    func apparmorThroughFakeProc() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let fake = try fakeProc(t, files: ["self/attr/apparmor/exec": "", "self/attr/exec": "", "1/attr/apparmor/exec": "", "1/attr/exec": ""])
        try t.setConfig("process.apparmorProfile", "unconfined")
        let result = try t.run(["true"])
        if !Harness.isRunc { #expect(result.status == 0, "\(result)") }
        // `exec` writes its label from inside the container's mount namespace.
        if let id = try? t.runDetached(["sleep", "100"]) {
            let exec = t.runtime(["exec", "--apparmor", "unconfined", id, "true"])
            #expect(exec.status == 0, "\(exec)")
        } else {
            #expect(Harness.isRunc, "the container did not start")
        }
        for file in ["self/attr/apparmor/exec", "self/attr/exec", "1/attr/apparmor/exec", "1/attr/exec"] {
            #expect(read(fake + "/" + file) == "", "the profile went into the fake \(file)")
        }
    }

    @Test("a rootfs whose /proc is a symlink is refused, not followed (CVE-2023-28642 class)")
    func procSymlink() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: t.rootfs + "/elsewhere", withIntermediateDirectories: true)
        try fm.removeItem(atPath: t.rootfs + "/proc")
        try fm.createSymbolicLink(atPath: t.rootfs + "/proc", withDestinationPath: "/elsewhere")
        let id = t.newID("procln")
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("proc"), "\(result)")
        #expect(!t.hasStateDir(id))
        #expect((try? fm.contentsOfDirectory(atPath: t.rootfs + "/elsewhere")) == [])
    }

    /// Takes the pty master from the console socket; copies what the container writes on it
    /// to `output` until the last slave closes.
    private func consoleReceiver(_ t: Sandbox, socket: String, output: String) throws -> Child {
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
        let child = Child(try #require(TerminalTools.python), ["-c", code, socket, output], ioDirectory: t.dir + "/io")
        #expect(Harness.eventually(timeout: 90) { FileManager.default.fileExists(atPath: socket + ".ready") })
        return child
    }
}
