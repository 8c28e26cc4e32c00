import Foundation
import Testing

/// The runtime under a seccomp filter that answers clone3 with ENOSYS (scripts/no-clone3.c),
/// as Docker's default profile does for Docker-in-Docker, CI runners and kind nodes (issue
/// 14/15): Petrel falls back to clone(2), and without CLONE_INTO_CGROUP the init and every
/// exec'd process still join the container's cgroup before they run.
@Suite(Harness.enabled, .enabled(if: Harness.which("cc") != nil, "needs cc -static to build scripts/no-clone3.c"))
struct NoClone3 {
    /// Builds the wrapper once per sandbox and puts every runtime call of `t` under it.
    private func filterClone3(_ t: Sandbox) throws {
        let output = t.dir + "/no-clone3"
        let source = (Harness.packageRoot ?? ".") + "/scripts/no-clone3.c"
        let built = host(try #require(Harness.which("cc")), ["-static", "-O2", "-o", output, source], ioDirectory: t.dir + "/io")
        try #require(built.succeeded, "\(built)")
        t.wrapper = [output]
    }

    /// The process's cgroup v2 path (the "0::" line of /proc/PID/cgroup; hybrid hosts have one too).
    private func unifiedCgroup(_ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    @Test("create, state, start, kill and delete with clone3 filtered; the init is in the container's cgroup before start")
    func lifecycle() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try filterClone3(t)
        let id = try t.create(["sleep", "1000"])
        #expect(t.status(id) == "created")
        let pid = try #require(t.state(id)["pid"] as? Int)
        let cgroup = unifiedCgroup((try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? "")
        #expect(cgroup?.hasSuffix("/" + id) == true, "the created init's cgroup: \(cgroup ?? "none")")
        let start = t.runtime(["start", id])
        #expect(start.succeeded, "\(start)")
        #expect(t.waitForStatus(id, "running"))
        let kill = t.runtime(["kill", id, "KILL"])
        #expect(kill.succeeded, "\(kill)")
        #expect(t.waitForStatus(id, "stopped"))
        let delete = t.runtime(["delete", id])
        #expect(delete.succeeded, "\(delete)")
        #expect(!t.listedIDs().contains(id))
    }

    @Test("run in the foreground with clone3 filtered: the process runs in the container's cgroup and its status is returned")
    func runForeground() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try filterClone3(t)
        try t.setArgs(["sh", "-c", "grep ^0:: /proc/self/cgroup; exit 3"])
        let id = t.newID("run")
        let result = t.runtime(["run", "--bundle", t.bundle, id])
        #expect(result.status == 3, "\(result)")
        #expect(unifiedCgroup(result.out)?.hasSuffix("/" + id) == true, "\(result)")
        #expect(!t.listedIDs().contains(id))
    }

    @Test("run -d and exec with clone3 filtered: the exec'd process joins the container's cgroup")
    func detachedAndExec() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try filterClone3(t)
        let id = try t.runDetached(["sleep", "1000"])
        #expect(t.status(id) == "running")
        let exec = t.runtime(["exec", id, "sh", "-c", "grep ^0:: /proc/self/cgroup"])
        #expect(exec.succeeded, "\(exec)")
        #expect(unifiedCgroup(exec.out)?.hasSuffix("/" + id) == true, "\(exec)")
        let detached = t.runtime(["exec", "-d", id, "sleep", "1000"])
        #expect(detached.succeeded, "\(detached)")
        let delete = t.runtime(["delete", "--force", id])
        #expect(delete.succeeded, "\(delete)")
        #expect(!t.listedIDs().contains(id))
    }

    @Test("with clone3 filtered, a new user namespace joining a network namespace (the first stage) runs in the container's cgroup",
          .enabled(if: Harness.which("ip") != nil, "iproute2 (ip) not installed"),
          .enabled(if: !Harness.isRunc, "runc 1.1 then fails to mount sysfs (EPERM)"))
    func firstStage() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try filterClone3(t)
        let ip = try #require(Harness.which("ip"))
        try t.useUserNamespace()
        try t.joinNewNamedNetns(ip: ip)
        try t.setArgs(["sh", "-c", "grep ^0:: /proc/self/cgroup; cat /proc/self/uid_map"])
        let id = t.newID("stage")
        let result = t.runtime(["run", "--bundle", t.bundle, id])
        #expect(result.status == 0, "\(result)")
        #expect(unifiedCgroup(result.out)?.hasSuffix("/" + id) == true, "\(result)")
        #expect(result.out.split(separator: "\n").last.map { $0.split(separator: " ").joined(separator: " ") } == "0 100000 65536", "\(result)")
    }
}
