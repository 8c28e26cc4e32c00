#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCI
import Testing
@testable import PetrelRuntime

@Suite struct SpecValidatorTests {
    func validate(_ json: String) throws {
        try SpecValidator.validate(try Spec.decode(from: Data(json.utf8)), configPath: "/b/config.json")
    }

    static func config(version: String = "1.0.2", process: String = #"{"args":["sh"],"cwd":"/"}"#,
                       namespaces: String = #"[{"type":"mount"},{"type":"uts"}]"#, extra: String = "") -> String {
        """
        {"ociVersion":"\(version)","root":{"path":"rootfs"},"process":\(process),\(extra)
         "linux":{"namespaces":\(namespaces)}}
        """
    }

    @Test func acceptsAValidConfig() throws {
        try validate(Self.config(extra: #""hostname":"box","#))
    }

    @Test("no mount namespace: inherited (config-linux.md), allowed without mounts")
    func acceptsNoMountNamespace() throws {
        try validate(Self.config(namespaces: #"[{"type":"pid"}]"#))
    }

    @Test("no mount namespace: masked paths refused in runc's words")
    func refusesMaskedPathsWithoutMountNamespace() {
        let json = """
            {"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},
             "linux":{"namespaces":[{"type":"pid"}],"maskedPaths":["/proc/kcore"]}}
            """
        #expect(throws: RuntimeError("/b/config.json: linux.maskedPaths: unable to restrict sys entries without a private MNT namespace")) {
            try validate(json)
        }
    }

    @Test(arguments: [
        (config(version: "2.0.0"), "/b/config.json: ociVersion: unsupported version \"2.0.0\" (petrel supports 1.x)"),
        (config(process: #"{"args":[],"cwd":"/"}"#), "/b/config.json: process.args: must name the program to run"),
        (config(process: #"{"args":["sh"],"cwd":"rel"}"#), "/b/config.json: process.cwd: must be an absolute path, got \"rel\""),
        (config(process: #"{"args":["sh"],"cwd":"/","env":["NOEQUALS"]}"#), "/b/config.json: process.env[0]: expected KEY=value, got \"NOEQUALS\""),
        (config(namespaces: #"[{"type":"mount"},{"type":"mount"}]"#), "/b/config.json: linux.namespaces[1]: duplicate namespace type \"mount\""),
        (config(namespaces: #"[{"type":"pid"}]"#, extra: #""mounts":[{"destination":"/proc","type":"proc","source":"proc"}],"#),
         "/b/config.json: mounts: 1 mount(s) given (first: \"/proc\"): each needs a private mount namespace (linux.namespaces has no \"mount\", so the container shares the host's and petrel makes no mount there)"),
        (config(namespaces: #"[{"type":"mount"}]"#, extra: #""hostname":"box","#), "/b/config.json: hostname: cannot set the hostname without a uts namespace"),
        (config(namespaces: #"[{"type":"mount"},{"type":"network","path":"rel/ns"}]"#), "/b/config.json: linux.namespaces[1].path: must be an absolute path, got \"rel/ns\""),
    ])
    func rejectsWithTheFieldNamed(json: String, message: String) {
        #expect(throws: RuntimeError(message)) { try validate(json) }
    }
}
