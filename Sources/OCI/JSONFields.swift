/// The config model's decoding, without Codable's generic machinery on the hot path.
///
/// config.json is decoded on every create, run and exec. A synthesized `init(from:)` asks
/// the runtime for `KeyedDecodingContainer<T.CodingKeys>`, its box and our container type
/// for every model type, and for `Optional<T>`, `Array<T>`... at every `decodeIfPresent<T>`:
/// instantiating that generic metadata was ~1 M instructions per create (issue 15).
///
/// A `FieldDecodable` type reads its fields in one hand-written `init(fields:)`, keyed by
/// its own `CodingKeys` (which the synthesized encoder uses too) and typed by its stored
/// properties; its `init(from:)` calls the same initializer, so there is one definition of
/// each field. Over `JSONValueDecoder` the fields come straight from the parsed members
/// (specialized code, no containers), with the paths, messages and unknown-member records
/// the keyed containers give; over any other Decoder (or `JSONValueDecoder.keyedOnly`, which
/// the tests use to check that both agree) from the decoder's keyed container.
protocol FieldDecodable: FieldValue {
    /// Starts with `let f = try object.fields(CodingKeys.self)` (the synthesized keys are
    /// private: a body can name them, a signature cannot).
    init(object: FieldSource) throws
}

extension FieldDecodable {
    /// For `init(from:)`: the fields of whatever object `decoder` holds.
    init(decoder: any Decoder) throws {
        if let json = decoder as? JSONValueDecoder, !json.keyedOnly {
            guard case .object(let members) = json.value else {
                throw mismatch([String: Any].self, expected: "an object", found: json.value, at: json.codingPath)
            }
            try self.init(object: FieldSource(members: members, path: json.path, recorder: json.recorder))
        } else {
            try self.init(object: FieldSource(decoder: decoder))
        }
    }

    static func read(_ value: SingleValue) throws -> Self {
        guard case .object(let members) = value.value else {
            throw mismatch([String: Any].self, expected: "an object", found: value.value, at: value.codingPath)
        }
        return try Self(object: FieldSource(members: members, path: value.node, recorder: value.recorder))
    }
}

/// A value read in place from a parsed member: no nested decoder, no container.
protocol FieldValue: Decodable {
    static func read(_ value: SingleValue) throws -> Self
}

extension String: FieldValue { static func read(_ value: SingleValue) throws -> String { try value.decode(String.self) } }
extension Bool: FieldValue { static func read(_ value: SingleValue) throws -> Bool { try value.decode(Bool.self) } }
extension Int: FieldValue { static func read(_ value: SingleValue) throws -> Int { try value.decode(Int.self) } }
extension Int32: FieldValue { static func read(_ value: SingleValue) throws -> Int32 { try value.decode(Int32.self) } }
extension Int64: FieldValue { static func read(_ value: SingleValue) throws -> Int64 { try value.decode(Int64.self) } }
extension UInt: FieldValue { static func read(_ value: SingleValue) throws -> UInt { try value.decode(UInt.self) } }
extension UInt16: FieldValue { static func read(_ value: SingleValue) throws -> UInt16 { try value.decode(UInt16.self) } }
extension UInt32: FieldValue { static func read(_ value: SingleValue) throws -> UInt32 { try value.decode(UInt32.self) } }
extension UInt64: FieldValue { static func read(_ value: SingleValue) throws -> UInt64 { try value.decode(UInt64.self) } }

/// As `Array.init(from:)` over an unkeyed container: element paths `[N]`.
extension Array: FieldValue where Element: FieldValue {
    static func read(_ value: SingleValue) throws -> [Element] {
        guard case .array(let elements) = value.value else {
            throw mismatch([Any].self, expected: "an array", found: value.value, at: value.codingPath)
        }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        if Element.self == String.self {
            // args, env, capabilities, options...: no path node unless an element is wrong.
            for (index, element) in elements.enumerated() {
                guard case .string(let string) = element else {
                    throw mismatch(String.self, expected: "a string", found: element, at: value.codingPath + [IndexKey(index)])
                }
                result.append(unsafeBitCast(string, to: Element.self))
            }
            return result
        }
        let node = value.node
        for (index, element) in elements.enumerated() {
            result.append(try Element.read(SingleValue(value: element, parent: node, key: IndexKey(index), recorder: value.recorder)))
        }
        return result
    }
}

