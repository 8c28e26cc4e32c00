extension StringProtocol {
    /// Substring search on UTF-8 bytes. `contains(_: some StringProtocol)` comes from
    /// _StringProcessing, which petrel does not link (its regex engine is ~0.8 MB of code).
    public func includes(_ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard !bytes.isEmpty else { return true }
        var rest = utf8[...]
        while !rest.isEmpty {
            if rest.starts(with: bytes) { return true }
            rest = rest.dropFirst()
        }
        return false
    }
}

extension Array where Element == String {
    /// `joined(separator:)` without the generic path: the stdlib's goes through
    /// BidirectionalCollection's witness tables, and the first such call in a process costs
    /// ~100 K instructions of runtime metadata lookups (callgrind of `create`).
    public func joined(with separator: String) -> String {
        var result = ""
        for (index, part) in enumerated() {
            if index > 0 { result += separator }
            result += part
        }
        return result
    }
}
