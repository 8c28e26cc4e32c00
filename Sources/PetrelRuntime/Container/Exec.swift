import CExecutor
import OCI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `exec`'s command line: either a whole process JSON (`--process`) or changes to the
/// container's own process, as runc builds it.
public struct ExecRequest: Sendable {
    public var id: String
    public var processFile: String?
    public var args: [String] = []
    public var terminal = false
    public var cwd: String?
    public var env: [String] = []
    /// "uid" or "uid:gid"
    public var user: String?
    public var additionalGids: [UInt32] = []
    public var capabilities: [String] = []
    public var noNewPrivileges = false
    public var apparmorProfile: String?
    public var processLabel: String?
    public var consoleSocket: String?
    public var pidFile: String?
    public var detached = false
    public var preserveFds: Int32 = 0
    public var ignorePaused = false
    /// `--cgroup`: existing sub-cgroups of the container's cgroup to run in.
    public var subCgroups: [String] = []
    /// The whole process, given directly (the shim: containerd's exec spec).
    public var process: Process?
    /// The process's fds 0, 1 and 2 (the shim's pipes, each >= 3), or nil: the caller's stdio.
    public var stdio: [Int32]?
    /// A connected console socket given as an fd instead of a path; the caller keeps it.
    public var consoleSocketFd: Int32 = -1
    /// Detached, return the process's pid instead of 0 (the shim is its parent and reaps it).
    public var reportsPid = false

    public init(id: String) { self.id = id }

    /// The process to run: the file's, or the container's process with the flags applied.
    func process(container: Process?) throws(RuntimeError) -> Process {
        if let process { return process }
        if let processFile {
            let bytes = try FileSystem.readDocument(FileSystem.absolute(processFile))
            do {
                return try OCIJSON.decode(Process.self, from: Data(bytes))
            } catch {
                throw RuntimeError("--process \(processFile): \(error)")
            }
        }
        guard !args.isEmpty else { throw RuntimeError("exec: a command is required (or --process FILE)") }
        var process = container ?? Process(cwd: "/")
        process.args = args
        process.terminal = terminal
        // A console size belongs to the init's terminal, not to this one.
        process.consoleSize = nil
        if let cwd { process.cwd = cwd }
        var environment = process.env ?? []
        for entry in env {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            environment.removeAll { $0 == key || $0.hasPrefix(key + "=") }
            environment.append(entry)
        }
        process.env = environment
        if let user {
            let parts = user.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let uid = UInt32(parts[0]),
                  parts.count == 1 || UInt32(parts[1]) != nil else {
                throw RuntimeError("--user \(JSONText.quote(user)): expected UID or UID:GID")
            }
            process.user.uid = uid
            process.user.gid = parts.count == 2 ? UInt32(parts[1]) ?? 0 : 0
        }
        if !additionalGids.isEmpty { process.user.additionalGids = additionalGids }
        if !capabilities.isEmpty {
            var caps = process.capabilities ?? LinuxCapabilities()
            // Never to the inheritable set (CVE-2022-29162: an inheritable capability
            // survives execve of a file with that capability in its inheritable set), and
            // to the ambient set only where the process already has it inheritable, which
            // the kernel requires anyway.
            let inheritable = caps.inheritable ?? []
            caps.bounding = (caps.bounding ?? []) + capabilities
            caps.effective = (caps.effective ?? []) + capabilities
            caps.permitted = (caps.permitted ?? []) + capabilities
            let ambient = capabilities.filter { inheritable.contains($0) }
            if !ambient.isEmpty { caps.ambient = (caps.ambient ?? []) + ambient }
            process.capabilities = caps
        }
        if noNewPrivileges { process.noNewPrivileges = true }
        if let apparmorProfile { process.apparmorProfile = apparmorProfile }
        if let processLabel { process.selinuxLabel = processLabel }
        return process
    }
}

