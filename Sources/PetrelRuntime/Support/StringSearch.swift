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
