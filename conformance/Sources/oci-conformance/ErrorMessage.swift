import ConformanceKit

/// Whether a runtime's error message names the config field it refuses.
enum ErrorMessage {
    static func names(_ text: String, _ path: String) -> Bool {
        let haystack = text.lowercased()
        if haystack.contains(path.lowercased()) { return true }
        return false
    }

    /// The lines worth showing: the log's error entries (their "msg") and stderr's non-empty lines.
    static func errorLines(_ text: String) -> [String] {
        var shown: [String] = []
        for line in text.lines where !line.trimmed.isEmpty {
            if line.hasPrefix("{"), let entry = try? JSON(parsing: line) {
                if ["error", "fatal"].contains(entry["level"].string ?? "") {
                    shown.append(entry["msg"].string ?? line)
                }
            } else {
                shown.append(line.trimmed)
            }
        }
        var seen = Set<String>()
        return shown.filter { seen.insert($0).inserted }
    }
}
