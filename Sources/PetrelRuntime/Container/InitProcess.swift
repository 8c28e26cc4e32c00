import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// The container's init while it is being set up, seen from the single-threaded parent.
/// Owns the sync socket and pidfd until `release()` or `abort()`.
final class InitProcess {
    private var child = petrel_child(pid: 0, sync_fd: -1, pidfd: -1)
    private var finished = false

    var pid: Int32 { child.pid }

    /// Clones the init (it waits for `proceed()`).
    init(plan: ExecutionPlan, consoleSocket: Int32, cgroupFd: Int32 = -1) throws(RuntimeError) {
        let arena = CArena()
        var lowered = plan.lowered(in: arena, consoleSocket: consoleSocket, cgroupFd: cgroupFd)
        var error = petrel_error()
        let spawned = withExtendedLifetime(arena) { petrel_spawn(&lowered, &child, &error) }
        guard spawned == 0 else { throw Self.describe(error, fallback: "cannot start the container's init") }
    }

    deinit { if !finished { petrel_child_abort(&child) } }

    func proceed() throws(RuntimeError) {
        var error = petrel_error()
        guard petrel_child_continue(&child, &error) == 0 else { throw Self.describe(error, fallback: "init did not continue") }
    }

    /// Waits for the next checkpoint the child reports.
    func waitFor(_ expected: petrel_message) throws(RuntimeError) {
        var error = petrel_error()
        var received: Int32 = -1
        let message = petrel_child_wait(&child, &received, &error)
        if received >= 0 { close(received) }
        guard message == Int32(expected.rawValue) else {
            if message < 0 { throw Self.describe(error, fallback: "container init failed") }
            throw RuntimeError("container init: unexpected message \(message) from init")
        }
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

    static func describe(_ error: petrel_error, fallback: String) -> RuntimeError {
        var error = error
        let step = withUnsafeBytes(of: &error.step) { cString($0) }
        let syscall = withUnsafeBytes(of: &error.syscall) { cString($0) }
        var path = withUnsafeBytes(of: &error.path) { cString($0) }
        let detail = withUnsafeBytes(of: &error.detail) { cString($0) }
        if step == "exec" && !detail.isEmpty {
            // runc's wording, which engines and users grep for.
            return RuntimeError("exec: \(JSONText.quote(path)): \(detail)")
        }

        if step == "rlimit", let number = Int32(path),
           let name = Rlimits.resources.first(where: { $0.value == number })?.key {
            path = name
        }
        // "container init: mount /mnt (bind /nonexistent): mount: No such file or directory"
        var message = step.isEmpty ? fallback : "container init: \(step)"
        if !path.isEmpty { message += " \(path)" }
        if !detail.isEmpty { message += step.isEmpty ? ": \(detail)" : " (\(detail))" }
        return RuntimeError(message, syscall: syscall.isEmpty ? nil : syscall, errno: error.err == 0 ? nil : error.err)
    }

    private static func cString(_ raw: UnsafeRawBufferPointer) -> String {
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
