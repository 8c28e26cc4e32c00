import ConformanceKit
import FoundationEssentials
import Glibc

/// How a case ends when it does not pass.
enum Outcome: Error {
    case fail(String)
    case skip(String)
    /// Every assertion that ran held, but some could not run here: not a plain pass.
    case partial(skipped: Int, of: Int, reason: String)
}

/// What the whole run shares: the runtime under test, its state directory, the prepared
/// busybox and checker binaries, facts about the runtime's side of the host.
final class Suite {
    let runtime: String
    let workDir: String
    let stateRoot: String
    let baseDir: String
    var commands: CommandRunner
    let host: HostFacts
    var keep = false

    init(runtime: String, workDir: String, checker: String, timeout: Double) throws {
        self.runtime = runtime
        self.workDir = workDir
        stateRoot = workDir + "/state"
        baseDir = workDir + "/base"
        mkdir(stateRoot, 0o700)
        mkdir(baseDir, 0o755)
        commands = CommandRunner(
            scratch: workDir, timeout: timeout,
            environment: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"])
        host = HostFacts.gather()
        try copyFile("/bin/busybox", baseDir + "/busybox", mode: 0o755)
        try copyFile(checker, baseDir + "/oci-check", mode: 0o755)
    }
}

/// One case's bundle, container ids and helper processes; cleaned up when the case ends.
struct Fixture {
    let suite: Suite
    let dir: String
    let bundle: String
    let rootfs: String
    var config: JSON
    /// Facts for oci-check (/oci/expect.json): the runtime's namespaces, bind sources...
    var expect: JSON
    private(set) var ids: [String] = []
    var helpers: [pid_t] = []
    /// Mounts the case made on the host (in its own directory), lazily unmounted at cleanup.
    var hostMounts: [String] = []
    /// argv[0] of the checker (a bare name tests the PATH lookup).
    var checkerArgv0 = "/oci/oci-check"
    nonisolated(unsafe) private static var serial = 0

    init(suite: Suite, name: String) throws {
        Fixture.serial += 1
        self.suite = suite
        dir = "\(suite.workDir)/\(Fixture.serial)-\(name)"
        bundle = dir + "/bundle"
        rootfs = bundle + "/rootfs"
        config = BaseConfig.make()
        expect = [
            "runtimeNamespaces": .object(suite.host.namespaces.mapValues { .string($0) }),
            "runtimeOomScoreAdj": .number(suite.host.oomScoreAdj),
        ]
        for path in [dir, bundle, rootfs] { mkdir(path, 0o755) }
        try makeRootfs()
    }

    /// busybox with the applets the cases use, oci-check, /etc/passwd and /etc/group.
    private func makeRootfs() throws {
        for sub in ["bin", "proc", "sys", "dev", "tmp", "etc", "oci", "oci/hooks", "root", "home"] {
            mkdir("\(rootfs)/\(sub)", 0o755)
        }
        chmod("\(rootfs)/oci/hooks", 0o777)
        chmod("\(rootfs)/tmp", 0o1777)
        try linkOrCopy(suite.baseDir + "/busybox", "\(rootfs)/bin/busybox")
        try linkOrCopy(suite.baseDir + "/oci-check", "\(rootfs)/oci/oci-check")
        for applet in ["sh", "cat", "echo", "sleep", "true", "false", "touch", "mkdir", "ls", "readlink",
                       "kill", "id", "test", "sed", "tr", "env", "trap", "printf"] {
            symlink("busybox", "\(rootfs)/bin/\(applet)")
        }
        try writeFile("\(rootfs)/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home:/bin/sh\n")
        try writeFile("\(rootfs)/etc/group", "root:x:0:\ntty:x:5:\nuser:x:1000:\n")
    }

    var containerFile: (String) -> String { { [rootfs] in rootfs + $0 } }

    mutating func newID() -> String {
        let id = "oc\(getpid())-\(ids.count)-\(Fixture.serial)"
        ids.append(id)
        return id
    }

    /// Writes config.json into the bundle and, for oci-check, /oci/config.json and /oci/expect.json.
    func writeBundle() throws {
        try writeFile(bundle + "/config.json", config.pretty)
        try writeFile(rootfs + "/oci/config.json", config.pretty)
        try writeFile(rootfs + "/oci/expect.json", expect.pretty)
    }

    // MARK: the runtime's command line

    func runtime(_ args: [String], stdout: String? = nil, timeout: Double? = nil) -> CommandResult {
        suite.commands.run([suite.runtime, "--root", suite.stateRoot] + args, stdoutPath: stdout, timeout: timeout)
    }

    /// `create` with the container's stdout going to DIR/ID.out.
    func create(_ id: String, extra: [String] = []) -> CommandResult {
        runtime(["create", "--bundle", bundle] + extra + [id], stdout: "\(dir)/\(id).out")
    }

    /// `create` with `--log FILE --log-format json` (runc writes its errors there); the
    /// result and the log's text.
    func createLogged(_ id: String) -> (CommandResult, log: String) {
        let log = "\(dir)/\(id).log"
        let result = suite.commands.run(
            [suite.runtime, "--root", suite.stateRoot, "--log", log, "--log-format", "json",
             "create", "--bundle", bundle, id], stdoutPath: "\(dir)/\(id).out")
        return (result, (try? readText(log)) ?? "")
    }

    func state(_ id: String) -> JSON? {
        let result = runtime(["state", id])
        guard result.succeeded else { return nil }
        return try? JSON(parsing: result.stdout)
    }

