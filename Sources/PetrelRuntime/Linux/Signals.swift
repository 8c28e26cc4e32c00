/// Signal names and numbers as `kill` accepts them: "9", "KILL", "SIGKILL", "sigkill", and
/// any number from 0 to 64.
public enum Signals {
    /// Names without "SIG". An array searched in order: `kill` parses one name per call, and
    /// building a dictionary first would cost more than the search.
    public static let numbers: [(name: String, number: Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7), ("FPE", 8),
        ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14), ("TERM", 15),
        ("STKFLT", 16), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21), ("TTOU", 22),
        ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28), ("IO", 29),
        ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ]

    public static func parse(_ text: String) throws(RuntimeError) -> Int32 {
        if let number = Int32(text) {
            // 0 only checks that the init exists (kill(2)), as `runc kill ID 0` does.
            guard number >= 0 && number <= 64 else { throw RuntimeError("unknown signal \(JSONText.quote(text))") }
            return number
        }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if name.hasPrefix("RTMIN") || name.hasPrefix("RTMAX") {
            let base: Int32 = name.hasPrefix("RTMIN") ? 34 : 64
            let offset = name.dropFirst(5)
            if offset.isEmpty { return base }
            if let delta = Int32(offset), base + delta >= 34, base + delta <= 64 { return base + delta }
        }
        guard let number = numbers.first(where: { $0.name == name })?.number else { throw RuntimeError("unknown signal \(JSONText.quote(text))") }
        return number
    }
}
