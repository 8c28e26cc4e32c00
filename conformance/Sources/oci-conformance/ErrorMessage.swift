import ConformanceKit

/// Whether a runtime's error message names the config field it refuses (stderr and the
/// `--log` file together). Petrel prints JSON paths; runc and crun print words. The rule,
/// case-insensitively, for a field at `linux.namespaces[6].type`:
/// 1. the JSON path, or the entry holding the field (`linux.namespaces[6]`, up to the last index);
/// 2. the field's key as a word (`type`; `cwd` for `process.cwd`);
/// 3. for a field of an array entry, the array's key or its singular as a word (`namespaces`,
///    `namespace`): the message says which entry is wrong.
/// Only the offending value (`RLIMIT_BOGUS`, a path) does not count: it does not say where it is.
enum ErrorMessage {
    static func names(_ text: String, _ path: String) -> Bool {
        let haystack = text.lowercased()
        let path = path.lowercased()
        if haystack.contains(path) { return true }
        if let bracket = path.lastIndex(of: "]"), haystack.contains(path[...bracket]) { return true }
        let components = path.split(separator: ".").map { String($0) }
        guard let last = components.last else { return false }
        if containsWord(haystack, key(last)) { return true }
        if let array = components.last(where: { $0.contains("[") }) {
            let name = key(array)
            if containsWord(haystack, name) { return true }
            if name.hasSuffix("s"), containsWord(haystack, String(name.dropLast())) { return true }
        }
        return false
    }

    /// `namespaces[6]` -> `namespaces`.
    static func key(_ component: String) -> String {
        String(component.prefix { $0 != "[" })
    }

    /// `word` in `text` with no letter, digit or `_` on either side.
    static func containsWord(_ text: String, _ word: String) -> Bool {
        guard !word.isEmpty else { return false }
        let isWordCharacter: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "_" }
        var rest = text[...]
        while let range = rest.firstRange(of: word) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before.map(isWordCharacter) ?? false) && !(after.map(isWordCharacter) ?? false) { return true }
            rest = text[range.upperBound...]
        }
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
