import ConformanceKit
import Glibc

/// config-linux.md "Control groups": the limits as the container's own cgroup files show
/// them (the config mounts a cgroup file system at /sys/fs/cgroup and asks for a cgroup
/// namespace). cgroup v2 when /sys/fs/cgroup/cgroup.controllers exists, else v1.
extension Checker {
    var isCgroup2: Bool { fileExists("/sys/fs/cgroup/cgroup.controllers") }
    var resources: JSON { linux["resources"] }

    /// A cgroup file: v2 name at the root, v1 name in the controller's hierarchy.
    func cgroupFile(v1 controller: String, _ v1: String, v2: String) -> String {
        isCgroup2 ? "/sys/fs/cgroup/\(v2)" : "/sys/fs/cgroup/\(controller)/\(v1)"
    }

    /// Compares a cgroup file with a value; a missing file fails (or skips when optional).
    mutating func compareCgroupFile(_ check: String, _ path: String, _ expected: String, optional: Bool = false) {
        guard let seen = readTrimmed(path) else {
            if optional { report.skip(check, "\(path) does not exist on this host") }
            else { report.fail(check, "\(path): cannot read (\(errnoName(errno)))") }
            return
        }
        report.equal(check, path, seen, expected)
    }

    static func limitText(_ value: Int64, cgroup2: Bool) -> String {
        value < 0 ? (cgroup2 ? "max" : "9223372036854771712") : String(value)
    }

    mutating func checkCgroupMemory() {
        let memory = resources["memory"]
        if let limit = memory["limit"].int64 {
            compareCgroupFile("cgroup-memory", cgroupFile(v1: "memory", "memory.limit_in_bytes", v2: "memory.max"),
                              Checker.limitText(limit, cgroup2: isCgroup2))
        }
        if let reservation = memory["reservation"].int64 {
            compareCgroupFile("cgroup-memory", cgroupFile(v1: "memory", "memory.soft_limit_in_bytes", v2: "memory.low"),
                              Checker.limitText(reservation, cgroup2: isCgroup2))
        }
        if let swap = memory["swap"].int64, let limit = memory["limit"].int64 {
            if isCgroup2 {
                // memory.swap.max holds swap alone; the OCI value is memory + swap.
                let value = swap < 0 ? "max" : String(swap - limit)
                compareCgroupFile("cgroup-memory", "/sys/fs/cgroup/memory.swap.max", value, optional: true)
            } else {
                compareCgroupFile("cgroup-memory", "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
                                  Checker.limitText(swap, cgroup2: false), optional: true)
            }
        }
    }

    mutating func checkCgroupPids() {
        guard let limit = resources["pids"]["limit"].int64 else {
            report.skip("cgroup-pids", "linux.resources.pids.limit not set")
            return
        }
        compareCgroupFile("cgroup-pids", cgroupFile(v1: "pids", "pids.max", v2: "pids.max"),
                          limit <= 0 ? "max" : String(limit))
    }

