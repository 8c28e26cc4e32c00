import Foundation
import Testing

/// Where the runtime under test is and whether these tests can run here: they create
/// real containers, so they need root and a built binary (PETREL_BIN, default
/// .build/debug/petrel). Pointing PETREL_BIN at runc checks the tests themselves.
enum Runtime {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let binary: String = ProcessInfo.processInfo.environment["PETREL_BIN"]
        ?? packageRoot + "/.build/debug/petrel"

    static let available: Bool = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: binary)

    /// Petrel follows the runtime spec where runc does not; such cases skip under runc.
    static let isRunc: Bool = URL(fileURLWithPath: binary).lastPathComponent == "runc"

    /// A pure cgroup v2 host: /sys/fs/cgroup itself is cgroup2.
    static let cgroupV2: Bool = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
}

struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs a program with files for stdout/stderr (a detached container may keep them
/// open forever; pipes would hang) and a timeout after which it is killed.
func runProgram(_ path: String, _ arguments: [String], in directory: String, timeout: Double = 20) -> Output {
    let outPath = directory + "/.out-\(UUID().uuidString)"
    let errPath = directory + "/.err-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    process.standardOutput = FileHandle(forWritingAtPath: outPath)
    process.standardError = FileHandle(forWritingAtPath: errPath)
    do {
        try process.run()
    } catch {
        return Output(status: -1, stdout: "", stderr: "cannot run \(path): \(error)")
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    var timedOut = false
    if process.isRunning {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    var err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    if timedOut { err += "\n[timed out after \(timeout) s: \(path) \(arguments.joined(separator: " "))]" }
    return Output(status: process.terminationStatus, stdout: out, stderr: err)
}

/// One test's world: a temp dir with its own --root and a busybox bundle. Every id it
/// hands out is force-deleted and the directory removed when the sandbox goes away.
final class Sandbox {
    let dir: String
    let root: String
    let bundle: String
    private(set) var ids: [String] = []

    init(_ args: [String] = ["sh"]) throws {
        let template = "/tmp/petrel-it-XXXXXX"
        var buffer = Array(template.utf8CString)
        guard let made = mkdtemp(&buffer) else { throw HarnessError("mkdtemp failed") }
        dir = String(cString: made)
        root = dir + "/state"
        bundle = dir + "/bundle"
        let made2 = runProgram(Runtime.packageRoot + "/scripts/make-bundle", [bundle, "--"] + args, in: dir)
        guard made2.status == 0 else { throw HarnessError("make-bundle failed: \(made2.stderr)") }
    }

    deinit {
        for id in ids { _ = runProgram(Runtime.binary, ["--root", root, "delete", "--force", id], in: dir) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A fresh container id, cleaned up with the sandbox.
    func id(_ name: String = "c") -> String {
        let id = "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
        ids.append(id)
        return id
    }

    @discardableResult
    func runtime(_ arguments: [String], timeout: Double = 20) -> Output {
        runProgram(Runtime.binary, ["--root", root] + arguments, in: dir, timeout: timeout)
    }

    /// `run` in the foreground with the bundle as it is now.
    func run(_ extra: [String] = []) -> Output {
        runtime(["run", "--bundle", bundle] + extra + [id("run")])
    }

    func state(_ id: String) -> [String: Any]? {
        let result = runtime(["state", id])
        guard result.status == 0, let data = result.stdout.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    func status(_ id: String) -> String? { state(id)?["status"] as? String }

    /// Polls until the container reaches `status` (or the time is up).
    func waitFor(_ id: String, status expected: String, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if status(id) == expected { return true }
            usleep(20_000)
        }
        return false
    }

    var configPath: String { bundle + "/config.json" }

    func config() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: configPath))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError("config.json is not an object")
        }
        return object
    }

    /// Edits config.json as a JSON object.
    func edit(_ change: (inout [String: Any]) throws -> Void) throws {
        var object = try config()
        try change(&object)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        try data.write(to: URL(fileURLWithPath: configPath))
    }

    func setArgs(_ args: [String]) throws {
        try edit { config in
            var process = config["process"] as? [String: Any] ?? [:]
            process["args"] = args
            config["process"] = process
        }
    }

    /// Paths under --root left for an id (none after delete).
    func leftovers(_ id: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + id) }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Dictionary where Key == String, Value == Any {
    /// config["process"]["env"] style access for edits.
    subscript(path first: String, _ second: String) -> Any? {
        get { (self[first] as? [String: Any])?[second] }
        set {
            var inner = self[first] as? [String: Any] ?? [:]
            inner[second] = newValue
            self[first] = inner
        }
    }
}
