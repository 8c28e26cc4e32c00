/// The `linux` section of config.json (runtime-spec `specs-go.Linux`), in Go's field order.
public struct Linux: Codable, Sendable, Equatable, FieldDecodable {
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?
    public var sysctl: [String: String]?
    public var resources: LinuxResources?
    /// Cgroup path, relative to the cgroup root (or `slice:prefix:name` for systemd).
    public var cgroupsPath: String?
    public var namespaces: [LinuxNamespace]?
    /// Device nodes to create in the container's /dev.
    public var devices: [LinuxDevice]?
    /// Host network interfaces (keyed by their host name) moved into the container's
    /// network namespace (runtime-spec 1.3).
    public var netDevices: [String: LinuxNetDevice]?
    public var seccomp: LinuxSeccomp?
    /// `shared`, `slave`, `private`, `unbindable` or an r-prefixed form.
    public var rootfsPropagation: String?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?
    public var intelRdt: LinuxIntelRdt?
    /// NUMA memory policy of the container process, set_mempolicy(2) (runtime-spec 1.3).
    public var memoryPolicy: LinuxMemoryPolicy?
    public var personality: LinuxPersonality?
    /// Time namespace offsets keyed by clock name (`monotonic`, `boottime`).
    public var timeOffsets: [String: LinuxTimeOffset]?

    public init(
        uidMappings: [LinuxIDMapping]? = nil, gidMappings: [LinuxIDMapping]? = nil,
        sysctl: [String: String]? = nil, resources: LinuxResources? = nil, cgroupsPath: String? = nil,
        namespaces: [LinuxNamespace]? = nil, devices: [LinuxDevice]? = nil, seccomp: LinuxSeccomp? = nil,
        rootfsPropagation: String? = nil, maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil,
        mountLabel: String? = nil, intelRdt: LinuxIntelRdt? = nil, personality: LinuxPersonality? = nil,
        timeOffsets: [String: LinuxTimeOffset]? = nil, netDevices: [String: LinuxNetDevice]? = nil,
        memoryPolicy: LinuxMemoryPolicy? = nil
    ) {
        self.netDevices = netDevices
        self.memoryPolicy = memoryPolicy
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.sysctl = sysctl
        self.resources = resources
        self.cgroupsPath = cgroupsPath
        self.namespaces = namespaces
        self.devices = devices
        self.seccomp = seccomp
        self.rootfsPropagation = rootfsPropagation
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.mountLabel = mountLabel
        self.intelRdt = intelRdt
        self.personality = personality
        self.timeOffsets = timeOffsets
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        uidMappings = try f(.uidMappings)
        gidMappings = try f(.gidMappings)
        sysctl = try f(.sysctl)
        resources = try f(.resources)
        cgroupsPath = try f(.cgroupsPath)
        namespaces = try f(.namespaces)
        devices = try f(.devices)
        netDevices = try f(.netDevices)
        seccomp = try f(.seccomp)
        rootfsPropagation = try f(.rootfsPropagation)
        maskedPaths = try f(.maskedPaths)
        readonlyPaths = try f(.readonlyPaths)
        mountLabel = try f(.mountLabel)
        intelRdt = try f(.intelRdt)
        memoryPolicy = try f(.memoryPolicy)
        personality = try f(.personality)
        timeOffsets = try f(.timeOffsets)
    }
}

/// A namespace to create (no path) or join (path to an nsfs file).
public struct LinuxNamespace: Codable, Sendable, Equatable, FieldDecodable {
    public var type: LinuxNamespaceType
    public var path: String?

    public init(type: LinuxNamespaceType, path: String? = nil) {
        self.type = type
        self.path = path
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        type = try f(.type)
        path = try f(.path)
    }
}

/// Closed on purpose: silently ignoring a namespace the config asks for would weaken
/// isolation, so an unknown type fails decoding (runc rejects it too).
public enum LinuxNamespaceType: String, Codable, Sendable, Hashable, CaseIterable, FieldValue {
    case pid, network, mount, ipc, uts, user, cgroup, time

    public init(from decoder: any Decoder) throws {
        self = try decodeKnownValue(LinuxNamespaceType.self, from: decoder)
    }
}

/// A range of ids: container ids [containerID, containerID+size) map to host ids from hostID.
public struct LinuxIDMapping: Codable, Sendable, Equatable, FieldDecodable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        containerID = try f(.containerID)
        hostID = try f(.hostID)
        size = try f(.size)
    }
}

/// Offset of one clock in a time namespace.
public struct LinuxTimeOffset: Codable, Sendable, Equatable, FieldDecodable {
    public var secs: Int64?
    public var nanosecs: UInt32?

    public init(secs: Int64? = nil, nanosecs: UInt32? = nil) {
        self.secs = secs
        self.nanosecs = nanosecs
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        secs = try f(.secs)
        nanosecs = try f(.nanosecs)
    }
}

