/// The cgroup part of `runc events --stats` (runc 1.1 types.Stats). JSON keys, their order
/// and Go's omitempty rules are kept, because engines parse this output.
public struct CgroupStats: Sendable, Equatable {
    public struct CPU: Sendable, Equatable {
        /// Nanoseconds.
        public var total: UInt64 = 0
        public var percpu: [UInt64] = []
        public var percpuKernel: [UInt64] = []
        public var percpuUser: [UInt64] = []
        public var kernel: UInt64 = 0
        public var user: UInt64 = 0
        public var periods: UInt64 = 0
        public var throttledPeriods: UInt64 = 0
        /// Nanoseconds.
        public var throttledTime: UInt64 = 0
    }

    public struct CPUSet: Sendable, Equatable {
        public var cpus: [UInt16] = []
        public var cpuExclusive: UInt64 = 0
        public var mems: [UInt16] = []
        public var memHardwall: UInt64 = 0
        public var memExclusive: UInt64 = 0
        public var memoryMigrate: UInt64 = 0
        public var memorySpreadPage: UInt64 = 0
        public var memorySpreadSlab: UInt64 = 0
        public var memoryPressure: UInt64 = 0
        public var schedLoadBalance: UInt64 = 0
        public var schedRelaxDomainLevel: Int64 = 0
    }

    public struct MemoryEntry: Sendable, Equatable {
        public var limit: UInt64 = 0
        public var usage: UInt64 = 0
        public var max: UInt64 = 0
        public var failcnt: UInt64 = 0
    }

    public struct Memory: Sendable, Equatable {
        public var cache: UInt64 = 0
        public var usage = MemoryEntry()
        public var swap = MemoryEntry()
        public var kernel = MemoryEntry()
        public var kernelTCP = MemoryEntry()
        public var raw: [String: UInt64] = [:]
    }

    public struct Pids: Sendable, Equatable {
        public var current: UInt64 = 0
        /// 0 means no limit.
        public var limit: UInt64 = 0
    }

    public struct BlkioEntry: Sendable, Equatable {
        public var major: UInt64
        public var minor: UInt64
        public var op: String
        public var value: UInt64
    }

    public struct Blkio: Sendable, Equatable {
        public var serviceBytes: [BlkioEntry] = []
        public var serviced: [BlkioEntry] = []
        public var queued: [BlkioEntry] = []
        public var serviceTime: [BlkioEntry] = []
        public var waitTime: [BlkioEntry] = []
        public var merged: [BlkioEntry] = []
        public var time: [BlkioEntry] = []
        public var sectors: [BlkioEntry] = []
    }

    public struct Hugetlb: Sendable, Equatable {
        public var usage: UInt64 = 0
        public var max: UInt64 = 0
        public var failcnt: UInt64 = 0
    }

    public var cpu = CPU()
    public var cpuset = CPUSet()
    public var memory = Memory()
    public var pids = Pids()
    public var blkio = Blkio()
    /// Keyed by page size, e.g. "2MB".
    public var hugetlb: [String: Hugetlb] = [:]

    public init() {}
}

extension CgroupStats {
    /// The `data` object of a stats event, byte for byte what runc 1.1 prints.
    public var json: String {
        var object = JSONObject()
        object.add("cpu", cpuJSON)
        object.add("cpuset", cpusetJSON)
        object.add("memory", memoryJSON)
        var pidsObject = JSONObject()
        pidsObject.add("current", pids.current, omitZero: true)
        pidsObject.add("limit", pids.limit, omitZero: true)
        object.add("pids", pidsObject.text)
        object.add("blkio", blkioJSON)
        var hugetlbObject = JSONObject()
        for (size, entry) in hugetlb.sorted(by: { $0.key < $1.key }) {
            var inner = JSONObject()
            inner.add("usage", entry.usage, omitZero: true)
            inner.add("max", entry.max, omitZero: true)
            inner.add("failcnt", entry.failcnt)
            hugetlbObject.add(size, inner.text)
        }
        object.add("hugetlb", hugetlbObject.text)
        object.add("intel_rdt", "{}")
        object.add("network_interfaces", "null")
        return object.text
    }

