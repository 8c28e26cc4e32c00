import Foundation
import Testing

/// The command line itself: version, list, spec, state, logging, global flags.
@Suite(Harness.enabled)
struct CLI {
    static let listColumns = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]

    @Test("--version exits 0 and prints the version and the spec version")
    func version() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = t.runtimeRaw(["--version"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("version"), "\(result)")
        #expect(result.lines.contains { $0.hasPrefix("spec: ") }, "\(result)")
    }

    @Test("--help exits 0")
    func help() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = t.runtimeRaw(["--help"])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.isEmpty)
    }

    @Test("an unknown command fails")
    func unknownCommand() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = t.runtime(["no-such-command"])
        #expect(result.status != 0, "\(result)")
    }

    @Test("list with no containers: the table header only (state root missing or empty)")
    func listEmpty() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        for _ in 0..<2 {
            let result = t.runtime(["list"])
            #expect(result.status == 0, "\(result)")
            #expect(result.lines.count == 1, "\(result)")
            #expect(result.lines.first?.split(separator: " ").map(String.init) == CLI.listColumns, "\(result)")
            try FileManager.default.createDirectory(atPath: t.root, withIntermediateDirectories: true)
        }
    }

    @Test("list --format json with no containers prints null")
    func listEmptyJSON() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        for _ in 0..<2 {
            let result = t.runtime(["list", "--format", "json"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "null\n", "runc prints null: \(result)")
            try FileManager.default.createDirectory(atPath: t.root, withIntermediateDirectories: true)
        }
        let quiet = t.runtime(["list", "--quiet"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty, "\(quiet)")
    }

    @Test("list shows a container in the table, as JSON and with --quiet")
    func listContainer() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.create(["sleep", "100"])
        let state = try t.state(id)
        let pid = state["pid"] as? Int ?? -1

        let table = t.runtime(["list"])
        #expect(table.status == 0, "\(table)")
        try #require(table.lines.count == 2, "\(table)")
        #expect(table.lines[0].split(separator: " ").map(String.init) == CLI.listColumns)
        let row = table.lines[1].split(separator: " ").map(String.init)
        #expect(row.count == 6, "\(table)")
        if row.count == 6 {
            #expect(row[0] == id)
            #expect(row[1] == String(pid))
            #expect(row[2] == "created")
            #expect(row[3] == t.bundle)
            #expect(row[4] == state["created"] as? String)
            #expect(row[5] == "root", "list shows the owner's user name")
        }

        let json = t.runtime(["list", "-f", "json"])
        #expect(json.status == 0, "\(json)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json)")
        try #require(entries.count == 1, "\(json)")
        let entry = entries[0]
        #expect(Set(entry.keys) == Lifecycle.stateKeys, "\(entry.keys.sorted())")
        #expect(entry["id"] as? String == id)
        #expect(entry["pid"] as? Int == pid)
        #expect(entry["status"] as? String == "created")
        #expect(entry["bundle"] as? String == t.bundle)
        #expect(entry["rootfs"] as? String == t.rootfs)
        #expect(entry["owner"] as? String == "root")

        #expect(t.runtime(["list", "-q"]).stdout == id + "\n")

        #expect(t.runtime(["start", id]).status == 0)
        let after = t.runtime(["list"]).lines.dropFirst().first?.split(separator: " ").map(String.init) ?? []
        #expect(after.count > 2 && after[2] == "running", "\(after)")
    }

    @Test("spec writes config.json in an empty directory and refuses to overwrite it")
    func spec() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let dir = try t.hostDir("spec")
        let result = t.runtime(["spec"], currentDirectory: dir)
        #expect(result.status == 0, "\(result)")
        let path = dir + "/config.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(config["ociVersion"] is String)
        let process = config["process"] as? [String: Any] ?? [:]
        #expect(process["args"] as? [String] == ["sh"])
        #expect(process["terminal"] as? Bool == true)
        #expect(process["cwd"] as? String == "/")
        let root = config["root"] as? [String: Any] ?? [:]
        #expect(root["path"] as? String == "rootfs")
        #expect(root["readonly"] as? Bool == true)
        let linux = config["linux"] as? [String: Any] ?? [:]
        let types = Set((linux["namespaces"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String })
        #expect(types == ["pid", "network", "ipc", "uts", "mount"])
        #expect((linux["maskedPaths"] as? [String] ?? []).contains("/proc/kcore"))
        #expect((linux["readonlyPaths"] as? [String] ?? []).contains("/proc/sys"))
        #expect(linux["cgroupsPath"] == nil)
        let destinations = (config["mounts"] as? [[String: Any]] ?? []).compactMap { $0["destination"] as? String }
        #expect(destinations == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])

        let again = t.runtime(["spec"], currentDirectory: dir)
        #expect(again.status != 0, "\(again)")
        #expect(again.stderr.contains("exists"), "\(again)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == data, "config.json unchanged")
    }

    @Test("spec --bundle DIR, and the generated spec runs")
    func specBundleRuns() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let dir = try t.hostDir("spec-bundle")
        let result = t.runtime(["spec", "--bundle", dir])
        #expect(result.status == 0, "\(result)")
        try #require(FileManager.default.fileExists(atPath: dir + "/config.json"))
        // Run the generated spec with the sandbox's rootfs and no terminal.
        try FileManager.default.moveItem(atPath: t.rootfs, toPath: dir + "/rootfs")
        try FileManager.default.removeItem(atPath: t.configPath)
        try FileManager.default.moveItem(atPath: dir + "/config.json", toPath: t.configPath)
        try FileManager.default.moveItem(atPath: dir + "/rootfs", toPath: t.rootfs)
        try t.setConfig("process.terminal", false)
        #expect(try t.output(["sh", "-c", "echo generated spec ok"]) == "generated spec ok")

        let missing = t.runtime(["spec", "--bundle", t.dir + "/no-such-dir"])
        #expect(missing.status != 0, "\(missing)")
    }

    @Test("state of a running container is JSON")
    func stateJSON() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let result = t.runtime(["state", id])
        #expect(result.status == 0, "\(result)")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(state["status"] as? String == "running")
        #expect(state["id"] as? String == id)
        #expect((state["pid"] as? Int ?? 0) > 0)
        #expect(Set(state.keys) == Lifecycle.stateKeys)
    }

    @Test("--log FILE --log-format json writes a JSON error line")
    func logJSON() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let log = t.dir + "/runtime.log"
        let id = t.newID("log")
        let result = t.runtimeRaw(["--root", t.root, "--log", log, "--log-format", "json", "state", id])
        #expect(result.status != 0, "\(result)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 1, "\(text)")
        let entry = try #require(try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any], "\(text)")
        #expect(Set(entry.keys).isSuperset(of: ["level", "msg", "time"]), "\(entry.keys.sorted())")
        #expect(entry["level"] as? String == "error")
        #expect((entry["msg"] as? String ?? "").contains("does not exist"), "\(entry)")
        #expect((entry["time"] as? String ?? "").contains("T"), "\(entry)")
        #expect(result.stderr.contains("does not exist"), "the message also goes to stderr: \(result)")
    }

    @Test("--log FILE (text format) writes a level=error line")
    func logText() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let log = t.dir + "/runtime.log"
        let result = t.runtimeRaw(["--root", t.root, "--log", log, "state", t.newID("log")])
        #expect(result.status != 0, "\(result)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        // runc: time="2006-01-02T15:04:05Z" level=error msg="container does not exist"
        #expect(text.hasPrefix("time=\""), "\(text)")
        #expect(text.contains(" level=error msg=\""), "\(text)")
        #expect(text.contains("does not exist"), "\(text)")
        #expect(result.stderr.contains("does not exist"), "the message also goes to stderr: \(result)")
    }

    @Test("without --log, errors go to stderr as one logrus-style line")
    func errorLine() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = t.runtime(["state", t.newID("err")])
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 1, "\(result)")
        // runc: time="2006-01-02T15:04:05Z" level=error msg="container does not exist"
        let line = lines.first ?? ""
        #expect(line.hasPrefix("time=\"") && line.contains(" level=error msg=\""), "\(result)")
        #expect(line.contains("does not exist") && line.hasSuffix("\""), "\(result)")
    }

    @Test("global flags after the command", .disabled(if: Harness.isRunc, "Petrel extension: runc only takes global flags before the command"))
    func globalFlagsAfterCommand() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.create(["sleep", "100"])
        let result = t.runtimeRaw(["state", "--root", t.root, id])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("\"created\""), "\(result)")
    }

    @Test("the hot verbs take every flag spelling (--root=DIR, -f, -a, flags after the id) and fall back cleanly")
    func hotVerbSpellings() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.create(["sleep", "100"])
        let equals = t.runtimeRaw(["--root=" + t.root, "--log-format=json", "state", id])
        #expect(equals.status == 0 && equals.stdout.contains("\"created\""), "\(equals)")
        #expect(t.runtime(["start", id]).status == 0)
        #expect(t.waitForStatus(id, "running"))
        let all = t.runtime(["kill", "-a", id, "KILL"])
        #expect(all.status == 0, "\(all)")
        #expect(t.waitForStatus(id, "stopped"))
        let delete = t.runtime(["delete", id, "-f"])
        #expect(delete.status == 0, "\(delete)")
        #expect(!t.hasStateDir(id))
        // Not for the fast path: usage errors and help still come from the full parser.
        let missing = t.runtime(["state"])
        #expect(missing.status == 1 && !missing.stderr.isEmpty, "\(missing)")
        let extra = t.runtime(["start", id, "surplus"])
        #expect(extra.status == 1, "\(extra)")
        let help = t.runtimeRaw(["state", "--help"])
        #expect(help.status == 0 && help.stdout.lowercased().contains("usage"), "\(help)")
        let unknownFlag = t.runtime(["delete", "--bogus", id])
        #expect(unknownFlag.status == 1, "\(unknownFlag)")
    }
}
