/// JSON reading and writing for OCI documents (config.json, state, features).
///
/// Decoding is strict RFC 8259 like Go's encoding/json, ignores unknown fields, and fails
/// with a `SpecLoadError` naming the JSON path. Encoding omits nil fields and writes keys in
/// declaration order (Go's field order), string-keyed maps sorted like Go maps, so output
/// is deterministic and `spec` matches `runc spec` key for key.
public enum OCIJSON {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(SpecLoadError) -> T {
        try decode(type, from: bytes, recorder: nil)
    }

    /// Like `decode`, also returning the JSON paths of the members the model does not know
    /// (`linux.fooBar`, `process.user.extra`), outer objects first.
    public static func decodeReportingUnknown<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8]
    ) throws(SpecLoadError) -> (value: T, unknown: [String]) {
        let recorder = MemberRecorder()
        let value = try decode(type, from: bytes, recorder: recorder)
        return (value, recorder.unread)
    }

    /// `decodeReportingUnknown` with every model type read through keyed containers, as over
    /// any other Decoder, instead of straight from the parsed members (`FieldDecodable`):
    /// the tests check that both give the same values, errors and unknown members.
    static func decodeReportingUnknownThroughContainers<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8]
    ) throws(SpecLoadError) -> (value: T, unknown: [String]) {
        let recorder = MemberRecorder()
        let value = try decode(type, from: bytes, recorder: recorder, keyedOnly: true)
        return (value, recorder.unread)
    }

    private static func decode<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8], recorder: MemberRecorder?, keyedOnly: Bool = false
    ) throws(SpecLoadError) -> T {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw SpecLoadError(syntax: error, in: bytes)
        }
        do {
            return try T(from: JSONValueDecoder(value: value, path: nil, recorder: recorder, keyedOnly: keyedOnly))
        } catch let error as DecodingError {
            throw SpecLoadError(error)
        } catch let error as SpecLoadError {
            throw error
        } catch {
            throw SpecLoadError(message: String(describing: error))
        }
    }

    /// Pretty output is indented with tabs, as `runc spec` writes it; there is no trailing newline.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool, sortedKeys: Bool = false) throws -> [UInt8] {
        JSONWriter.write(try JSONValueEncoder.encode(value, sortAllKeys: sortedKeys), pretty: pretty)
    }
}
