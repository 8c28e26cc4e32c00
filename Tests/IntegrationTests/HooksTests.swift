import Foundation
import Testing

/// Lifecycle hooks: order, namespaces, the state on stdin, env, timeout, and what a
/// failing hook does (abort before start; a warning after).
@Suite(Harness.enabled)
struct HooksTests {
    /// A host script that appends "NAME STDIN mnt=... host=... X=$X" to `log`.
    private func recorder(_ t: Sandbox) throws -> (script: String, log: String) {
        let script = t.dir + "/hook.sh"
        let log = t.dir + "/hooks.log"
        try """
            #!/bin/sh
            echo "$1 $(cat) mnt=$(readlink /proc/self/ns/mnt) host=$(hostname) X=$X" >> \(log)
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        chmod(t.dir, 0o755)
        return (script, log)
    }

    private func hook(_ script: String, _ name: String, env: [String] = [], timeout: Int? = nil) -> [String: Any] {
        var hook: [String: Any] = ["path": script, "args": ["hook.sh", name], "env": env]
        if let timeout { hook["timeout"] = timeout }
        return hook
    }

    private func entries(_ log: String) -> [(name: String, state: [String: Any], rest: String)] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { return nil }
            let name = String(line[..<open]).trimmingCharacters(in: .whitespaces)
            let json = Data(line[open...close].utf8)
            let state = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
            return (name, state, String(line[line.index(after: close)...]))
        }
    }

    @Test("all six hooks run in order, with the state on stdin, in the right namespaces")
    func lifecycle() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let (script, log) = try recorder(t)
        try t.setConfig("root.readonly", false)
        try t.setConfig("hostname", "hooked")
        try t.setConfig("hooks", [
            "prestart": [hook(script, "prestart", env: ["X=1"])],
            "createRuntime": [hook(script, "createRuntime")],
            "createContainer": [hook(script, "createContainer")],
            // Resolved inside the container: the rootfs's own sh.
            "startContainer": [["path": "/bin/sh", "args": ["sh", "-c", "cat > /tmp/startContainer.json"]]],
            "poststart": [hook(script, "poststart")],
            "poststop": [hook(script, "poststop")],
        ])
        let id = try t.create(["sleep", "100"])
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let containerMnt = "mnt:[\(Namespaces.inode("/proc/\(pid)/ns/mnt") ?? 0)]"
        #expect(t.runtime(["start", id]).status == 0)
        #expect(t.runtime(["delete", "--force", id]).status == 0)
        let got = entries(log)
        #expect(got.map(\.name) == ["prestart", "createRuntime", "createContainer", "poststart", "poststop"], "\(got.map(\.name))")
        guard got.count == 5 else { return }
        #expect(got[0].rest.contains("X=1") && got[1].rest.hasSuffix("X="), "only the hook's own env")
        for entry in got[0...2] { #expect(entry.state["status"] as? String == "creating" && entry.state["id"] as? String == id) }
        if !Harness.isRunc {
            // runc 1.1 reports pid 1 (its own view) to createContainer and "created" to poststart.
            #expect(got[2].state["pid"] as? Int == pid)
            #expect(got[3].state["status"] as? String == "running")
        }
        #expect(got[4].state["status"] as? String == "stopped")
        #expect(!got[0].rest.contains(containerMnt) && got[2].rest.contains(containerMnt), "createContainer runs in the container's mount namespace")
        #expect(!got[4].rest.contains(containerMnt))
        let started = try String(contentsOfFile: t.rootfs + "/tmp/startContainer.json", encoding: .utf8)
        #expect(started.contains("\"id\":\"\(id)\""), "\(started)")
    }

    @Test("a failing createRuntime hook fails create and leaves nothing", arguments: ["prestart", "createRuntime", "createContainer"])
    func failingHookBeforeStart(phase: String) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["sleep", "100"])
        try t.setConfig("hooks", [phase: [["path": "/bin/false", "args": ["false"]]]])
        let id = t.newID("fail")
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0, "\(result)")
        #expect(!t.hasStateDir(id))
        let leftover = host("/bin/sh", ["-c", "find /sys/fs/cgroup -maxdepth 3 -name '\(id)*'"], ioDirectory: t.dir + "/io")
        #expect(leftover.out.isEmpty, "cgroup left: \(leftover.out)")
        // Any process still carrying the bundle path (the init is the runtime's clone until exec).
        let scan = "for p in /proc/[0-9]*; do [ \"${p#/proc/}\" = \"$$\" ] && continue; grep -q \(t.bundle) $p/cmdline 2>/dev/null && echo $p; done"
        let processes = host("/bin/sh", ["-c", scan], ioDirectory: t.dir + "/io")
        #expect(processes.out.isEmpty || Harness.isRunc, "\(processes.out)")
    }

    @Test("a hook that outlives its timeout is killed and fails create", .enabled(if: !Harness.isRunc, "runc's wording differs"))
    func timeout() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["true"])
        try t.setConfig("hooks", ["createRuntime": [["path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1]]])
        let id = t.newID("slow")
        let started = Date()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0 && result.stderr.contains("timed out"), "\(result)")
        #expect(Date().timeIntervalSince(started) < 28, "killed at its timeout, not after the 30 s it sleeps")
        #expect(!t.hasStateDir(id))
    }

    @Test("a failing poststart hook is a warning for spec 1.2 configs: start succeeds, the next hooks run",
          .enabled(if: !Harness.isRunc, "runc 1.1 fails create with a failing poststart hook"))
    func failingPoststartWarnsBefore13() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let (script, log) = try recorder(t)
        try t.setConfig("ociVersion", "1.2.0")
        try t.setConfig("hooks", ["poststart": [["path": "/bin/false", "args": ["false"]], hook(script, "after")]])
        let id = try t.create(["sleep", "100"])
        let start = t.runtime(["start", id])
        #expect(start.status == 0, "\(start)")
        #expect(start.stderr.contains("warning") || start.stderr.contains("poststart"), "\(start)")
        #expect(t.status(id) == "running")
        #expect(entries(log).map(\.name) == ["after"])
    }

    @Test("a failing poststart hook fails start and stops the container (spec 1.3 configs)",
          .enabled(if: !Harness.isRunc, "runc 1.1 already fails create with a failing poststart hook"))
    func failingPoststart() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.3.0")
        try t.setConfig("hooks", ["poststart": [["path": "/bin/false", "args": ["false"]]]])
        let id = try t.create(["sleep", "100"])
        let start = t.runtime(["start", id])
        #expect(start.status != 0, "\(start)")
        #expect(t.waitForStatus(id, "stopped"), "\(t.status(id) ?? "gone")")
    }

    @Test("a failing poststop hook is a warning: delete succeeds and the next hooks still run",
          .enabled(if: !Harness.isRunc, "runc 1.1 stops at the failing hook"))
    func failingPoststop() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let (script, log) = try recorder(t)
        try t.setConfig("hooks", ["poststop": [["path": "/bin/false", "args": ["false"]], hook(script, "after")]])
        let id = try t.create(["true"])
        #expect(t.runtime(["start", id]).status == 0)
        #expect(t.waitForStatus(id, "stopped"))
        let delete = t.runtime(["delete", id])
        #expect(delete.status == 0, "\(delete)")
        #expect(!t.hasStateDir(id))
        #expect(entries(log).map(\.name) == ["after"])
    }
}
