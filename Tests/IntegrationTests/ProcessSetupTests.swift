import Foundation
import Testing

/// The container process as config.json describes it: run in the foreground, stdout captured.
@Suite(Harness.enabled)
struct ProcessSetup {
    @Test("the user program is pid 1 of its pid namespace")
    func pidOne() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["sh", "-c", "echo $$"]) == "1")
    }

    @Test("hostname from config.json")
    func hostname() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["hostname"]) == "petrel")
        try t.setConfig("hostname", "it-other-host")
        #expect(try t.output(["cat", "/proc/sys/kernel/hostname"]) == "it-other-host")
    }

    @Test("env from config.json")
    func environment() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editConfig { config in
            var process = config["process"] as? [String: Any] ?? [:]
            process["env"] = (process["env"] as? [String] ?? []) + ["PETREL_TEST=bar baz", "EMPTY="]
            config["process"] = process
        }
        let out = try t.output(["sh", "-c", "echo \"[$PETREL_TEST]\"; echo \"[${EMPTY-unset}]\"; echo \"$PATH\"; echo \"$TERM\""])
        #expect(out.split(separator: "\n").map(String.init) == [
            "[bar baz]", "[]", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "xterm",
        ])
    }

    @Test("cwd from config.json")
    func workingDirectory() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.cwd", "/tmp")
        #expect(try t.output(["pwd"]) == "/tmp")
    }

    @Test("user uid and gid")
    func userIDs() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000])
        #expect(try t.output(["sh", "-c", "id -u; id -g"]) == "1000\n1000")
    }

    @Test("additionalGids are the supplementary groups")
    func additionalGids() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000, "additionalGids": [5, 65534]])
        let groups = try t.output(["id", "-G"]).split(separator: " ").map(String.init)
        #expect(Set(groups) == ["1000", "5", "65534"], "id -G: \(groups)")
    }

    @Test("root has no supplementary groups by default")
    func noSupplementaryGroups() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["id", "-G"]) == "0")
    }

    @Test("umask from config.json")
    func umask() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.user", ["uid": 0, "gid": 0, "umask": 0o077])
        #expect(try t.output(["sh", "-c", "umask"]) == "0077")
    }

    @Test("umask defaults to 0022")
    func defaultUmask() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["sh", "-c", "umask"]) == "0022")
    }

    @Test("args keep spaces and empty strings")
    func argsPreserved() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", "for a in \"$@\"; do echo \"[$a]\"; done", "zero", "a b", " c ", "", "$HOME*"])
        #expect(out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ==
            ["[a b]", "[ c ]", "[]", "[$HOME*]"])
    }

    @Test("args[0] is looked up in PATH")
    func pathLookup() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["hostname"]) == "petrel")
        #expect(try t.output(["/bin/echo", "absolute"]) == "absolute")
    }

    @Test("a program not found in PATH is an error")
    func missingProgram() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = try t.run(["nosuch-program"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("nosuch-program"), "\(result)")
        #expect(result.stderr.contains("executable file not found in $PATH"), "\(result)")
        #expect(t.listedIDs().isEmpty)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: t.root)) ?? []
        #expect(leftovers.isEmpty, "no state left: \(leftovers)")
    }

    @Test("a missing absolute program is an error")
    func missingAbsoluteProgram() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = try t.run(["/bin/nosuch-program"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("/bin/nosuch-program"), "\(result)")
        #expect(t.listedIDs().isEmpty)
    }

    @Test("create fails at once when the program does not exist")
    func createMissingProgram() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["nosuch-program"])
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("executable file not found in $PATH"), "\(result)")
        #expect(!t.hasStateDir(id))
        #expect(t.listedIDs().isEmpty)
    }

    @Test("rlimits from config.json (the default spec sets RLIMIT_NOFILE 1024)")
    func rlimits() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["sh", "-c", "ulimit -n"]) == "1024")
        try t.setConfig("process.rlimits", [["type": "RLIMIT_NOFILE", "hard": 512, "soft": 256]])
        #expect(try t.output(["sh", "-c", "ulimit -Sn; ulimit -Hn"]) == "256\n512")
    }

    @Test("capabilities and noNewPrivileges from config.json")
    func capabilities() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
        let out = try t.output(["grep", "-E", "^(CapPrm|CapEff|CapBnd|NoNewPrivs):", "/proc/self/status"])
        let fields = Dictionary(uniqueKeysWithValues: out.split(separator: "\n").map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        })
        #expect(fields["CapPrm"] == "0000000020000420", "\(fields)")
        #expect(fields["CapEff"] == "0000000020000420", "\(fields)")
        #expect(fields["CapBnd"] == "0000000020000420", "\(fields)")
        #expect(fields["NoNewPrivs"] == "1", "\(fields)")
    }

    @Test("HOME is set from /etc/passwd when env lacks it")
    func home() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["sh", "-c", "echo $HOME"]) == "/root")
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000])
        #expect(try t.output(["sh", "-c", "echo $HOME"]) == "/home/user")
    }
}
