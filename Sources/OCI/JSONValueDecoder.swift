/// A Decoder over a parsed `JSONValue`. It exists so every failure carries the full coding
/// path and a plain message: FoundationEssentials' JSONDecoder reports an out-of-range
/// number (uid -1) as "not valid JSON" with no path at all.
///
/// Decoding config.json is on the path of every create, run and exec, so the containers
/// avoid per-object work: objects are scanned as their member arrays (a handful of keys,
/// no dictionary to hash into), the coding path is a parent chain turned into an array only
/// when something asks for it (errors, mostly), primitives decode straight from the value,
/// and `decodeIfPresent` looks a key up once instead of contains + decodeNil + decode.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let path: PathNode?
    /// Notes which object members the model read, to report the ones it does not know.
    var recorder: MemberRecorder? = nil
    /// Model types read their fields through keyed containers too, as over any other
    /// decoder (the tests check that this and the direct reading agree; `FieldDecodable`).
    var keyedOnly = false
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var codingPath: [any CodingKey] { PathNode.array(path) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw mismatch([String: Any].self, expected: "an object", found: value, at: codingPath)
        }
        return KeyedDecodingContainer(KeyedValueContainer<Key>(members: members, path: path, recorder: recorder, keyedOnly: keyedOnly))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw mismatch([Any].self, expected: "an array", found: value, at: codingPath)
        }
        return UnkeyedValueContainer(elements: elements, path: path, recorder: recorder, keyedOnly: keyedOnly)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValue(value: value, parent: path, key: nil, recorder: recorder, keyedOnly: keyedOnly)
    }
}

/// A coding path as a chain of parents: one small allocation per nested decoder instead of
/// copying a growing array of existentials, and nothing at all for primitive members.
final class PathNode {
    let parent: PathNode?
    let key: any CodingKey

    init(parent: PathNode?, key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    static func array(_ node: PathNode?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var node = node
        while let current = node {
            keys.append(current.key)
            node = current.parent
        }
        return keys.reversed()
    }
}

/// Every object member seen while decoding, and the ones the model asked for: the
/// difference is what the model does not know (a newer spec's fields, or typos).
/// Each decoded object gets an `ObjectRecord`; paths are rendered only at the end, and
/// only for objects with members nobody read.
final class MemberRecorder {
    private var records: [ObjectRecord] = []

    func object(_ path: PathNode?, members: [JSONValue.Member]) -> ObjectRecord {
        let record = ObjectRecord(path: path, members: members)
        records.append(record)
        return record
    }

    /// Unread members in the order their objects were decoded.
    var unread: [String] {
        // The same JSON object may be decoded by more than one container (a `try?` attempt
        // then another type): a member counts as read if any of them read it.
        var bases: [String?] = Array(repeating: nil, count: records.count)
        func base(_ index: Int) -> String {
            if let known = bases[index] { return known }
            let rendered = SpecLoadError.render(PathNode.array(records[index].path))
            bases[index] = rendered
            return rendered
        }
        var result: [String] = []
        var emitted: Set<String> = []
        for (index, record) in records.enumerated() {
            for member in record.members where !record.hasRead(member.key) {
                let key = member.key
                let readElsewhere = records.indices.contains { other in
                    other != index && records[other].hasRead(key) && base(other) == base(index)
                }
                if readElsewhere { continue }
                let full = SpecLoadError.render(PathNode.array(record.path) + [PlainKey(key)])
                guard emitted.insert(full).inserted else { continue }
                if result.contains(where: { full.hasPrefix($0 + ".") || full.hasPrefix($0 + "[") }) { continue }
                result.append(full)
            }
        }
        return result
    }
}

/// One decoded object's members (document order, duplicates included) and which were read.
final class ObjectRecord {
    let path: PathNode?
    let members: [JSONValue.Member]
    private var read: [Bool]

    init(path: PathNode?, members: [JSONValue.Member]) {
        self.path = path
        self.members = members
        read = Array(repeating: false, count: members.count)
    }

    func markRead(_ index: Int) {
        read[index] = true
    }

    func markRead(_ key: String) {
        for index in members.indices where members[index].key == key { read[index] = true }
    }

    /// Any member of that name (duplicates count as one member).
    func hasRead(_ key: String) -> Bool {
        members.indices.contains { read[$0] && members[$0].key == key }
    }
}

/// A member name as a coding key, for rendering paths.
struct PlainKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// typeMismatch, or valueNotFound when the value is null, worded "expected X, got Y".
func mismatch(_ type: Any.Type, expected: String, found: JSONValue, at path: [any CodingKey]) -> DecodingError {
    let context = DecodingError.Context(codingPath: path, debugDescription: "expected \(expected), got \(found.kindDescription)")
    return found.isNull ? .valueNotFound(type, context) : .typeMismatch(type, context)
}

/// An array element's key; rendered as `[N]` in error paths.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The key of `superDecoder()` / `superEncoder()`.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) {}
    init?(intValue: Int) { return nil }
}

/// One value and where it sits (`parent` + `key`); the path becomes an array only for an
/// error, and a node only when a nested decoder needs it.
struct SingleValue: SingleValueDecodingContainer {
    let value: JSONValue
    let parent: PathNode?
    /// nil for the decoder's own value (`singleValueContainer()`).
    let key: (any CodingKey)?
    var recorder: MemberRecorder? = nil
    var keyedOnly = false

    var node: PathNode? { key.map { PathNode(parent: parent, key: $0) } ?? parent }
    var codingPath: [any CodingKey] { PathNode.array(parent) + (key.map { [$0] } ?? []) }

