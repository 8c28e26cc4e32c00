/// The protobuf wire format, as much of it as CRIU's RPC messages need (varints and
/// length-delimited fields). Written by hand rather than linking SwiftProtobuf into petrel:
/// that library brings FoundationEssentials and ~2 MB of code into a binary that has neither
/// (scripts/check-release). The swift-protobuf code generated from specs/proto/criu/rpc.proto
/// (Sources/CriuProtocol) is the reference our encoding is tested against
/// (Tests/ShimTests/CriuWireTests.swift).
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func key(_ field: Int, wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    /// int32 is sign-extended to 64 bits on the wire (a negative one takes 10 bytes).
    mutating func int32(_ field: Int, _ value: Int32?) {
        guard let value else { return }
        key(field, wireType: 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func uint32(_ field: Int, _ value: UInt32?) {
        guard let value else { return }
        key(field, wireType: 0)
        varint(UInt64(value))
    }

    mutating func bool(_ field: Int, _ value: Bool?) {
        guard let value else { return }
        key(field, wireType: 0)
        varint(value ? 1 : 0)
    }

    mutating func string(_ field: Int, _ value: String?) {
        guard let value else { return }
        bytesField(field, Array(value.utf8))
    }

    mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func message(_ field: Int, _ encode: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        encode(&inner)
        bytesField(field, inner.bytes)
    }
}

/// Reads a message's fields in order; the caller switches on the field number and skips
/// what it does not know (as every protobuf reader must: CRIU's newer fields).
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case other
    }

    struct Malformed: Error {}

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    private mutating func varint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex, shift < 64 else { throw Malformed() }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws(Malformed) -> (field: Int, value: Value)? {
        guard index < bytes.endIndex else { return nil }
        let key = try varint()
        let field = Int(truncatingIfNeeded: key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1, 5:
            let width = key & 7 == 1 ? 8 : 4
            guard bytes.endIndex - index >= width else { throw Malformed() }
            index += width
            return (field, .other)
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - index) else { throw Malformed() }
            let start = index
            index += Int(length)
            return (field, .bytes(bytes[start..<index]))
        default: throw Malformed()
        }
    }
}

extension ProtobufReader.Value {
    var int32: Int32? {
        if case .varint(let raw) = self { return Int32(truncatingIfNeeded: raw) }
        return nil
    }

    var bool: Bool? {
        if case .varint(let raw) = self { return raw != 0 }
        return nil
    }

    var string: String? {
        if case .bytes(let raw) = self { return String(decoding: raw, as: UTF8.self) }
        return nil
    }

    var slice: ArraySlice<UInt8>? {
        if case .bytes(let raw) = self { return raw }
        return nil
    }
}
