/// Cgroup limits (runtime-spec `specs-go.LinuxResources`). Every field is optional:
/// absent means "leave the cgroup's current value".
public struct LinuxResources: Codable, Sendable, Equatable, FieldDecodable {
    /// Device allow/deny rules, applied in order.
    public var devices: [LinuxDeviceCgroup]?
    public var memory: LinuxMemory?
    public var cpu: LinuxCPU?
    public var pids: LinuxPids?
    public var blockIO: LinuxBlockIO?
    public var hugepageLimits: [LinuxHugepageLimit]?
    public var network: LinuxNetwork?
    /// Keyed by RDMA device name.
    public var rdma: [String: LinuxRdma]?
    /// Raw cgroup v2 files, e.g. `"memory.high": "1G"`.
    public var unified: [String: String]?

    public init(
        devices: [LinuxDeviceCgroup]? = nil, memory: LinuxMemory? = nil, cpu: LinuxCPU? = nil,
        pids: LinuxPids? = nil, blockIO: LinuxBlockIO? = nil, hugepageLimits: [LinuxHugepageLimit]? = nil,
        network: LinuxNetwork? = nil, rdma: [String: LinuxRdma]? = nil, unified: [String: String]? = nil
    ) {
        self.devices = devices
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
        self.network = network
        self.rdma = rdma
        self.unified = unified
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        devices = try f(.devices)
        memory = try f(.memory)
        cpu = try f(.cpu)
        pids = try f(.pids)
        blockIO = try f(.blockIO)
        hugepageLimits = try f(.hugepageLimits)
        network = try f(.network)
        rdma = try f(.rdma)
        unified = try f(.unified)
    }
}

/// One devices-cgroup rule. nil type/major/minor mean "all" (`a`, `*`).
public struct LinuxDeviceCgroup: Codable, Sendable, Equatable, FieldDecodable {
    public var allow: Bool
    public var type: String?
    public var major: Int64?
    public var minor: Int64?
    /// Any of `r`, `w`, `m`.
    public var access: String?

    public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        allow = try f(.allow)
        type = try f(.type)
        major = try f(.major)
        minor = try f(.minor)
        access = try f(.access)
    }
}

/// Memory limits in bytes; -1 means unlimited for `limit` and `swap`.
public struct LinuxMemory: Codable, Sendable, Equatable, FieldDecodable {
    public var limit: Int64?
    public var reservation: Int64?
    /// memory + swap.
    public var swap: Int64?
    /// Deprecated by the spec (no cgroup v2 equivalent).
    public var kernel: Int64?
    public var kernelTCP: Int64?
    public var swappiness: UInt64?
    public var disableOOMKiller: Bool?
    public var useHierarchy: Bool?
    /// Reject an update that sets the limit below current usage.
    public var checkBeforeUpdate: Bool?

    public init(
        limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil,
        kernelTCP: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil,
        useHierarchy: Bool? = nil, checkBeforeUpdate: Bool? = nil
    ) {
        self.limit = limit
        self.reservation = reservation
        self.swap = swap
        self.kernel = kernel
        self.kernelTCP = kernelTCP
        self.swappiness = swappiness
        self.disableOOMKiller = disableOOMKiller
        self.useHierarchy = useHierarchy
        self.checkBeforeUpdate = checkBeforeUpdate
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        limit = try f(.limit)
        reservation = try f(.reservation)
        swap = try f(.swap)
        kernel = try f(.kernel)
        kernelTCP = try f(.kernelTCP)
        swappiness = try f(.swappiness)
        disableOOMKiller = try f(.disableOOMKiller)
        useHierarchy = try f(.useHierarchy)
        checkBeforeUpdate = try f(.checkBeforeUpdate)
    }
}

/// CPU controller settings; times are in microseconds.
public struct LinuxCPU: Codable, Sendable, Equatable, FieldDecodable {
    public var shares: UInt64?
    /// -1 means no limit.
    public var quota: Int64?
    public var burst: UInt64?
    public var period: UInt64?
    public var realtimeRuntime: Int64?
    public var realtimePeriod: UInt64?
    /// cpuset list, e.g. `"0-3,7"`.
    public var cpus: String?
    public var mems: String?
    /// 1 puts the cgroup in SCHED_IDLE mode.
    public var idle: Int64?

    public init(
        shares: UInt64? = nil, quota: Int64? = nil, burst: UInt64? = nil, period: UInt64? = nil,
        realtimeRuntime: Int64? = nil, realtimePeriod: UInt64? = nil, cpus: String? = nil,
        mems: String? = nil, idle: Int64? = nil
    ) {
        self.shares = shares
        self.quota = quota
        self.burst = burst
        self.period = period
        self.realtimeRuntime = realtimeRuntime
        self.realtimePeriod = realtimePeriod
        self.cpus = cpus
        self.mems = mems
        self.idle = idle
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        shares = try f(.shares)
        quota = try f(.quota)
        burst = try f(.burst)
        period = try f(.period)
        realtimeRuntime = try f(.realtimeRuntime)
        realtimePeriod = try f(.realtimePeriod)
        cpus = try f(.cpus)
        mems = try f(.mems)
        idle = try f(.idle)
    }
}

