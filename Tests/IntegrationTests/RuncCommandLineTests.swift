import Foundation
import Testing

/// The corners of runc's command line that engines and scripts use (issue 12 item 11):
/// negative limits, `run --keep`, signal 0 and numeric signals, `exec --cgroup`, `-v`,
/// unknown and unsupported verbs, and Go's lowercase errno text.
@Suite(Harness.enabled)
struct RuncCommandLine {
    static let v2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")

    @Test("-v prints the version, before or after global flags")
    func shortVersion() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        for args in [["-v"], ["--root", t.root, "-v"]] {
            let result = t.runtimeRaw(args)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("version"), "\(result)")
        }
    }

    @Test("an unknown verb fails even with -h")
    func unknownAndUnsupportedVerbs() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let unknown = t.runtime(["no-such-verb", "-h"])
        #expect(unknown.status != 0, "\(unknown)")
        #expect(unknown.stderr.contains("no-such-verb"), "\(unknown)")
    }

    @Test("kill ID 0 checks the container is there; numeric signals up to 64 are sent")
    func signalZeroAndNumbers() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sh", "-c", "trap 'echo got40 > /dev/shm/sig' 40; while true; do sleep 0.1; done"])
        let zero = t.runtime(["kill", id, "0"])
        #expect(zero.status == 0, "\(zero)")
        #expect(t.status(id) == "running")
        let rt = t.runtime(["kill", id, "40"])
        #expect(rt.status == 0, "\(rt)")
        #expect(Harness.eventually { t.runtime(["exec", id, "cat", "/dev/shm/sig"]).stdout.contains("got40") })
        let bad = t.runtime(["kill", id, "65"])
        #expect(bad.status != 0, "\(bad)")
        #expect(t.runtime(["kill", id, "KILL"]).status == 0)
        #expect(t.waitForStatus(id, "stopped"))
        let gone = t.runtime(["kill", id, "0"])
        #expect(gone.status != 0, "signal 0 to a stopped container fails: \(gone)")
    }

    @Test("update takes -1 for --memory-swap, --cpu-quota and --pids-limit")
    func updateNegativeValues() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.resources", ["memory": ["limit": 67_108_864], "cpu": ["quota": 50_000, "period": 100_000]])
        let id = try t.runDetached(["sleep", "100"])
        for args in [["--memory-swap", "-1"], ["--cpu-quota", "-1"], ["--pids-limit", "-1"], ["--memory", "-1"]] {
            let result = t.runtime(["update"] + args + [id])
            #expect(result.status == 0, "\(args): \(result)")
        }
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let cgroups = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        if Self.v2, let line = cgroups.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
            let dir = "/sys/fs/cgroup" + line.dropFirst(3)
            let quota = try String(contentsOfFile: dir + "/cpu.max", encoding: .utf8)
            #expect(quota.hasPrefix("max"), "\(quota)")
        } else if let line = cgroups.split(separator: "\n").first(where: { $0.split(separator: ":")[1].split(separator: ",").contains("cpu") }) {
            let parts = line.split(separator: ":", maxSplits: 2)
            let dir = "/sys/fs/cgroup/\(parts[1])\(parts[2])"
            let quota = try String(contentsOfFile: dir + "/cpu.cfs_quota_us", encoding: .utf8)
            #expect(quota.trimmingCharacters(in: .whitespacesAndNewlines) == "-1", "\(quota)")
        }
    }

    @Test("run --keep leaves the stopped container for a later delete")
    func runKeep() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["sh", "-c", "exit 3"])
        let id = t.newID("keep")
        let result = t.runtime(["run", "--keep", "--bundle", t.bundle, id])
        #expect(result.status == 3, "\(result)")
        #expect(t.status(id) == "stopped")
        #expect(t.listedIDs().contains(id))
        #expect(t.runtime(["delete", id]).status == 0)
        #expect(!t.listedIDs().contains(id))
    }

    @Test("exec --cgroup runs the process in an existing sub-cgroup; a missing one is an error")
    func execSubCgroup() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let cgroups = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        // The container's directory in the hierarchy we test: the unified one on v2, pids on v1.
        var dir = ""
        var argument = "sub"
        for line in cgroups.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if Self.v2, parts[0] == "0" { dir = "/sys/fs/cgroup" + parts[2] }
            if !Self.v2, parts[1] == "pids" { dir = "/sys/fs/cgroup/pids" + parts[2]; argument = "pids:sub" }
        }
        try #require(!dir.isEmpty, "no cgroup directory in \(cgroups)")
        let missing = t.runtime(["exec", "--cgroup", argument, id, "true"])
        #expect(missing.status != 0, "\(missing)")
        #expect(mkdir(dir + "/sub", 0o755) == 0)
        defer { rmdir(dir + "/sub") }
        let result = t.runtime(["exec", "--cgroup", argument, id, "cat", "/proc/self/cgroup"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("/sub"), "\(result)")
        let bad = t.runtime(["exec", "--cgroup", "a", "--cgroup", "b", id, "true"])
        #expect(bad.status != 0 && bad.stderr.contains("--cgroup"), "\(bad)")
    }

    @Test("errno text is lowercase, as Go prints it (engines match on it)", .enabled(if: !Harness.isRunc, "runc's message differs"))
    func lowercaseErrno() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.addBind("/nonexistent-\(Harness.randomToken())", at: "/mnt")
        let result = try t.run(["true"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("no such file or directory"), "\(result)")
        #expect(!result.stderr.contains("No such file or directory"), "\(result)")
    }
}

extension RuncCommandLine {
    @Test("--debug logs each step of run and exec", .enabled(if: !Harness.isRunc, "runc's debug lines differ"))
    func debugSteps() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["true"])
        let run = t.runtime(["--debug", "run", "--bundle", t.bundle, t.newID("dbg")])
        #expect(run.status == 0, "\(run)")
        for step in ["level=debug", "plan:", "cgroup", "init cloned", "ready", "recorded", "releasing init"] {
            #expect(run.stderr.contains(step), "\(step): \(run)")
        }
        let id = try t.runDetached(["sleep", "100"])
        let exec = t.runtime(["--debug", "exec", id, "true"])
        #expect(exec.status == 0, "\(exec)")
        for step in ["joining the namespaces", "process cloned", "executed its program"] {
            #expect(exec.stderr.contains(step), "\(step): \(exec)")
        }
        let quiet = t.runtime(["exec", id, "true"])
        #expect(!quiet.stderr.contains("level=debug"), "\(quiet)")
    }
}