    mutating func checkCgroupCpu() {
        let cpu = resources["cpu"]
        if isCgroup2 {
            if let quota = cpu["quota"].int64 {
                let period = cpu["period"].int64 ?? 100_000
                compareCgroupFile("cgroup-cpu", "/sys/fs/cgroup/cpu.max", "\(quota < 0 ? "max" : String(quota)) \(period)")
            }
            if let shares = cpu["shares"].int64 {
                // The spec leaves the shares -> weight conversion to the runtime ("MAY attempt a
                // conversion"): only its direction is checked against the default weight 100.
                let weight = readTrimmed("/sys/fs/cgroup/cpu.weight").flatMap { Int64($0) } ?? 0
                let holds = shares < 1024 ? (weight >= 1 && weight < 100) : shares > 1024 ? weight > 100 : weight == 100
                report.expect("cgroup-cpu", holds, "cpu.weight \(weight) follows shares \(shares) (default 1024 = weight 100)")
            }
        } else {
            if let shares = cpu["shares"].int64 {
                compareCgroupFile("cgroup-cpu", "/sys/fs/cgroup/cpu/cpu.shares", String(shares))
            }
            if let quota = cpu["quota"].int64 {
                compareCgroupFile("cgroup-cpu", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", String(quota))
            }
            if let period = cpu["period"].int64 {
                compareCgroupFile("cgroup-cpu", "/sys/fs/cgroup/cpu/cpu.cfs_period_us", String(period))
            }
        }
    }

    mutating func checkCgroupCpuset() {
        let cpu = resources["cpu"]
        if let cpus = cpu["cpus"].string {
            compareCgroupFile("cgroup-cpuset", cgroupFile(v1: "cpuset", "cpuset.cpus", v2: "cpuset.cpus"), cpus)
        }
        if let mems = cpu["mems"].string {
            compareCgroupFile("cgroup-cpuset", cgroupFile(v1: "cpuset", "cpuset.mems", v2: "cpuset.mems"), mems)
        }
    }

    mutating func checkCgroupUnified() {
        guard let unified = resources["unified"].object else {
            report.skip("cgroup-unified", "linux.resources.unified not set")
            return
        }
        guard isCgroup2 else {
            report.skip("cgroup-unified", "cgroup v1 in the container")
            return
        }
        for (file, value) in unified.sorted(by: { $0.key < $1.key }) {
            compareCgroupFile("cgroup-unified", "/sys/fs/cgroup/\(file)", (value.string ?? "").trimmed)
        }
    }

    mutating func checkCgroupHugetlb() {
        for limit in resources["hugepageLimits"].array ?? [] {
            let size = limit["pageSize"].string ?? "?"
            let expected = String(limit["limit"].uint64 ?? 0)
            // v2, v1, or a hybrid host's cgroup2 hierarchy (where this host keeps hugetlb).
            let candidates = [
                "/sys/fs/cgroup/hugetlb.\(size).max", "/sys/fs/cgroup/hugetlb/hugetlb.\(size).limit_in_bytes",
                "/sys/fs/cgroup/unified/hugetlb.\(size).max",
            ]
            guard let file = candidates.first(where: fileExists) else {
                report.skip("cgroup-hugetlb", "no hugetlb \(size) file in the container's cgroup view")
                continue
            }
            compareCgroupFile("cgroup-hugetlb", file, expected)
        }
    }

    /// memory.swappiness and disableOOMKiller exist on cgroup v1 only.
    mutating func checkCgroupMemoryV1() {
        guard !isCgroup2 else {
            report.skip("cgroup-memory-v1", "swappiness and disableOOMKiller have no cgroup v2 file")
            return
        }
        let memory = resources["memory"]
        if let swappiness = memory["swappiness"].int {
            compareCgroupFile("cgroup-memory-v1", "/sys/fs/cgroup/memory/memory.swappiness", String(swappiness))
        }
        if memory["disableOOMKiller"].bool == true {
            let control = readTrimmed("/sys/fs/cgroup/memory/memory.oom_control") ?? ""
            report.expect("cgroup-memory-v1", control.lines.contains("oom_kill_disable 1"),
                          "memory.oom_control has oom_kill_disable 1: \(control.lines.joined(separator: ", "))")
        }
    }

    mutating func checkCgroupBlkioWeight() {
        guard let weight = resources["blockIO"]["weight"].int else {
            report.skip("cgroup-blkio-weight", "linux.resources.blockIO.weight not set")
            return
        }
        if isCgroup2 {
            if fileExists("/sys/fs/cgroup/io.bfq.weight") {
                compareCgroupFile("cgroup-blkio-weight", "/sys/fs/cgroup/io.bfq.weight", "default \(weight)")
            } else if let seen = readTrimmed("/sys/fs/cgroup/io.weight") {
                // The blkio -> io.weight conversion is the runtime's: only "changed" is checked.
                report.expect("cgroup-blkio-weight", seen != "default 100", "io.weight moved from the default 100 for blkio weight \(weight): \(seen)")
            } else {
                report.skip("cgroup-blkio-weight", "no io.weight or io.bfq.weight (the io controller has no weight here)")
            }
        } else if let file = ["/sys/fs/cgroup/blkio/blkio.weight", "/sys/fs/cgroup/blkio/blkio.bfq.weight"].first(where: fileExists) {
            compareCgroupFile("cgroup-blkio-weight", file, String(weight))
        } else {
            report.skip("cgroup-blkio-weight", "no blkio.weight or blkio.bfq.weight (no CFQ/BFQ scheduler here)")
        }
    }

    /// config-linux.md "Allowed Device list": for each device node the config creates, the
    /// last rule in `resources.devices` that matches it decides whether it can be opened.
    mutating func checkDeviceCgroup() {
        let rules = resources["devices"].array ?? []
        for device in linux["devices"].array ?? [] {
            guard let path = device["path"].string, let type = device["type"].string,
                  let major = device["major"].int64, let minor = device["minor"].int64 else { continue }
            for (access, flags) in [("r", O_RDONLY), ("w", O_WRONLY)] {
                let rule = rules.last { rule in
                    let ruleType = rule["type"].string ?? "a"
                    return (ruleType == "a" || ruleType == type)
                        && (rule["major"].int64 ?? major) == major && (rule["minor"].int64 ?? minor) == minor
                        && (rule["access"].string ?? "rwm").contains(access)
                }
                let allowed = rule?["allow"].bool ?? false
                let code = System.openErrno(path, flags | O_NONBLOCK)
                if allowed {
                    report.expect("device-cgroup", code != EPERM, "\(path) \(access) allowed: open gave \(errnoName(code))")
                } else {
                    report.expect("device-cgroup", code == EPERM, "\(path) \(access) denied: open gave \(errnoName(code))")
                }
            }
        }
    }
}