extension Runtime {
    /// `exec`: a new process in the namespaces and cgroup of a created or running container.
    /// Detached it returns 0 once the process runs; in the foreground it relays signals and
    /// returns the process's exit code (128+N when killed by signal N), like runc.
    public func exec(_ request: ExecRequest) throws(RuntimeError) -> Int32 {
        try KernelVersion.check()
        try StateStore.validate(id: request.id)
        try PreservedFds.check(request.preserveFds)
        let record = try store.load(request.id)
        switch status(of: record) {
        case .created, .running: break
        case .paused where request.ignorePaused: break
        case .paused: throw RuntimeError("cannot exec in a paused container (use --ignore-paused to override)")
        case .creating: throw RuntimeError("cannot exec in a container that is still being created")
        default: throw RuntimeError("cannot exec in a stopped container")
        }
        let process = try request.process(container: record.config.process)
        try SpecValidator.validateExecProcess(process)
        let terminal = process.terminal ?? false
        let hasConsoleSocket = request.consoleSocket != nil || request.consoleSocketFd >= 0
        if terminal && request.detached && !hasConsoleSocket {
            throw RuntimeError("cannot allocate tty if petrel will detach without setting console socket")
        }
        // In the foreground the runtime is its own console socket and relays the pty.
        let relay = terminal && !hasConsoleSocket
        if !terminal && hasConsoleSocket {
            throw RuntimeError("cannot use console socket if petrel will not detach or allocate tty")
        }
        var plan = try PlanBuilder.forHost(rootfs: record.rootfs, stateRoot: store.root)
            .buildExec(record.config, process: process, initPid: record.pid, preserveFds: request.preserveFds)
        plan.stdio = request.stdio

        if !request.detached {
            _ = petrel_prctl_set_child_subreaper()
            petrel_block_forwarded_signals()
        }
        var consoleSocket: Int32 = -1
        var consoleReceiver: Int32 = -1
        var cgroupFd: Int32 = -1
        defer {
            if consoleSocket >= 0 { close(consoleSocket) }
            if consoleReceiver >= 0 { close(consoleReceiver) }
            if cgroupFd >= 0 { close(cgroupFd) }
        }
        if relay {
            var pair: [Int32] = [-1, -1]
            guard petrel_console_pair(&pair) == 0 else { throw RuntimeError.sys("cannot make a console socket", "socketpair") }
            consoleReceiver = pair[0]
            consoleSocket = pair[1]
        } else if request.consoleSocketFd >= 0 {
            consoleSocket = fcntl(request.consoleSocketFd, F_DUPFD_CLOEXEC, 3)
            guard consoleSocket >= 0 else { throw RuntimeError.sys("cannot use the console socket", "fcntl(F_DUPFD_CLOEXEC)") }
        } else if let path = request.consoleSocket {
            consoleSocket = petrel_unix_connect(path)
            guard consoleSocket >= 0 else { throw RuntimeError.sys("cannot connect to console socket", "connect", path: path) }
        }
        var cgroup = try cgroupManager(record)
        if !request.subCgroups.isEmpty {
            cgroup = Cgroups.manager(for: try ExecSubCgroups(request.subCgroups).directories(of: cgroup.record))
        }
        cgroupFd = try cgroup.openDirectoryForClone() ?? -1
        Logger.shared.debug("exec \(request.id): joining the namespaces of init \(record.pid) and cgroup \(cgroup.record.directories.map(\.path).joined(separator: " ")), \(plan.namespaces.count) namespaces")
        let child = try InitProcess(plan: plan, spec: record.config, consoleSocket: consoleSocket, cgroupFd: cgroupFd)
        Logger.shared.debug("exec \(request.id): process cloned, host pid \(child.pid)")
        do throws(RuntimeError) {
            if cgroupFd < 0 { try cgroup.addProcess(child.pid) }
            try IntelRdt.join(record.config.linux?.intelRdt, id: record.id, pid: child.pid)
            try child.proceed()
            try child.waitForReady { (listenerFd) throws(RuntimeError) in
                try SeccompListener.send(listenerFd, spec: record.config, id: record.id, pid: child.pid, bundle: record.bundle)
            }
            if let pidFile = request.pidFile {
                try FileSystem.writeAtomically(FileSystem.absolute(pidFile), Array("\(child.pid)".utf8))
            }
        } catch {
            child.abort()
            throw error
        }
        let pid = child.pid
        let execFailure = child.waitForExec()
        Logger.shared.debug("exec \(request.id): process \(pid) \(execFailure.map { "failed: \($0)" } ?? "executed its program")")
        child.release()
        if let execFailure {
            // Detached there is no status to return; in the foreground the process's own
            // (127/126) is the result, after the reason.
            if request.detached {
                var status: Int32 = 0
                _ = petrel_waitpid(pid, &status)
                throw execFailure
            }
            Logger.shared.failure(execFailure.description)
        }
        if request.detached { return request.reportsPid ? pid : 0 }
        var status: Int32
        if relay {
            let master = petrel_recv_fd(consoleReceiver)
            guard master >= 0 else {
                _ = Glibc.kill(pid, SIGKILL)
                throw RuntimeError.sys("cannot receive the terminal of the exec'd process", "recvmsg")
            }
            close(consoleSocket)
            consoleSocket = -1
            status = petrel_relay_terminal_until_exit(pid, master)
            close(master)
        } else {
            status = petrel_forward_signals_until_exit(pid)
        }
        guard status >= 0 else { throw RuntimeError.sys("cannot wait for the exec'd process", "waitpid", path: String(pid)) }
        if petrel_wifexited(status) != 0 { return petrel_wexitstatus(status) }
        if petrel_wifsignaled(status) != 0 { return 128 + petrel_wtermsig(status) }
        return 255
    }
}
