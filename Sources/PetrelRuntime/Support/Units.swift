/// The value syntaxes runc's flags accept.
public enum Units {
    /// A memory size like go-units' RAMInBytes: "1024", "64m", "64MB", "1.5g", "2 GiB"; the
    /// units are binary (k = 1024). "-1" (unlimited) is passed through as runc does.
    public static func bytes(_ text: String) throws(RuntimeError) -> Int64 {
        if text == "-1" { return -1 }
        let invalid = RuntimeError("invalid size: \(JSONText.quote(text))")
        var rest = Substring(text)
        let number = rest.prefix { $0.isNumber || $0 == "." }
        rest = rest.dropFirst(number.count)
        guard !number.isEmpty, number.first != ".", let value = Double(number) else { throw invalid }
        if rest.first == " " { rest = rest.dropFirst() }
        var multiplier: Double = 1
        if let unit = rest.first?.lowercased(), let power = ["k": 1, "m": 2, "g": 3, "t": 4, "p": 5][unit] {
            multiplier = pow1024(power)
            rest = rest.dropFirst()
            if rest.first == "i" || rest.first == "I" { rest = rest.dropFirst() }
        }
        if rest.first == "b" || rest.first == "B" { rest = rest.dropFirst() }
        guard rest.isEmpty else { throw invalid }
        let bytes = value * multiplier
        guard bytes < 9.2e18 else { throw invalid }
        return Int64(bytes)
    }

    private static func pow1024(_ power: Int) -> Double {
        (0..<power).reduce(1.0) { value, _ in value * 1024 }
    }

    /// A Go duration ("5s", "100ms", "1m30s", "1.5h") in nanoseconds.
    public static func duration(_ text: String) throws(RuntimeError) -> Int64 {
        let invalid = RuntimeError("invalid duration \(JSONText.quote(text))")
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { throw invalid }
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { throw invalid }
            rest = rest.dropFirst(number.count)
            // Longest unit first: "ms" before "m", "ns" before "s".
            guard let (name, scale) = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else {
                throw invalid
            }
            rest = rest.dropFirst(name.count)
            total += value * scale
        }
        guard total < 9.2e18 else { throw invalid }
        return Int64(negative ? -total : total)
    }
}
