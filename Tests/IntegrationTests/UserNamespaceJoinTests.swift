import Foundation
import Testing

/// Namespace sets clone3 flags alone cannot make: a joined user namespace that must own
/// the container's new namespaces (the Kubernetes user-namespace pod), and a new user
/// namespace next to a joined, host-owned network namespace.
@Suite(Harness.enabled)
struct UserNamespaceJoins {
    @Test("join another container's user namespace while making new mount, pid and uts namespaces")
    func joinUserNamespaceMakeTheRest() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace()
        let owner = try t.runDetached(["sleep", "100"], hint: "userns-owner")
        let pid = try #require(try t.state(owner)["pid"] as? Int)
        let userns = try #require(Namespaces.inode("/proc/\(pid)/ns/user"))
        let ownerMnt = Namespaces.inode("/proc/\(pid)/ns/mnt")

        try t.useUserNamespace(path: "/proc/\(pid)/ns/user")
        try t.setConfig("hostname", "joined")
        let out = try t.output(["sh", "-c", "readlink /proc/self/ns/user; readlink /proc/self/ns/mnt; cat /proc/self/uid_map; echo $$; hostname; touch /made && echo wrote"])
        let lines = out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        try #require(lines.count == 6, "\(out)")
        #expect(lines[0] == "user:[\(userns)]", "joined the first container's user namespace")
        #expect(lines[1] != "mnt:[\(ownerMnt ?? 0)]" && lines[1] != Harness.hostNamespace("mnt"), "a mount namespace of its own")
        #expect(lines[2] == "0 100000 65536")
        #expect(lines[3] == "1", "pid 1 of a new pid namespace")
        #expect(lines[4] == "joined", "the new uts namespace is owned by the joined user namespace")
        #expect(lines[5] == "wrote")
    }

    @Test("a new user namespace can join a network namespace the host owns",
          .enabled(if: Harness.which("ip") != nil, "iproute2 (ip) not installed"),
          .enabled(if: !Harness.isRunc, "runc 1.1 then fails to mount sysfs (EPERM)"))
    func newUserNamespaceJoinsHostNetns() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let ip = try #require(Harness.which("ip"))
        try t.useUserNamespace()
        let path = try t.joinNewNamedNetns(ip: ip)
        let expected = try #require(Namespaces.inode(path))
        let out = try t.output(["sh", "-c", "readlink /proc/self/ns/net; cat /proc/self/uid_map; id -u"])
        let lines = out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines == ["net:[\(expected)]", "0 100000 65536", "0"], "\(out)")
    }

    @Test("a joined user namespace that does not exist is a clear error and leaves nothing")
    func missingUserNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace(path: "/proc/999999999/ns/user")
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/proc/999999999/ns/user"), "\(result)")
        #expect(!t.hasStateDir(id))
    }
}