    func status(_ id: String) -> String {
        state(id)?["status"].string ?? "(no state)"
    }

    /// Polls `state` until the status is `wanted`.
    func waitStatus(_ id: String, _ wanted: String, timeout: Double = 10) -> Bool {
        let deadline = Clock.now + timeout
        while Clock.now < deadline {
            if status(id) == wanted { return true }
            Clock.sleep(0.02)
        }
        return false
    }

    /// Polls until a file exists on the host.
    func waitFile(_ path: String, timeout: Double = 10) -> Bool {
        let deadline = Clock.now + timeout
        while Clock.now < deadline {
            if fileExists(path) { return true }
            Clock.sleep(0.02)
        }
        return false
    }

    /// Gives the container a cgroupsPath of the suite's own (written into the bundle), so
    /// what a failed create leaves can be found; returns it.
    func useOwnCgroupsPath(_ id: String) throws -> String {
        var edited = self
        let path = "/oci-conformance-\(getpid())/\(id)"
        edited.config[path: "linux.cgroupsPath"] = .string(path)
        try edited.writeBundle()
        return path
    }

    /// The cgroup directories of `path` that exist; removes them (and the suite's parent).
    func leftoverCgroups(_ path: String) -> [String] {
        let found = CgroupCases.cgroupDirectories(path).filter { fileExists($0) }
        for dir in found { rmdir(dir) }
        CgroupCases.removeCgroupParent("oci-conformance-\(getpid())")
        return found
    }

    /// Binds `path` onto itself and makes it shared (a peer group of its own, as systemd makes
    /// the host's mounts), so a runtime's propagation can be told apart: a copy of it is shared,
    /// a slave of it shows master:N, and only the runtime makes it private. Returns the group N.
    mutating func makeSharedMount(_ path: String) throws -> Int {
        try requireSuccess(suite.commands.run(["mount", "--bind", path, path]), "bind \(path) onto itself")
        hostMounts.append(path)
        try requireSuccess(suite.commands.run(["mount", "--make-shared", path]), "make \(path) shared")
        guard let group = MountInfo.top(at: path, in: MountInfo.read())?.sharedGroup else {
            throw Outcome.fail("\(path): no shared:N in the runner's mountinfo after mount --make-shared")
        }
        return group
    }

    // MARK: assertions

    func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Outcome.fail(message()) }
    }

    func requireSuccess(_ result: CommandResult, _ what: String) throws {
        if !result.succeeded { throw Outcome.fail("\(what): \(result.summary)") }
    }

    func requireFailure(_ result: CommandResult, _ what: String) throws {
        if result.succeeded { throw Outcome.fail("\(what) succeeded; the spec requires an error") }
        if result.timedOut { throw Outcome.fail("\(what) hung: \(result.summary)") }
    }

    /// The runtime's error (stderr or the log) must name the field at JSON path `field`
    /// (ErrorMessage.names: the path, or the field's key with its parent's name).
    func requireNamed(_ field: String, in result: CommandResult, log: String, words: [String] = []) throws {
        let text = result.stderr + "\n" + log
        if !ErrorMessage.names(text, field) && !words.contains(where: { ErrorMessage.containsWord(text.lowercased(), $0.lowercased()) }) {
            let shown = ErrorMessage.errorLines(text).joined(separator: " | ")
            throw Outcome.fail("refused, but the error does not name \(field): \(shown.isEmpty ? "(no error text)" : shown)")
        }
    }

    // MARK: cleanup

    mutating func cleanup() {
        // runc, crun and petrel keep one directory per container under --root: skip the
        // (slow under emulation) delete when the runtime left nothing behind.
        for id in ids.reversed() where fileExists(suite.stateRoot + "/" + id) {
            _ = runtime(["delete", "--force", id], timeout: 20)
        }
        for pid in helpers {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        // Lazily: a shared rootfs also received the container's mounts (rootfsPropagation shared).
        for path in hostMounts.reversed() {
            _ = suite.commands.run(["umount", "-l", path])
        }
        if !suite.keep { removeTree(dir) }
    }
}

/// The runtime's side of the host, for comparison with what the container sees.
struct HostFacts {
    var namespaces: [String: String]
    var oomScoreAdj: Int
    var cgroup2: Bool

    static func gather() -> HostFacts {
        var namespaces: [String: String] = [:]
        for name in ["pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"] {
            var buffer = [CChar](repeating: 0, count: 256)
            let count = readlink("/proc/self/ns/\(name)", &buffer, 255)
            if count > 0 {
                namespaces[name] = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        let oom = readTrimmed("/proc/self/oom_score_adj").flatMap { Int($0) } ?? 0
        return HostFacts(namespaces: namespaces, oomScoreAdj: oom,
                         cgroup2: fileExists("/sys/fs/cgroup/cgroup.controllers"))
    }
}

func copyFile(_ from: String, _ to: String, mode: mode_t) throws {
    let bytes = try readFile(from)
    let fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    if fd < 0 { throw IOFailure("open", to) }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count <= 0 { throw IOFailure("write", to) }
        offset += count
    }
    fchmod(fd, mode)
}

/// A hard link when possible (same file system), else a copy.
func linkOrCopy(_ from: String, _ to: String) throws {
    if link(from, to) == 0 { return }
    var st = stat()
    stat(from, &st)
    try copyFile(from, to, mode: st.st_mode & 0o7777)
}

/// rm -rf without following symlinks or crossing into mounts.
func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if st.st_mode & S_IFMT == S_IFDIR {
        if let dir = opendir(path) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { removeTree(path + "/" + name) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}