    func decodeNil() -> Bool { value.isNull }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let bool) = value else { throw mismatch(type, expected: "a boolean", found: value, at: codingPath) }
        return bool
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let string) = value else { throw mismatch(type, expected: "a string", found: value, at: codingPath) }
        return string
    }

    func decode(_ type: Double.Type) throws -> Double { try float(type) }
    func decode(_ type: Float.Type) throws -> Float { try float(type) }
    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // [String] (args, env, capabilities...) is the commonest non-primitive: skip the
        // decoder, the existential unkeyed container and a path node per element.
        if type == [String].self, case .array(let elements) = value {
            var strings: [String] = []
            strings.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard case .string(let string) = element else {
                    throw mismatch(String.self, expected: "a string", found: element, at: codingPath + [IndexKey(index)])
                }
                strings.append(string)
            }
            // T is exactly [String] here.
            return unsafeBitCast(strings, to: T.self)
        }
        return try T(from: JSONValueDecoder(value: value, path: node, recorder: recorder, keyedOnly: keyedOnly))
    }

    /// Integer fields take integer literals only (Go rejects 1.0 and 1e3 for ints too).
    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let text) = value else { throw mismatch(type, expected: "a number", found: value, at: codingPath) }
        guard !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
            throw corrupted("expected an integer, got \(text)")
        }
        guard let number = T(text) else { throw corrupted("\(text) is out of range (\(T.min)...\(T.max))") }
        return number
    }

    private func float<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws -> T {
        guard case .number(let text) = value else { throw mismatch(type, expected: "a number", found: value, at: codingPath) }
        guard let number = T(text), number.isFinite else { throw corrupted("\(text) is out of range for \(T.self)") }
        return number
    }

    private func corrupted(_ message: String) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: codingPath, debugDescription: message))
    }
}

private struct KeyedValueContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    /// In document order, duplicates included: lookups scan from the end so the last one
    /// wins, as in Go. OCI objects have a few dozen members at most.
    private let members: [JSONValue.Member]
    private let path: PathNode?
    private let recorder: MemberRecorder?
    private let record: ObjectRecord?
    private let keyedOnly: Bool

    var codingPath: [any CodingKey] { PathNode.array(path) }

    init(members: [JSONValue.Member], path: PathNode?, recorder: MemberRecorder?, keyedOnly: Bool) {
        self.members = members
        self.path = path
        self.recorder = recorder
        self.keyedOnly = keyedOnly
        record = recorder?.object(path, members: members)
    }

    private static func firstOccurrences(_ members: [JSONValue.Member]) -> [String] {
        var seen: Set<String> = []
        return members.map(\.key).filter { seen.insert($0).inserted }
    }

    /// First-occurrence order, so `allKeys` follows the document.
    var allKeys: [Key] { Self.firstOccurrences(members).compactMap { Key(stringValue: $0) } }

    private func lookup(_ name: String) -> JSONValue? {
        record?.markRead(name)
        var index = members.endIndex
        while index > members.startIndex {
            index -= 1
            if members[index].key == name { return members[index].value }
        }
        return nil
    }

    func contains(_ key: Key) -> Bool { lookup(key.stringValue) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { lookup(key.stringValue)?.isNull ?? true }

    private func child(_ key: Key) throws -> JSONValue {
        guard let value = lookup(key.stringValue) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "required"))
        }
        return value
    }

    private func single(_ key: Key) throws -> SingleValue {
        SingleValue(value: try child(key), parent: path, key: key, recorder: recorder, keyedOnly: keyedOnly)
    }

    /// nil when the member is missing or null, like the protocol's default, in one lookup.
    private func present(_ key: Key) -> SingleValue? {
        guard let value = lookup(key.stringValue), !value.isNull else { return nil }
        return SingleValue(value: value, parent: path, key: key, recorder: recorder, keyedOnly: keyedOnly)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try single(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try single(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try single(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try single(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try single(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try single(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try single(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try single(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try single(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try single(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try single(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try single(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try single(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try single(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try single(key).decode(type) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try present(key)?.decode(type) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try present(key)?.decode(type) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try present(key)?.decode(type) }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoder(value: try child(key), path: PathNode(parent: path, key: key), recorder: recorder, keyedOnly: keyedOnly).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoder(value: try child(key), path: PathNode(parent: path, key: key), recorder: recorder, keyedOnly: keyedOnly).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoder(value: lookup("super") ?? .null, path: PathNode(parent: path, key: SuperKey()), recorder: recorder, keyedOnly: keyedOnly)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoder(value: lookup(key.stringValue) ?? .null, path: PathNode(parent: path, key: key), recorder: recorder, keyedOnly: keyedOnly)
    }
}

private struct UnkeyedValueContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    private let path: PathNode?
    private let recorder: MemberRecorder?
    private let keyedOnly: Bool
    private(set) var currentIndex = 0

    init(elements: [JSONValue], path: PathNode?, recorder: MemberRecorder?, keyedOnly: Bool) {
        self.elements = elements
        self.path = path
        self.recorder = recorder
        self.keyedOnly = keyedOnly
    }

    var codingPath: [any CodingKey] { PathNode.array(path) }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The current element as a single value, moving past it.
    private mutating func next() throws -> SingleValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self,
                DecodingError.Context(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "expected more array elements"))
        }
        defer { currentIndex += 1 }
        return SingleValue(value: elements[currentIndex], parent: path, key: IndexKey(currentIndex), recorder: recorder, keyedOnly: keyedOnly)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next().decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decode(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let element = try next()
        return try JSONValueDecoder(value: element.value, path: element.node, recorder: recorder, keyedOnly: keyedOnly).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let element = try next()
        return try JSONValueDecoder(value: element.value, path: element.node, recorder: recorder, keyedOnly: keyedOnly).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let element = try next()
        return JSONValueDecoder(value: element.value, path: element.node, recorder: recorder, keyedOnly: keyedOnly)
    }
}
