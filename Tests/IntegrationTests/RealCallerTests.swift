import Foundation
import Testing

/// What other suites and engines found (issue 12): behaviour runc and crun have that a
/// runtime-spec reading alone did not give.
@Suite(Harness.enabled)
struct RealCallers {
    @Test("--preserve-fds over fds the caller did not open fails at once, and leaves nothing")
    func preserveFdsNotOpen() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["true"])
        let id = t.newID("pfd")
        // The harness starts the runtime with fds 0-2 only: 3.. are free (runc's own Go fds take
        // a few, so the range is larger than those).
        let result = t.runtime(["run", "--preserve-fds", "40", "--bundle", t.bundle, id], timeout: 15)
        #expect(result.status != 0, "\(result)")
        if !Harness.isRunc {
            #expect(result.stderr.contains("--preserve-fds"), "\(result)")
        }
        let delete = t.runtime(["delete", "--force", id], timeout: 15)
        #expect(delete.status == 0, "\(delete)")
        #expect(!t.listedIDs().contains(id))
    }

    @Test("a new network namespace has its loopback interface up")
    func loopbackUp() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // IFF_UP (0x1) | IFF_LOOPBACK (0x8); with IFF_RUNNING the kernel reports 0x9 as flags.
        let flags = try t.output(["cat", "/sys/class/net/lo/flags"])
        let value = Int(flags.dropFirst(2), radix: 16) ?? 0
        #expect(value & 1 == 1, "lo flags \(flags)")
    }

    @Test("a new user namespace without mappings is refused, naming the field", .enabled(if: !Harness.isRunc, "runc's wording differs"))
    func userNamespaceWithoutMappings() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editNamespaces { $0 + [["type": "user"]] }
        BadInput.expectCreateFails(t, mentions: ["linux.uidMappings"])
    }

    @Test("the kernel.hostname sysctl and the hostname field together are refused")
    func hostnameSysctlConflict() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("hostname", "from-field")
        try t.setConfig("linux.sysctl", ["kernel.hostname": "from-sysctl"])
        BadInput.expectCreateFails(t, mentions: Harness.isRunc ? [] : ["kernel.hostname", "hostname"])
    }
}

extension RealCallers {
    @Test("a container whose cgroup is frozen before create is a clear error, not a hang")
    func frozenCgroupBeforeCreate() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let v2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        let name = "petrel-it-frozen-\(Harness.randomToken())"
        let directory = v2 ? "/sys/fs/cgroup/\(name)" : "/sys/fs/cgroup/freezer/\(name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer {
            try? (v2 ? "0" : "THAWED").write(toFile: directory + (v2 ? "/cgroup.freeze" : "/freezer.state"), atomically: false, encoding: .utf8)
            rmdir(directory)
        }
        try (v2 ? "1" : "FROZEN").write(toFile: directory + (v2 ? "/cgroup.freeze" : "/freezer.state"), atomically: false, encoding: .utf8)
        try t.setConfig("linux.cgroupsPath", "/\(name)")
        try t.setArgs(["sleep", "100"])
        let id = t.newID("frozen")
        let result = t.runtime(["run", "--detach", "--bundle", t.bundle, id], timeout: 30)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("frozen"), "\(result)")
        #expect(!t.listedIDs().contains(id))
    }
}

extension RealCallers {
    @Test("the init's inheritable and ambient sets are empty unless the config names them (crun's CVE-2022-27650)")
    func noImplicitInheritable() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        try t.setConfig("process.capabilities", ["bounding": caps, "effective": caps, "permitted": caps])
        let out = try t.output(["sh", "-c", "grep -E '^Cap(Inh|Amb)' /proc/self/status"])
        #expect(out.contains("CapInh:\t0000000000000000"), "\(out)")
        #expect(out.contains("CapAmb:\t0000000000000000"), "\(out)")
    }
}

extension RealCallers {
    static let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")

    @Test("a user namespace without a cgroup namespace sees its own cgroup at /sys/fs/cgroup, never the host's tree",
          .enabled(if: unified, "cgroup v1 host: the cgroup mount binds the container's own v1 cgroups already (Cgroups suite)"))
    func userNamespaceOwnCgroupOnly() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace()
        // The host's root cgroup has no cgroup.type; every other cgroup has one.
        let out = try t.output(["sh", "-c", "test -e /sys/fs/cgroup/cgroup.type && echo own || echo host-root; ls /sys/fs/cgroup | grep -c '^cgroup.procs$'"])
        #expect(out.hasPrefix("own"), "\(out)")
    }
}
