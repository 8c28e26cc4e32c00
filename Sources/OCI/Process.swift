/// The container process (runtime-spec `specs-go.Process`), in Go's field order.
public struct Process: Codable, Sendable, Equatable, FieldDecodable {
    public var terminal: Bool?
    /// Initial console size; ignored unless `terminal` is true.
    public var consoleSize: Box?
    public var user: User
    public var args: [String]?
    /// Windows only; kept so a round trip does not lose it.
    public var commandLine: String?
    public var env: [String]?
    /// Working directory inside the container; must be absolute.
    public var cwd: String
    public var capabilities: LinuxCapabilities?
    public var rlimits: [POSIXRlimit]?
    public var noNewPrivileges: Bool?
    public var apparmorProfile: String?
    public var oomScoreAdj: Int?
    public var scheduler: Scheduler?
    public var selinuxLabel: String?
    public var ioPriority: LinuxIOPriority?
    public var execCPUAffinity: CPUAffinity?

    public init(
        terminal: Bool? = nil, consoleSize: Box? = nil, user: User = User(uid: 0, gid: 0),
        args: [String]? = nil, commandLine: String? = nil, env: [String]? = nil, cwd: String,
        capabilities: LinuxCapabilities? = nil, rlimits: [POSIXRlimit]? = nil,
        noNewPrivileges: Bool? = nil, apparmorProfile: String? = nil, oomScoreAdj: Int? = nil,
        scheduler: Scheduler? = nil, selinuxLabel: String? = nil, ioPriority: LinuxIOPriority? = nil,
        execCPUAffinity: CPUAffinity? = nil
    ) {
        self.terminal = terminal
        self.consoleSize = consoleSize
        self.user = user
        self.args = args
        self.commandLine = commandLine
        self.env = env
        self.cwd = cwd
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.noNewPrivileges = noNewPrivileges
        self.apparmorProfile = apparmorProfile
        self.oomScoreAdj = oomScoreAdj
        self.scheduler = scheduler
        self.selinuxLabel = selinuxLabel
        self.ioPriority = ioPriority
        self.execCPUAffinity = execCPUAffinity
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    /// Every field as declared except `user`: the spec calls it required, but runc (Go's
    /// decoder) runs a config without it as uid 0 / gid 0, and configs in the wild rely on that.
    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        terminal = try f(.terminal)
        consoleSize = try f(.consoleSize)
        user = try f(.user) ?? User(uid: 0, gid: 0)
        args = try f(.args)
        commandLine = try f(.commandLine)
        env = try f(.env)
        cwd = try f(.cwd)
        capabilities = try f(.capabilities)
        rlimits = try f(.rlimits)
        noNewPrivileges = try f(.noNewPrivileges)
        apparmorProfile = try f(.apparmorProfile)
        oomScoreAdj = try f(.oomScoreAdj)
        scheduler = try f(.scheduler)
        selinuxLabel = try f(.selinuxLabel)
        ioPriority = try f(.ioPriority)
        execCPUAffinity = try f(.execCPUAffinity)
    }
}

/// Console dimensions in characters.
public struct Box: Codable, Sendable, Equatable, FieldDecodable {
    public var height: UInt
    public var width: UInt

    public init(height: UInt, width: UInt) {
        self.height = height
        self.width = width
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        height = try f(.height)
        width = try f(.width)
    }
}

/// Who the process runs as. `username` is Windows only.
public struct User: Codable, Sendable, Equatable, FieldDecodable {
    public var uid: UInt32
    public var gid: UInt32
    /// nil means "leave the runtime's default" (runc: 0022), distinct from 0.
    public var umask: UInt32?
    public var additionalGids: [UInt32]?
    public var username: String?

    public init(uid: UInt32, gid: UInt32, umask: UInt32? = nil, additionalGids: [UInt32]? = nil, username: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.umask = umask
        self.additionalGids = additionalGids
        self.username = username
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        uid = try f(.uid)
        gid = try f(.gid)
        umask = try f(.umask)
        additionalGids = try f(.additionalGids)
        username = try f(.username)
    }
}

/// Capability names (`CAP_KILL`...) per set; nil and empty both mean "none".
public struct LinuxCapabilities: Codable, Sendable, Equatable, FieldDecodable {
    public var bounding: [String]?
    public var effective: [String]?
    public var inheritable: [String]?
    public var permitted: [String]?
    public var ambient: [String]?

