#if canImport(Glibc)
import Glibc
#endif

/// What /proc/PID/stat says about a process: enough to tell a live init from a dead one
/// whose pid has been reused.
public struct ProcessStat: Sendable, Equatable {
    public var state: Character
    public var startTime: UInt64

    public static func read(pid: Int32) -> ProcessStat? {
        guard pid > 0, let bytes = try? FileSystem.readFile("/proc/\(pid)/stat") else { return nil }
        return parse(bytes)
    }

    public static func parse(_ text: String) -> ProcessStat? { parse(Array(text.utf8)) }

    /// The command name may contain spaces and parentheses: fields start after the last ')'.
    /// Read in place (every verb reads an init's stat at least once).
    public static func parse(_ bytes: [UInt8]) -> ProcessStat? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Field 3 (state) is the first after it; starttime is field 22.
        var field = 2
        var state: UInt8?
        var index = close + 1
        while index < bytes.count {
            guard bytes[index] != 0x20, bytes[index] != 0x0A else {
                index += 1
                continue
            }
            field += 1
            let start = index
            while index < bytes.count, bytes[index] != 0x20, bytes[index] != 0x0A { index += 1 }
            if field == 3 { state = bytes[start] }
            if field == 22 {
                var value: UInt64 = 0
                for byte in bytes[start..<index] {
                    guard byte >= 0x30, byte <= 0x39 else { return nil }
                    let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
                    guard !overflow else { return nil }
                    value = shifted + UInt64(byte - 0x30)
                }
                guard let state else { return nil }
                return ProcessStat(state: Character(Unicode.Scalar(state)), startTime: value)
            }
        }
        return nil
    }

    public var isDead: Bool { state == "Z" || state == "X" }
}
