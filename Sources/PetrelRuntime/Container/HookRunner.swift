import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// The runtime-spec lifecycle hooks. Each gets the container's state JSON on stdin and its
/// own args, and is killed when its timeout runs out. Environment and working directory are
/// runc 1.1's: a hook with `env` gets exactly that; without, a host hook gets the runtime's
/// environment and cwd, a createContainer hook the container's process.env with the rootfs
/// (host path, before pivot_root) as cwd, a startContainer hook process.env plus HOME with
/// process.cwd, as the init it runs from.
/// - prestart, createRuntime: runtime namespace, after the namespaces exist, before
///   pivot_root (the init waits at PETREL_MSG_MOUNTS_DONE).
/// - createContainer: the container's namespaces, same moment; the path resolves in the
///   runtime namespace because the root has not been switched yet.
/// - startContainer: the container's namespaces, during `start`, before the program runs.
/// - poststart: runtime namespace, after the program started; a failure stops the container
///   and fails `start` (runtime.md lifecycle step 9, and runc).
/// - poststop: after delete; a failure is a warning and the other hooks still run.
/// The container-namespace hooks are started through the executor's exec mode, so they
/// join every namespace and the cgroup like `exec` does.
enum HookRunner {
    enum Phase: String, CaseIterable {
        case prestart, createRuntime, createContainer, startContainer, poststart, poststop
    }

    static let phases = Phase.allCases

    static func hooks(_ spec: Spec, _ phase: Phase) -> [Hook] {
        guard let hooks = spec.hooks else { return [] }
        switch phase {
        case .prestart: return hooks.prestart ?? []
        case .createRuntime: return hooks.createRuntime ?? []
        case .createContainer: return hooks.createContainer ?? []
        case .startContainer: return hooks.startContainer ?? []
        case .poststart: return hooks.poststart ?? []
        case .poststop: return hooks.poststop ?? []
        }
    }

    /// Whether create must pause the init before pivot_root for hooks.
    static func needsPause(_ spec: Spec) -> Bool {
        [.prestart, .createRuntime, .createContainer].contains { !hooks(spec, $0).isEmpty }
    }

    /// Runs the phase's hooks in order; the first failure is thrown (`warnOnly`: each failure
    /// is logged as a warning and the next hook runs).
    /// `rootfs`: the container's root as the runtime sees it (createContainer's cwd).
    static func run(_ phase: Phase, spec: Spec, state: State, initPid: Int32 = 0, rootfs: String = "/",
                    warnOnly: Bool = false) throws(RuntimeError) {
        let list = hooks(spec, phase)
        guard !list.isEmpty else { return }
        let json: [UInt8]
        do {
            json = try OCIJSON.encode(state, pretty: false)
        } catch {
            throw RuntimeError("hooks: cannot encode the state: \(error)")
        }
        for (index, hook) in list.enumerated() {
            let name = "hooks.\(phase.rawValue)[\(index)] (\(hook.path))"
            Logger.shared.debug("\(name): running (state \(state.status.rawValue))")
            let inContainer = phase == .createContainer || phase == .startContainer
            do throws(RuntimeError) {
                let status = inContainer
                    ? try runInContainer(hook, phase: phase, spec: spec, initPid: initPid, rootfs: rootfs, stdin: json, name: name)
                    : try runOnHost(hook, stdin: json, name: name)
                guard petrel_wifexited(status) != 0 && petrel_wexitstatus(status) == 0 else {
                    if status == -2 { throw RuntimeError("\(name): timed out after \(hook.timeout ?? 0)s") }
                    if petrel_wifsignaled(status) != 0 { throw RuntimeError("\(name): killed by signal \(petrel_wtermsig(status))") }
                    throw RuntimeError("\(name): exit status \(petrel_wexitstatus(status))")
                }
            } catch {
                guard warnOnly else { throw error }
                Logger.shared.warning(error.description)
            }
        }
    }

    /// Like `run`, but each failure is logged as a warning and the remaining hooks still run
    /// (runtime.md: "the remaining hooks and lifecycle continue as if the hook had succeeded").
    static func runWarning(_ phase: Phase, spec: Spec, state: State) {
        do {
            try run(phase, spec: spec, state: state, warnOnly: true)
        } catch {
            Logger.shared.warning(error.description)
        }
    }