public struct LinuxPids: Codable, Sendable, Equatable, FieldDecodable {
    /// Maximum number of tasks; 0 or negative means no limit.
    public var limit: Int64

    public init(limit: Int64) {
        self.limit = limit
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        limit = try f(.limit)
    }
}

/// Block IO (blkio / io controller) weights and throttles.
public struct LinuxBlockIO: Codable, Sendable, Equatable, FieldDecodable {
    public var weight: UInt16?
    public var leafWeight: UInt16?
    public var weightDevice: [LinuxWeightDevice]?
    /// Bytes per second.
    public var throttleReadBpsDevice: [LinuxThrottleDevice]?
    public var throttleWriteBpsDevice: [LinuxThrottleDevice]?
    /// Operations per second.
    public var throttleReadIOPSDevice: [LinuxThrottleDevice]?
    public var throttleWriteIOPSDevice: [LinuxThrottleDevice]?

    public init(
        weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [LinuxWeightDevice]? = nil,
        throttleReadBpsDevice: [LinuxThrottleDevice]? = nil, throttleWriteBpsDevice: [LinuxThrottleDevice]? = nil,
        throttleReadIOPSDevice: [LinuxThrottleDevice]? = nil, throttleWriteIOPSDevice: [LinuxThrottleDevice]? = nil
    ) {
        self.weight = weight
        self.leafWeight = leafWeight
        self.weightDevice = weightDevice
        self.throttleReadBpsDevice = throttleReadBpsDevice
        self.throttleWriteBpsDevice = throttleWriteBpsDevice
        self.throttleReadIOPSDevice = throttleReadIOPSDevice
        self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        weight = try f(.weight)
        leafWeight = try f(.leafWeight)
        weightDevice = try f(.weightDevice)
        throttleReadBpsDevice = try f(.throttleReadBpsDevice)
        throttleWriteBpsDevice = try f(.throttleWriteBpsDevice)
        throttleReadIOPSDevice = try f(.throttleReadIOPSDevice)
        throttleWriteIOPSDevice = try f(.throttleWriteIOPSDevice)
    }
}

/// A block device's major:minor (Go embeds this in the two device types below).
public struct LinuxBlockIODevice: Codable, Sendable, Equatable, FieldDecodable {
    public var major: Int64
    public var minor: Int64

    public init(major: Int64, minor: Int64) {
        self.major = major
        self.minor = minor
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        major = try f(.major)
        minor = try f(.minor)
    }
}

/// `major:minor weight`. Go embeds LinuxBlockIODevice, so major and minor sit at this level.
public struct LinuxWeightDevice: Codable, Sendable, Equatable, FieldDecodable {
    public var major: Int64
    public var minor: Int64
    public var weight: UInt16?
    public var leafWeight: UInt16?

    public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
        self.major = major
        self.minor = minor
        self.weight = weight
        self.leafWeight = leafWeight
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        major = try f(.major)
        minor = try f(.minor)
        weight = try f(.weight)
        leafWeight = try f(.leafWeight)
    }
}

/// `major:minor rate`. Go embeds LinuxBlockIODevice, so major and minor sit at this level.
public struct LinuxThrottleDevice: Codable, Sendable, Equatable, FieldDecodable {
    public var major: Int64
    public var minor: Int64
    public var rate: UInt64

    public init(major: Int64, minor: Int64, rate: UInt64) {
        self.major = major
        self.minor = minor
        self.rate = rate
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        major = try f(.major)
        minor = try f(.minor)
        rate = try f(.rate)
    }
}

/// A hugetlb limit for one page size, e.g. `"2MB"`.
public struct LinuxHugepageLimit: Codable, Sendable, Equatable, FieldDecodable {
    public var pageSize: String
    public var limit: UInt64

    public init(pageSize: String, limit: UInt64) {
        self.pageSize = pageSize
        self.limit = limit
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        pageSize = try f(.pageSize)
        limit = try f(.limit)
    }
}

/// net_cls / net_prio settings.
public struct LinuxNetwork: Codable, Sendable, Equatable, FieldDecodable {
    public var classID: UInt32?
    public var priorities: [LinuxInterfacePriority]?

    public init(classID: UInt32? = nil, priorities: [LinuxInterfacePriority]? = nil) {
        self.classID = classID
        self.priorities = priorities
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        classID = try f(.classID)
        priorities = try f(.priorities)
    }
}

public struct LinuxInterfacePriority: Codable, Sendable, Equatable, FieldDecodable {
    public var name: String
    public var priority: UInt32

    public init(name: String, priority: UInt32) {
        self.name = name
        self.priority = priority
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        name = try f(.name)
        priority = try f(.priority)
    }
}

/// RDMA controller limits for one device; nil means no limit.
public struct LinuxRdma: Codable, Sendable, Equatable, FieldDecodable {
    public var hcaHandles: UInt32?
    public var hcaObjects: UInt32?

    public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
        self.hcaHandles = hcaHandles
        self.hcaObjects = hcaObjects
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        hcaHandles = try f(.hcaHandles)
        hcaObjects = try f(.hcaObjects)
    }
}
