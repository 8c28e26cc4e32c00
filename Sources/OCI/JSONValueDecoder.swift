/// A Decoder over a parsed `JSONValue`. It exists so every failure carries the full coding
/// path and a plain message: FoundationEssentials' JSONDecoder reports an out-of-range
/// number (uid -1) as "not valid JSON" with no path at all.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    /// Notes which object members the model read, to report the ones it does not know.
    var recorder: MemberRecorder? = nil
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw mismatch([String: Any].self, expected: "an object", found: value, at: codingPath)
        }
        return KeyedDecodingContainer(KeyedValueContainer<Key>(members: members, codingPath: codingPath, recorder: recorder))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw mismatch([Any].self, expected: "an array", found: value, at: codingPath)
        }
        return UnkeyedValueContainer(elements: elements, codingPath: codingPath, recorder: recorder)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValue(value: value, codingPath: codingPath, recorder: recorder)
    }
}

/// Every object member seen while decoding, and the ones the model asked for: the
/// difference is what the model does not know (a newer spec's fields, or typos).
final class MemberRecorder {
    private var seen: [String] = []
    private var seenSet: Set<String> = []
    private var read: Set<String> = []

    func saw(_ path: [any CodingKey], keys: [String]) {
        for key in keys {
            let full = SpecLoadError.render(path + [PlainKey(key)])
            if seenSet.insert(full).inserted { seen.append(full) }
        }
    }

    func read(_ path: [any CodingKey], key: String) {
        read.insert(SpecLoadError.render(path + [PlainKey(key)]))
    }

    /// Unread members in the order their objects were decoded.
    var unread: [String] {
        var result: [String] = []
        for path in seen where !read.contains(path) {
            if result.contains(where: { path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }) { continue }
            result.append(path)
        }
        return result
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

private struct SingleValue: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var recorder: MemberRecorder? = nil

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
        try T(from: JSONValueDecoder(value: value, codingPath: codingPath, recorder: recorder))
    }

    /// Integer fields take integer literals only (Go rejects 1.0 and 1e3 for ints too).
    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let text) = value else { throw mismatch(type, expected: "a number", found: value, at: codingPath) }
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
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
    let codingPath: [any CodingKey]
    private let members: [String: JSONValue]
    /// First-occurrence order, so `allKeys` follows the document.
    private let order: [String]
    private let recorder: MemberRecorder?

    init(members list: [JSONValue.Member], codingPath: [any CodingKey], recorder: MemberRecorder?) {
        self.codingPath = codingPath
        self.recorder = recorder
        members = JSONValue.lookupTable(list)
        var seen: Set<String> = []
        order = list.map(\.key).filter { seen.insert($0).inserted }
        recorder?.saw(codingPath, keys: order)
    }

    var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        recorder?.read(codingPath, key: key.stringValue)
        return members[key.stringValue] != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        recorder?.read(codingPath, key: key.stringValue)
        return members[key.stringValue]?.isNull ?? true
    }

    private func child(_ key: Key) throws -> JSONValue {
        recorder?.read(codingPath, key: key.stringValue)
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "required"))
        }
        return value
    }

    private func single(_ key: Key) throws -> SingleValue {
        SingleValue(value: try child(key), codingPath: codingPath + [key], recorder: recorder)
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

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoder(value: try child(key), codingPath: codingPath + [key], recorder: recorder).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoder(value: try child(key), codingPath: codingPath + [key], recorder: recorder).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        recorder?.read(codingPath, key: "super")
        return JSONValueDecoder(value: members["super"] ?? .null, codingPath: codingPath + [SuperKey()], recorder: recorder)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        recorder?.read(codingPath, key: key.stringValue)
        return JSONValueDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key], recorder: recorder)
    }
}

private struct UnkeyedValueContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private let recorder: MemberRecorder?
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey], recorder: MemberRecorder?) {
        self.elements = elements
        self.codingPath = codingPath
        self.recorder = recorder
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The current element as a single value, moving past it.
    private mutating func next() throws -> SingleValue {
        let path = codingPath + [IndexKey(currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, DecodingError.Context(codingPath: path, debugDescription: "expected more array elements"))
        }
        defer { currentIndex += 1 }
        return SingleValue(value: elements[currentIndex], codingPath: path, recorder: recorder)
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
        return try JSONValueDecoder(value: element.value, codingPath: element.codingPath, recorder: recorder).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let element = try next()
        return try JSONValueDecoder(value: element.value, codingPath: element.codingPath, recorder: recorder).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let element = try next()
        return JSONValueDecoder(value: element.value, codingPath: element.codingPath, recorder: recorder)
    }
}
