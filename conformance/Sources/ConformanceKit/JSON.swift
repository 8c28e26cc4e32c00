import FoundationEssentials

/// A JSON document that can be read, edited by path and written back. The suite edits
/// config.json variants with it and reads state JSON and the checker's expectations.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(parsing bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(JSON.self, from: Data(bytes))
    }

    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    public static func load(_ path: String) throws -> JSON {
        try JSON(parsing: try readFile(path))
    }

    /// Compact text with sorted keys (stable output).
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    public var pretty: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: reading

    public subscript(key: String) -> JSON {
        get {
            if case .object(let members) = self { return members[key] ?? .null }
            return .null
        }
        set {
            var members: [String: JSON] = [:]
            if case .object(let existing) = self { members = existing }
            members[key] = newValue
            self = .object(members)
        }
    }

    public subscript(index: Int) -> JSON {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return .null
    }

    /// Reads or writes a dotted path ("process.user.uid"); writing creates objects on the way.
    public subscript(path path: String) -> JSON {
        get {
            path.split(separator: ".").reduce(self) { $0[String($1)] }
        }
        set {
            let keys = path.split(separator: ".").map(String.init)
            self.set(keys[...], newValue)
        }
    }

    private mutating func set(_ keys: ArraySlice<String>, _ value: JSON) {
        guard let first = keys.first else {
            self = value
            return
        }
        var child = self[first]
        child.set(keys.dropFirst(), value)
        self[first] = child
    }

    /// Removes a member at a dotted path, if present.
    public mutating func remove(path: String) {
        var keys = path.split(separator: ".").map(String.init)
        guard let last = keys.popLast() else { return }
        let parentPath = keys.joined(separator: ".")
        var parent = keys.isEmpty ? self : self[path: parentPath]
        if case .object(var members) = parent {
            members[last] = nil
            parent = .object(members)
        }
        if keys.isEmpty { self = parent } else { self[path: parentPath] = parent }
    }

    public var isNull: Bool { self == .null }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var object: [String: JSON]? { if case .object(let o) = self { return o }; return nil }
    public var strings: [String] { array?.compactMap(\.string) ?? [] }

    public var int64: Int64? {
        switch self {
        case .int(let v): return v
        case .uint(let v): return v <= UInt64(Int64.max) ? Int64(v) : nil
        case .double(let v): return v == v.rounded() && abs(v) < 9.0e18 ? Int64(v) : nil
        default: return nil
        }
    }

    public var uint64: UInt64? {
        switch self {
        case .int(let v): return v >= 0 ? UInt64(v) : nil
        case .uint(let v): return v
        case .double(let v): return v >= 0 && v == v.rounded() && v < 1.8e19 ? UInt64(v) : nil
        default: return nil
        }
    }

    public var int: Int? { int64.map { Int($0) } }

    /// Append to an array member (creating it).
    public mutating func append(path: String, _ value: JSON) {
        var items = self[path: path].array ?? []
        items.append(value)
        self[path: path] = .array(items)
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON {
    public static func strings(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }
    public static func number(_ value: Int) -> JSON { .int(Int64(value)) }
}

extension JSON: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .uint(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .uint(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }
}
