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

    @Test(arguments: [
        (config(version: "2.0.0"), "/b/config.json: ociVersion: unsupported version \"2.0.0\" (petrel supports 1.x)"),
        (config(process: #"{"args":[],"cwd":"/"}"#), "/b/config.json: process.args: must name the program to run"),
        (config(process: #"{"args":["sh"],"cwd":"rel"}"#), "/b/config.json: process.cwd: must be an absolute path, got \"rel\""),
        (config(process: #"{"args":["sh"],"cwd":"/","env":["NOEQUALS"]}"#), "/b/config.json: process.env[0]: expected KEY=value, got \"NOEQUALS\""),
        (config(namespaces: #"[{"type":"mount"},{"type":"mount"}]"#), "/b/config.json: linux.namespaces[1]: duplicate namespace type \"mount\""),
        (config(namespaces: #"[{"type":"pid"}]"#), "/b/config.json: linux.namespaces: a mount namespace is required (petrel never changes the host's mounts)"),
        (config(namespaces: #"[{"type":"mount"}]"#, extra: #""hostname":"box","#), "/b/config.json: hostname: cannot set the hostname without a uts namespace"),
        (config(namespaces: #"[{"type":"mount"},{"type":"network","path":"rel/ns"}]"#), "/b/config.json: linux.namespaces[1].path: must be an absolute path, got \"rel/ns\""),
    ])
    func rejectsWithTheFieldNamed(json: String, message: String) {
        #expect(throws: RuntimeError(message)) { try validate(json) }
    }
}
