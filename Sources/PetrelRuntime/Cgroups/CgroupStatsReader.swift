/// Reads CgroupStats from cgroup files the way runc 1.1's fs and fs2 drivers do. Missing
/// files (a controller the host lacks) leave zeros. The parsers are pure for the tests.
enum CgroupStatsReader {
    /// USER_HZ: cpuacct.stat counts in these ticks.
    static let clockTicks: UInt64 = 100

    static func v2(_ path: String) -> CgroupStats {
        var stats = CgroupStats()
        let cpu = CgroupFile.keyed(CgroupFile.read(path, "cpu.stat") ?? "")
        stats.cpu.total = (cpu["usage_usec"] ?? 0) &* 1000
        stats.cpu.user = (cpu["user_usec"] ?? 0) &* 1000
        stats.cpu.kernel = (cpu["system_usec"] ?? 0) &* 1000
        stats.cpu.periods = cpu["nr_periods"] ?? 0
        stats.cpu.throttledPeriods = cpu["nr_throttled"] ?? 0
        stats.cpu.throttledTime = (cpu["throttled_usec"] ?? 0) &* 1000

        stats.memory.raw = CgroupFile.keyed(CgroupFile.read(path, "memory.stat") ?? "")
        stats.memory.cache = stats.memory.raw["file"] ?? 0
        stats.memory.usage.usage = CgroupFile.number(path, "memory.current") ?? 0
        stats.memory.usage.limit = CgroupFile.number(path, "memory.max") ?? 0
        stats.memory.usage.max = CgroupFile.number(path, "memory.peak") ?? 0
        // v1 reports swap as memory+swap; runc keeps that meaning on v2.
        if let swapUsage = CgroupFile.number(path, "memory.swap.current") {
            stats.memory.swap.usage = swapUsage &+ stats.memory.usage.usage
            let swapLimit = CgroupFile.number(path, "memory.swap.max") ?? 0
            let memoryLimit = stats.memory.usage.limit
            stats.memory.swap.limit = swapLimit == UInt64.max || memoryLimit == UInt64.max
                ? UInt64.max : swapLimit &+ memoryLimit
        }

        stats.pids = pids(path)
        let io = parseIoStat(CgroupFile.read(path, "io.stat") ?? "")
        stats.blkio.serviceBytes = io.bytes
        stats.blkio.serviced = io.operations
        for size in hugePageSizes() {
            var entry = CgroupStats.Hugetlb()
            entry.usage = CgroupFile.number(path, "hugetlb.\(size).current") ?? 0
            entry.failcnt = CgroupFile.keyed(CgroupFile.read(path, "hugetlb.\(size).events") ?? "")["max"] ?? 0
            if CgroupFile.exists(path, "hugetlb.\(size).current") { stats.hugetlb[size] = entry }
        }
        return stats
    }

    static func v1(_ record: CgroupRecord) -> CgroupStats {
        var stats = CgroupStats()
        if let path = record.directory(for: "cpu") {
            let cpu = CgroupFile.keyed(CgroupFile.read(path, "cpu.stat") ?? "")
            stats.cpu.periods = cpu["nr_periods"] ?? 0
            stats.cpu.throttledPeriods = cpu["nr_throttled"] ?? 0
            stats.cpu.throttledTime = cpu["throttled_time"] ?? 0
        }
        if let path = record.directory(for: "cpuacct") {
            stats.cpu.total = CgroupFile.number(path, "cpuacct.usage") ?? 0
            stats.cpu.percpu = numbers(CgroupFile.read(path, "cpuacct.usage_percpu") ?? "")
            let ticks = CgroupFile.keyed(CgroupFile.read(path, "cpuacct.stat") ?? "")
            stats.cpu.user = (ticks["user"] ?? 0) &* (1_000_000_000 / clockTicks)
            stats.cpu.kernel = (ticks["system"] ?? 0) &* (1_000_000_000 / clockTicks)
            let all = parseUsageAll(CgroupFile.read(path, "cpuacct.usage_all") ?? "")
            stats.cpu.percpuUser = all.user
            stats.cpu.percpuKernel = all.kernel
        }
        if let path = record.directory(for: "cpuset") { stats.cpuset = cpuset(path) }
        if let path = record.directory(for: "memory") {
            stats.memory.raw = CgroupFile.keyed(CgroupFile.read(path, "memory.stat") ?? "")
            stats.memory.cache = stats.memory.raw["cache"] ?? 0
            stats.memory.usage = memoryEntry(path, "memory")
            stats.memory.swap = memoryEntry(path, "memory.memsw")
            stats.memory.kernel = memoryEntry(path, "memory.kmem")
            stats.memory.kernelTCP = memoryEntry(path, "memory.kmem.tcp")
        }
        if let path = record.directory(for: "pids") { stats.pids = pids(path) }
        if let path = record.directory(for: "blkio") { stats.blkio = blkio(path) }
        if let path = record.directory(for: "hugetlb") {
            for size in hugePageSizes() where CgroupFile.exists(path, "hugetlb.\(size).usage_in_bytes") {
                var entry = CgroupStats.Hugetlb()
                entry.usage = CgroupFile.number(path, "hugetlb.\(size).usage_in_bytes") ?? 0
                entry.max = CgroupFile.number(path, "hugetlb.\(size).max_usage_in_bytes") ?? 0
                entry.failcnt = CgroupFile.number(path, "hugetlb.\(size).failcnt") ?? 0
                stats.hugetlb[size] = entry
            }
        }
        return stats
    }

