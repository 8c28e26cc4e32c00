import Foundation
import Testing

/// A bad config.json is refused before `create` does anything: no state directory, no
/// cgroup, no hook run (the hooks below would each leave a line in a marker file), and the
/// one error line names the JSON path at fault.
@Suite(Harness.enabled)
struct NoSideEffectTests {
    /// (what to change, the JSON path the error must name)
    static let cases: [(String, @Sendable (inout [String: Any]) -> Void, String)] = [
        ("unknown namespace type", { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            var namespaces = linux["namespaces"] as? [[String: Any]] ?? []
            namespaces.append(["type": "foo"])
            linux["namespaces"] = namespaces
            config["linux"] = linux
        }, "linux.namespaces["),
        ("bind mount without a source", { config in
            config["mounts"] = (config["mounts"] as? [Any] ?? []) + [["destination": "/x", "options": ["bind"]]]
        }, "].source: a bind mount needs a source"),
        ("relative mount destination before 1.2", { config in
            config["ociVersion"] = "1.1.0"
            config["mounts"] = (config["mounts"] as? [Any] ?? []) + [["destination": "rel", "type": "tmpfs", "source": "tmpfs"]]
        }, "].destination: must be an absolute path"),
        ("unknown seccomp action", { config in
            config.setValue(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["read"], "action": "SCMP_ACT_BOOM"]]],
                            at: ["linux", "seccomp"])
        }, "linux.seccomp.syscalls[0].action"),
        ("notify without a listener path", { config in
            config.setValue(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"]]],
                            at: ["linux", "seccomp"])
        }, "linux.seccomp.listenerPath"),
        ("host sysctl", { config in config.setValue(["kernel.pid_max": "1"], at: ["linux", "sysctl"]) },
         "linux.sysctl["),
        ("duplicate rlimit", { config in
            config.setValue([["type": "RLIMIT_CORE", "hard": 1, "soft": 1], ["type": "RLIMIT_CORE", "hard": 1, "soft": 1]],
                            at: ["process", "rlimits"])
        }, "process.rlimits[1].type"),
        ("unknown device type", { config in
            config.setValue([["path": "/dev/x", "type": "z", "major": 1, "minor": 1]], at: ["linux", "devices"])
        }, "linux.devices[0].type"),
        ("bad device cgroup access", { config in
            config.setValue([["allow": true, "access": "rwx"]], at: ["linux", "resources", "devices"])
        }, "linux.resources.devices[0].access"),
        ("bad intelRdt group", { config in config.setValue(["closID": "../x"], at: ["linux", "intelRdt"]) },
         "linux.intelRdt.closID"),
        ("time offsets without a time namespace", { config in
            config.setValue(["monotonic": ["secs": 1]], at: ["linux", "timeOffsets"])
        }, "linux.timeOffsets"),
        ("poststart hook with a zero timeout", { config in
            config.setValue([["path": "/bin/true", "timeout": 0]], at: ["hooks", "poststart"])
        }, "hooks.poststart[0].timeout"),
    ]

    @Test("a bad config leaves no state, no cgroup, and runs no hook", .enabled(if: !Harness.isRunc, "the JSON-path messages are petrel's"))
    func refusedBeforeAnything() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let parent = "pit-nse-\(Harness.randomToken())"
        defer { ConfigFuzz.removeCgroupParents(parent) }
        let marker = t.dir + "/hooks-ran"
        let hook: [String: Any] = ["path": "/bin/sh", "args": ["sh", "-c", "echo ran >> \(marker)"]]
        try t.setArgs(["true"])
        try t.editConfig { config in
            config["hooks"] = ["prestart": [hook], "createRuntime": [hook], "createContainer": [hook]]
        }
        let good = try Data(contentsOf: URL(fileURLWithPath: t.configPath))

        // The hooks do run for a good config: the marker is a real witness.
        let witness = t.newID("ok")
        try t.setConfig("linux.cgroupsPath", "/\(parent)/\(witness)")
        let created = t.runtime(["create", "--bundle", t.bundle, witness])
        #expect(created.status == 0, "\(created)")
        #expect(FileManager.default.fileExists(atPath: marker), "the hooks ran for the good config")
        _ = t.runtime(["delete", "--force", witness])
        try? FileManager.default.removeItem(atPath: marker)

        for (index, (name, change, path)) in Self.cases.enumerated() {
            let id = t.newID("nse\(index)")
            var config = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
            config.setValue("/\(parent)/\(id)", at: ["linux", "cgroupsPath"])
            change(&config)
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: t.configPath))
            // `run` too: it reads the config itself before create.
            for verb in [["create"], ["run", "--detach"]] {
                let result = t.runtime(verb + ["--bundle", t.bundle, id])
                #expect(result.status != 0, "\(name): \(verb[0]) \(result)")
                #expect(result.stderr.contains(path), "\(name): \(verb[0]) names \(path): \(result)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(name): one error line: \(result)")
                #expect(!t.hasStateDir(id), "\(name): no state dir")
                #expect(ConfigFuzz.cgroupDirectories(parent).filter { $0.hasSuffix("/" + id) }.isEmpty, "\(name): no cgroup")
                #expect(!FileManager.default.fileExists(atPath: marker), "\(name): no hook ran")
            }
        }
        #expect(t.listedIDs().isEmpty)
    }
}
