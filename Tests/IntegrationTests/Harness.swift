// Harness for the integration tests: they drive a runc-compatible runtime binary
// (Petrel, or runc itself to validate the tests) through its command line, as root.
//
// - The binary is $PETREL_BIN, default <package root>/.build/debug/petrel.
// - Every test makes its own Sandbox: a fresh /tmp/petrel-it-XXXXXX directory holding the
//   runtime's --root state directory and a busybox bundle made by scripts/make-bundle.
//   `defer { t.cleanup() }` runs `delete --force` on every id the test made and removes it.
// - Every child process has a timeout: it is killed and the test fails instead of hanging.
// - Tests marked `.disabled(if: Harness.isRunc, ...)` check where Petrel deliberately differs
//   from runc; they are skipped when the binary's name is `runc`.

import Foundation
import Testing

// MARK: - Global configuration

enum Harness {
    /// The package root: the directory holding scripts/make-bundle, found upwards from this
    /// file (symlinks resolved, so a throwaway package linking this directory works too).
    static let packageRoot: String? = {
        if let env = ProcessInfo.processInfo.environment["PETREL_PACKAGE_ROOT"], !env.isEmpty {
            return env
        }
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("scripts/make-bundle").path) {
                return url.path
            }
            url.deleteLastPathComponent()
        }
        return nil
    }()

    static var makeBundle: String { (packageRoot ?? ".") + "/scripts/make-bundle" }

    /// The runtime under test.
    static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["PETREL_BIN"], !env.isEmpty {
            if env.hasPrefix("/") { return env }
            if env.contains("/") { return FileManager.default.currentDirectoryPath + "/" + env }
            return which(env) ?? env
        }
        return (packageRoot ?? FileManager.default.currentDirectoryPath) + "/.build/debug/petrel"
    }()

    /// $PETREL_TEST_WRAPPER: a program every runtime call runs under (`WRAPPER BINARY ARGS...`),
    /// e.g. scripts/no-clone3 to run a suite with clone3 filtered as Docker's seccomp profile does.
    static let wrapper: [String] = {
        guard let env = ProcessInfo.processInfo.environment["PETREL_TEST_WRAPPER"], !env.isEmpty else { return [] }
        return env.split(separator: " ").map(String.init)
    }()

    /// True when the binary under test is runc itself (validation run): Petrel deviations are skipped.
    static let isRunc: Bool = {
        let resolved = URL(fileURLWithPath: binary).resolvingSymlinksInPath().lastPathComponent
        return URL(fileURLWithPath: binary).lastPathComponent == "runc" || resolved == "runc"
    }()

    static let isRoot: Bool = geteuid() == 0

    /// Why the integration tests cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        if !isRoot { return "integration tests need root (run as root: swift test --filter IntegrationTests)" }
        if !FileManager.default.isExecutableFile(atPath: binary) {
            return "runtime binary \(binary) not found; build petrel (swift build) or set PETREL_BIN"
        }
        if packageRoot == nil { return "scripts/make-bundle not found (set PETREL_PACKAGE_ROOT)" }
        if which("jq") == nil { return "jq not installed (needed by scripts/make-bundle)" }
        return nil
    }()

    static var available: Bool { unavailableReason == nil }

    /// The trait every suite that needs root and the binary carries.
    static var enabled: ConditionTrait {
        .enabled(
            if: available,
            Comment(rawValue: unavailableReason ?? "runtime available")
        )
    }

    /// Seconds before a child process is killed and the test fails.
    /// Generous: under emulation (the cgroup v2 guest on a busy host) one runtime call can
    /// take seconds. Waits end as soon as their condition holds, so this costs nothing when fast.
    static let commandTimeout: TimeInterval = 90

    /// An executable found on PATH (plus the sbin directories, which sudo may drop).
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init)
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for dir in dirs where !dir.isEmpty {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A short random hex string for unique ids and names.
    static func randomToken(_ length: Int = 8) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<length).map { _ in digits[Int.random(in: 0..<16)] })
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    @discardableResult
    static func eventually(timeout: TimeInterval = 45, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if condition() { return true }
            if Date() >= deadline { return false }
            usleep(20_000)
        }
    }

    /// A live, non-zombie process with this pid?
    static func processAlive(_ pid: Int) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
        return !(rest.hasPrefix("Z") || rest.hasPrefix("X"))
    }

    /// The namespace link of the test process, e.g. "net:[4026531833]".
    static func hostNamespace(_ kind: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(kind)")) ?? "?"
    }
}

