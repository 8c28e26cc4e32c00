// A private containerd (Debian's 1.6.20) for the shim tests: its config, root, state, grpc and
// ttrpc sockets, ctr's fifos, the shims' sockets and the runtime's state all live in one temp
// dir; the CRI plugin is off. One instance serves the whole (serialized) suite; it is stopped by
// its pid and its dir removed by the teardown test or, failing that, at exit.
//
// The runtime under test is $SHIM_TEST_RUNTIME: `io.containerd.petrel.v2` (default: the shim
// binary next to PETREL_BIN, or $PETREL_SHIM_BIN, is linked into a dir first on containerd's
// PATH) or `io.containerd.runc.v2` (validation against the Go runc shim and runc, whose state
// goes to --runc-root in the temp dir). containerd passes its environment to the shims:
// PETREL_SHIM_SOCKET_DIR and PETREL_SHIM_ROOT keep the Petrel shim's sockets and state here.

import Foundation
import Testing

enum ContainerdTools {
    static let containerd = Harness.which("containerd")
    static let ctr = Harness.which("ctr")
    static let python = Harness.which("python3")
    static let script = Harness.which("script")

    /// $SHIM_TEST_RUNTIME; unset, the Petrel shim, or runc's when PETREL_BIN is runc (a validation run).
    static let runtime: String = {
        let env = ProcessInfo.processInfo.environment["SHIM_TEST_RUNTIME"] ?? ""
        if !env.isEmpty { return env }
        return Harness.isRunc ? "io.containerd.runc.v2" : "io.containerd.petrel.v2"
    }()

    static var isRunc: Bool { runtime == "io.containerd.runc.v2" }

    /// The Petrel shim: $PETREL_SHIM_BIN, else next to the runtime binary under test.
    static let shimBinary: String = {
        if let env = ProcessInfo.processInfo.environment["PETREL_SHIM_BIN"], !env.isEmpty {
            return env.hasPrefix("/") ? env : FileManager.default.currentDirectoryPath + "/" + env
        }
        return URL(fileURLWithPath: Harness.binary).deletingLastPathComponent().path + "/containerd-shim-petrel-v2"
    }()

    static var makeOCIImage: String { (Harness.packageRoot ?? ".") + "/scripts/make-oci-image" }

    static let unavailableReason: String? = {
        if !Harness.isRoot { return "containerd tests need root" }
        if containerd == nil { return "containerd not installed (Debian: apt-get install containerd)" }
        if ctr == nil { return "ctr not installed (Debian: apt-get install containerd)" }
        if python == nil { return "python3 not installed (scripts/make-oci-image, the ttrpc Update call)" }
        if Harness.packageRoot == nil { return "scripts/make-bundle not found (set PETREL_PACKAGE_ROOT)" }
        if Harness.which("jq") == nil { return "jq not installed (needed by scripts/make-bundle)" }
        if runtime == "io.containerd.petrel.v2", !FileManager.default.isExecutableFile(atPath: shimBinary) {
            return "\(shimBinary) not found: build it (swift build) or set PETREL_SHIM_BIN, or SHIM_TEST_RUNTIME=io.containerd.runc.v2"
        }
        if runtime != "io.containerd.petrel.v2" && runtime != "io.containerd.runc.v2" {
            return "SHIM_TEST_RUNTIME=\(runtime): only io.containerd.petrel.v2 and io.containerd.runc.v2 are known"
        }
        return nil
    }()

    static var enabled: ConditionTrait {
        .enabled(if: unavailableReason == nil, Comment(rawValue: unavailableReason ?? "containerd available"))
    }
}

/// A running task as `ctr task ls` shows it.
struct CtrTask: Equatable {
    var pid: Int
    var status: String
}

final class Containerd: @unchecked Sendable {
    let dir: String
    let namespace: String
    let image = "localhost/petrel-it-busybox:latest"
    var socket: String { dir + "/containerd.sock" }
    var config: String { dir + "/config.toml" }
    var fifoDir: String { dir + "/fifo" }
    var runcRoot: String { dir + "/runc" }
    var shimSocketDir: String { dir + "/s" }
    var petrelState: String { dir + "/petrel-state" }
    var stateDir: String { dir + "/state" }
    var rootfsTemplate: String { dir + "/bundle/rootfs" }
    /// The bundles of the tasks of our namespace.
    var taskDir: String { stateDir + "/io.containerd.runtime.v2.task/" + namespace }
    var runtime: String { ContainerdTools.runtime }
    private var daemon: Child?
    private let lock = NSLock()
    /// Shim addresses seen (runc's shims put their sockets in /run/containerd/s): checked at the end.
    private(set) var shimAddresses: Set<String> = []

