import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// `run`: create + start. Detached, it returns once the process runs; in the
    /// foreground it relays signals, waits, deletes the container and returns the exit
    /// code (128+N when killed by signal N), like runc. There is no exec fifo: create leaves
    /// the init waiting on its sync socket and the state directory locked, and the start
    /// goes over that socket (so `state` reads `running` from the moment the container is
    /// published, as with crun).
    public func run(_ request: CreateRequest) throws(RuntimeError) -> Int32 {
        try KernelVersion.check()
        // config.json is read once: the terminal decides the relay, then create uses it.
        try StateStore.validate(id: request.id)
        let bundle = try Bundle.load(request.bundle)
        if request.detached {
            let created = try create(request, loaded: bundle, forRun: true)
            do throws(RuntimeError) {
                defer { created.lock.unlock() }
                if let failure = try release(request.id, known: created.record, starting: created.initProcess,
                                             config: bundle.spec) { throw failure }
            } catch {
                try? delete(request.id, force: true, known: created.record)
                throw error
            }
            return 0
        }
        // Reap anything the container leaves behind, and keep signals for the init.
        _ = petrel_prctl_set_child_subreaper()
        petrel_block_forwarded_signals()
        // A terminal without --console-socket: the runtime receives the pty and relays it.
        var request = request
        var pair: [Int32] = [-1, -1]
        let relay = request.consoleSocket == nil && bundle.spec.process?.terminal == true
        if relay {
            guard petrel_console_pair(&pair) == 0 else { throw RuntimeError.sys("cannot make a console socket", "socketpair") }
            request.consoleSocketFd = pair[1]
        }
        defer { for fd in pair where fd >= 0 { close(fd) } }
        let created = try create(request, loaded: bundle, forRun: true)
        let record = created.record
        var master: Int32 = -1
        if relay {
            master = petrel_recv_fd(pair[0])
            guard master >= 0 else {
                created.lock.unlock()
                try? delete(request.id, force: true, known: record)
                throw RuntimeError.sys("cannot receive the container's terminal", "recvmsg")
            }
        }
        defer { if master >= 0 { close(master) } }
        do {
            // A program that cannot be executed: the init printed why on the container's
            // stderr (ours); its exit status (127/126) is the result, as for any program.
            defer { created.lock.unlock() }
            _ = try release(request.id, known: record, starting: created.initProcess, config: bundle.spec)
        } catch {
            try? delete(request.id, force: true, known: record)
            throw error
        }
        let status = relay ? petrel_relay_terminal_until_exit(record.pid, master) : petrel_forward_signals_until_exit(record.pid)
        Logger.shared.debug("run \(request.id): init \(record.pid) ended, wait status \(status)")
        if !request.keep { try? delete(request.id, force: true, known: record) }
        guard status >= 0 else { throw RuntimeError.sys("cannot wait for the container", "waitpid", path: String(record.pid)) }
        if petrel_wifexited(status) != 0 { return petrel_wexitstatus(status) }
        if petrel_wifsignaled(status) != 0 { return 128 + petrel_wtermsig(status) }
        return 255
    }
}
