/// Why a config.json (or any OCI JSON document) could not be loaded, as one line naming the
/// JSON path at fault: `linux.namespaces[2].type: unknown value "foo" (known: ...)`,
/// `process.user.uid: expected a number, got a string`, `ociVersion: required`,
/// `invalid JSON at byte 123: ... (line 5, column 3)`.
public struct SpecLoadError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Dotted path with `[N]` array indexes; `["key"]` for keys that are not identifiers.
    /// Empty when the document as a whole is at fault.
    public var path: String
    public var message: String

    public init(path: String = "", message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        let line = path.isEmpty ? message : "\(path): \(message)"
        return String(line.map { $0.isNewline ? " " : $0 })
    }

    public init(_ error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            self.init(path: Self.render(context.codingPath), message: Self.explain(context, or: "expected \(Self.kind(of: type))"))
        case .valueNotFound(let type, let context):
            self.init(
                path: Self.render(context.codingPath),
                message: Self.explain(context, or: "expected \(Self.kind(of: type)), got null"))
        case .keyNotFound(let key, let context):
            self.init(path: Self.render(context.codingPath + [key]), message: "required")
        case .dataCorrupted(let context):
            self.init(path: Self.render(context.codingPath), message: context.debugDescription)
        @unknown default:
            self.init(message: String(describing: error))
        }
    }

    /// For a JSONSyntaxError: byte offset first (what tools print), line and column for people.
    init(syntax error: JSONSyntaxError, in bytes: [UInt8]) {
        let before = bytes.prefix(error.offset)
        let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let column = error.offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        self.init(message: "invalid JSON at byte \(error.offset): \(error.reason) (line \(line), column \(column))")
    }

    /// `linux.namespaces[2].type`, `annotations["org.example/key"]`.
    public static func render(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                path += "[\(index)]"
            } else if isIdentifier(key.stringValue) {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            } else {
                path += "[\(jsonQuoted(key.stringValue))]"
            }
        }
        return path
    }

    private static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return key.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }
    }

    /// Our decoder already words its messages "expected X, got Y"; other decoders' messages
    /// are replaced by one derived from the type.
    private static func explain(_ context: DecodingError.Context, or fallback: String) -> String {
        context.debugDescription.hasPrefix("expected ") ? context.debugDescription : fallback
    }

    private static func kind(of type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Bool.self { return "a boolean" }
        if type is any Numeric.Type { return "a number" }
        if String(describing: type).hasPrefix("Array") { return "an array" }
        return "an object"
    }
}
