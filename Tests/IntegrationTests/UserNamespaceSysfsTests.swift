import Foundation
import Testing

/// sysfs and cgroup mounts that a user namespace may not make (issue 14, "no silent
/// substitution"): the container gets at most what it asked for, never the host's /sys tree
/// with the host's cgroups below it.
@Suite(Harness.enabled)
struct UserNamespaceSysfs {
    /// A user namespace sharing the host's network namespace: the kernel refuses it sysfs.
    private func userNamespaceWithoutNetwork(_ t: Sandbox) throws {
        try t.useUserNamespace()
        try t.editNamespaces { $0.filter { $0["type"] as? String != "network" } }
    }

    /// The directories one level below each hierarchy root of the host (v1: below each
    /// /sys/fs/cgroup/<hierarchy>; v2: below /sys/fs/cgroup): the host's top-level cgroups.
    private func hostTopLevelCgroups() -> Set<String> {
        let fm = FileManager.default
        let root = "/sys/fs/cgroup"
        let roots = fm.fileExists(atPath: root + "/cgroup.controllers")
            ? [root]
            : ((try? fm.contentsOfDirectory(atPath: root)) ?? []).map { root + "/" + $0 }
        var names: Set<String> = []
        for dir in roots {
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
                var isDirectory: ObjCBool = false
                if fm.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory), isDirectory.boolValue {
                    names.insert(name)
                }
            }
        }
        return names
    }

    @Test("a user namespace without its own network namespace: /sys is read-only, has no host submount, and /sys/fs/cgroup shows only the container's own cgroup")
    func sysfsWithoutNetworkNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try userNamespaceWithoutNetwork(t)
        let script = """
            cat /proc/self/mountinfo; echo ---
            for d in /sys/fs/cgroup/* /sys/fs/cgroup/*/*; do [ -d "$d" ] && [ ! -L "$d" ] && echo "$d"; done; echo ---
            ls /sys/kernel/security /sys/kernel/debug /sys/kernel/tracing 2>/dev/null | grep -v ':$' | grep -c .; exit 0
            """
        let result = try t.run(["sh", "-c", script])
        if Harness.isRunc {
            // runc 1.1 refuses it: mounting sysfs fails with EPERM and nothing runs.
            #expect(result.status != 0 && result.stderr.contains("sysfs"), "\(result)")
            return
        }
        try #require(result.status == 0, "\(result)")
        let parts = result.out.components(separatedBy: "---\n")
        try #require(parts.count == 3, "\(result)")

        // Mount points at or below /sys: each once (nothing of the host's hidden underneath),
        // only the filesystems the config asked for (sysfs, the cgroup mount, masked paths).
        var points: [String] = []
        var sysfsOptions = ""
        for line in parts[0].split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            let fields = halves[0].split(separator: " ").map(String.init)
            guard halves.count == 2, fields.count >= 6 else { continue }
            let point = fields[4]
            guard point == "/sys" || point.hasPrefix("/sys/") else { continue }
            let type = halves[1].split(separator: " ").first.map(String.init) ?? ""
            points.append(point)
            #expect(["sysfs", "tmpfs", "cgroup", "cgroup2"].contains(type), "unexpected \(type) at \(point): \(line)")
            if type == "sysfs" {
                #expect(point == "/sys", "a second sysfs at \(point)")
                sysfsOptions = fields[5]
            }
        }
        #expect(Set(points).count == points.count, "a mount point below /sys is covered: \(points)")
        #expect(points.first == "/sys", "\(points)")
        #expect(sysfsOptions.split(separator: ",").contains("ro"), "/sys is read-only: \(sysfsOptions)")
        for hidden in ["/sys/kernel/security", "/sys/kernel/debug", "/sys/kernel/tracing"] {
            #expect(!points.contains(hidden), "\(hidden) is mounted in the container")
        }
        #expect(parts[2].trimmingCharacters(in: .whitespacesAndNewlines) == "0",
                "securityfs, debugfs and tracefs are empty directories: \(parts[2])")

        // No cgroup of the host: the hierarchies (v1) show the container's own cgroup, which
        // has no children; on v2 /sys/fs/cgroup is the container's own cgroup.
        let host = hostTopLevelCgroups()
        let listed = parts[1].split(separator: "\n").map(String.init)
        let names = Set(listed.map { ($0 as NSString).lastPathComponent })
        let v2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        let cgroupDirs = v2 ? listed : listed.filter { $0.split(separator: "/").count > 4 }
        #expect(cgroupDirs.isEmpty, "cgroups other than the container's own are visible: \(cgroupDirs)")
        #expect(names.intersection(host.subtracting(["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
                                                     "net_cls", "net_prio", "hugetlb", "perf_event", "rdma", "misc", "systemd", "unified"])).isEmpty,
                "the host's top-level cgroups \(host) are visible: \(listed)")
    }

    @Test("a writable sysfs in a user namespace without its own network namespace is an error naming the mount, and leaves nothing")
    func writableSysfsRefused() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try userNamespaceWithoutNetwork(t)
        var index = -1
        try t.editConfig { config in
            var mounts = config["mounts"] as? [[String: Any]] ?? []
            for i in mounts.indices where mounts[i]["type"] as? String == "sysfs" {
                mounts[i]["options"] = ["nosuid", "noexec", "nodev"]
                index = i
            }
            config["mounts"] = mounts
        }
        try #require(index >= 0, "the bundle has a sysfs mount")
        let result = try t.run(["true"])
        #expect(result.status != 0, "\(result)")
        if !Harness.isRunc {
            #expect(result.stderr.contains("mounts[\(index)]") && result.stderr.contains("sysfs"), "\(result)")
        }
        #expect(t.listedIDs().isEmpty, "no container is left: \(t.listedIDs())")
    }
}