    static func memoryEntry(_ path: String, _ prefix: String) -> CgroupStats.MemoryEntry {
        var entry = CgroupStats.MemoryEntry()
        entry.usage = CgroupFile.number(path, prefix + ".usage_in_bytes") ?? 0
        entry.max = CgroupFile.number(path, prefix + ".max_usage_in_bytes") ?? 0
        entry.failcnt = CgroupFile.number(path, prefix + ".failcnt") ?? 0
        entry.limit = CgroupFile.number(path, prefix + ".limit_in_bytes") ?? 0
        return entry
    }

    /// "max" reads as 0: runc reports "no limit" as 0 for pids on both versions.
    static func pids(_ path: String) -> CgroupStats.Pids {
        var pids = CgroupStats.Pids()
        pids.current = CgroupFile.number(path, "pids.current") ?? 0
        let limit = CgroupFile.number(path, "pids.max") ?? 0
        pids.limit = limit == UInt64.max ? 0 : limit
        return pids
    }

    static func cpuset(_ path: String) -> CgroupStats.CPUSet {
        var set = CgroupStats.CPUSet()
        set.cpus = parseList(CgroupFile.trimmed(path, "cpuset.cpus") ?? "")
        set.mems = parseList(CgroupFile.trimmed(path, "cpuset.mems") ?? "")
        set.cpuExclusive = CgroupFile.number(path, "cpuset.cpu_exclusive") ?? 0
        set.memHardwall = CgroupFile.number(path, "cpuset.mem_hardwall") ?? 0
        set.memExclusive = CgroupFile.number(path, "cpuset.mem_exclusive") ?? 0
        set.memoryMigrate = CgroupFile.number(path, "cpuset.memory_migrate") ?? 0
        set.memorySpreadPage = CgroupFile.number(path, "cpuset.memory_spread_page") ?? 0
        set.memorySpreadSlab = CgroupFile.number(path, "cpuset.memory_spread_slab") ?? 0
        set.memoryPressure = CgroupFile.number(path, "cpuset.memory_pressure") ?? 0
        set.schedLoadBalance = CgroupFile.number(path, "cpuset.sched_load_balance") ?? 0
        set.schedRelaxDomainLevel = Int64((CgroupFile.trimmed(path, "cpuset.sched_relax_domain_level") ?? "0").trimmingSpaces) ?? 0
        return set
    }

    /// CFQ statistics when the scheduler keeps them, else BFQ's, else the throttle
    /// counters every kernel has (only bytes and operations), like runc.
    static func blkio(_ path: String) -> CgroupStats.Blkio {
        var blkio = CgroupStats.Blkio()
        for prefix in ["blkio.", "blkio.bfq."] {
            let serviced = parseBlkio(CgroupFile.read(path, prefix + "io_serviced_recursive") ?? "")
            guard !serviced.isEmpty else { continue }
            blkio.serviced = serviced
            blkio.serviceBytes = parseBlkio(CgroupFile.read(path, prefix + "io_service_bytes_recursive") ?? "")
            blkio.queued = parseBlkio(CgroupFile.read(path, prefix + "io_queued_recursive") ?? "")
            blkio.serviceTime = parseBlkio(CgroupFile.read(path, prefix + "io_service_time_recursive") ?? "")
            blkio.waitTime = parseBlkio(CgroupFile.read(path, prefix + "io_wait_time_recursive") ?? "")
            blkio.merged = parseBlkio(CgroupFile.read(path, prefix + "io_merged_recursive") ?? "")
            blkio.time = parseBlkio(CgroupFile.read(path, prefix + "time_recursive") ?? "")
            blkio.sectors = parseBlkio(CgroupFile.read(path, prefix + "sectors_recursive") ?? "")
            return blkio
        }
        blkio.serviceBytes = parseBlkio(CgroupFile.read(path, "blkio.throttle.io_service_bytes_recursive") ?? "")
        blkio.serviced = parseBlkio(CgroupFile.read(path, "blkio.throttle.io_serviced_recursive") ?? "")
        return blkio
    }

