/// Which runtime-spec versions a config may declare.
public enum OCIVersion {
    /// The spec version this model follows.
    public static let current = "1.3.0"
    static let modelledMinor: UInt = 3

    /// True for any SemVer 2.0.0 version 1.y.z, pre-release (`1.0.2-dev`, `1.1.0-rc.1`) and
    /// build metadata (`1.2.0+dev`) included, as runc and crun accept any 1.x: the spec is
    /// compatible within a major version. A minor newer than `current` is accepted too;
    /// `isNewerThanModelled` tells the caller to warn about the fields it does not know.
    public static func isSupported(_ version: String) -> Bool {
        guard let (major, _) = parse(version) else { return false }
        return major == 1
    }

    /// A supported version whose minor is later than the one this model follows (1.4.0 and on).
    public static func isNewerThanModelled(_ version: String) -> Bool {
        guard let (major, minor) = parse(version) else { return false }
        return major == 1 && minor > modelledMinor
    }

    /// Major and minor of a valid SemVer string, nil otherwise.
    static func parse(_ version: String) -> (major: UInt, minor: UInt)? {
        var rest = Substring(version)
        if let plus = rest.firstIndex(of: "+") {
            guard identifiers(rest[rest.index(after: plus)...], numericRule: false) else { return nil }
            rest = rest[..<plus]
        }
        if let dash = rest.firstIndex(of: "-") {
            guard identifiers(rest[rest.index(after: dash)...], numericRule: true) else { return nil }
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3, core.allSatisfy(isNumber),
              let major = UInt(core[0]), let minor = UInt(core[1]), UInt(core[2]) != nil
        else { return nil }
        return (major, minor)
    }

    /// Non-empty dot-separated [0-9A-Za-z-] identifiers; pre-release numbers may not have
    /// leading zeros.
    private static func identifiers(_ text: Substring, numericRule: Bool) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
                return false
            }
            let allDigits = part.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            return !(numericRule && allDigits) || isNumber(part)
        }
    }

    /// Digits without a leading zero (SemVer's numeric identifier).
    private static func isNumber(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return false }
        return first != UInt8(ascii: "0") || text.utf8.count == 1
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return false
        }
    }
}
