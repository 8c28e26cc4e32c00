import PetrelRuntime
import ShimProtocol
import SwiftProtobuf

/// Task.Stats: what containerd's runc shim returns, typeurl.MarshalAny of containerd/cgroups'
/// Metrics. typeurl falls back to the bare full message name for proto messages, so the Any
/// reads io.containerd.cgroups.v1.Metrics (v1 and hybrid hosts) or io.containerd.cgroups.v2.Metrics.
/// The numbers come from the runtime's reader (`petrel events --stats`); the files it skips are
/// read here. Field meanings follow containerd/cgroups, not runc, where the two differ.
public enum TaskMetrics {
    public static func read(_ record: CgroupRecord) throws(RuntimeError) -> Google_Protobuf_Any {
        guard let directory = record.directories.first(where: { FileSystem.isDirectory($0.path) }) else {
            throw RuntimeError("cgroup does not exist", path: record.directories.first?.path)
        }
        let stats = Cgroups.manager(for: record).stats()
        do {
            if record.version == 2 {
                return try Google_Protobuf_Any(bare: v2(stats, V2Files(directory.path)))
            }
            let oomControl = record.directory(for: "memory").flatMap { CgroupFile.read($0, "memory.oom_control") }
            return try Google_Protobuf_Any(bare: v1(stats, oomControl: oomControl.map(CgroupFile.keyed), devices: blockDevices()))
        } catch {
            throw RuntimeError("cannot encode the cgroup metrics: \(error)")
        }
    }

    // MARK: v1

    static func v1(_ stats: CgroupStats, oomControl: [String: UInt64]?, devices: [BlockDevice: String]) -> Io_Containerd_Cgroups_V1_Metrics {
        var metrics = Io_Containerd_Cgroups_V1_Metrics()
        metrics.hugetlb = stats.hugetlb.sorted { $0.key < $1.key }.map { size, entry in
            .with { $0.usage = entry.usage; $0.max = entry.max; $0.failcnt = entry.failcnt; $0.pagesize = size }
        }
        // pids.max "max" is 0 here, as in containerd's cgroup1.
        metrics.pids = .with { $0.current = stats.pids.current; $0.limit = stats.pids.limit }
        metrics.cpu = .with {
            $0.usage = .with {
                $0.total = stats.cpu.total; $0.kernel = stats.cpu.kernel; $0.user = stats.cpu.user; $0.perCpu = stats.cpu.percpu
            }
            $0.throttling = .with {
                $0.periods = stats.cpu.periods; $0.throttledPeriods = stats.cpu.throttledPeriods
                $0.throttledTime = stats.cpu.throttledTime
            }
        }
        metrics.memory = v1Memory(stats.memory)
        metrics.blkio = v1Blkio(stats.blkio, devices: devices)
        if let oomControl {
            metrics.memoryOomControl = .with {
                $0.oomKillDisable = oomControl["oom_kill_disable"] ?? 0
                $0.underOom = oomControl["under_oom"] ?? 0
                $0.oomKill = oomControl["oom_kill"] ?? 0
            }
        }
        return metrics
    }

    static func v1Memory(_ memory: CgroupStats.Memory) -> Io_Containerd_Cgroups_V1_MemoryStat {
        let raw = memory.raw
        func entry(_ value: CgroupStats.MemoryEntry) -> Io_Containerd_Cgroups_V1_MemoryEntry {
            .with { $0.limit = value.limit; $0.usage = value.usage; $0.max = value.max; $0.failcnt = value.failcnt }
        }
        return .with {
            $0.cache = raw["cache"] ?? 0
            $0.rss = raw["rss"] ?? 0
            $0.rssHuge = raw["rss_huge"] ?? 0
            $0.mappedFile = raw["mapped_file"] ?? 0
            $0.dirty = raw["dirty"] ?? 0
            $0.writeback = raw["writeback"] ?? 0
            $0.pgPgIn = raw["pgpgin"] ?? 0
            $0.pgPgOut = raw["pgpgout"] ?? 0
            $0.pgFault = raw["pgfault"] ?? 0
            $0.pgMajFault = raw["pgmajfault"] ?? 0
            $0.inactiveAnon = raw["inactive_anon"] ?? 0
            $0.activeAnon = raw["active_anon"] ?? 0
            $0.inactiveFile = raw["inactive_file"] ?? 0
            $0.activeFile = raw["active_file"] ?? 0
            $0.unevictable = raw["unevictable"] ?? 0
            $0.hierarchicalMemoryLimit = raw["hierarchical_memory_limit"] ?? 0
            $0.hierarchicalSwapLimit = raw["hierarchical_memsw_limit"] ?? 0
            $0.totalCache = raw["total_cache"] ?? 0
            $0.totalRss = raw["total_rss"] ?? 0
            $0.totalRssHuge = raw["total_rss_huge"] ?? 0
            $0.totalMappedFile = raw["total_mapped_file"] ?? 0
            $0.totalDirty = raw["total_dirty"] ?? 0
            $0.totalWriteback = raw["total_writeback"] ?? 0
            $0.totalPgPgIn = raw["total_pgpgin"] ?? 0
            $0.totalPgPgOut = raw["total_pgpgout"] ?? 0
            $0.totalPgFault = raw["total_pgfault"] ?? 0
            $0.totalPgMajFault = raw["total_pgmajfault"] ?? 0
            $0.totalInactiveAnon = raw["total_inactive_anon"] ?? 0
            $0.totalActiveAnon = raw["total_active_anon"] ?? 0
            $0.totalInactiveFile = raw["total_inactive_file"] ?? 0
            $0.totalActiveFile = raw["total_active_file"] ?? 0
            $0.totalUnevictable = raw["total_unevictable"] ?? 0
            $0.usage = entry(memory.usage)
            $0.swap = entry(memory.swap)
            $0.kernel = entry(memory.kernel)
            $0.kernelTcp = entry(memory.kernelTCP)
        }
    }

