#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import OCI
import Testing

/// The model types read their fields straight from the parsed JSON (`FieldDecodable`, the
/// path of every create, run and exec) or through keyed containers (any other Decoder).
/// Both must give the same spec, the same error line and the same unknown members for
/// every config: the real ones, and every way of breaking each field of `fullConfig`.
@Suite struct FieldDecodingTests {
    enum Outcome: Equatable {
        case decoded(Spec, unknown: [String])
        case failed(String)
    }

    static func direct(_ bytes: [UInt8]) -> Outcome {
        do {
            let (spec, unknown) = try OCIJSON.decodeReportingUnknown(Spec.self, from: bytes)
            return .decoded(spec, unknown: unknown)
        } catch {
            return .failed(error.description)
        }
    }

    static func throughContainers(_ bytes: [UInt8]) -> Outcome {
        do {
            let (spec, unknown) = try OCIJSON.decodeReportingUnknownThroughContainers(Spec.self, from: bytes)
            return .decoded(spec, unknown: unknown)
        } catch {
            return .failed(error.description)
        }
    }

    /// Each value replaced by one of these (numbers also by ones out of range), each member
    /// removed, each object given an unknown and a duplicate member, each array a null.
    static let replacements: [JSONValue] = [
        .null, .string("x"), .number("1.5"), .bool(true), .array([.null]), .object([JSONValue.Member(key: "k", value: .null)]),
    ]

    /// Every variant of `value` with one change somewhere below it (in arrays, below their
    /// first and last elements).
    static func variants(of value: JSONValue) -> [JSONValue] {
        var result = replacements
        switch value {
        case .number:
            result += [.number("-1"), .number("18446744073709551616")]
        case .object(let members):
            result.append(.object(members + [JSONValue.Member(key: "futureField", value: .number("1"))]))
            if let first = members.first {
                // A duplicate key: the last one wins.
                result.append(.object(members + [JSONValue.Member(key: first.key, value: first.value)]))
            }
            for index in members.indices {
                var without = members
                without.remove(at: index)
                result.append(.object(without))
                for variant in variants(of: members[index].value) {
                    var changed = members
                    changed[index].value = variant
                    result.append(.object(changed))
                }
            }
        case .array(let elements):
            result.append(.array(elements + [.null]))
            for index in Set([elements.startIndex, elements.endIndex - 1]) where elements.indices.contains(index) {
                for variant in variants(of: elements[index]) {
                    var changed = elements
                    changed[index] = variant
                    result.append(.array(changed))
                }
            }
        default:
            break
        }
        return result
    }

    /// The configs the runtime meets: `fullConfig` (every field), with unknown fields,
    /// `petrel spec`'s default and a scripts/make-bundle-like config.
    static var realConfigs: [[UInt8]] {
        get throws {
            var configs = [Array(Fixtures.fullConfig.utf8), Array(Fixtures.fullConfigWithUnknownFields.utf8)]
            configs.append(try OCIJSON.encode(Spec.runcDefault(rootless: false), pretty: true))
            configs.append(try OCIJSON.encode(Spec.runcDefault(rootless: true, hostUID: 1000, hostGID: 1000), pretty: true))
            return configs
        }
    }

    @Test func bothWaysAgreeOnRealConfigs() throws {
        for config in try Self.realConfigs {
            let direct = Self.direct(config)
            #expect(direct == Self.throughContainers(config))
            if case .failed(let message) = direct { Issue.record("\(message)") }
        }
    }

    /// One top-level member of `fullConfig` at a time (a smaller document per variant).
    @Test(arguments: ["ociVersion", "process", "root", "hostname", "mounts", "hooks", "annotations", "linux"])
    func bothWaysAgreeOnEveryBrokenField(section: String) throws {
        guard case .object(let members) = try Fixtures.tree(Fixtures.fullConfig),
              let value = members.first(where: { $0.key == section })?.value
        else {
            Issue.record("fullConfig has no \(section)")
            return
        }
        var failures = 0
        let all = Self.variants(of: value)
        #expect(all.count > 5)
        for variant in all {
            var document = [JSONValue.Member(key: section, value: variant)]
            if section != "ociVersion" { document.insert(JSONValue.Member(key: "ociVersion", value: .string("1.2.0")), at: 0) }
            let bytes = JSONWriter.write(.object(document), pretty: false)
            let direct = Self.direct(bytes)
            let keyed = Self.throughContainers(bytes)
            if direct != keyed {
                failures += 1
                if failures <= 10 {
                    Issue.record("\(String(decoding: bytes, as: UTF8.self))\ndirect: \(direct)\nkeyed:  \(keyed)")
                }
            }
        }
        #expect(failures == 0)
    }
}