    /// Page sizes the kernel offers, named like the spec ("2MB"), sorted.
    static func hugePageSizes(_ directory: String = "/sys/kernel/mm/hugepages") -> [String] {
        ((try? FileSystem.listDirectory(directory)) ?? []).compactMap(hugePageSize).sorted()
    }

    /// "hugepages-2048kB" → "2MB".
    static func hugePageSize(_ entry: String) -> String? {
        guard entry.hasPrefix("hugepages-"), entry.hasSuffix("kB"),
              let kilobytes = UInt64(entry.dropFirst("hugepages-".count).dropLast(2)) else { return nil }
        return CgroupConversions.hugePageSizeName(kilobytes: kilobytes)
    }

    // MARK: pure parsers

    /// A cpuset list, "0-3,7" → [0, 1, 2, 3, 7].
    static func parseList(_ text: String) -> [UInt16] {
        var values: [UInt16] = []
        for part in text.trimmingSpaces.split(separator: ",") {
            let bounds = part.split(separator: "-")
            if bounds.count == 2, let low = UInt16(bounds[0]), let high = UInt16(bounds[1]), low <= high {
                values += Array(low...high)
            } else if bounds.count == 1, let value = UInt16(bounds[0]) {
                values.append(value)
            }
        }
        return values
    }

    static func numbers(_ text: String) -> [UInt64] {
        text.split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
    }

    /// cpuacct.usage_all: a "cpu user system" header, then one row per CPU.
    static func parseUsageAll(_ text: String) -> (user: [UInt64], kernel: [UInt64]) {
        var user: [UInt64] = [], kernel: [UInt64] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let userTime = UInt64(fields[1]), let systemTime = UInt64(fields[2]) else { continue }
            user.append(userTime)
            kernel.append(systemTime)
        }
        return (user, kernel)
    }

    /// v1 blkio lines "8:0 Read 4096"; the "Total N" summary lines are skipped.
    static func parseBlkio(_ text: String) -> [CgroupStats.BlkioEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            let device = fields.first?.split(separator: ":") ?? []
            guard device.count == 2, let major = UInt64(device[0]), let minor = UInt64(device[1]) else { return nil }
            if fields.count == 3, let value = UInt64(fields[2]) {
                return CgroupStats.BlkioEntry(major: major, minor: minor, op: String(fields[1]), value: value)
            }
            if fields.count == 2, let value = UInt64(fields[1]) {
                return CgroupStats.BlkioEntry(major: major, minor: minor, op: "", value: value)
            }
            return nil
        }
    }

    /// v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" → runc's v1-shaped
    /// entries: bytes and operations, each as Read and Write.
    static func parseIoStat(_ text: String) -> (bytes: [CgroupStats.BlkioEntry], operations: [CgroupStats.BlkioEntry]) {
        var bytes: [CgroupStats.BlkioEntry] = [], operations: [CgroupStats.BlkioEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            let device = fields.first?.split(separator: ":") ?? []
            guard device.count == 2, let major = UInt64(device[0]), let minor = UInt64(device[1]) else { continue }
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=")
                guard pair.count == 2, let value = UInt64(pair[1]) else { continue }
                let entry = { (op: String) in CgroupStats.BlkioEntry(major: major, minor: minor, op: op, value: value) }
                switch pair[0] {
                case "rbytes": bytes.append(entry("Read"))
                case "wbytes": bytes.append(entry("Write"))
                case "rios": operations.append(entry("Read"))
                case "wios": operations.append(entry("Write"))
                default: break
                }
            }
        }
        return (bytes, operations)
    }
}