    public init(
        bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
        permitted: [String]? = nil, ambient: [String]? = nil
    ) {
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        bounding = try f(.bounding)
        effective = try f(.effective)
        inheritable = try f(.inheritable)
        permitted = try f(.permitted)
        ambient = try f(.ambient)
    }
}

/// One setrlimit(2) call, e.g. `RLIMIT_NOFILE`.
public struct POSIXRlimit: Codable, Sendable, Equatable, FieldDecodable {
    public var type: String
    public var hard: UInt64
    public var soft: UInt64

    public init(type: String, hard: UInt64, soft: UInt64) {
        self.type = type
        self.hard = hard
        self.soft = soft
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        type = try f(.type)
        hard = try f(.hard)
        soft = try f(.soft)
    }
}

/// sched_setattr(2) parameters for the process.
public struct Scheduler: Codable, Sendable, Equatable, FieldDecodable {
    public var policy: LinuxSchedulerPolicy
    public var nice: Int32?
    public var priority: Int32?
    public var flags: [LinuxSchedulerFlag]?
    /// SCHED_DEADLINE parameters, in nanoseconds.
    public var runtime: UInt64?
    public var deadline: UInt64?
    public var period: UInt64?

    public init(
        policy: LinuxSchedulerPolicy, nice: Int32? = nil, priority: Int32? = nil,
        flags: [LinuxSchedulerFlag]? = nil, runtime: UInt64? = nil, deadline: UInt64? = nil,
        period: UInt64? = nil
    ) {
        self.policy = policy
        self.nice = nice
        self.priority = priority
        self.flags = flags
        self.runtime = runtime
        self.deadline = deadline
        self.period = period
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        policy = try f(.policy)
        nice = try f(.nice)
        priority = try f(.priority)
        flags = try f(.flags)
        runtime = try f(.runtime)
        deadline = try f(.deadline)
        period = try f(.period)
    }
}

public struct LinuxSchedulerPolicy: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let other: Self = "SCHED_OTHER"
    public static let fifo: Self = "SCHED_FIFO"
    public static let rr: Self = "SCHED_RR"
    public static let batch: Self = "SCHED_BATCH"
    public static let iso: Self = "SCHED_ISO"
    public static let idle: Self = "SCHED_IDLE"
    public static let deadline: Self = "SCHED_DEADLINE"
}

public struct LinuxSchedulerFlag: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let resetOnFork: Self = "SCHED_FLAG_RESET_ON_FORK"
    public static let reclaim: Self = "SCHED_FLAG_RECLAIM"
    public static let dlOverrun: Self = "SCHED_FLAG_DL_OVERRUN"
    public static let keepPolicy: Self = "SCHED_FLAG_KEEP_POLICY"
    public static let keepParams: Self = "SCHED_FLAG_KEEP_PARAMS"
    public static let utilClampMin: Self = "SCHED_FLAG_UTIL_CLAMP_MIN"
    public static let utilClampMax: Self = "SCHED_FLAG_UTIL_CLAMP_MAX"
}

/// ioprio_set(2) class and level for the process.
public struct LinuxIOPriority: Codable, Sendable, Equatable, FieldDecodable {
    public var `class`: IOPriorityClass
    public var priority: Int

    public init(class: IOPriorityClass, priority: Int) {
        self.class = `class`
        self.priority = priority
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        `class` = try f(.class)
        priority = try f(.priority)
    }
}

/// Shorter name for `LinuxIOPriority` (the Go comment calls it IOPriority).
public typealias IOPriority = LinuxIOPriority

public struct IOPriorityClass: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let realtime: Self = "IOPRIO_CLASS_RT"
    public static let bestEffort: Self = "IOPRIO_CLASS_BE"
    public static let idle: Self = "IOPRIO_CLASS_IDLE"
}

/// CPU lists (`"0-3,7"`) for processes joining the container with exec: `initial` applies
/// before joining the cgroup, `final` after.
public struct CPUAffinity: Codable, Sendable, Equatable, FieldDecodable {
    public var initial: String?
    public var final: String?

    public init(initial: String? = nil, final: String? = nil) {
        self.initial = initial
        self.final = final
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        initial = try f(.initial)
        final = try f(.final)
    }
}
