#if canImport(Glibc)
import Glibc
#endif
import OCI

public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}

public enum LogLevel: String, Sendable, Comparable {
    case debug, info, warning, error, fatal

    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        case .fatal: 4
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}

/// runc-compatible logging. With `--log FILE` lines go to FILE (containerd reads
/// `log.json` to show why a create failed); without it they go to stderr, as logrus
/// text lines. Errors are additionally printed plainly to stderr when a log file is used,
/// exactly like runc's fatal().
public final class Logger {
    public nonisolated(unsafe) static var shared = Logger()

    private var fd: Int32 = 2
    private var format: LogFormat = .text
    private var minimum: LogLevel = .info
    private var toFile = false

    public init() {}

    public func configure(path: String?, format: LogFormat, debug: Bool) throws(RuntimeError) {
        self.format = format
        minimum = debug ? .debug : .info
        guard let path, !path.isEmpty else { return }
        let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw RuntimeError.sys("cannot open log file", "open", path: path) }
        fd = opened
        toFile = true
    }

    public func log(_ level: LogLevel, _ message: String) {
        guard level >= minimum else { return }
        writeAll(fd, line(level, message))
    }

    /// Built only when `--debug` asked for it: the hot path pays nothing for these lines.
    public func debug(_ message: @autoclosure () -> String) {
        guard minimum <= .debug else { return }
        log(.debug, message())
    }
    public func warning(_ message: String) { log(.warning, message) }

    /// The single error line of a failed command.
    public func failure(_ message: String) {
        log(.error, message)
        if toFile { writeAll(2, message + "\n") }
    }

    private func line(_ level: LogLevel, _ message: String) -> String {
        let time = Clock.rfc3339(nanoseconds: false)
        switch format {
        case .json:
            return "{\"level\":\"\(level.rawValue)\",\"msg\":\(JSONText.quote(message)),\"time\":\"\(time)\"}\n"
        case .text:
            return "time=\"\(time)\" level=\(level.rawValue) msg=\(JSONText.quote(message))\n"
        }
    }
}

/// Writes the whole string, retrying short writes and EINTR.
public func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { buffer in
            write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
        }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
    bytes.removeAll()
}

public enum JSONText {
    /// A JSON string literal (also valid as a logrus quoted value).
    public static func quote(_ text: String) -> String {
        if !text.utf8.contains(where: needsEscape) { return "\"" + text + "\"" }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `quote`, appended to `out` as UTF-8 (escaped as OCI writes config.json).
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        JSONWriter.writeString(text, into: &out)
    }

    private static func needsEscape(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }
}
