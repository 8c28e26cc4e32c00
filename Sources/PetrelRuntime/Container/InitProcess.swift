import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// The container's init while it is being set up, seen from the single-threaded parent.
/// Owns the sync socket and pidfd until `release()` or `abort()`.
final class InitProcess {
    private var child = petrel_child(pid: 0, sync_fd: -1, pidfd: -1)
    private var finished = false
    /// The config, so that a failure names the field it is about.
    private let spec: Spec?

    var pid: Int32 { child.pid }

    /// Clones the init (it waits for `proceed()`).
    init(plan: ExecutionPlan, spec: Spec? = nil, consoleSocket: Int32, cgroupFd: Int32 = -1,
         mountTrees: [Int: Int32] = [:]) throws(RuntimeError) {
        self.spec = spec
        SetupTimeout.configure()
        let arena = CArena()
        var lowered = plan.lowered(in: arena, consoleSocket: consoleSocket, cgroupFd: cgroupFd, mountTrees: mountTrees)
        var error = petrel_error()
        let spawned = withExtendedLifetime(arena) { petrel_spawn(&lowered, &child, &error) }
        guard spawned == 0 else { throw Self.describe(error, fallback: "cannot start the container's init", spec: spec) }
    }

    deinit { if !finished { petrel_child_abort(&child) } }

    func proceed() throws(RuntimeError) {
        var error = petrel_error()
        guard petrel_child_continue(&child, &error) == 0 else { throw Self.describe(error, fallback: "init did not continue", spec: spec) }
    }

    /// Waits for the next checkpoint the child reports.
    func waitFor(_ expected: petrel_message) throws(RuntimeError) {
        var error = petrel_error()
        var received: Int32 = -1
        let message = petrel_child_wait(&child, &received, &error)
        if received >= 0 { close(received) }
        guard message == Int32(expected.rawValue) else {
            if message < 0 { throw Self.describe(error, fallback: "container init failed", spec: spec) }
            throw RuntimeError("container init: unexpected message \(message) from init")
        }
    }

    /// Waits for READY. A SCMP_ACT_NOTIFY filter's listener fd, sent before READY, goes to
    /// `forwardListener` at once (and is closed after): the init may already be blocked on a
    /// notification of its own (a trapped write, prctl, openat on the way to READY), which
    /// only the listener can answer. runc forwards it the same way, before READY.
    func waitForReady(forwardListener: (Int32) throws(RuntimeError) -> Void = { _ in }) throws(RuntimeError) {
        var forwarded = false
        while true {
            var error = petrel_error()
            var received: Int32 = -1
            let message = petrel_child_wait(&child, &received, &error)
            if message == Int32(PETREL_MSG_SECCOMP_FD.rawValue), received >= 0, !forwarded {
                forwarded = true
                defer { close(received) }
                try forwardListener(received)
                continue
            }
            if received >= 0 { close(received) }
            if message == Int32(PETREL_MSG_READY.rawValue) { return }
            if message < 0 { throw Self.describe(error, fallback: "container init failed", spec: spec) }
            throw RuntimeError("container init: unexpected message \(message) from init")
        }
    }

    /// After READY of an `exec` process: nil once it executed its program, or why it could
    /// not (the failure comes after READY, e.g. execve itself).
    func waitForExec() -> RuntimeError? {
        var error = petrel_error()
        guard petrel_child_wait_exec(&child, &error) != 0 else { return nil }
        return Self.describe(error, fallback: "exec failed", spec: spec)
    }

    /// `run`'s start: lets the init, waiting after READY without an exec fifo, go on to its
    /// program. nil once it executed it, or why it could not (the init also printed it on the
    /// container's stderr, as runc does); throws when it does not get there in time.
    func start() throws(RuntimeError) -> RuntimeError? {
        try proceed()
        var error = petrel_error()
        guard petrel_child_wait_exec(&child, &error) != 0 else { return nil }
        if Self.fields(error).step == "timeout" && error.err == ETIMEDOUT {
            throw RuntimeError("cannot start container: " + SetupTimeout.message(waitingFor: "the init to execute its program"))
        }
        return Self.describe(error, fallback: "cannot start container", spec: spec)
    }

