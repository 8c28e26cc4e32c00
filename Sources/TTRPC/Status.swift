// google.rpc.Code values as ttrpc carries them in Response.status.code.
public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = Code(rawValue: 0)
    public static let cancelled = Code(rawValue: 1)
    public static let unknown = Code(rawValue: 2)
    public static let invalidArgument = Code(rawValue: 3)
    public static let deadlineExceeded = Code(rawValue: 4)
    public static let notFound = Code(rawValue: 5)
    public static let alreadyExists = Code(rawValue: 6)
    public static let permissionDenied = Code(rawValue: 7)
    public static let resourceExhausted = Code(rawValue: 8)
    public static let failedPrecondition = Code(rawValue: 9)
    public static let aborted = Code(rawValue: 10)
    public static let outOfRange = Code(rawValue: 11)
    public static let unimplemented = Code(rawValue: 12)
    public static let `internal` = Code(rawValue: 13)
    public static let unavailable = Code(rawValue: 14)
    public static let dataLoss = Code(rawValue: 15)
    public static let unauthenticated = Code(rawValue: 16)

    public var description: String {
        let names = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
                     "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
                     "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
                     "Unauthenticated"]
        return rawValue >= 0 && Int(rawValue) < names.count ? names[Int(rawValue)] : "Code(\(rawValue))"
    }
}

/// An RPC failure: what a handler answers and what a client receives.
public struct TTRPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    // Go's status error text, which containerd logs and matches on.
    public var description: String { "rpc error: code = \(code) desc = \(message)" }
}

/// A failed system call of the transport, with errno.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public var syscall: String
    public var errno: Int32
    public var path: String?
    public init(_ syscall: String, errno: Int32, path: String? = nil) {
        self.syscall = syscall
        self.errno = errno
        self.path = path
    }
    public var description: String { "\(syscall)\(path.map { " " + $0 } ?? ""): errno \(errno)" }
}
