#if canImport(Glibc)
import Glibc
#endif

/// Every failure Petrel reports: what was being done, the failing syscall and path when
/// there is one, and errno. `description` is the one line users and engines see.
public struct RuntimeError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public var syscall: String?
    public var path: String?
    public var errno: Int32?

    public init(_ message: String, syscall: String? = nil, path: String? = nil, errno: Int32? = nil) {
        self.message = message
        self.syscall = syscall
        self.path = path
        self.errno = errno
    }

    /// A failed syscall: `errno` is read now, so build this right after the call.
    public static func sys(_ message: String, _ syscall: String, path: String? = nil) -> RuntimeError {
        RuntimeError(message, syscall: syscall, path: path, errno: Glibc.errno)
    }

    public var description: String {
        var line = message
        if let syscall {
            line += ": \(syscall)"
            if let path, !path.isEmpty { line += " \(path)" }
        } else if let path, !path.isEmpty {
            line += ": \(path)"
        }
        if let errno, errno != 0 { line += ": \(errnoDescription(errno))" }
        return line
    }
}

/// errno as Go's syscall.Errno prints it ("no such file or directory"): glibc's text with
/// its first letter lowered unless it starts an acronym. The docker CLI and other engines
/// match on these words to choose exit codes (126/127), so they must be Go's.
public func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    var bytes = Array(String(cString: text).utf8)
    let isUpper = { (byte: UInt8) in byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    if let first = bytes.first, isUpper(first), bytes.count < 2 || !isUpper(bytes[1]) {
        bytes[0] = first + 32
    }
    return String(decoding: bytes, as: UTF8.self)
}
