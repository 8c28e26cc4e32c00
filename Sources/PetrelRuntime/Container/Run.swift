import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// `run`: create + start. Detached, it returns once the process runs; in the
    /// foreground it relays signals, waits, deletes the container and returns the exit
    /// code (128+N when killed by signal N), like runc.
    public func run(_ request: CreateRequest) throws(RuntimeError) -> Int32 {
        if request.detached {
            try create(request)
            do {
                try start(request.id)
            } catch {
                try? delete(request.id, force: true)
                throw error
            }
            return 0
        }
        // Reap anything the container leaves behind, and keep signals for the init.
        _ = petrel_prctl_set_child_subreaper()
        petrel_block_forwarded_signals()
        let record = try create(request)
        do {
            try start(request.id)
        } catch {
            try? delete(request.id, force: true)
            throw error
        }
        let status = petrel_forward_signals_until_exit(record.pid)
        try? delete(request.id, force: true)
        guard status >= 0 else { throw RuntimeError.sys("cannot wait for the container", "waitpid", path: String(record.pid)) }
        if petrel_wifexited(status) != 0 { return petrel_wexitstatus(status) }
        if petrel_wifsignaled(status) != 0 { return 128 + petrel_wtermsig(status) }
        return 255
    }
}
