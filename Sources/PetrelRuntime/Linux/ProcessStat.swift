#if canImport(Glibc)
import Glibc
#endif

/// What /proc/PID/stat says about a process: enough to tell a live init from a dead one
/// whose pid has been reused.
public struct ProcessStat: Sendable, Equatable {
    public var state: Character
    public var startTime: UInt64

    public static func read(pid: Int32) -> ProcessStat? {
        guard pid > 0, let text = try? FileSystem.readText("/proc/\(pid)/stat") else { return nil }
        return parse(text)
    }

    /// The command name may contain spaces and parentheses: fields start after the last ')'.
    public static func parse(_ text: String) -> ProcessStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); starttime is field 22.
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return ProcessStat(state: state, startTime: start)
    }

    public var isDead: Bool { state == "Z" || state == "X" }
}