/// A device node for mknod(2) inside the container.
public struct LinuxDevice: Codable, Sendable, Equatable, FieldDecodable {
    public var path: String
    /// `c`, `b`, `u` or `p`.
    public var type: String
    /// Optional because fifos (`p`) have none; Go's zero value is 0.
    public var major: Int64?
    public var minor: Int64?
    /// Permission bits (Go's os.FileMode); only the low 9 bits are meaningful here.
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(
        path: String, type: String, major: Int64? = nil, minor: Int64? = nil, fileMode: UInt32? = nil,
        uid: UInt32? = nil, gid: UInt32? = nil
    ) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        path = try f(.path)
        type = try f(.type)
        major = try f(.major)
        minor = try f(.minor)
        fileMode = try f(.fileMode)
        uid = try f(.uid)
        gid = try f(.gid)
    }
}

/// personality(2) for the container process.
public struct LinuxPersonality: Codable, Sendable, Equatable, FieldDecodable {
    public var domain: LinuxPersonalityDomain
    public var flags: [LinuxPersonalityFlag]?

    public init(domain: LinuxPersonalityDomain, flags: [LinuxPersonalityFlag]? = nil) {
        self.domain = domain
        self.flags = flags
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        domain = try f(.domain)
        flags = try f(.flags)
    }
}

public struct LinuxPersonalityDomain: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let linux: Self = "LINUX"
    public static let linux32: Self = "LINUX32"
}

/// No flags are defined by the spec yet.
public struct LinuxPersonalityFlag: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Intel RDT (resctrl) class of service and schemata.
public struct LinuxIntelRdt: Codable, Sendable, Equatable, FieldDecodable {
    public var closID: String?
    /// Format `L3:<cache_id0>=<cbm0>;<cache_id1>=<cbm1>;...`.
    public var l3CacheSchema: String?
    /// Format `MB:<cache_id0>=bandwidth0;...`.
    public var memBwSchema: String?
    /// Lines written as they are to the `schemata` file, after the two above (1.3).
    public var schemata: [String]?
    public var enableCMT: Bool?
    public var enableMBM: Bool?
    /// A resctrl monitoring group for the container (1.3; replaces enableCMT/enableMBM).
    public var enableMonitoring: Bool?

    public init(
        closID: String? = nil, l3CacheSchema: String? = nil, memBwSchema: String? = nil,
        schemata: [String]? = nil, enableCMT: Bool? = nil, enableMBM: Bool? = nil, enableMonitoring: Bool? = nil
    ) {
        self.closID = closID
        self.l3CacheSchema = l3CacheSchema
        self.memBwSchema = memBwSchema
        self.schemata = schemata
        self.enableCMT = enableCMT
        self.enableMBM = enableMBM
        self.enableMonitoring = enableMonitoring
    }

    enum CodingKeys: String, CodingKey {
        case closID, l3CacheSchema, memBwSchema, schemata, enableCMT, enableMBM, enableMonitoring
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    /// Every field as declared except `schemata`: the 1.3 Go type is a list of lines, drafts
    /// of the spec had one newline-separated string; both are taken.
    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        closID = try f(.closID)
        l3CacheSchema = try f(.l3CacheSchema)
        memBwSchema = try f(.memBwSchema)
        if let text = try? f(.schemata) as String? {
            schemata = text.split(separator: "\n").map(String.init)
        } else {
            schemata = try f(.schemata)
        }
        enableCMT = try f(.enableCMT)
        enableMBM = try f(.enableMBM)
        enableMonitoring = try f(.enableMonitoring)
    }
}

/// `linux.netDevices` entry: the interface's name inside the container (default: the host name).
public struct LinuxNetDevice: Codable, Sendable, Equatable, FieldDecodable {
    public var name: String?

    public init(name: String? = nil) { self.name = name }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        name = try f(.name)
    }
}

/// `linux.memoryPolicy`: set_mempolicy(2) for the container process.
public struct LinuxMemoryPolicy: Codable, Sendable, Equatable, FieldDecodable {
    /// `MPOL_DEFAULT`, `MPOL_BIND`, ... (checked when the container is created).
    public var mode: String
    /// Node list in cpuset syntax, `0-3,7`; empty for the modes that take none.
    public var nodes: String?
    /// `MPOL_F_STATIC_NODES`, `MPOL_F_RELATIVE_NODES`, `MPOL_F_NUMA_BALANCING`.
    public var flags: [String]?

    public init(mode: String, nodes: String? = nil, flags: [String]? = nil) {
        self.mode = mode
        self.nodes = nodes
        self.flags = flags
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        mode = try f(.mode)
        nodes = try f(.nodes)
        flags = try f(.flags)
    }
}
