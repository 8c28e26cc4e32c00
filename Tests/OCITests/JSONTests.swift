#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import OCI
import Testing

@Suite struct JSONTests {
    static func parse(_ text: String) -> Result<JSONValue, JSONSyntaxError> {
        Result { () throws(JSONSyntaxError) in try JSONParser.parse(Array(text.utf8)) }
    }

    static func reason(_ text: String) -> String? {
        if case .failure(let error) = parse(text) { return error.reason }
        return nil
    }

    /// As strict as Go's encoding/json (and RFC 8259).
    @Test(arguments: [
        (#"{"a":1,}"#, "unexpected character '}', expected a string key"),
        ("[1,]", "unexpected character ']', expected a value"),
        ("{'a':1}", "unexpected character ''', expected a string key"),
        (#"{"a":01}"#, "a number cannot have a leading zero"),
        (#"{"a":1.}"#, "expected a digit after the decimal point"),
        (#"{"a":1e}"#, "expected a digit in the exponent"),
        (#"{"a":-}"#, "expected a digit after '-'"),
        (#"{"a":+1}"#, "unexpected character '+', expected a value"),
        (#"{"a":NaN}"#, "unexpected character 'N', expected a value"),
        ("// c\n{}", "unexpected character '/', expected a value"),
        (#"{"a" 1}"#, "unexpected character '1', expected ':' after an object key"),
        (#"{"a":1 "b":2}"#, "unexpected character '\"', expected ',' or '}'"),
        (#"["\x"]"#, #"invalid escape '\x' in a string"#),
        (#"["\u12"]"#, #"expected 4 hex digits after \u"#),
        ("[nul]", "invalid literal, expected null"),
        ("[1", "unexpected end of input, expected ',' or ']'"),
        ("{} {}", "unexpected character '{' after the top-level value"),
        ("\u{FEFF}{}", "unexpected byte 0xEF, expected a value"),
        ("  ", "the document is empty"),
    ])
    func rejects(text: String, reason: String) {
        #expect(Self.reason(text) == reason)
    }

    @Test func rejectsNestingDeeperThanTheLimit() {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(Self.reason(ok) == nil)
        let deep = "[" + ok + "]"
        #expect(Self.reason(deep) == "nesting deeper than 512 levels")
    }

    @Test func decodesStringEscapes() throws {
        let value = try JSONParser.parse(Array(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "\ud83d", "é"]"#.utf8))
        #expect(value == .array([
            .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"), .string("é中"), .string("😀"), .string("\u{FFFD}"), .string("é"),
        ]))
    }

    /// Plain strings take a fast path until the first escape or control character.
    @Test func escapesAfterPlainTextAndInvalidUTF8() throws {
        let value = try JSONParser.parse(Array(#"["plain", "ab\ncd\u00e9", "", "x\\"]"#.utf8))
        #expect(value == .array([.string("plain"), .string("ab\ncdé"), .string(""), .string("x\\")]))
        #expect(try JSONParser.parse([0x5B, 0x22, 0x61, 0xFF, 0x62, 0x22, 0x5D]) == .array([.string("a\u{FFFD}b")]))
        #expect(Self.reason("[\"abc\u{01}\"]") == "control character 0x01 in a string must be escaped")
        #expect(Self.reason(#"["abc"#) == "unterminated string")
    }

    /// Surrogates as Go reads them: a pair is one scalar; a high surrogate without its low
    /// half, or a lone low one, is U+FFFD, and an escape after an unpaired high one is kept.
    @Test func decodesSurrogates() throws {
        let value = try JSONParser.parse(Array(#"["\uD83D\uDE00", "\ud83dx", "\ude00", "\ud83d\u0041", "\ud83d\ud83d\ude00", "\u0000"]"#.utf8))
        #expect(value == .array([
            .string("😀"), .string("\u{FFFD}x"), .string("\u{FFFD}"), .string("\u{FFFD}A"), .string("\u{FFFD}😀"), .string("\u{0}"),
        ]))
    }

    /// The offset points at the escape's letter or at the end of the input.
    @Test(arguments: [
        (#"["\q"]"#, 3, #"invalid escape '\q' in a string"#),
        (#"["ab\U00e9"]"#, 5, #"invalid escape '\U' in a string"#),
        (#"["\u00G9"]"#, 6, #"expected 4 hex digits after \u"#),
        (#"["\ud83d\u12"]"#, 12, #"expected 4 hex digits after \u"#),
        (#"["\"#, 3, "unterminated string"),
    ])
    func rejectsInvalidEscapes(text: String, offset: Int, reason: String) {
        guard case .failure(let error) = Self.parse(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(error.offset == offset && error.reason == reason)
    }

    /// The scanning that PetrelRuntime's state record reader is built on, value by value.
    @Test func scansValuesInPlace() throws {
        var parser = JSONParser(Array(#" "a\tb" -12.5e+3 {"x":[1,{}]} 0"#.utf8))
        parser.skipWhitespace()
        #expect(try parser.parseString() == "a\tb")
        parser.skipWhitespace()
        #expect(try parser.scanNumber() == 8..<16)
        parser.skipWhitespace()
        try parser.skipValue()
        parser.skipWhitespace()
        #expect(try parser.scanNumber() == 30..<31 && parser.index == parser.bytes.count)
    }

    @Test func keepsNumberTextAndMemberOrder() throws {
        let value = try JSONParser.parse(Array(#"{"z":18446744073709551615,"a":-0.5e-3}"#.utf8))
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["z", "a"])
        #expect(members.map(\.value) == [.number("18446744073709551615"), .number("-0.5e-3")])
    }

    @Test func writerEscapesLikeGo() {
        let text = String(decoding: JSONWriter.write(.string("q\"b\\s/n\nt\tc\u{01}\u{7F}é😀"), pretty: false), as: UTF8.self)
        #expect(text == #""q\"b\\s/n\nt\tc\u0001"# + "\u{7F}é😀\"")
    }

    /// Plain runs are copied whole: escapes first, last, side by side, in long strings.
    @Test(arguments: [
        ("", #""""#),
        ("\"", #""\"""#),
        ("\\\n\u{1f}", #""\\\n\u001f""#),
        ("a long plain string, 30 bytes.", #""a long plain string, 30 bytes.""#),
        ("\tstarts and ends with escapes, beyond 15 bytes é😀\r", #""\tstarts and ends with escapes, beyond 15 bytes é😀\r""#),
    ])
    func writerCopiesPlainRuns(text: String, json: String) {
        var out: [UInt8] = [0x2A]
        JSONWriter.writeString(text, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "*" + json)
    }

    @Test func prettyLayoutMatchesMarshalIndent() {
        let value = JSONValue.object([
            .init(key: "a", value: .array([.number("1"), .bool(false)])),
            .init(key: "e", value: .object([])),
            .init(key: "f", value: .array([])),
            .init(key: "n", value: .null),
        ])
        let text = String(decoding: JSONWriter.write(value, pretty: true), as: UTF8.self)
        #expect(text == "{\n\t\"a\": [\n\t\t1,\n\t\tfalse\n\t],\n\t\"e\": {},\n\t\"f\": [],\n\t\"n\": null\n}")
        #expect(String(decoding: JSONWriter.write(value, pretty: false), as: UTF8.self) == #"{"a":[1,false],"e":{},"f":[],"n":null}"#)
    }

    @Test func treeEqualityIgnoresMemberOrderAndNumberSpelling() throws {
        #expect(try Fixtures.tree(#"{"a":1,"b":[1.0,2]}"#) == (try Fixtures.tree(#"{"b":[1,2e0],"a":1}"#)))
        #expect(try Fixtures.tree(#"{"a":1}"#) != (try Fixtures.tree(#"{"a":1,"b":null}"#)))
        #expect(try Fixtures.tree("[1,2]") != (try Fixtures.tree("[2,1]")))
    }

    @Test func encoderHonoursSortedKeys() throws {
        let text = String(decoding: try OCIJSON.encode(Root(path: "r", readonly: true), pretty: false, sortedKeys: true), as: UTF8.self)
        #expect(text == #"{"path":"r","readonly":true}"#)
        let spec = Spec(ociVersion: "1.0.0", root: Root(path: "r"), hostname: "h")
        #expect(String(decoding: try OCIJSON.encode(spec, pretty: false, sortedKeys: true), as: UTF8.self) == #"{"hostname":"h","ociVersion":"1.0.0","root":{"path":"r"}}"#)
    }

    @Test func decoderThrowsSpecLoadError() {
        #expect(throws: SpecLoadError(path: "path", message: "required")) {
            try OCIJSON.decode(Root.self, from: Array("{}".utf8))
        }
    }

    /// Floating-point values (none in the spec, but the coder is generic) print like Go.
    @Test func floatingPointValues() throws {
        struct Sample: Codable, Equatable {
            var whole: Double
            var fraction: Double
            var big: Double
            var list: [Float]
        }
        let sample = Sample(whole: 2, fraction: 0.25, big: 1e300, list: [1.5, -3])
        let data = try OCIJSON.encode(sample, pretty: false)
        #expect(String(decoding: data, as: UTF8.self) == #"{"whole":2,"fraction":0.25,"big":1e+300,"list":[1.5,-3]}"#)
        #expect(try OCIJSON.decode(Sample.self, from: data) == sample)
        #expect(throws: EncodingError.self) { try OCIJSON.encode(Sample(whole: .nan, fraction: 0, big: 0, list: []), pretty: false) }
    }
}
