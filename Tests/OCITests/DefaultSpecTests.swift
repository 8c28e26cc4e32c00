#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
@testable import OCI
import Testing

@Suite struct DefaultSpecTests {
    static func runcText(rootless: Bool) -> String {
        (rootless ? RuncOutput.rootlessSpec : RuncOutput.spec)
            .replacing(#""hostname": "runc""#, with: #""hostname": "petrel""#)
    }

    /// Same keys and values as runc's, whatever the formatting.
    @Test(arguments: [false, true])
    func matchesRuncSpecStructurally(rootless: Bool) throws {
        let spec = Spec.runcDefault(rootless: rootless, hostUID: 0, hostGID: 0)
        let ours = try Fixtures.tree(try OCIJSON.encode(spec, pretty: false))
        #expect(ours == (try Fixtures.tree(Self.runcText(rootless: rootless))))
    }

    /// Pretty output is byte for byte what `runc spec` writes (Go field order, tab indents).
    @Test(arguments: [false, true])
    func prettyOutputIsRuncsText(rootless: Bool) throws {
        let spec = Spec.runcDefault(rootless: rootless, hostUID: 0, hostGID: 0)
        let text = String(decoding: try OCIJSON.encode(spec, pretty: true), as: UTF8.self)
        #expect(text == Self.runcText(rootless: rootless))
    }

    @Test(arguments: [false, true])
    func roundTrips(rootless: Bool) throws {
        let spec = Spec.runcDefault(rootless: rootless)
        #expect(try Spec.decode(from: try OCIJSON.encode(spec, pretty: true)) == spec)
        #expect(try Spec.decode(from: Array(Self.runcText(rootless: rootless).utf8)) == Spec.runcDefault(rootless: rootless, hostUID: 0, hostGID: 0))
    }

    @Test func keyFields() {
        let spec = Spec.runcDefault(rootless: false)
        #expect(spec.ociVersion == "1.0.2-dev")
        #expect(spec.hostname == "petrel")
        #expect(spec.process?.args == ["sh"])
        #expect(spec.process?.terminal == true)
        #expect(spec.process?.cwd == "/")
        #expect(spec.process?.noNewPrivileges == true)
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        #expect(spec.linux?.namespaces?.map(\.type) == [.pid, .network, .ipc, .uts, .mount])
        #expect(spec.linux?.uidMappings == nil)
    }

    @Test func rootlessMapsRootToTheCallersIds() {
        let spec = Spec.runcDefault(rootless: true, hostUID: 1000, hostGID: 100)
        #expect(spec.linux?.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)])
        #expect(spec.linux?.gidMappings == [LinuxIDMapping(containerID: 0, hostID: 100, size: 1)])
        #expect(spec.linux?.namespaces?.map(\.type) == [.pid, .ipc, .uts, .mount, .user])
        #expect(spec.linux?.resources == nil)
        #if canImport(Glibc)
        let defaulted = Spec.runcDefault(rootless: true)
        #expect(defaulted.linux?.uidMappings?.first?.hostID == UInt32(geteuid()))
        #expect(defaulted.linux?.gidMappings?.first?.hostID == UInt32(getegid()))
        #endif
    }
}
