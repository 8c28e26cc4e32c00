/// Serializes a `JSONValue` the way Go's encoding/json does: compact, or (pretty) indented
/// with tabs and `"key": value` like `json.MarshalIndent(v, "", "\t")`, which is what
/// `runc spec` writes. Slashes are not escaped; unlike Go, neither are `<`, `>` and `&`.
package enum JSONWriter {
    static func write(_ value: JSONValue, pretty: Bool) -> [UInt8] {
        var out: [UInt8] = []
        write(value, into: &out, depth: 0, pretty: pretty)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8], depth: Int, pretty: Bool) {
        switch value {
        case .null: out += "null".utf8
        case .bool(let bool): out += (bool ? "true" : "false").utf8
        case .number(let text): out += text.utf8
        case .string(let string): writeString(string, into: &out)
        case .array(let elements):
            writeContainer(open: "[", close: "]", elements, into: &out, depth: depth, pretty: pretty) { element, out in
                write(element, into: &out, depth: depth + 1, pretty: pretty)
            }
        case .object(let members):
            writeContainer(open: "{", close: "}", members, into: &out, depth: depth, pretty: pretty) { member, out in
                writeString(member.key, into: &out)
                out += (pretty ? ": " : ":").utf8
                write(member.value, into: &out, depth: depth + 1, pretty: pretty)
            }
        }
    }

    private static func writeContainer<Element>(
        open: Unicode.Scalar, close: Unicode.Scalar, _ items: [Element], into out: inout [UInt8], depth: Int,
        pretty: Bool, item: (Element, inout [UInt8]) -> Void
    ) {
        out.append(UInt8(ascii: open))
        for (index, element) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if pretty { newline(into: &out, depth: depth + 1) }
            item(element, &out)
        }
        if pretty && !items.isEmpty { newline(into: &out, depth: depth) }
        out.append(UInt8(ascii: close))
    }

    private static func newline(into out: inout [UInt8], depth: Int) {
        out.append(0x0A)
        out += repeatElement(UInt8(ascii: "\t"), count: depth)
    }

    /// Also PetrelRuntime's (state.json, `state` output, log lines). Runs of bytes that need
    /// no escape are copied at once: most strings have none.
    package static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var plain = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<index]))
                plain = index + 1
                switch byte {
                case UInt8(ascii: "\""): out += #"\""#.utf8
                case UInt8(ascii: "\\"): out += #"\\"#.utf8
                case 0x0A: out += #"\n"#.utf8
                case 0x0D: out += #"\r"#.utf8
                case 0x09: out += #"\t"#.utf8
                default: out += (#"\u"# + hex(byte, width: 4).lowercased()).utf8
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// `string` as a JSON string literal, for one-line messages.
func jsonQuoted(_ string: String) -> String {
    var out: [UInt8] = []
    JSONWriter.writeString(string, into: &out)
    return String(decoding: out, as: UTF8.self)
}