    static func v1Blkio(_ blkio: CgroupStats.Blkio, devices: [BlockDevice: String]) -> Io_Containerd_Cgroups_V1_BlkIOStat {
        func entries(_ list: [CgroupStats.BlkioEntry]) -> [Io_Containerd_Cgroups_V1_BlkIOEntry] {
            list.map { item in
                .with {
                    $0.op = item.op; $0.major = item.major; $0.minor = item.minor; $0.value = item.value
                    $0.device = devices[BlockDevice(major: item.major, minor: item.minor)] ?? ""
                }
            }
        }
        return .with {
            $0.ioServiceBytesRecursive = entries(blkio.serviceBytes)
            $0.ioServicedRecursive = entries(blkio.serviced)
            $0.ioQueuedRecursive = entries(blkio.queued)
            $0.ioServiceTimeRecursive = entries(blkio.serviceTime)
            $0.ioWaitTimeRecursive = entries(blkio.waitTime)
            $0.ioMergedRecursive = entries(blkio.merged)
            $0.ioTimeRecursive = entries(blkio.time)
            $0.sectorsRecursive = entries(blkio.sectors)
        }
    }

    struct BlockDevice: Hashable {
        var major: UInt64
        var minor: UInt64
    }

    /// containerd names v1 blkio devices from /proc/partitions ("/dev/sda"); first entry wins.
    static func blockDevices(_ partitions: String = (try? FileSystem.readText("/proc/partitions")) ?? "") -> [BlockDevice: String] {
        var devices: [BlockDevice: String] = [:]
        for line in partitions.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 4, let major = UInt64(fields[0]), let minor = UInt64(fields[1]) else { continue }
            let key = BlockDevice(major: major, minor: minor)
            if devices[key] == nil { devices[key] = "/dev/" + fields[3] }
        }
        return devices
    }

    // MARK: v2

    /// What the runtime's v2 reader leaves out or reshapes (runc reports swap as memory+swap
    /// and pids.max "max" as 0; containerd gives the files' own values, "max" as UInt64.max).
    struct V2Files: Equatable {
        var memoryEvents: [String: UInt64]?
        var swapCurrent: UInt64 = 0
        var swapMax: UInt64 = 0
        var swapPeak: UInt64 = 0
        var pidsMax: UInt64 = 0
        /// hugetlb.<size>.max by page size ("2MB").
        var hugetlbMax: [String: UInt64] = [:]

        init(memoryEvents: [String: UInt64]? = nil, swapCurrent: UInt64 = 0, swapMax: UInt64 = 0, swapPeak: UInt64 = 0,
             pidsMax: UInt64 = 0, hugetlbMax: [String: UInt64] = [:]) {
            self.memoryEvents = memoryEvents
            self.swapCurrent = swapCurrent
            self.swapMax = swapMax
            self.swapPeak = swapPeak
            self.pidsMax = pidsMax
            self.hugetlbMax = hugetlbMax
        }

        init(_ path: String) {
            memoryEvents = CgroupFile.read(path, "memory.events").map(CgroupFile.keyed)
            swapCurrent = CgroupFile.number(path, "memory.swap.current") ?? 0
            swapMax = CgroupFile.number(path, "memory.swap.max") ?? 0
            swapPeak = CgroupFile.number(path, "memory.swap.peak") ?? 0
            pidsMax = CgroupFile.number(path, "pids.max") ?? 0
            for size in ((try? FileSystem.listDirectory(path)) ?? []).compactMap(Self.hugetlbMaxSize) {
                hugetlbMax[size] = CgroupFile.number(path, "hugetlb.\(size).max") ?? 0
            }
        }

        /// "hugetlb.2MB.max" → "2MB".
        static func hugetlbMaxSize(_ file: String) -> String? {
            let parts = file.split(separator: ".")
            guard parts.count == 3, parts[0] == "hugetlb", parts[2] == "max" else { return nil }
            return String(parts[1])
        }
    }

    static func v2(_ stats: CgroupStats, _ files: V2Files) -> Io_Containerd_Cgroups_V2_Metrics {
        var metrics = Io_Containerd_Cgroups_V2_Metrics()
        metrics.pids = .with { $0.current = stats.pids.current; $0.limit = files.pidsMax }
        // The runtime's reader keeps runc's nanoseconds; the v2 message counts microseconds.
        metrics.cpu = .with {
            $0.usageUsec = stats.cpu.total / 1000
            $0.userUsec = stats.cpu.user / 1000
            $0.systemUsec = stats.cpu.kernel / 1000
            $0.nrPeriods = stats.cpu.periods
            $0.nrThrottled = stats.cpu.throttledPeriods
            $0.throttledUsec = stats.cpu.throttledTime / 1000
        }
        metrics.memory = v2Memory(stats.memory, files)
        if let events = files.memoryEvents {
            metrics.memoryEvents = .with {
                $0.low = events["low"] ?? 0
                $0.high = events["high"] ?? 0
                $0.max = events["max"] ?? 0
                $0.oom = events["oom"] ?? 0
                $0.oomKill = events["oom_kill"] ?? 0
            }
        }
        metrics.io = .with { $0.usage = v2IO(stats.blkio) }
        metrics.hugetlb = Set(stats.hugetlb.keys).union(files.hugetlbMax.keys).sorted().map { size in
            .with {
                $0.current = stats.hugetlb[size]?.usage ?? 0
                $0.max = files.hugetlbMax[size] ?? 0
                $0.pagesize = size
            }
        }
        return metrics
    }

    static func v2Memory(_ memory: CgroupStats.Memory, _ files: V2Files) -> Io_Containerd_Cgroups_V2_MemoryStat {
        let raw = memory.raw
        return .with {
            $0.anon = raw["anon"] ?? 0
            $0.file = raw["file"] ?? 0
            $0.kernelStack = raw["kernel_stack"] ?? 0
            $0.slab = raw["slab"] ?? 0
            $0.sock = raw["sock"] ?? 0
            $0.shmem = raw["shmem"] ?? 0
            $0.fileMapped = raw["file_mapped"] ?? 0
            $0.fileDirty = raw["file_dirty"] ?? 0
            $0.fileWriteback = raw["file_writeback"] ?? 0
            $0.anonThp = raw["anon_thp"] ?? 0
            $0.inactiveAnon = raw["inactive_anon"] ?? 0
            $0.activeAnon = raw["active_anon"] ?? 0
            $0.inactiveFile = raw["inactive_file"] ?? 0
            $0.activeFile = raw["active_file"] ?? 0
            $0.unevictable = raw["unevictable"] ?? 0
            $0.slabReclaimable = raw["slab_reclaimable"] ?? 0
            $0.slabUnreclaimable = raw["slab_unreclaimable"] ?? 0
            $0.pgfault = raw["pgfault"] ?? 0
            $0.pgmajfault = raw["pgmajfault"] ?? 0
            $0.workingsetRefault = raw["workingset_refault"] ?? 0
            $0.workingsetActivate = raw["workingset_activate"] ?? 0
            $0.workingsetNodereclaim = raw["workingset_nodereclaim"] ?? 0
            $0.pgrefill = raw["pgrefill"] ?? 0
            $0.pgscan = raw["pgscan"] ?? 0
            $0.pgsteal = raw["pgsteal"] ?? 0
            $0.pgactivate = raw["pgactivate"] ?? 0
            $0.pgdeactivate = raw["pgdeactivate"] ?? 0
            $0.pglazyfree = raw["pglazyfree"] ?? 0
            $0.pglazyfreed = raw["pglazyfreed"] ?? 0
            $0.thpFaultAlloc = raw["thp_fault_alloc"] ?? 0
            $0.thpCollapseAlloc = raw["thp_collapse_alloc"] ?? 0
            $0.usage = memory.usage.usage
            $0.usageLimit = memory.usage.limit
            $0.maxUsage = memory.usage.max
            $0.swapUsage = files.swapCurrent
            $0.swapLimit = files.swapMax
            $0.swapMaxUsage = files.swapPeak
        }
    }

    /// The runtime's reader splits io.stat into runc's Read/Write lists; containerd wants
    /// one entry per device, in io.stat's order.
    static func v2IO(_ blkio: CgroupStats.Blkio) -> [Io_Containerd_Cgroups_V2_IOEntry] {
        var order: [BlockDevice] = []
        var entries: [BlockDevice: Io_Containerd_Cgroups_V2_IOEntry] = [:]
        func update(_ list: [CgroupStats.BlkioEntry], _ apply: (inout Io_Containerd_Cgroups_V2_IOEntry, CgroupStats.BlkioEntry) -> Void) {
            for item in list {
                let key = BlockDevice(major: item.major, minor: item.minor)
                if entries[key] == nil {
                    order.append(key)
                    entries[key] = .with { $0.major = item.major; $0.minor = item.minor }
                }
                if var entry = entries[key] {
                    apply(&entry, item)
                    entries[key] = entry
                }
            }
        }
        update(blkio.serviceBytes) { entry, item in
            if item.op == "Read" { entry.rbytes = item.value } else if item.op == "Write" { entry.wbytes = item.value }
        }
        update(blkio.serviced) { entry, item in
            if item.op == "Read" { entry.rios = item.value } else if item.op == "Write" { entry.wios = item.value }
        }
        return order.compactMap { entries[$0] }
    }
}