/// As `Dictionary.init(from:)` for string keys: keys in first-occurrence order, the last
/// duplicate's value, paths `map["key"]`. Every member is read, so nothing is recorded.
extension Dictionary: FieldValue where Key == String, Value: FieldValue {
    static func read(_ value: SingleValue) throws -> [String: Value] {
        guard case .object(let members) = value.value else {
            throw mismatch([String: Any].self, expected: "an object", found: value.value, at: value.codingPath)
        }
        var result: [String: Value] = [:]
        guard !members.isEmpty else { return result }
        result.reserveCapacity(members.count)
        let node = value.node
        for (index, member) in members.enumerated() where result[member.key] == nil {
            var last = member.value
            for later in members[(index + 1)...] where later.key == member.key { last = later.value }
            result[member.key] = try Value.read(SingleValue(value: last, parent: node, key: PlainKey(member.key), recorder: value.recorder))
        }
        return result
    }
}

extension FieldValue where Self: OCIStringValue {
    static func read(_ value: SingleValue) throws -> Self { Self(rawValue: try value.decode(String.self)) }
}

/// A closed string enum: `unknown value "foo" (known: ...)` at the value's path.
extension FieldValue where Self: RawRepresentable & CaseIterable, RawValue == String {
    static func read(_ value: SingleValue) throws -> Self {
        let raw = try value.decode(String.self)
        guard let known = Self(rawValue: raw) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: value.codingPath, debugDescription: unknownValue(Self.self, raw)))
        }
        return known
    }
}

/// The JSON object a `FieldDecodable` is read from: parsed members, or another decoder.
struct FieldSource {
    fileprivate var members: [JSONValue.Member] = []
    fileprivate var path: PathNode?
    fileprivate var recorder: MemberRecorder?
    fileprivate var decoder: (any Decoder)?

    fileprivate init(members: [JSONValue.Member], path: PathNode?, recorder: MemberRecorder?) {
        self.members = members
        self.path = path
        self.recorder = recorder
    }

    fileprivate init(decoder: any Decoder) {
        self.decoder = decoder
    }

    func fields<Key: CodingKey>(_ keys: Key.Type) throws -> Fields<Key> {
        if let decoder { return try Fields(decoder: decoder) }
        return Fields(members: members, path: path, recorder: recorder)
    }
}

/// One JSON object's members, read by key; see `FieldDecodable`.
struct Fields<Key: CodingKey> {
    /// In document order, duplicates included; the last one wins, as in Go.
    private let members: [JSONValue.Member]
    private let path: PathNode?
    private let recorder: MemberRecorder?
    private let record: ObjectRecord?
    /// The container when the object comes from another decoder (or `keyedOnly`). In a box
    /// of ours: the stdlib's resilient KeyedDecodingContainer<Key> stored here (or in an
    /// `Any`) made the direct path ask the runtime for generic metadata.
    private let keyed: KeyedBox<Key>?

    fileprivate init(members: [JSONValue.Member], path: PathNode?, recorder: MemberRecorder?) {
        self.members = members
        self.path = path
        self.recorder = recorder
        record = recorder?.object(path, members: members)
        keyed = nil
    }

    /// Out of line: inlined, the caller asked for the box's metadata on the direct path too.
    @inline(never)
    fileprivate init(decoder: any Decoder) throws {
        members = []
        path = nil
        recorder = nil
        record = nil
        keyed = KeyedBox(try decoder.container(keyedBy: Key.self))
    }

    /// The other decoder's container, nil on the direct path.
    private var container: KeyedDecodingContainer<Key>? { keyed?.container }

    private func lookup(_ name: String) -> JSONValue? {
        var index = members.endIndex
        while index > members.startIndex {
            index -= 1
            if members[index].key == name {
                record?.markRead(index)
                return members[index].value
            }
        }
        return nil
    }

    /// A required member; null is a type error (`expected a string, got null`).
    func callAsFunction<T: FieldValue>(_ key: Key) throws -> T {
        if let container { return try container.decode(T.self, forKey: key) }
        guard let value = lookup(key.stringValue) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: PathNode.array(path), debugDescription: "required"))
        }
        return try T.read(SingleValue(value: value, parent: path, key: key, recorder: recorder))
    }

    /// An optional member: nil when missing or null.
    func callAsFunction<T: FieldValue>(_ key: Key) throws -> T? {
        if let container { return try container.decodeIfPresent(T.self, forKey: key) }
        guard let value = lookup(key.stringValue), !value.isNull else { return nil }
        return try T.read(SingleValue(value: value, parent: path, key: key, recorder: recorder))
    }

    /// A member of a type read through its own `init(from:)` (not on the hot path).
    func decodable<T: Decodable>(_ key: Key) throws -> T? {
        if let container { return try container.decodeIfPresent(T.self, forKey: key) }
        guard let value = lookup(key.stringValue), !value.isNull else { return nil }
        return try SingleValue(value: value, parent: path, key: key, recorder: recorder).decode(T.self)
    }
}

private final class KeyedBox<Key: CodingKey> {
    let container: KeyedDecodingContainer<Key>

    init(_ container: KeyedDecodingContainer<Key>) {
        self.container = container
    }
}
