import Foundation
import Testing

/// Spec requirements the conformance suite (conformance/) found Petrel missing; each test
/// names the case there.
@Suite(Harness.enabled)
struct SpecConformance {
    @Test("linux.timeOffsets are written for a new time namespace (namespaces.time)",
          .enabled(if: !Harness.isRunc, "runc 1.1 has no time namespaces"))
    func timeOffsets() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editNamespaces { $0 + [["type": "time"]] }
        try t.setConfig("linux.timeOffsets", ["monotonic": ["secs": 86400, "nanosecs": 0], "boottime": ["secs": 3600, "nanosecs": 500]])
        let out = try t.output(["cat", "/proc/self/timens_offsets"])
        let lines = out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.sorted() == ["boottime 3600 500", "monotonic 86400 0"], "\(out)")
    }

    @Test("linux.timeOffsets without a new time namespace is refused",
          .enabled(if: !Harness.isRunc, "runc 1.1 ignores timeOffsets"))
    func timeOffsetsNeedATimeNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.timeOffsets", ["monotonic": ["secs": 1]])
        let result = try t.run(["true"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("linux.timeOffsets"), "\(result)")
    }

    @Test("linux.personality LINUX32 (namespaces.personality)", .enabled(if: !Harness.isRunc, "runc 1.1 ignores personality"))
    func personality() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.personality", ["domain": "LINUX32"])
        let out = try t.output(["sh", "-c", "cat /proc/self/personality; uname -m"])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "00000008", "\(out)")
        #expect(lines.last != "x86_64", "\(out)")
    }

    @Test("a duplicated rlimit type is refused (errors.rlimit-duplicate)", .enabled(if: !Harness.isRunc, "runc 1.1 takes the last one"))
    func duplicatedRlimit() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.rlimits", [
            ["type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024], ["type": "RLIMIT_NOFILE", "soft": 512, "hard": 512],
        ])
        let result = try t.run(["true"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("process.rlimits[1].type"), "\(result)")
    }

    @Test("a device node outside /dev (devices.create)")
    func deviceOutsideDev() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.devices", [["path": "/conf-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600]])
        #expect(try t.output(["stat", "-c", "%F %t:%T %a", "/conf-null"]) == "character special file 1:3 600")
    }

    @Test("a node listed in linux.devices gets only the access the device rules give (devices.cgroup-rules)")
    func listedDeviceFollowsTheRules() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // Major 250 has no driver: an allowed open fails with ENXIO, a denied one with EPERM.
        try t.setConfig("linux.devices", [
            ["path": "/dev/denied", "type": "c", "major": 250, "minor": 250, "fileMode": 0o666],
            ["path": "/dev/allowed", "type": "c", "major": 250, "minor": 251, "fileMode": 0o666],
        ])
        try t.setConfig("linux.resources.devices", [
            ["allow": false, "access": "rwm"], ["allow": true, "type": "c", "major": 250, "minor": 251, "access": "rw"],
        ])
        let out = try t.run(["sh", "-c", "cat /dev/denied; cat /dev/allowed"]).stderr
        #expect(out.contains("/dev/denied': Operation not permitted"), "\(out)")
        #expect(out.contains("/dev/allowed': No such device or address"), "\(out)")
    }

    @Test("a relative mount destination is refused (errors.mount-destination-relative)",
          .enabled(if: !Harness.isRunc, "runc 1.1 mounts it below /"))
    func relativeMountDestination() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.addMount(destination: "relative/dir", type: "tmpfs", source: "tmpfs", options: [])
        let result = try t.run(["true"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("mounts["), "\(result)")
    }

    @Test("runtime-spec 1.2 allows a relative mount destination on Linux, below /",
          .enabled(if: !Harness.isRunc, "runc 1.1 predates spec 1.2"))
    func relativeMountDestinationInSpec12() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.2.0")
        try t.addMount(destination: "relative/dir", type: "tmpfs", source: "tmpfs", options: [])
        let out = try t.output(["sh", "-c", "grep -c ' /relative/dir ' /proc/self/mounts"])
        #expect(out == "1", "\(out)")
    }

    @Test("a device path taken by another kind of file is refused (errors.device-path-occupied)",
          .enabled(if: !Harness.isRunc, "runc 1.1 replaces the file"))
    func occupiedDevicePath() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try "keep\n".write(toFile: t.rootfs + "/occupied", atomically: true, encoding: .utf8)
        try t.setConfig("linux.devices", [["path": "/occupied", "type": "c", "major": 1, "minor": 3]])
        let result = try t.run(["true"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/occupied"), "\(result)")
        #expect(try String(contentsOfFile: t.rootfs + "/occupied", encoding: .utf8) == "keep\n")
    }

    @Test("with a terminal, /dev/console is the container's pty (process.terminal)",
          .enabled(if: Harness.which("python3") != nil, "needs python3 for the console socket"))
    func consoleIsThePty() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let socketPath = t.dir + "/console.sock"
        let received = t.dir + "/console.out"
        // Receives the pty master and copies what the container writes until it closes.
        let script = """
            import socket, sys, os
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(sys.argv[1]); s.listen(1)
            open(sys.argv[1] + ".ready", "w").close()
            c, _ = s.accept()
            msg, fds, flags, addr = socket.recv_fds(c, 4096, 1)
            out = b""
            while True:
                try:
                    data = os.read(fds[0], 4096)
                except OSError:
                    break
                if not data: break
                out += data
            open(sys.argv[2], "wb").write(out)
            """
        let listener = Child(try #require(Harness.which("python3")), ["-c", script, socketPath, received], ioDirectory: t.dir + "/io")
        #expect(Harness.eventually(timeout: 90) { FileManager.default.fileExists(atPath: socketPath + ".ready") })
        try t.setConfig("process.terminal", true)
        let id = try t.create(["sh", "-c", "stat -c '%t:%T' /dev/console $(tty)"], extra: ["--console-socket", socketPath])
        #expect(t.runtime(["start", id]).status == 0)
        _ = listener.wait(timeout: 60)
        let lines = try String(contentsOfFile: received, encoding: .utf8)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.count == 2 && lines.first == lines.last && lines.first?.hasPrefix("88:") == true, "\(lines)")
    }

    @Test("a 1.3 config: a failing poststart hook fails start and kills the init (hooks.poststart-fails)",
          .enabled(if: !Harness.isRunc, "runc 1.1 runs poststart at create"))
    func failingPoststartIsAnError() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.3.0")
        try t.setConfig("hooks", ["poststart": [["path": "/bin/false", "args": ["false"]]]])
        let id = try t.create(["sleep", "100"])
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let start = t.runtime(["start", id])
        #expect(start.status != 0 && start.stderr.contains("hooks.poststart[0]"), "\(start)")
        #expect(Harness.eventually { !Harness.processAlive(pid) }, "the init survived the failing poststart hook")
    }

    @Test("a failing poststop hook does not stop the ones after it (hooks.poststop-fails)",
          .enabled(if: !Harness.isRunc, "runc 1.1 stops at the first failure"))
    func failingPoststopRunsTheRest() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let marker = t.dir + "/after"
        try t.setConfig("hooks", ["poststop": [
            ["path": "/bin/false", "args": ["false"]],
            ["path": "/bin/sh", "args": ["sh", "-c", "touch " + marker]],
        ]])
        let id = try t.create(["true"])
        #expect(t.runtime(["start", id]).status == 0)
        #expect(Harness.eventually { (try? t.state(id))?["status"] as? String == "stopped" })
        #expect(t.runtime(["delete", id]).status == 0)
        #expect(FileManager.default.fileExists(atPath: marker), "the second poststop hook did not run")
    }

    @Test("a 1.1 config with an unknown capability runs, with a warning (process.capability-unknown)")
    func unknownCapabilityIsAWarningFrom11() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.1.0")
        try t.setConfig("process.capabilities", ["bounding": ["CAP_KILL", "CAP_BOGUS"], "effective": ["CAP_KILL", "CAP_BOGUS"], "permitted": ["CAP_KILL", "CAP_BOGUS"]])
        let result = try t.run(["sh", "-c", "grep CapEff /proc/self/status"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("0000000000000020"), "\(result)")
        #expect(Harness.isRunc || result.stderr.contains("CAP_BOGUS"), "\(result)")
    }

    @Test("rootfsPropagation unbindable (filesystem.rootfs-propagation-unbindable)",
          .enabled(if: !Harness.isRunc, "runc 1.1 fails to bind an unbindable rootfs"))
    func unbindableRoot() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.rootfsPropagation", "unbindable")
        let out = try t.output(["sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"])
        #expect(out.contains("unbindable"), "\(out)")
    }
}