    private init() throws {
        var template = Array("/tmp/petrel-ctr-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError.setup("mkdtemp failed: errno \(errno)")
        }
        dir = String(cString: made)
        namespace = "pit-" + Harness.randomToken(6)
        let fm = FileManager.default
        for sub in ["bin", "fifo", "s", "petrel-state", "runc", "io"] {
            try fm.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        if !ContainerdTools.isRunc {
            try fm.createSymbolicLink(atPath: dir + "/bin/containerd-shim-petrel-v2",
                                      withDestinationPath: ContainerdTools.shimBinary)
        }
        let toml = """
            version = 2
            root = "\(dir)/root"
            state = "\(dir)/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "\(socket)"
            [ttrpc]
              address = "\(socket).ttrpc"

            """
        do {
            try toml.write(toFile: config, atomically: true, encoding: .utf8)
            try start()
            try importImage()
        } catch {
            stop()
            removeDir()
            throw error
        }
    }

    // MARK: The shared instance

    nonisolated(unsafe) private static var current: Containerd?
    private static let sharedLock = NSLock()

    /// The suite's containerd, started at the first use (again after a teardown).
    static func shared() throws -> Containerd {
        try sharedLock.withLock {
            if let current { return current }
            // A failed setup fails every test at once instead of being retried by each.
            if let setupError { throw setupError }
            let made: Containerd
            do { made = try Containerd() } catch {
                setupError = error
                throw error
            }
            if !atexitRegistered {
                atexitRegistered = true
                atexit { Containerd.tearDownShared() }
            }
            current = made
            return made
        }
    }
    nonisolated(unsafe) private static var atexitRegistered = false
    nonisolated(unsafe) private static var setupError: (any Error)?

    /// Removes every container, stops containerd, detaches what is left mounted, removes the dir.
    static func tearDownShared() {
        let instance = sharedLock.withLock { () -> Containerd? in
            defer { current = nil }
            return current
        }
        guard let instance else { return }
        instance.removeAllContainers()
        instance.stop()
        instance.removeDir()
    }

    /// Forgets the shared instance (the teardown test checks and removes it itself).
    static func takeShared() -> Containerd? {
        sharedLock.withLock {
            defer { current = nil }
            return current
        }
    }

    // MARK: The daemon

    var pid: pid_t? { lock.withLock { daemon?.pid } }

    func start() throws {
        let env = ProcessInfo.processInfo.environment
        var environment = env
        environment["PATH"] = ([dir + "/bin"] + (env["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]).joined(separator: ":")
        environment["PETREL_SHIM_SOCKET_DIR"] = shimSocketDir
        environment["PETREL_SHIM_ROOT"] = petrelState
        guard let containerd = ContainerdTools.containerd else { throw HarnessError.setup("containerd not found") }
        let child = Child(containerd, ["--config", config], ioDirectory: dir + "/daemon-log", environment: environment)
        lock.withLock { daemon = child }
        let ready = Harness.eventually(timeout: 60) {
            guard FileManager.default.fileExists(atPath: self.socket), Harness.processAlive(Int(child.pid)) else {
                return !Harness.processAlive(Int(child.pid))
            }
            return Child(ContainerdTools.ctr!, ["-a", self.socket, "version"], ioDirectory: self.dir + "/io")
                .wait(timeout: 30).succeeded
        }
        guard ready, Harness.processAlive(Int(child.pid)) else {
            throw HarnessError.setup("containerd did not start:\n\(daemonLog())")
        }
    }

    /// SIGTERM to our containerd (by its pid), waits for it; the shims go on running.
    func stop() {
        guard let child = lock.withLock({ () -> Child? in defer { daemon = nil }; return daemon }) else { return }
        child.signal(SIGTERM)
        _ = child.wait(timeout: 60)
    }

    func restart() throws {
        stop()
        try start()
    }

    /// containerd's own output (stdout and stderr files of the daemon).
    func daemonLog() -> String {
        let logDir = dir + "/daemon-log"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: logDir)) ?? []
        return files.sorted().compactMap { try? String(contentsOfFile: logDir + "/" + $0, encoding: .utf8) }
            .joined(separator: "\n").split(separator: "\n").suffix(40).joined(separator: "\n")
    }

    private func importImage() throws {
        let bundle = dir + "/bundle"
        let made = host(Harness.makeBundle, [bundle], ioDirectory: dir + "/io")
        guard made.succeeded else { throw HarnessError.setup("scripts/make-bundle failed:\n\(made)") }
        let archive = dir + "/image.tar"
        let oci = host(ContainerdTools.python!, [ContainerdTools.makeOCIImage, "--rootfs", rootfsTemplate,
                                                 "--name", image, archive], ioDirectory: dir + "/io")
        guard oci.succeeded else { throw HarnessError.setup("scripts/make-oci-image failed:\n\(oci)") }
        let imported = ctr(["images", "import", archive])
        guard imported.succeeded else { throw HarnessError.setup("ctr images import failed:\n\(imported)") }
    }

    // MARK: ctr

    /// `ctr -a <socket> -n <namespace> ARGS`.
    @discardableResult
    func ctr(_ args: [String], stdin: String? = nil, timeout: TimeInterval = Harness.commandTimeout,
             sourceLocation: SourceLocation = #_sourceLocation) -> Output {
        spawnCtr(args, stdin: stdin).wait(timeout: timeout, sourceLocation: sourceLocation)
    }

    func spawnCtr(_ args: [String], stdin: String? = nil) -> Child {
        Child(ContainerdTools.ctr ?? "ctr", ctrPrefix + args, stdin: stdin, ioDirectory: dir + "/io")
    }

    var ctrPrefix: [String] { ["-a", socket, "-n", namespace] }

    /// The flags `ctr run` needs here: our fifo dir, the runtime, runc's root in the temp dir.
    var runFlags: [String] {
        ["--fifo-dir", fifoDir, "--runtime", runtime] + (ContainerdTools.isRunc ? ["--runc-root", runcRoot] : [])
    }

    /// `ctr run --rm IMAGE ID ARGS` in the foreground.
    @discardableResult
    func run(_ id: String, _ args: [String], flags: [String] = [],
             sourceLocation: SourceLocation = #_sourceLocation) -> Output {
        ctr(["run", "--rm"] + runFlags + flags + [image, id] + args, sourceLocation: sourceLocation)
    }

    /// `ctr run -d IMAGE ID ARGS`; throws unless it succeeds.
    func runDetached(_ id: String, _ args: [String], flags: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = ctr(["run", "-d"] + runFlags + flags + [image, id] + args, sourceLocation: sourceLocation)
        guard result.succeeded else { throw HarnessError.setup("ctr run -d \(id) failed:\n\(result)\n\(daemonLog())") }
        recordAddress(id)
    }

    /// `ctr task exec --exec-id EXEC ID ARGS`.
    @discardableResult
    func exec(_ id: String, execID: String, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) -> Output {
        ctr(["task", "exec", "--fifo-dir", fifoDir, "--exec-id", execID, id] + args, sourceLocation: sourceLocation)
    }

    /// `ctr task ls` as id -> (pid, status).
    func tasks() -> [String: CtrTask] {
        var result: [String: CtrTask] = [:]
        for line in ctr(["task", "ls"]).lines.dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 3, let pid = Int(fields[1]) else { continue }
            result[fields[0]] = CtrTask(pid: pid, status: fields[2])
        }
        return result
    }

    @discardableResult
    func waitForStatus(_ id: String, _ status: String, timeout: TimeInterval = 60) -> Bool {
        Harness.eventually(timeout: timeout) { self.tasks()[id]?.status == status }
    }

    /// Best effort: the tasks (killed) and containers.
    func remove(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        ctr(["task", "rm", "-f"] + ids)
        ctr(["containers", "rm"] + ids)
    }

    func removeAllContainers() {
        let ids = ctr(["containers", "ls", "-q"]).lines.filter { !$0.isEmpty }
        remove(ids)
    }

    func newID(_ hint: String) -> String { "\(hint)-\(Harness.randomToken(6))" }

    /// Remembers the shim socket of a task (from the `address` file containerd keeps in its bundle).
    func recordAddress(_ id: String) {
        guard let address = address(of: id) else { return }
        lock.withLock { _ = shimAddresses.insert(address) }
    }

    /// The shim address containerd keeps in the task's bundle.
    func address(of id: String) -> String? {
        (try? String(contentsOfFile: taskDir + "/" + id + "/address", encoding: .utf8))
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Removes ctr's fifos of a task (ctr's own delete does it when it gets to delete the task).
    func removeFifos(of id: String) {
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: fifoDir)) ?? []
        for sub in dirs {
            let path = fifoDir + "/" + sub
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            guard files.contains(where: { $0.hasPrefix(id + "-") }) else { continue }
            for file in files where file.hasPrefix(id + "-") { unlink(path + "/" + file) }
            rmdir(path)
        }
    }

    // MARK: Host-side views

    /// The pid of the shim serving task `id`: the parent of its init, checked to be a shim of
    /// ours (its environment names our socket dir, which only our containerd passes on).
    func shimPid(of id: String) -> Int? {
        guard let initPid = tasks()[id]?.pid, let parent = Containerd.parentPid(initPid), parent > 1 else { return nil }
        return isOurShim(parent) ? parent : nil
    }

    func isOurShim(_ pid: Int) -> Bool {
        guard let environ = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")) else { return false }
        let marker = Data("PETREL_SHIM_SOCKET_DIR=\(shimSocketDir)\0".utf8)
        return environ.range(of: marker) != nil && Harness.processAlive(pid)
            && ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("containerd-shim")
    }

    /// Every live process started for us: shims (by their environment) and container processes
    /// (by their cgroup, which holds our namespace).
    func ourProcesses() -> [String] {
        var found: [String] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int(entry), pid != Int(getpid()), Harness.processAlive(pid) else { continue }
            let cmdline = ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "")
                .replacingOccurrences(of: "\0", with: " ")
            if isOurShim(pid) {
                found.append("shim \(pid): \(cmdline)")
            } else if let cgroups = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8),
                      cgroups.contains("/\(namespace)/") {
                found.append("container process \(pid): \(cmdline)")
            }
        }
        return found
    }

    static func parentPid(_ pid: Int) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int(fields[1]) : nil
    }

    /// Mount points under our temp dir.
    func mountsUnderDir() -> [String] {
        Containerd.mountPoints().filter { $0 == dir || $0.hasPrefix(dir + "/") }
    }

    static func mountPoints() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]).replacingOccurrences(of: "\\040", with: " ") : nil
        }
    }

    /// The mount points of the cgroup hierarchies (v1 controllers and/or the v2 tree).
    static func cgroupHierarchies() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.components(separatedBy: " - ")
            guard parts.count == 2 else { return nil }
            let type = parts[1].split(separator: " ").first.map(String.init) ?? ""
            let fields = parts[0].split(separator: " ")
            guard type == "cgroup" || type == "cgroup2", fields.count > 4 else { return nil }
            return String(fields[4])
        }
    }

    /// The cgroup directories of our namespace (ctr's default cgroupsPath is /<namespace>/<id>).
    func namespaceCgroups() -> [String] {
        Containerd.cgroupHierarchies().map { $0 + "/" + namespace }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Child cgroups still under our namespace's cgroups.
    func containerCgroups() -> [String] {
        namespaceCgroups().flatMap { base -> [String] in
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
            return entries.filter { entry in
                var isDir: ObjCBool = false
                return FileManager.default.fileExists(atPath: base + "/" + entry, isDirectory: &isDir) && isDir.boolValue
            }.map { base + "/" + $0 }
        }
    }

    /// The host path of a task's memory limit file (v2 memory.max or v1 memory.limit_in_bytes).
    static func memoryLimitFile(pid: Int) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            guard let line = lines.first(where: { $0.hasPrefix("0::") }) else { return nil }
            return "/sys/fs/cgroup" + line.dropFirst(3) + "/memory.max"
        }
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].split(separator: ",").contains("memory") else { continue }
            guard let mount = cgroupHierarchies().first(where: { $0.hasSuffix("/memory") || $0.contains("memory") }) else { return nil }
            return mount + parts[2] + "/memory.limit_in_bytes"
        }
        return nil
    }

    /// Files (not empty directories) under `path`, relative.
    static func filesUnder(_ path: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [] }
        var files: [String] = []
        while let entry = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + entry, isDirectory: &isDir), isDir.boolValue { continue }
            files.append(entry)
        }
        return files
    }

    /// Removes our namespace's (empty) cgroups, detaches anything still mounted under the dir
    /// (so the removal cannot reach into a mounted rootfs) and removes the dir.
    func removeDir() {
        for cgroup in namespaceCgroups() { rmdir(cgroup) }
        for mount in mountsUnderDir().sorted(by: { $0.count > $1.count }) { umount2(mount, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: The shim's Update, over ttrpc

    /// ctr 1.6 has no `task update`: call the shim's Task.Update (what containerd's Tasks.Update
    /// forwards) over ttrpc on its socket, LinuxResources as JSON in the Any. Returns the status
    /// code of the reply (0 = OK).
    func shimUpdate(_ id: String, at shimOf: String? = nil, resourcesJSON: String,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Output {
        guard let text = address(of: shimOf ?? id) else {
            throw HarnessError.setup("no address file for \(shimOf ?? id) in \(taskDir)")
        }
        return try ttrpcCall(["Update", text, namespace, id, resourcesJSON], sourceLocation: sourceLocation)
    }

    /// The shim's Task.CloseIO{stdin: true} over ttrpc (ctr 1.6 has no command that sends it).
    func shimCloseStdin(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Output {
        guard let text = address(of: id) else { throw HarnessError.setup("no address file for \(id) in \(taskDir)") }
        return try ttrpcCall(["CloseIO", text, namespace, id], sourceLocation: sourceLocation)
    }

    private func ttrpcCall(_ args: [String], sourceLocation: SourceLocation) throws -> Output {
        let script = dir + "/ttrpc_call.py"
        if !FileManager.default.fileExists(atPath: script) {
            try Containerd.ttrpcCallScript.write(toFile: script, atomically: true, encoding: .utf8)
        }
        return host(ContainerdTools.python!, [script] + args, ioDirectory: dir + "/io", sourceLocation: sourceLocation)
    }

    static let ttrpcCallScript = #"""
        # A ttrpc client for two containerd.task.v2.Task methods:
        #   Update ADDRESS NAMESPACE ID RESOURCES-JSON    CloseIO ADDRESS NAMESPACE ID (stdin)
        import json, socket, struct, sys
        def varint(n):
            out = b""
            while True:
                b = n & 0x7f; n >>= 7
                if n: out += bytes([b | 0x80])
                else: return out + bytes([b])
        def field(num, data):
            return varint(num << 3 | 2) + varint(len(data)) + data
        def read_varint(buf, i):
            v, shift = 0, 0
            while True:
                b = buf[i]; i += 1; v |= (b & 0x7f) << shift; shift += 7
                if not b & 0x80: return v, i
        def parse(buf):
            i, fields = 0, {}
            while i < len(buf):
                key, i = read_varint(buf, i)
                num, wt = key >> 3, key & 7
                if wt == 0:
                    v, i = read_varint(buf, i)
                elif wt == 2:
                    n, i = read_varint(buf, i); v = buf[i:i+n]; i += n
                elif wt == 1:
                    v = buf[i:i+8]; i += 8
                elif wt == 5:
                    v = buf[i:i+4]; i += 4
                else:
                    raise SystemExit("unexpected wire type %d" % wt)
                fields[num] = v
            return fields
        method, address, namespace, cid = sys.argv[1:5]
        path = address[len("unix://"):] if address.startswith("unix://") else address
        if not path.startswith("/"):
            path = "\0" + path  # an abstract socket
        if method == "Update":
            value = field(1, b"types.containerd.io/opencontainers/runtime-spec/1/LinuxResources") + field(2, sys.argv[5].encode())
            payload = field(1, cid.encode()) + field(2, value)
        else:
            payload = field(1, cid.encode()) + varint(3 << 3) + varint(1)
        request = (field(1, b"containerd.task.v2.Task") + field(2, method.encode()) + field(3, payload)
                   + field(5, field(1, b"containerd-namespace-ttrpc") + field(2, namespace.encode())))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(path)
        s.sendall(struct.pack(">IIBB", len(request), 1, 1, 0) + request)
        def recvn(n):
            data = b""
            while len(data) < n:
                chunk = s.recv(n - len(data))
                if not chunk: raise SystemExit("ttrpc: connection closed")
                data += chunk
            return data
        length, stream, mtype, flags = struct.unpack(">IIBB", recvn(10))
        response = parse(recvn(length))
        status = parse(response.get(1, b""))
        code = status.get(1, 0)
        if code:
            print("ttrpc status %d: %s" % (code, status.get(2, b"").decode(errors="replace")), file=sys.stderr)
        sys.exit(code)
        """#
}
