import Foundation
import Testing

/// Escapes the runtime must not allow (each a known CVE class), and spec features the
/// other suites do not cover: linux.devices, sysctl rules, cgroup/time namespaces,
/// domainname, shared root propagation, user namespaces.
@Suite(Harness.enabled)
struct Confinement {
    @Test("a mount destination that is a symlink resolves inside the rootfs (CVE-2021-30465 class)")
    func symlinkedMountDestination() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try FileManager.default.createSymbolicLink(atPath: t.rootfs + "/escape", withDestinationPath: "/etc")
        let payload = try t.hostDir("payload")
        try "inside\n".write(toFile: payload + "/planted-\(Harness.randomToken())", atomically: true, encoding: .utf8)
        let planted = try FileManager.default.contentsOfDirectory(atPath: payload)[0]
        try t.addBind(payload, at: "/escape")
        #expect(try t.output(["cat", "/etc/" + planted]) == "inside")
        #expect(!FileManager.default.fileExists(atPath: "/etc/" + planted), "the bind landed on the host's /etc")
    }

    @Test("no host fd reaches the container and the cwd is inside it (CVE-2024-21626 class)")
    func noLeakedFds() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; echo; pwd"])
        let lines = out.split(separator: "\n").map(String.init)
        let fds = lines.first?.split(separator: " ").compactMap { Int($0) } ?? []
        // 0-2, plus the directory fd ls itself holds.
        #expect(fds.filter { $0 > 3 }.isEmpty, "fds: \(fds)")
        #expect(lines.last == "/")
    }

    @Test("a cwd through /proc/self/fd is refused")
    func cwdThroughAnFd() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.cwd", "/proc/self/fd/7")
        #expect(try t.run(["pwd"]).status != 0)
    }

    @Test("the container cannot write the runtime binary through /proc/<pid>/exe (CVE-2019-5736 class)")
    func runtimeBinaryIsNotWritable() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let before = try FileManager.default.attributesOfItem(atPath: Harness.binary)[.modificationDate] as? Date
        // The init's own exe is the container's program after exec; any host binary that
        // shows up under /proc must not be writable from inside.
        let out = try t.output(["sh", "-c", "for p in /proc/[0-9]*; do echo x 2>/dev/null >> $p/exe && echo WROTE $p; done; echo done"])
        #expect(!out.contains("WROTE"), "\(out)")
        let after = try FileManager.default.attributesOfItem(atPath: Harness.binary)[.modificationDate] as? Date
        #expect(before == after)
    }

    @Test("linux.devices are created with type, numbers, mode and owner")
    func linuxDevices() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.devices", [["path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o640, "uid": 1, "gid": 2]])
        #expect(try t.output(["stat", "-c", "%F %t:%T %a %u:%g", "/dev/fuse"]) == "character special file a:e5 640 1:2")
    }

    @Test("a namespaced sysctl is applied")
    func namespacedSysctl() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.sysctl", ["net.ipv4.ip_forward": "1", "kernel.shmmni": "2048"])
        #expect(try t.output(["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"]) == "1\n2048")
    }

    @Test("a host-wide sysctl is refused and nothing is left", .enabled(if: !Harness.isRunc, "runc applies it"))
    func hostWideSysctl() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.sysctl", ["kernel.pid_max": "100000"])
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("kernel.pid_max"))
        #expect(!t.hasStateDir(id))
    }

    @Test("new cgroup and time namespaces", .enabled(if: !Harness.isRunc, "runc 1.1 has no time namespaces"))
    func cgroupAndTimeNamespaces() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editNamespaces { $0 + [["type": "cgroup"], ["type": "time"]] }
        let out = try t.output(["sh", "-c", "readlink /proc/self/ns/cgroup; readlink /proc/self/ns/time"])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first != Harness.hostNamespace("cgroup"))
        #expect(lines.last != Harness.hostNamespace("time"))
    }

    @Test("domainname is set in the uts namespace", .enabled(if: !Harness.isRunc, "runc 1.1 ignores domainname"))
    func domainname() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("domainname", "example.org")
        #expect(try t.output(["cat", "/proc/sys/kernel/domainname"]) == "example.org")
    }

    @Test("rootfsPropagation shared makes / a shared mount", .enabled(if: !Harness.isRunc, "runc 1.1 leaves / unshared"))
    func sharedRootPropagation() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.rootfsPropagation", "shared")
        let out = try t.output(["sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"])
        #expect(out.contains("shared:"), "\(out)")
    }

    @Test("a user namespace maps container root to an unprivileged host uid")
    func userNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace()
        let out = try t.output(["sh", "-c", "id -u; cat /proc/self/uid_map; touch /tmp/ok && echo wrote"])
        let lines = out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["0", "0 100000 65536", "wrote"], "\(out)")
    }
}

/// AppArmor / SELinux labels: applied where the host has the LSM, refused where not.
@Suite(Harness.enabled)
struct SecurityLabels {
    static let apparmor = ((try? String(contentsOfFile: "/sys/module/apparmor/parameters/enabled", encoding: .utf8)) ?? "").hasPrefix("Y")
    static let selinux = FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce")

    @Test("an AppArmor profile on a host without AppArmor is a clear error",
          .enabled(if: !apparmor && !Harness.isRunc, "host has AppArmor / runc's wording differs"))
    func apparmorMissing() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.apparmorProfile", "petrel-test")
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("apparmorProfile"))
        #expect(!t.hasStateDir(id))
    }

    @Test("the AppArmor profile is applied at exec", .enabled(if: apparmor, "host has no AppArmor"))
    func apparmorApplied() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.apparmorProfile", "unconfined")
        let out = try t.output(["cat", "/proc/self/attr/current"])
        #expect(out.hasPrefix("unconfined"), "\(out)")
    }

    @Test("an SELinux label on a host without SELinux is a clear error",
          .enabled(if: !selinux && !Harness.isRunc, "host has SELinux / runc ignores it"))
    func selinuxMissing() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.selinuxLabel", "system_u:system_r:container_t:s0")
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("selinuxLabel"))
        #expect(!t.hasStateDir(id))
    }
}