    /// A pipe whose read end carries `bytes` (written now; the state is far below a pipe's
    /// buffer) and is then at end of file.
    private static func stdinPipe(_ bytes: [UInt8]) throws(RuntimeError) -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw RuntimeError.sys("hooks: cannot make a pipe", "pipe") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        guard written == bytes.count else {
            close(fds[0])
            throw RuntimeError.sys("hooks: cannot write the state", "write")
        }
        return fds[0]
    }

    private static func runOnHost(_ hook: Hook, stdin json: [UInt8], name: String) throws(RuntimeError) -> Int32 {
        let input = try stdinPipe(json)
        defer { close(input) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        // stdin (the state), stdout and stderr only: no fd of the runtime's caller (nor
        // --preserve-fds, the console socket, the init's sync socket) reaches a hook.
        let closing = petrel_spawn_actions_closefrom(&actions, 3)
        guard closing == 0 else { throw RuntimeError("\(name): cannot run it", syscall: "posix_spawn_file_actions_addclosefrom_np", errno: closing) }
        let args = (hook.args?.isEmpty ?? true) ? [hook.path] : (hook.args ?? [])
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = (hook.env ?? []).map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        // No `env`: the runtime's own environment, as runc and crun (Go's exec.Cmd with a nil Env).
        let spawned = hook.env == nil
            ? posix_spawn(&pid, hook.path, &actions, nil, &argv, environ)
            : posix_spawn(&pid, hook.path, &actions, nil, &argv, &envp)
        guard spawned == 0 else { throw RuntimeError("\(name): cannot run it", syscall: "posix_spawn", errno: spawned) }
        return wait(pid, timeout: hook.timeout)
    }

    private static func runInContainer(_ hook: Hook, phase: Phase, spec: Spec, initPid: Int32, rootfs: String,
                                       stdin json: [UInt8], name: String) throws(RuntimeError) -> Int32 {
        // createContainer runs before pivot_root: the rootfs's host path is the container's root.
        var process = Process(cwd: phase == .createContainer ? rootfs : (spec.process?.cwd ?? "/"))
        process.args = (hook.args?.isEmpty ?? true) ? [hook.path] : hook.args
        process.env = hook.env ?? spec.process?.env ?? []
        // Root of the container with the runtime's privileges, and no seccomp filter: the
        // hook is the runtime's agent, not the container's workload.
        var bare = spec
        bare.linux?.seccomp = nil
        var plan = try PlanBuilder.forHost(rootfs: "/").buildExec(bare, process: process, initPid: initPid, preserveFds: 0)
        plan.execPath = hook.path
        // startContainer keeps the HOME the plan added (runc's init has it); createContainer not.
        if hook.env != nil || phase == .createContainer { plan.env = hook.env ?? spec.process?.env ?? [] }
        let input = try stdinPipe(json)
        defer { close(input) }
        // The child inherits fd 0: make it the state pipe for the clone, then put ours back.
        let saved = dup(0)
        guard saved >= 0, dup2(input, 0) == 0 else { throw RuntimeError.sys("hooks: cannot redirect stdin", "dup2") }
        defer {
            dup2(saved, 0)
            close(saved)
        }
        let child = try InitProcess(plan: plan, consoleSocket: -1)
        dup2(saved, 0)
        do throws(RuntimeError) {
            try child.proceed()
            try child.waitForReady()
        } catch {
            child.abort()
            throw RuntimeError("\(name): \(error.description)")
        }
        let pid = child.pid
        let execFailure = child.waitForExec()
        child.release()
        if let execFailure {
            var status: Int32 = 0
            _ = petrel_waitpid(pid, &status)
            throw RuntimeError("\(name): \(execFailure.description)")
        }
        return wait(pid, timeout: hook.timeout)
    }

    /// The raw wait status, or -2 after killing it at the timeout.
    private static func wait(_ pid: pid_t, timeout: Int?) -> Int32 {
        let deadline = timeout.map { Clock.monotonicSeconds() + Double($0) }
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if reaped == pid { return status }
            if reaped < 0 && errno != EINTR { return -1 }
            if let deadline, Clock.monotonicSeconds() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return -2
            }
            if deadline != nil { usleep(5000) }
        }
    }
}