    /// Tells the init, waiting after READY, that the container is recorded; returns once it
    /// no longer dies with this process (PR_SET_PDEATHSIG cleared), so that exiting now
    /// cannot take a finished container down with it.
    func confirmRecorded() throws(RuntimeError) {
        try proceed()
        try waitFor(PETREL_MSG_RECORDED)
    }

    /// Kills and reaps a half-made init.
    func abort() {
        guard !finished else { return }
        finished = true
        petrel_child_abort(&child)
    }

    /// Leaves the init running on its own (it is reparented when this process exits).
    func release() {
        guard !finished else { return }
        finished = true
        petrel_child_release(&child)
    }

    /// The executor's report as Swift strings.
    static func fields(_ error: petrel_error) -> (step: String, syscall: String, path: String, detail: String) {
        var error = error
        return (withUnsafeBytes(of: &error.step) { cString($0) }, withUnsafeBytes(of: &error.syscall) { cString($0) },
                withUnsafeBytes(of: &error.path) { cString($0) }, withUnsafeBytes(of: &error.detail) { cString($0) })
    }

    static func describe(_ error: petrel_error, fallback: String, spec: Spec? = nil) -> RuntimeError {
        var (step, syscall, path, detail) = fields(error)
        let field = spec.flatMap { Self.field(step: step, path: path, in: $0) }
        if step == "timeout" && error.err == ETIMEDOUT {
            return RuntimeError("container init: " + SetupTimeout.message(waitingFor: path))
        }
        if step == "exec" && syscall == "execve" {
            // runc's (Go's) wording: "exec /bad.sh: no such file or directory".
            var text = errnoDescription(error.err)
            if let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase == true {
                text = first.lowercased() + text.dropFirst()
            }
            return RuntimeError("exec \(path): \(text)")
        }
        if step == "exec" && !detail.isEmpty {
            // runc's wording, which engines and users grep for.
            return RuntimeError("exec: \(JSONText.quote(path)): \(detail)")
        }

        if step == "rlimit", let number = Int32(path),
           let name = Rlimits.resources.first(where: { $0.value == number })?.key {
            path = name
        }
        // "container init: mount /mnt (bind /nonexistent): mount: No such file or directory"
        var message = step.isEmpty ? fallback : "container init: \(field.map { $0 + ": " } ?? "")\(step)"
        if !path.isEmpty { message += " \(path)" }
        if !detail.isEmpty { message += step.isEmpty ? ": \(detail)" : " (\(detail))" }
        return RuntimeError(message, syscall: syscall.isEmpty ? nil : syscall, errno: error.err == 0 ? nil : error.err)
    }

    /// The config field a failing step of the init is about (its JSON path), from the step
    /// and the path the child reported; nil when the step is not about one field.
    static func field(step: String, path: String, in spec: Spec) -> String? {
        switch step {
        case "namespaces":
            return spec.linux?.namespaces?.firstIndex { $0.path == path }.map { "linux.namespaces[\($0)].path" }
        case "device":
            return spec.linux?.devices?.firstIndex { FileSystem.clean($0.path) == path }.map { "linux.devices[\($0)]" }
        case "mount":
            return spec.mounts?.firstIndex { FileSystem.clean($0.destination) == path || $0.destination == path }
                .map { "mounts[\($0)]" }
        case "hostname": return "hostname"
        case "domainname": return "domainname"
        case "cwd": return "process.cwd"
        case "user": return "process.user"
        case "capabilities": return "process.capabilities"
        case "rlimit": return "process.rlimits"
        case "personality": return "linux.personality"
        case "masked path": return "linux.maskedPaths"
        case "readonly root": return "root.readonly"
        case "seccomp": return "linux.seccomp"
        case "sysctl": return "linux.sysctl"
        default: return nil
        }
    }

    private static func cString(_ raw: UnsafeRawBufferPointer) -> String {
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
