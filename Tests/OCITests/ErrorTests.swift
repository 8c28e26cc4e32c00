#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCI
import Testing

@Suite struct ErrorTests {
    static func config(process: String = #"{"cwd":"/","user":{"uid":0,"gid":0}}"#, linux: String = "{}", extra: String = "") -> String {
        #"{"ociVersion":"1.2.0",\#(extra)"process":\#(process),"linux":\#(linux)}"#
    }

    static func failure(_ json: String) -> String? {
        do {
            _ = try Spec.decode(from: Array(json.utf8))
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        // Wrong types, named by path.
        (config(process: #"{"cwd":"/","user":{"uid":"0","gid":0}}"#), "process.user.uid: expected a number, got a string"),
        (config(process: "5"), "process: expected an object, got a number"),
        (config(process: #"{"cwd":"/","args":"sh"}"#), "process.args: expected an array, got a string"),
        (config(process: #"{"cwd":"/","args":["sh",3]}"#), "process.args[1]: expected a string, got a number"),
        (config(process: #"{"cwd":"/","terminal":"yes"}"#), "process.terminal: expected a boolean, got a string"),
        (config(linux: #"{"sysctl":{"net.ipv4.ip_forward":1}}"#), #"linux.sysctl["net.ipv4.ip_forward"]: expected a string, got a number"#),
        (config(linux: #"{"timeOffsets":{"monotonic":{"secs":"x"}}}"#), "linux.timeOffsets.monotonic.secs: expected a number, got a string"),
        (config(linux: #"{"resources":{"devices":[{"allow":true},{"allow":"no"}]}}"#), "linux.resources.devices[1].allow: expected a boolean, got a string"),
        // Numbers that do not fit their Go type.
        (config(process: #"{"cwd":"/","user":{"uid":-1,"gid":0}}"#), "process.user.uid: -1 is out of range (0...4294967295)"),
        (config(process: #"{"cwd":"/","user":{"uid":4294967296,"gid":0}}"#), "process.user.uid: 4294967296 is out of range (0...4294967295)"),
        (config(process: #"{"cwd":"/","user":{"uid":1.5,"gid":0}}"#), "process.user.uid: expected an integer, got 1.5"),
        (config(linux: #"{"resources":{"blockIO":{"weight":70000}}}"#), "linux.resources.blockIO.weight: 70000 is out of range (0...65535)"),
        // Unknown namespace type.
        (config(linux: #"{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"foo"}]}"#),
         #"linux.namespaces[2].type: unknown value "foo" (known: pid, network, mount, ipc, uts, user, cgroup, time)"#),
        // Missing required fields, and null where a value is required.
        (#"{"process":{"cwd":"/"}}"#, "ociVersion: required"),
        (config(process: #"{"user":{"uid":0,"gid":0}}"#), "process.cwd: required"),
        (config(process: #"{"cwd":"/","user":{"uid":0}}"#), "process.user.gid: required"),
        (config(extra: #""mounts":[{"destination":"/a"},{"type":"tmpfs"}],"#), "mounts[1].destination: required"),
        (config(extra: #""root":{"path":null},"#), "root.path: expected a string, got null"),
        (config(linux: #"{"uidMappings":[{"containerID":0,"hostID":1000}]}"#), "linux.uidMappings[0].size: required"),
        (config(extra: #""annotations":{"com.example/a b":null},"#), #"annotations["com.example/a b"]: expected a string, got null"#),
        // Invalid JSON: byte offset first, then line and column.
        (#"{"ociVersion": "1.0.0",}"#, "invalid JSON at byte 23: unexpected character '}', expected a string key (line 1, column 24)"),
        ("{\n\t\"ociVersion\": tru\n}", "invalid JSON at byte 17: invalid literal, expected true (line 2, column 16)"),
        ("", "invalid JSON at byte 0: the document is empty (line 1, column 1)"),
        (#"{"ociVersion":"1.0.0"} x"#, "invalid JSON at byte 23: unexpected character 'x' after the top-level value (line 1, column 24)"),
        (#"{"ociVersion":"1.0.0"#, "invalid JSON at byte 20: unterminated string (line 1, column 21)"),
        ("[1]", "expected an object, got an array"),
    ])
    func describesTheFailureWithItsPath(json: String, expected: String) {
        #expect(Self.failure(json) == expected)
    }

    @Test func descriptionIsOneLineEvenForMultilineInput() throws {
        let json = "{\"ociVersion\":\"1.0.0\",\n\"process\":{\"cwd\":\"/\",\n\"env\":[\"A\nB\"]}}"
        let message = try #require(Self.failure(json))
        #expect(message.hasPrefix("invalid JSON at byte 54: control character 0x0A in a string must be escaped (line 3, column 10)"))
        #expect(!message.contains("\n"))
    }

    @Test func errorCarriesPathAndMessageSeparately() {
        #expect(throws: SpecLoadError(path: "process.user.uid", message: "expected a number, got a string")) {
            try Spec.decode(from: Array(Self.config(process: #"{"cwd":"/","user":{"uid":"0","gid":0}}"#).utf8))
        }
    }

    @Test func pathsQuoteKeysThatAreNotIdentifiers() {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { return nil }
        }
        #expect(SpecLoadError.render([Key("linux"), Key("sysctl"), Key("kernel.msgmax")]) == #"linux.sysctl["kernel.msgmax"]"#)
        #expect(SpecLoadError.render([Key("annotations"), Key("a\"b")]) == #"annotations["a\"b"]"#)
        #expect(SpecLoadError.render([Key("x"), Key("0abc")]) == #"x["0abc"]"#)
        #expect(SpecLoadError.render([]) == "")
    }

    /// Errors from Foundation's own JSONDecoder still get a path and a plain message.
    @Test func convertsForeignDecodingErrors() {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int?
            init(_ string: String, _ int: Int? = nil) { stringValue = string; intValue = int }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { return nil }
        }
        let mismatch = DecodingError.typeMismatch(
            UInt32.self,
            .init(codingPath: [Key("linux"), Key("devices"), Key("Index 3", 3), Key("uid")], debugDescription: "Expected to decode UInt32 but found a string instead."))
        #expect(SpecLoadError(mismatch).description == "linux.devices[3].uid: expected a number")
        let array = DecodingError.typeMismatch([Any].self, .init(codingPath: [Key("mounts")], debugDescription: "Expected Array"))
        #expect(SpecLoadError(array).description == "mounts: expected an array")
        let null = DecodingError.valueNotFound(String.self, .init(codingPath: [Key("hostname")], debugDescription: "Cannot get value"))
        #expect(SpecLoadError(null).description == "hostname: expected a string, got null")
        let missing = DecodingError.keyNotFound(Key("path"), .init(codingPath: [Key("root")], debugDescription: "No value"))
        #expect(SpecLoadError(missing).description == "root.path: required")
    }
}
