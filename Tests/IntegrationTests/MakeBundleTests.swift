import Foundation
import Testing

/// scripts/make-bundle itself (no runtime and no root needed).
@Suite(.enabled(if: Harness.packageRoot != nil && Harness.which("jq") != nil, "scripts/make-bundle or jq missing"))
struct MakeBundle {
    /// A temp dir removed by the caller.
    static func tempDir() throws -> String {
        var template = Array("/tmp/petrel-it-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError.setup("mkdtemp failed")
        }
        return String(cString: made)
    }

    @Test("makes a busybox rootfs and the adjusted default spec")
    func layout() throws {
        let dir = try MakeBundle.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bundle = dir + "/b"
        let result = host(Harness.makeBundle, [bundle, "--", "sh", "-c", "echo \"a b\""], ioDirectory: dir)
        try #require(result.succeeded, "\(result)")
        let fm = FileManager.default
        #expect(fm.isExecutableFile(atPath: bundle + "/rootfs/bin/busybox"))
        #expect((try? fm.destinationOfSymbolicLink(atPath: bundle + "/rootfs/bin/sh")) == "busybox")
        #expect((try? fm.destinationOfSymbolicLink(atPath: bundle + "/rootfs/bin/hostname")) == "busybox")
        for empty in ["proc", "sys", "dev", "tmp", "home/user"] {
            var isDir: ObjCBool = false
            #expect(fm.fileExists(atPath: bundle + "/rootfs/" + empty, isDirectory: &isDir) && isDir.boolValue, "\(empty)")
        }
        let passwd = try String(contentsOfFile: bundle + "/rootfs/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("root:x:0:0:"))
        #expect(passwd.contains("user:x:1000:1000:user:/home/user:"))
        #expect(try String(contentsOfFile: bundle + "/rootfs/etc/group", encoding: .utf8).contains("user:x:1000:"))

        let data = try Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let process = config["process"] as? [String: Any] ?? [:]
        #expect(process["terminal"] as? Bool == false)
        #expect(process["args"] as? [String] == ["sh", "-c", "echo \"a b\""])
        #expect(config["hostname"] as? String == "petrel")
        #expect((config["linux"] as? [String: Any])?["cgroupsPath"] == nil)
        #expect((config["root"] as? [String: Any])?["path"] as? String == "rootfs")
        #expect((config["mounts"] as? [Any])?.count == 7)

        let again = host(Harness.makeBundle, [bundle], ioDirectory: dir)
        #expect(again.status != 0, "refuses an existing bundle: \(again)")
    }

    @Test("default args are [\"sh\"]")
    func defaultArgs() throws {
        let dir = try MakeBundle.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = host(Harness.makeBundle, [dir + "/b"], ioDirectory: dir)
        try #require(result.succeeded, "\(result)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/b/config.json"))
        let config = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect((config?["process"] as? [String: Any])?["args"] as? [String] == ["sh"])
    }

    @Test("a clear error when jq is missing")
    func missingJQ() throws {
        let dir = try MakeBundle.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = host("/bin/sh", [Harness.makeBundle, dir + "/b"], environment: ["PATH": dir + "/empty-path"], ioDirectory: dir)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("jq"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b"))
    }

    @Test("a clear error when busybox is missing")
    func missingBusybox() throws {
        let dir = try MakeBundle.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var env = ProcessInfo.processInfo.environment
        env["BUSYBOX"] = dir + "/no-busybox"
        let result = host(Harness.makeBundle, [dir + "/b"], environment: env, ioDirectory: dir)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("busybox"), "\(result)")
    }
}
