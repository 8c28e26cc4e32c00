/// Go declares several runtime-spec fields as `type X string` plus a few named constants
/// (seccomp actions, architectures, scheduler policies...). Newer kernels and specs add
/// values, so these are open string wrappers rather than closed enums: a config naming a
/// value this build does not know still decodes, and whoever applies it decides.
public protocol OCIStringValue: RawRepresentable, Codable, Hashable, Sendable,
    ExpressibleByStringLiteral, CustomStringConvertible where RawValue == String
{
    init(rawValue: String)
}

extension OCIStringValue {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Decodes a closed string enum, failing with the JSON path and the accepted values so the
/// user sees `linux.namespaces[2].type: unknown value "foo" (known: pid, ...)`.
func decodeKnownValue<T: RawRepresentable & CaseIterable>(
    _ type: T.Type, from decoder: any Decoder
) throws -> T where T.RawValue == String {
    let container = try decoder.singleValueContainer()
    let raw = try container.decode(String.self)
    guard let value = T(rawValue: raw) else {
        throw DecodingError.dataCorruptedError(in: container, debugDescription: unknownValue(T.self, raw))
    }
    return value
}

func unknownValue<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ raw: String) -> String where T.RawValue == String {
    "unknown value \(jsonQuoted(raw)) (known: \(T.allCases.map(\.rawValue).joined(separator: ", ")))"
}
