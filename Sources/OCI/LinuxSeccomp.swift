/// A seccomp filter (runtime-spec `specs-go.LinuxSeccomp`).
public struct LinuxSeccomp: Codable, Sendable, Equatable, FieldDecodable {
    public var defaultAction: LinuxSeccompAction
    /// errno for a default action of SCMP_ACT_ERRNO / SCMP_ACT_TRACE (default EPERM).
    public var defaultErrnoRet: UInt?
    public var architectures: [Arch]?
    public var flags: [LinuxSeccompFlag]?
    /// Unix socket that receives the notify fd when a rule uses SCMP_ACT_NOTIFY.
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [LinuxSyscall]?

    public init(
        defaultAction: LinuxSeccompAction, defaultErrnoRet: UInt? = nil, architectures: [Arch]? = nil,
        flags: [LinuxSeccompFlag]? = nil, listenerPath: String? = nil, listenerMetadata: String? = nil,
        syscalls: [LinuxSyscall]? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        defaultAction = try f(.defaultAction)
        defaultErrnoRet = try f(.defaultErrnoRet)
        architectures = try f(.architectures)
        flags = try f(.flags)
        listenerPath = try f(.listenerPath)
        listenerMetadata = try f(.listenerMetadata)
        syscalls = try f(.syscalls)
    }
}

/// A rule: these syscalls, when the arguments match, get this action.
public struct LinuxSyscall: Codable, Sendable, Equatable, FieldDecodable {
    public var names: [String]
    public var action: LinuxSeccompAction
    public var errnoRet: UInt?
    public var args: [LinuxSeccompArg]?

    public init(names: [String], action: LinuxSeccompAction, errnoRet: UInt? = nil, args: [LinuxSeccompArg]? = nil) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        names = try f(.names)
        action = try f(.action)
        errnoRet = try f(.errnoRet)
        args = try f(.args)
    }
}

/// A comparison of syscall argument `index` against `value` (and `valueTwo` for masks).
public struct LinuxSeccompArg: Codable, Sendable, Equatable, FieldDecodable {
    public var index: UInt
    public var value: UInt64
    public var valueTwo: UInt64?
    public var op: LinuxSeccompOperator

    public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: LinuxSeccompOperator) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        index = try f(.index)
        value = try f(.value)
        valueTwo = try f(.valueTwo)
        op = try f(.op)
    }
}

public struct LinuxSeccompAction: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let kill: Self = "SCMP_ACT_KILL"
    public static let killProcess: Self = "SCMP_ACT_KILL_PROCESS"
    public static let killThread: Self = "SCMP_ACT_KILL_THREAD"
    public static let trap: Self = "SCMP_ACT_TRAP"
    public static let errno: Self = "SCMP_ACT_ERRNO"
    public static let trace: Self = "SCMP_ACT_TRACE"
    public static let allow: Self = "SCMP_ACT_ALLOW"
    public static let log: Self = "SCMP_ACT_LOG"
    public static let notify: Self = "SCMP_ACT_NOTIFY"
}

public struct LinuxSeccompOperator: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let notEqual: Self = "SCMP_CMP_NE"
    public static let lessThan: Self = "SCMP_CMP_LT"
    public static let lessEqual: Self = "SCMP_CMP_LE"
    public static let equalTo: Self = "SCMP_CMP_EQ"
    public static let greaterEqual: Self = "SCMP_CMP_GE"
    public static let greaterThan: Self = "SCMP_CMP_GT"
    public static let maskedEqual: Self = "SCMP_CMP_MASKED_EQ"
}

public struct LinuxSeccompFlag: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let log: Self = "SECCOMP_FILTER_FLAG_LOG"
    public static let specAllow: Self = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
    public static let waitKillableRecv: Self = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
}

/// A libseccomp architecture name, e.g. `SCMP_ARCH_X86_64`.
public struct Arch: OCIStringValue, FieldValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let x86: Self = "SCMP_ARCH_X86"
    public static let x86_64: Self = "SCMP_ARCH_X86_64"
    public static let x32: Self = "SCMP_ARCH_X32"
    public static let arm: Self = "SCMP_ARCH_ARM"
    public static let aarch64: Self = "SCMP_ARCH_AARCH64"
    public static let mips: Self = "SCMP_ARCH_MIPS"
    public static let mips64: Self = "SCMP_ARCH_MIPS64"
    public static let mips64n32: Self = "SCMP_ARCH_MIPS64N32"
    public static let mipsel: Self = "SCMP_ARCH_MIPSEL"
    public static let mipsel64: Self = "SCMP_ARCH_MIPSEL64"
    public static let mipsel64n32: Self = "SCMP_ARCH_MIPSEL64N32"
    public static let ppc: Self = "SCMP_ARCH_PPC"
    public static let ppc64: Self = "SCMP_ARCH_PPC64"
    public static let ppc64le: Self = "SCMP_ARCH_PPC64LE"
    public static let s390: Self = "SCMP_ARCH_S390"
    public static let s390x: Self = "SCMP_ARCH_S390X"
    public static let parisc: Self = "SCMP_ARCH_PARISC"
    public static let parisc64: Self = "SCMP_ARCH_PARISC64"
    public static let riscv64: Self = "SCMP_ARCH_RISCV64"

    /// Every name above (what `features` offers, filtered by what libseccomp resolves).
    public static let all: [Arch] = [
        x86, x86_64, x32, arm, aarch64, mips, mips64, mips64n32, mipsel, mipsel64, mipsel64n32,
        ppc, ppc64, ppc64le, s390, s390x, parisc, parisc64, riscv64,
    ]
}