    private var cpuJSON: String {
        var usage = JSONObject()
        usage.add("total", cpu.total, omitZero: true)
        usage.add("percpu", cpu.percpu)
        usage.add("percpu_kernel", cpu.percpuKernel)
        usage.add("percpu_user", cpu.percpuUser)
        usage.add("kernel", cpu.kernel)
        usage.add("user", cpu.user)
        var throttling = JSONObject()
        throttling.add("periods", cpu.periods, omitZero: true)
        throttling.add("throttledPeriods", cpu.throttledPeriods, omitZero: true)
        throttling.add("throttledTime", cpu.throttledTime, omitZero: true)
        var object = JSONObject()
        object.add("usage", usage.text)
        object.add("throttling", throttling.text)
        return object.text
    }

    private var cpusetJSON: String {
        var object = JSONObject()
        object.add("cpus", cpuset.cpus.map(UInt64.init))
        object.add("cpu_exclusive", cpuset.cpuExclusive)
        object.add("mems", cpuset.mems.map(UInt64.init))
        object.add("mem_hardwall", cpuset.memHardwall)
        object.add("mem_exclusive", cpuset.memExclusive)
        object.add("memory_migrate", cpuset.memoryMigrate)
        object.add("memory_spread_page", cpuset.memorySpreadPage)
        object.add("memory_spread_slab", cpuset.memorySpreadSlab)
        object.add("memory_pressure", cpuset.memoryPressure)
        object.add("sched_load_balance", cpuset.schedLoadBalance)
        object.add("sched_relax_domain_level", String(cpuset.schedRelaxDomainLevel))
        return object.text
    }

    private var memoryJSON: String {
        func entry(_ value: MemoryEntry) -> String {
            var object = JSONObject()
            object.add("limit", value.limit)
            object.add("usage", value.usage, omitZero: true)
            object.add("max", value.max, omitZero: true)
            object.add("failcnt", value.failcnt)
            return object.text
        }
        var object = JSONObject()
        object.add("cache", memory.cache, omitZero: true)
        object.add("usage", entry(memory.usage))
        object.add("swap", entry(memory.swap))
        object.add("kernel", entry(memory.kernel))
        object.add("kernelTCP", entry(memory.kernelTCP))
        if !memory.raw.isEmpty {
            var raw = JSONObject()
            for (key, value) in memory.raw.sorted(by: { $0.key < $1.key }) { raw.add(key, value) }
            object.add("raw", raw.text)
        }
        return object.text
    }

    private var blkioJSON: String {
        let lists: [(String, [BlkioEntry])] = [
            ("ioServiceBytesRecursive", blkio.serviceBytes), ("ioServicedRecursive", blkio.serviced),
            ("ioQueueRecursive", blkio.queued), ("ioServiceTimeRecursive", blkio.serviceTime),
            ("ioWaitTimeRecursive", blkio.waitTime), ("ioMergedRecursive", blkio.merged),
            ("ioTimeRecursive", blkio.time), ("sectorsRecursive", blkio.sectors),
        ]
        var object = JSONObject()
        for (key, entries) in lists where !entries.isEmpty {
            let items = entries.map { entry -> String in
                var item = JSONObject()
                item.add("major", entry.major, omitZero: true)
                item.add("minor", entry.minor, omitZero: true)
                if !entry.op.isEmpty { item.add("op", JSONText.quote(entry.op)) }
                item.add("value", entry.value, omitZero: true)
                return item.text
            }
            object.add(key, "[" + items.joined(separator: ",") + "]")
        }
        return object.text
    }
}

/// A compact JSON object built in key order (Go's encoding/json field order).
struct JSONObject {
    private var members: [String] = []

    mutating func add(_ key: String, _ rawValue: String) {
        members.append(JSONText.quote(key) + ":" + rawValue)
    }

    mutating func add(_ key: String, _ value: UInt64, omitZero: Bool = false) {
        if omitZero && value == 0 { return }
        add(key, String(value))
    }

    /// Go's omitempty drops an empty slice.
    mutating func add(_ key: String, _ values: [UInt64]) {
        if values.isEmpty { return }
        add(key, "[" + values.map(String.init).joined(separator: ",") + "]")
    }

    var text: String { "{" + members.joined(separator: ",") + "}" }
}
