#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON reading and writing for OCI documents (config.json, state, features).
///
/// Decoding is strict RFC 8259 like Go's encoding/json, ignores unknown fields, and fails
/// with a `SpecLoadError` naming the JSON path. Encoding omits nil fields and writes keys in
/// declaration order (Go's field order), string-keyed maps sorted like Go maps, so output
/// is deterministic and `spec` matches `runc spec` key for key.
public enum OCIJSON {
    /// A JSONDecoder whose `decode(_:from:)` is `OCIJSON.decode`, for code written against
    /// JSONDecoder. Its decoding strategies are not consulted.
    public static func decoder() -> JSONDecoder {
        OCIJSONDecoder()
    }

    /// A JSONEncoder whose `encode(_:)` is `OCIJSON.encode`. It honours `.prettyPrinted` and
    /// `.sortedKeys` in `outputFormatting`; slashes are never escaped.
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = OCIJSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        return encoder
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(SpecLoadError) -> T {
        try decode(type, from: data, recorder: nil)
    }

    /// Like `decode`, also returning the JSON paths of the members the model does not know
    /// (`linux.fooBar`, `process.user.extra`), outer objects first.
    public static func decodeReportingUnknown<T: Decodable>(
        _ type: T.Type, from data: Data
    ) throws(SpecLoadError) -> (value: T, unknown: [String]) {
        let recorder = MemberRecorder()
        let value = try decode(type, from: data, recorder: recorder)
        return (value, recorder.unread)
    }

    private static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, recorder: MemberRecorder?
    ) throws(SpecLoadError) -> T {
        let bytes = [UInt8](data)
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw SpecLoadError(syntax: error, in: bytes)
        }
        do {
            return try T(from: JSONValueDecoder(value: value, codingPath: [], recorder: recorder))
        } catch let error as DecodingError {
            throw SpecLoadError(error)
        } catch let error as SpecLoadError {
            throw error
        } catch {
            throw SpecLoadError(message: String(describing: error))
        }
    }

    /// Pretty output is indented with tabs, as `runc spec` writes it; there is no trailing newline.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool, sortedKeys: Bool = false) throws -> Data {
        Data(JSONWriter.write(try JSONValueEncoder.encode(value, sortAllKeys: sortedKeys), pretty: pretty))
    }
}

private final class OCIJSONDecoder: JSONDecoder, @unchecked Sendable {
    override func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try OCIJSON.decode(type, from: data)
    }
}

private final class OCIJSONEncoder: JSONEncoder, @unchecked Sendable {
    override func encode<T: Encodable>(_ value: T) throws -> Data {
        let format = outputFormatting
        return try OCIJSON.encode(value, pretty: format.contains(.prettyPrinted), sortedKeys: format.contains(.sortedKeys))
    }
}
