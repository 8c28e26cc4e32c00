import ConformanceKit
import Glibc

/// config-linux.md "Control groups": limits as the container's own cgroup files show them
/// (cgroup v1 files on the hybrid host, v2 files in the v2 guest), and cgroupsPath.
enum CgroupCases {
    static let all: [Case] = [
        .inside("cgroups.memory", "memory limit and reservation",
                spec: "config-linux.md Memory: `limit` \"sets limit of memory usage\", `reservation` \"sets soft limit of memory usage\"",
                checks: ["cgroup-memory"]) { f in
            f.config[path: "linux.resources.memory"] = ["limit": 67_108_864, "reservation": 33_554_432]
        },
        .inside("cgroups.memory-swap", "memory+swap limit",
                spec: "config-linux.md Memory: `swap` \"sets limit of memory+Swap usage\"",
                checks: ["cgroup-memory"]) { f in
            let swapFile = f.suite.host.cgroup2 ? "/sys/fs/cgroup/memory.swap.max" : "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"
            if !f.suite.host.cgroup2 && !fileExists(swapFile) {
                throw Outcome.skip("no swap accounting on this host (\(swapFile) missing)")
            }
            f.config[path: "linux.resources.memory"] = ["limit": 67_108_864, "swap": 134_217_728]
        },
        .inside("cgroups.pids", "pids limit",
                spec: "config-linux.md PIDs: `limit` \"specifies the maximum number of tasks in the cgroup\"",
                checks: ["cgroup-pids"]) { f in
            f.config[path: "linux.resources.pids"] = ["limit": 42]
        },
        .inside("cgroups.cpu", "cpu shares, quota and period",
                spec: "config-linux.md CPU: `shares` \"a relative share of CPU time\", `quota`, `period`",
                checks: ["cgroup-cpu"]) { f in
            f.config[path: "linux.resources.cpu"] = ["shares": 512, "quota": 50000, "period": 100_000]
        },
        .inside("cgroups.cpuset", "cpuset cpus and mems",
                spec: "config-linux.md CPU: `cpus` \"list of CPUs the container will run on\", `mems` \"list of memory nodes\"",
                checks: ["cgroup-cpuset"]) { f in
            f.config[path: "linux.resources.cpu"] = ["cpus": "0", "mems": "0"]
        },
        .inside("cgroups.unified", "linux.resources.unified files are written",
                spec: "config-linux.md Unified: \"Configuration unknown to the runtime MUST still be written to the relevant file\"",
                checks: ["cgroup-unified"]) { f in
            try f.requireCgroup(v2: true)
            f.config[path: "linux.resources.unified"] = ["pids.max": "17", "memory.high": "50331648"]
        },
        .inside("cgroups.hugetlb", "hugepage limits",
                spec: "config-linux.md Huge page limits: `hugepageLimits` \"represents the `hugetlb` controller\" (pageSize, limit)",
                checks: ["cgroup-hugetlb"]) { f in
            guard fileExists("/sys/kernel/mm/hugepages/hugepages-2048kB") else {
                throw Outcome.skip("this kernel has no 2MB huge pages")
            }
            if !f.suite.host.cgroup2 && !fileExists("/sys/fs/cgroup/hugetlb") {
                throw Outcome.skip("no cgroup v1 hugetlb hierarchy on this host (hugetlb is only on its cgroup2 mount)")
            }
            f.config[path: "linux.resources.hugepageLimits"] = [["pageSize": "2MB", "limit": 4_194_304]]
        },
        .inside("cgroups.memory-v1", "memory swappiness and disableOOMKiller (cgroup v1 files)",
                spec: "config-linux.md Memory: `swappiness` \"sets swappiness parameter of vmscan\"; `disableOOMKiller` \"To disable it, specify a value of `true`\"",
                checks: ["cgroup-memory-v1"]) { f in
            try f.requireCgroup(v2: false)
            f.config[path: "linux.resources.memory"] = ["limit": 67_108_864, "swappiness": 10, "disableOOMKiller": true]
        },
        .inside("cgroups.blkio-weight", "block IO weight",
                spec: "config-linux.md Block IO: `weight` \"specifies per-cgroup weight\"",
                checks: ["cgroup-blkio-weight"]) { f in
            guard hasBlockIOWeight() else {
                throw Outcome.skip("the host's block layer has no weight interface (blkio.weight, blkio.bfq.weight, io.weight, io.bfq.weight)")
            }
            f.config[path: "linux.resources.blockIO"] = ["weight": 300]
        },
        Case("cgroups.path-absolute", "an absolute cgroupsPath below the cgroup mount point",
             spec: "config-linux.md Cgroups Path: \"In the case of an absolute path (starting with `/`), the runtime MUST take the path to be relative to the cgroups mount point\"") { f in
            let parent = "oci-conformance-\(getpid())"
            let path = "/\(parent)/abs-\(f.ids.count)"
            f.config[path: "linux.cgroupsPath"] = .string(path)
            let id = try LifecycleCases.created(&f)
            let pid = f.state(id)?["pid"].int ?? -1
            let lines = ((try? readText("/proc/\(pid)/cgroup")) ?? "").lines
            let inPath = lines.contains { line in
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                return fields.count == 3 && (fields[1].isEmpty || fields[1].contains("memory") || fields[1].contains("pids"))
                    && fields[2] == Substring(path)
            }
            try f.requireSuccess(f.runtime(["delete", "--force", id]), "delete --force")
            removeCgroupParent(parent)
            try f.require(inPath, "/proc/\(pid)/cgroup does not place the process at \(path): \(lines.joined(separator: " | "))")
        },
    ]

    static func hasBlockIOWeight() -> Bool {
        if !fileExists("/sys/fs/cgroup/cgroup.controllers") {
            return fileExists("/sys/fs/cgroup/blkio/blkio.weight") || fileExists("/sys/fs/cgroup/blkio/blkio.bfq.weight")
        }
        // The root cgroup has no io.weight: look in a child made for the purpose.
        let probe = "/sys/fs/cgroup/oci-conformance-probe-\(getpid())"
        mkdir(probe, 0o755)
        defer { rmdir(probe) }
        return fileExists(probe + "/io.weight") || fileExists(probe + "/io.bfq.weight")
    }

    /// Where a cgroupsPath lives on this host: the v2 directory, or one per v1 hierarchy.
    static func cgroupDirectories(_ path: String) -> [String] {
        if fileExists("/sys/fs/cgroup/cgroup.controllers") { return ["/sys/fs/cgroup" + path] }
        return ["memory", "pids", "cpu", "devices", "blkio", "cpuset", "freezer"].map { "/sys/fs/cgroup/\($0)" + path }
    }

    /// The runtime removes the container's cgroup, not the parent the case named.
    static func removeCgroupParent(_ name: String) {
        rmdir("/sys/fs/cgroup/\(name)")
        for hierarchy in System.listHierarchies() {
            rmdir("/sys/fs/cgroup/\(hierarchy)/\(name)")
        }
    }
}

enum System {
    static func listHierarchies() -> [String] {
        guard let dir = opendir("/sys/fs/cgroup") else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }
}
