#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import OCI
import Testing

@Suite struct RoundTripTests {
    @Test(arguments: [false, true])
    func decodeEncodeDecodeIsIdentity(pretty: Bool) throws {
        let spec = try Fixtures.decodeFull()
        let again = try Spec.decode(from: try OCIJSON.encode(spec, pretty: pretty))
        #expect(again == spec)
    }

    /// Nothing is lost and nothing is added: no nulls for absent fields, every known
    /// field written back, same values.
    @Test func encodingReproducesTheDocument() throws {
        let encoded = try OCIJSON.encode(try Fixtures.decodeFull(), pretty: false)
        #expect(try Fixtures.tree(encoded) == (try Fixtures.tree(Fixtures.fullConfig)))
    }

    @Test func absentFieldsAreOmitted() throws {
        let spec = Spec(ociVersion: "1.2.0", process: Process(cwd: "/"), mounts: [Mount(destination: "/tmp")])
        let text = String(decoding: try OCIJSON.encode(spec, pretty: false), as: UTF8.self)
        #expect(text == #"{"ociVersion":"1.2.0","process":{"user":{"uid":0,"gid":0},"cwd":"/"},"mounts":[{"destination":"/tmp"}]}"#)
    }

    /// Keys come out in Go's field order, maps sorted by key like Go's encoding/json.
    @Test func keysFollowGoFieldOrderAndMapsAreSorted() throws {
        let spec = Spec(
            ociVersion: "1.2.0", root: Root(path: "rootfs"), hostname: "h",
            annotations: ["b": "2", "a": "1", "B": "0"],
            linux: Linux(sysctl: ["z": "1", "y": "2"], cgroupsPath: "/c", rootfsPropagation: "private"))
        let text = String(decoding: try OCIJSON.encode(spec, pretty: false), as: UTF8.self)
        #expect(text == #"{"ociVersion":"1.2.0","root":{"path":"rootfs"},"hostname":"h","annotations":{"B":"0","a":"1","b":"2"},"linux":{"sysctl":{"y":"2","z":"1"},"cgroupsPath":"/c","rootfsPropagation":"private"}}"#)
    }

    @Test func extremeIntegersSurvive() throws {
        let process = Process(
            cwd: "/", rlimits: [POSIXRlimit(type: "RLIMIT_AS", hard: .max, soft: .max)], oomScoreAdj: -1000)
        let resources = LinuxResources(memory: LinuxMemory(limit: .min, swap: .max), cpu: LinuxCPU(quota: -1))
        let spec = Spec(process: process, linux: Linux(resources: resources))
        let data = try OCIJSON.encode(spec, pretty: false)
        #expect(String(decoding: data, as: UTF8.self).contains(#""hard":18446744073709551615"#))
        #expect(try Spec.decode(from: data) == spec)
    }

    @Test func everyTypeRoundTripsPretty() throws {
        let spec = try Fixtures.decodeFull()
        let data = try OCIJSON.encode(spec, pretty: true)
        #expect(try OCIJSON.decode(Spec.self, from: data) == spec)
    }
}
