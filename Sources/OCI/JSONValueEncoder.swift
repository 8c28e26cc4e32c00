/// An Encoder that builds a `JSONValue` keeping keys in the order they are encoded, which for
/// synthesized Codable is declaration order. FoundationEssentials' JSONEncoder stores objects
/// in a Dictionary, so its key order changes from run to run.
struct JSONValueEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Encodes `value` into a fresh tree; string-keyed dictionaries get sorted keys, as Go
    /// sorts map keys, so the output is deterministic.
    static func encode<T: Encodable>(_ value: T, sortAllKeys: Bool = false) throws -> JSONValue {
        let root = EncodingNode()
        try encode(value, into: root, codingPath: [])
        return root.value(sortAllKeys: sortAllKeys)
    }

    static func encode<T: Encodable>(_ value: T, into node: EncodingNode, codingPath: [any CodingKey]) throws {
        try value.encode(to: JSONValueEncoder(node: node, codingPath: codingPath))
        if value is any SortsKeysWhenEncoded { node.sortsKeys = true }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

/// Marks Go-map-like values whose keys are written sorted.
protocol SortsKeysWhenEncoded {}
extension Dictionary: SortsKeysWhenEncoded where Key == String {}

/// A mutable node of the tree being encoded; containers share it by reference.
final class EncodingNode {
    private enum Kind { case empty, scalar, object, array }
    private var kind = Kind.empty
    private var scalar = JSONValue.null
    private var keys: [String] = []
    private var members: [String: EncodingNode] = [:]
    private var elements: [EncodingNode] = []
    var sortsKeys = false

    var elementCount: Int { elements.count }

    func set(_ value: JSONValue) {
        reset()
        kind = .scalar
        scalar = value
    }

    func makeObject() {
        if kind != .object {
            reset()
            kind = .object
        }
    }

    func makeArray() {
        if kind != .array {
            reset()
            kind = .array
        }
    }

    /// The node for `key`; encoding a key again replaces its value but keeps its position.
    func member(_ key: String, fresh: Bool) -> EncodingNode {
        makeObject()
        if let existing = members[key] {
            if fresh { existing.reset() }
            return existing
        }
        let node = EncodingNode()
        keys.append(key)
        members[key] = node
        return node
    }

    func appendElement() -> EncodingNode {
        makeArray()
        let node = EncodingNode()
        elements.append(node)
        return node
    }

    private func reset() {
        kind = .empty
        scalar = .null
        keys = []
        members = [:]
        elements = []
        sortsKeys = false
    }

    func value(sortAllKeys: Bool) -> JSONValue {
        switch kind {
        case .empty:
            // A value that encoded nothing; JSONEncoder writes {} here too.
            return .object([])
        case .scalar:
            return scalar
        case .array:
            return .array(elements.map { $0.value(sortAllKeys: sortAllKeys) })
        case .object:
            var ordered = keys
            if sortsKeys || sortAllKeys { ordered.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
            return .object(ordered.compactMap { key in
                members[key].map { JSONValue.Member(key: key, value: $0.value(sortAllKeys: sortAllKeys)) }
            })
        }
    }
}

/// JSON number text for a floating-point value; integral values print without a fraction
/// like Go does. nil for NaN and infinities, which JSON cannot express.
func jsonNumber<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> String? {
    guard value.isFinite else { return nil }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return value.description
}

private func floatValue<T: BinaryFloatingPoint & LosslessStringConvertible>(
    _ value: T, _ codingPath: [any CodingKey]
) throws -> JSONValue {
    guard let text = jsonNumber(value) else {
        throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: codingPath, debugDescription: "\(value) cannot be written as JSON"))
    }
    return .number(text)
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, _ key: Key) { node.member(key.stringValue, fresh: true).set(value) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try floatValue(value, codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try floatValue(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.number(String(value)), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try JSONValueEncoder.encode(value, into: node.member(key.stringValue, fresh: true), codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        JSONValueEncoder(node: node.member(key.stringValue, fresh: false), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        JSONValueEncoder(node: node.member(key.stringValue, fresh: false), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        JSONValueEncoder(node: node.member("super", fresh: false), codingPath: codingPath + [SuperKey()])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        JSONValueEncoder(node: node.member(key.stringValue, fresh: false), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    var count: Int { node.elementCount }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }
    private func append(_ value: JSONValue) { node.appendElement().set(value) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try floatValue(value, nextPath)) }
    mutating func encode(_ value: Float) throws { append(try floatValue(value, nextPath)) }
    mutating func encode(_ value: Int) throws { append(.number(String(value))) }
    mutating func encode(_ value: Int8) throws { append(.number(String(value))) }
    mutating func encode(_ value: Int16) throws { append(.number(String(value))) }
    mutating func encode(_ value: Int32) throws { append(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { append(.number(String(value))) }
    mutating func encode(_ value: UInt) throws { append(.number(String(value))) }
    mutating func encode(_ value: UInt8) throws { append(.number(String(value))) }
    mutating func encode(_ value: UInt16) throws { append(.number(String(value))) }
    mutating func encode(_ value: UInt32) throws { append(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { append(.number(String(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try JSONValueEncoder.encode(value, into: node.appendElement(), codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        return JSONValueEncoder(node: node.appendElement(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        return JSONValueEncoder(node: node.appendElement(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return JSONValueEncoder(node: node.appendElement(), codingPath: path)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(.null) }
    mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { node.set(try floatValue(value, codingPath)) }
    mutating func encode(_ value: Float) throws { node.set(try floatValue(value, codingPath)) }
    mutating func encode(_ value: Int) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: Int8) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: Int16) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: Int32) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: UInt) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: UInt8) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: UInt16) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: UInt32) throws { node.set(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { node.set(.number(String(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try JSONValueEncoder.encode(value, into: node, codingPath: codingPath)
    }
}
