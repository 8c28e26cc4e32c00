import Foundation
import Testing

/// linux.seccomp compiled by the runtime and loaded last, checked from inside.
@Suite(Harness.enabled)
struct Seccomp {
    func profile(_ syscalls: [[String: Any]], defaultAction: String = "SCMP_ACT_ALLOW") -> [String: Any] {
        ["defaultAction": defaultAction, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": syscalls]
    }

    @Test("a denied syscall returns the configured errno and the filter shows in /proc")
    func errnoRule() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("root.readonly", false)
        try t.setConfig("linux.seccomp", profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13]]))
        let out = try t.output(["sh", "-c", "mkdir /tmp/x 2>&1; grep '^Seccomp:' /proc/self/status"])
        #expect(out.contains("Permission denied"), "\(out)")
        #expect(out.contains("Seccomp:\t2"), "\(out)")
    }

    @Test("without no_new_privs the filter is loaded before the user switch")
    func withoutNoNewPrivs() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("root.readonly", false)
        try t.setConfig("process.noNewPrivileges", false)
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000])
        try t.setConfig("linux.seccomp", profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"]]))
        let out = try t.output(["sh", "-c", "mkdir /tmp/x 2>&1; id -u"])
        #expect(out.contains("Operation not permitted"), "\(out)")
        #expect(out.hasSuffix("1000"))
    }

    @Test("argument conditions select the calls the rule applies to")
    func argumentConditions() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // personality(0xffffffff) queries; deny only personality(8) (PER_LINUX32? any value).
        try t.setConfig("linux.seccomp", profile([[
            "names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
            "args": [["index": 0, "value": 8, "op": "SCMP_CMP_EQ"]],
        ]]))
        // busybox has no personality applet; uname works regardless: the filter must not break it.
        #expect(try t.output(["uname", "-s"]) == "Linux")
    }

    @Test("an unknown action is a clear error and leaves nothing", .enabled(if: !Harness.isRunc, "runc's wording differs"))
    func unknownAction() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.seccomp", profile([["names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"]]))
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("SCMP_ACT_EXPLODE"))
        #expect(!t.hasStateDir(id))
    }

    @Test("unknown syscall names are skipped like runc")
    func unknownSyscallSkipped() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.seccomp", profile([["names": ["no_such_syscall", "getpid"], "action": "SCMP_ACT_ERRNO"]]))
        #expect(try t.output(["echo", "ok"]) == "ok")
    }
}

/// Capabilities, no_new_privs, oom_score_adj.
@Suite(Harness.enabled)
struct Privileges {
    @Test("all five capability sets are applied as configured")
    func capabilitySets() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.capabilities", [
            "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
            "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "inheritable": ["CAP_NET_BIND_SERVICE"],
            "ambient": ["CAP_NET_BIND_SERVICE"],
        ])
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000])
        let out = try t.output(["grep", "^Cap", "/proc/self/status"])
        var fields: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2 { fields[String(parts[0].dropLast())] = String(parts[1]) }
        }
        // kill = 5, chown = 0, net_bind_service = 10. After exec as uid 1000 only the
        // ambient set survives into permitted/effective.
        #expect(fields["CapBnd"] == "0000000000000421", "\(fields)")
        #expect(fields["CapInh"] == "0000000000000400", "\(fields)")
        #expect(fields["CapAmb"] == "0000000000000400", "\(fields)")
        #expect(fields["CapPrm"] == "0000000000000400", "\(fields)")
        #expect(fields["CapEff"] == "0000000000000400", "\(fields)")
    }

    @Test("an unknown capability name is a clear error", .enabled(if: !Harness.isRunc, "runc only warns"))
    func unknownCapability() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.capabilities", ["bounding": ["CAP_FLY"]])
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("CAP_FLY"))
        #expect(!t.hasStateDir(id))
    }

    @Test("oomScoreAdj is applied")
    func oomScoreAdj() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.oomScoreAdj", 123)
        #expect(try t.output(["cat", "/proc/self/oom_score_adj"]) == "123")
    }

    @Test("an rlimit above the host's hard limit is a clear error", .enabled(if: !Harness.isRunc, "runc's wording differs"))
    func rlimitAboveHostHard() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        // Root without CAP_SYS_RESOURCE cannot raise a hard limit; with it this passes.
        let t = try Sandbox()
        defer { t.cleanup() }
        let above = limit.rlim_max == UInt.max ? limit.rlim_max : limit.rlim_max + 1
        try t.setConfig("process.rlimits", [["type": "RLIMIT_NOFILE", "hard": above, "soft": above]])
        let result = try t.run(["true"])
        if result.status != 0 {
            #expect(result.stderr.contains("RLIMIT_NOFILE"), "\(result.stderr)")
        }
    }
}

/// SCMP_ACT_NOTIFY: the listener gets the notify fd and the container state.
@Suite(Harness.enabled)
struct SeccompNotify {
    static let python = Harness.which("python3")

    @Test("the listener receives the fd and the state; a closed listener fails the call with ENOSYS",
          .enabled(if: python != nil, "needs python3 for the test listener"))
    func listenerGetsTheFd() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let socketPath = t.dir + "/listener.sock"
        let received = t.dir + "/received.json"
        let script = """
            import socket, sys, os
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(sys.argv[1]); s.listen(1)
            open(sys.argv[1] + ".ready", "w").close()
            c, _ = s.accept()
            msg, fds, flags, addr = socket.recv_fds(c, 65536, 4)
            open(sys.argv[2], "wb").write(msg + b"\\nFDS=%d" % len(fds))
            for fd in fds: os.close(fd)
            """
        let listener = Child(try #require(Self.python), ["-c", script, socketPath, received], ioDirectory: t.dir + "/io")
        // python starts slowly under emulation (the cgroup v2 guest).
        #expect(Harness.eventually(timeout: 90) { FileManager.default.fileExists(atPath: socketPath + ".ready") })
        try t.setConfig("root.readonly", false)
        try t.setConfig("linux.seccomp", [
            "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": socketPath, "listenerMetadata": "hello",
            "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"]],
        ])
        let result = try t.run(["sh", "-c", "mkdir /tmp/x 2>&1; echo done"])
        _ = listener.wait(timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Function not implemented"), "\(result.stdout)")
        let text = try String(contentsOfFile: received, encoding: .utf8)
        #expect(text.hasSuffix("FDS=1"), "\(text)")
        let json = String(text.prefix { $0 != "\n" })
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["fds"] as? [String] == ["seccompFd"])
        #expect(object?["metadata"] as? String == "hello")
        #expect((object?["state"] as? [String: Any])?["status"] as? String == "creating")
        #expect(((object?["pid"] as? Int) ?? 0) > 0)
    }

    @Test("NOTIFY without listenerPath is refused", .enabled(if: !Harness.isRunc, "runc's wording differs"))
    func notifyNeedsAListener() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.seccomp", ["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"]]])
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("listenerPath"))
        #expect(!t.hasStateDir(id))
    }
}