// MARK: - Child processes

/// The result of a finished child process.
struct Output: CustomStringConvertible, Sendable {
    var command: [String]
    /// The exit status, or 128+N when the child was killed by signal N (as a shell reports it).
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }

    var description: String {
        var text = "$ \(command.joined(separator: " "))\n  status: \(status)"
        if timedOut { text += " (TIMED OUT, killed)" }
        if !stdout.isEmpty { text += "\n  stdout: \(stdout.debugDescription)" }
        if !stderr.isEmpty { text += "\n  stderr: \(stderr.debugDescription)" }
        return text
    }

    /// stdout without the trailing newline.
    var out: String { stdout.trimmingCharacters(in: .newlines) }
    /// stdout split in lines (no trailing empty line).
    var lines: [String] {
        out.isEmpty ? [] : out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// A started child process, spawned like a shell would: empty signal mask and default signal
/// dispositions (threads of the test runner block most signals, and Foundation's Process passes
/// that mask on), stdin from a file or /dev/null, stdout and stderr to files. Files rather than
/// pipes: a detached container inherits them, and a pipe would then never reach end-of-file.
final class Child: @unchecked Sendable {
    let command: [String]
    private(set) var pid: pid_t = -1
    private let outPath: String
    private let errPath: String
    private var inPath: String?
    private(set) var launchError: String?
    private var exitStatus: Int32?

    init(_ executable: String, _ arguments: [String], stdin: String? = nil, ioDirectory: String,
         currentDirectory: String? = nil, environment: [String: String]? = nil) {
        command = [executable] + arguments
        let token = Harness.randomToken(12)
        outPath = ioDirectory + "/\(token).out"
        errPath = ioDirectory + "/\(token).err"
        let fm = FileManager.default
        try? fm.createDirectory(atPath: ioDirectory, withIntermediateDirectories: true)
        if let stdin {
            inPath = ioDirectory + "/\(token).in"
            _ = fm.createFile(atPath: inPath!, contents: Data(stdin.utf8))
        }

        var argv = [executable] + arguments
        if let currentDirectory, Child.addChdir == nil {
            // Old glibc: let a shell change directory.
            argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", currentDirectory] + argv
        }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let closeFrom = Child.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let currentDirectory, let chdir = Child.addChdir { _ = chdir(&actions, currentDirectory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = -1
        let rc = posix_spawn(&child, argv[0], &actions, &attributes, cArgv, cEnv)
        if rc == 0 {
            pid = child
        } else {
            launchError = "cannot run \(argv[0]): \(String(cString: strerror(rc)))"
        }
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc 2.29+ and 2.34+ extensions, which the Glibc module does not import.
    private static let addChdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
    private static let addCloseFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Reaps the child if it has exited; true when it has.
    private func poll() -> Bool {
        if exitStatus != nil || pid <= 0 { return true }
        var raw: Int32 = 0
        let rc = waitpid(pid, &raw, WNOHANG)
        if rc == pid {
            let signal = raw & 0x7f
            exitStatus = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return true
        }
        if rc < 0 && errno != EINTR {
            exitStatus = -1
            return true
        }
        return false
    }

    /// Waits for the child to exit; after `timeout` seconds it is killed with SIGKILL and the
    /// current test records an issue.
    /// What the process has written to stdout so far (it may still be running).
    var stdoutSoFar: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

    /// Sends a signal (the test owns this process).
    func signal(_ number: Int32) { if pid > 0 { kill(pid, number) } }

    func wait(timeout: TimeInterval = Harness.commandTimeout,
              sourceLocation: SourceLocation = #_sourceLocation) -> Output {
        var timedOut = false
        if launchError == nil {
            let deadline = Date().addingTimeInterval(timeout)
            var pause: useconds_t = 500
            while !poll() {
                if Date() >= deadline {
                    timedOut = true
                    kill(pid, SIGKILL)
                    while !poll() { usleep(1000) }
                    Issue.record("timed out after \(timeout) s, killed: \(command.joined(separator: " "))",
                                 sourceLocation: sourceLocation)
                    break
                }
                usleep(pause)
                pause = min(pause * 2, 10_000)
            }
        }
        let fm = FileManager.default
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        var stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        for path in [outPath, errPath] + (inPath.map { [$0] } ?? []) { try? fm.removeItem(atPath: path) }
        if let launchError {
            stderr += launchError
            Issue.record(Comment(rawValue: launchError), sourceLocation: sourceLocation)
        }
        return Output(command: command, status: exitStatus ?? -1, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }
}

/// Runs a host program to completion (with the harness timeout).
@discardableResult
func host(_ executable: String, _ arguments: [String], stdin: String? = nil,
          environment: [String: String]? = nil, ioDirectory: String = NSTemporaryDirectory(),
          sourceLocation: SourceLocation = #_sourceLocation) -> Output {
    Child(executable, arguments, stdin: stdin, ioDirectory: ioDirectory, environment: environment)
        .wait(sourceLocation: sourceLocation)
}

// MARK: - Per-test sandbox

enum HarnessError: Error, CustomStringConvertible {
    case setup(String)
    var description: String {
        switch self { case .setup(let message): return message }
    }
}

/// One test's private world: temp dir, state root, bundle, ids to clean up.
final class Sandbox: @unchecked Sendable {
    /// /tmp/petrel-it-XXXXXX
    let dir: String
    /// The runtime's --root state directory.
    let root: String
    /// The bundle made by scripts/make-bundle.
    let bundle: String
    var configPath: String { bundle + "/config.json" }
    var rootfs: String { bundle + "/rootfs" }
    /// What every runtime call of this sandbox runs under (see Harness.wrapper).
    var wrapper: [String] = Harness.wrapper
    private var ids: [String] = []
    private var cleanups: [() -> Void] = []
    private let lock = NSLock()

    /// Makes the temp dir and the bundle (args default to `sh`).
    init(args: [String] = ["sh"], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var template = Array("/tmp/petrel-it-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError.setup("mkdtemp failed: errno \(errno)")
        }
        dir = String(cString: made)
        root = dir + "/state"
        bundle = dir + "/bundle"
        do {
            try Sandbox.copyTemplate(to: bundle, ioDirectory: dir + "/io")
            try setArgs(args)
        } catch {
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
    }

    /// The bundle every sandbox copies, made once per test process by scripts/make-bundle and
    /// removed at exit. (Making 270 symlinks per test costs ~0.5 s on some file systems;
    /// hard-linking a finished rootfs costs ~10 ms.)
    private static let template: Result<String, HarnessError> = {
        var name = Array("/tmp/petrel-it-template-XXXXXX".utf8CString)
        guard let made = name.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            return .failure(.setup("mkdtemp failed: errno \(errno)"))
        }
        let dir = String(cString: made)
        Sandbox.templateDir = dir
        atexit {
            if let dir = Sandbox.templateDir { try? FileManager.default.removeItem(atPath: dir) }
        }
        let result = Child(Harness.makeBundle, [dir + "/bundle"], ioDirectory: dir + "/io").wait()
        guard result.succeeded else { return .failure(.setup("scripts/make-bundle failed:\n\(result)")) }
        return .success(dir + "/bundle")
    }()
    nonisolated(unsafe) private static var templateDir: String?

    /// Copies the template bundle: the rootfs hard-linked (tests must replace rootfs files,
    /// never write into existing ones), config.json copied.
    private static func copyTemplate(to bundle: String, ioDirectory: String) throws {
        let template = try Sandbox.template.get()
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        let copied = Child(Harness.which("cp") ?? "/bin/cp", ["-a", "-l", template + "/rootfs", bundle + "/rootfs"],
                           ioDirectory: ioDirectory).wait()
        guard copied.succeeded else { throw HarnessError.setup("copying the template rootfs failed:\n\(copied)") }
        try FileManager.default.copyItem(atPath: template + "/config.json", toPath: bundle + "/config.json")
    }

    /// A fresh unique container id, registered for cleanup.
    func newID(_ hint: String = "c") -> String {
        let id = "pit-\(hint)-\(Harness.randomToken())"
        lock.withLock { ids.append(id) }
        return id
    }

    /// Registers an extra cleanup step (runs before the ids are force-deleted).
    func onCleanup(_ body: @escaping () -> Void) {
        lock.withLock { cleanups.append(body) }
    }

    /// `delete --force` every id made here, then remove the temp dir.
    func cleanup() {
        let (steps, all) = lock.withLock { (cleanups, ids) }
        for step in steps.reversed() { step() }
        for id in all.reversed() {
            _ = Child(Harness.binary, ["--root", root, "delete", "--force", id], ioDirectory: dir + "/io")
                .wait(timeout: 10)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: Running the runtime

    /// Runs the runtime with `--root <root>` prepended.
    @discardableResult
    func runtime(_ args: [String], stdin: String? = nil, timeout: TimeInterval = Harness.commandTimeout,
                 currentDirectory: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Output {
        spawn(args, stdin: stdin, currentDirectory: currentDirectory).wait(timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Runs the runtime with exactly these arguments (no --root).
    @discardableResult
    func runtimeRaw(_ args: [String], stdin: String? = nil, currentDirectory: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) -> Output {
        child(args, stdin: stdin, currentDirectory: currentDirectory).wait(sourceLocation: sourceLocation)
    }

    /// Starts the runtime (with --root) without waiting.
    func spawn(_ args: [String], stdin: String? = nil, currentDirectory: String? = nil) -> Child {
        child(["--root", root] + args, stdin: stdin, currentDirectory: currentDirectory)
    }

    private func child(_ args: [String], stdin: String?, currentDirectory: String?) -> Child {
        guard let program = wrapper.first else {
            return Child(Harness.binary, args, stdin: stdin, ioDirectory: dir + "/io", currentDirectory: currentDirectory)
        }
        return Child(program, Array(wrapper.dropFirst()) + [Harness.binary] + args, stdin: stdin, ioDirectory: dir + "/io",
                     currentDirectory: currentDirectory)
    }

    /// `run --bundle <bundle> <new id>` in the foreground with the given args.
    func run(_ args: [String], extra: [String] = [], hint: String = "run",
             sourceLocation: SourceLocation = #_sourceLocation) throws -> Output {
        try setArgs(args)
        let id = newID(hint)
        return runtime(["run", "--bundle", bundle] + extra + [id], sourceLocation: sourceLocation)
    }

    /// Like `run`, but expects success and returns stdout without its trailing newline.
    func output(_ args: [String], extra: [String] = [],
                sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(args, extra: extra, sourceLocation: sourceLocation)
        #expect(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        return result.out
    }

    /// `create` a new container (args set first when given); expects success; returns its id.
    func create(_ args: [String]? = nil, extra: [String] = [], hint: String = "c",
                sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        if let args { try setArgs(args) }
        let id = newID(hint)
        let result = runtime(["create", "--bundle", bundle] + extra + [id], sourceLocation: sourceLocation)
        guard result.succeeded else {
            throw HarnessError.setup("create failed:\n\(result)")
        }
        return id
    }

    /// `run --detach` a new container; expects success; returns its id.
    func runDetached(_ args: [String], hint: String = "d",
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try setArgs(args)
        let id = newID(hint)
        let result = runtime(["run", "--detach", "--bundle", bundle, id], sourceLocation: sourceLocation)
        guard result.succeeded else {
            throw HarnessError.setup("run --detach failed:\n\(result)")
        }
        return id
    }

    // MARK: State

    /// `state <id>` parsed as a JSON object.
    func state(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = runtime(["state", id], sourceLocation: sourceLocation)
        guard result.succeeded else { throw HarnessError.setup("state failed:\n\(result)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw HarnessError.setup("state output is not a JSON object:\n\(result)")
        }
        return object
    }

    /// The status field of `state <id>`, or nil when state fails.
    func status(_ id: String) -> String? {
        let result = runtime(["state", id])
        guard result.succeeded,
              let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else { return nil }
        return object["status"] as? String
    }

    /// Polls until `state <id>` reports `status` (up to `timeout` seconds).
    @discardableResult
    func waitForStatus(_ id: String, _ status: String, timeout: TimeInterval = 45) -> Bool {
        Harness.eventually(timeout: timeout) { self.status(id) == status }
    }

    /// The ids `list --quiet` prints.
    func listedIDs() -> [String] {
        runtime(["list", "--quiet"]).lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Does `<root>/<id>` exist?
    func hasStateDir(_ id: String) -> Bool {
        FileManager.default.fileExists(atPath: root + "/" + id)
    }

    // MARK: Editing config.json

    /// Loads config.json, lets `body` change it, writes it back.
    func editConfig(_ body: (inout [String: Any]) throws -> Void) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: configPath))
        guard var config = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError.setup("config.json is not a JSON object")
        }
        try body(&config)
        let out = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try out.write(to: URL(fileURLWithPath: configPath))
    }

    /// Sets a value at a dotted path ("process.user"), creating objects on the way.
    func setConfig(_ path: String, _ value: Any) throws {
        try editConfig { config in config.setValue(value, at: path.split(separator: ".").map(String.init)) }
    }

    /// Removes the value at a dotted path.
    func removeConfig(_ path: String) throws {
        try editConfig { config in config.setValue(nil, at: path.split(separator: ".").map(String.init)) }
    }

    func setArgs(_ args: [String]) throws { try setConfig("process.args", args) }

    /// Appends a mount to config.json.
    func addMount(destination: String, type: String, source: String, options: [String]) throws {
        try editConfig { config in
            var mounts = config["mounts"] as? [Any] ?? []
            mounts.append(["destination": destination, "type": type, "source": source, "options": options])
            config["mounts"] = mounts
        }
    }

    func addBind(_ source: String, at destination: String, readonly: Bool = false) throws {
        try addMount(destination: destination, type: "bind", source: source,
                     options: readonly ? ["rbind", "ro"] : ["rbind"])
    }

    /// Edits linux.namespaces: `body` gets and returns the list of namespace objects.
    func editNamespaces(_ body: ([[String: Any]]) -> [[String: Any]]) throws {
        try editConfig { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            let namespaces = linux["namespaces"] as? [[String: Any]] ?? []
            linux["namespaces"] = body(namespaces)
            config["linux"] = linux
        }
    }

    /// A network namespace made with `ip netns add` (removed at cleanup), which the
    /// container joins instead of making its own. Returns its path (/run/netns/NAME).
    @discardableResult
    func joinNewNamedNetns(ip: String) throws -> String {
        let name = "petrel-it-\(Harness.randomToken())"
        let added = host(ip, ["netns", "add", name], ioDirectory: dir + "/io")
        guard added.succeeded else { throw HarnessError.setup("ip netns add \(name): \(added)") }
        onCleanup { host(ip, ["netns", "del", name], ioDirectory: self.dir + "/io") }
        let path = "/run/netns/\(name)"
        try editNamespaces { namespaces in
            namespaces.map { ns in
                var ns = ns
                if ns["type"] as? String == "network" { ns["path"] = path }
                return ns
            }
        }
        return path
    }

    /// A user namespace mapping container 0-65535 to host 100000-165535, joined at `path`
    /// or new, over a private copy of the rootfs owned by the mapped root (the template is
    /// shared by hard links, so it must not be chowned itself).
    func useUserNamespace(path: String? = nil) throws {
        chmod(dir, 0o755)
        let copy = dir + "/userns-rootfs"
        if !FileManager.default.fileExists(atPath: copy) {
            guard host("/bin/cp", ["-a", rootfs, copy], ioDirectory: dir).succeeded else {
                throw HarnessError.setup("cannot copy the rootfs to \(copy)")
            }
            _ = host("/bin/chown", ["-R", "100000:100000", copy], ioDirectory: dir)
        }
        try setConfig("root.path", copy)
        try setConfig("root.readonly", false)
        try editNamespaces { namespaces in
            namespaces.filter { $0["type"] as? String != "user" } + [path.map { ["type": "user", "path": $0] } ?? ["type": "user"]]
        }
        // runc 1.1 wants the maps even when joining; they are the joined namespace's own.
        let mapping = [["containerID": 0, "hostID": 100000, "size": 65536]]
        try setConfig("linux.uidMappings", mapping)
        try setConfig("linux.gidMappings", mapping)
    }

    /// A new directory on the host inside the sandbox (e.g. a bind mount source).
    func hostDir(_ name: String) throws -> String {
        let path = dir + "/host/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Sets (or with nil removes) the value at a key path, creating objects on the way.
    mutating func setValue(_ value: Any?, at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var child = self[first] as? [String: Any] ?? [:]
        child.setValue(value, at: Array(path.dropFirst()))
        self[first] = child
    }
}
