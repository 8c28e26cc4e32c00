import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// `start`: releases the init blocked on the exec fifo; it then execs the user's process.
    public func start(_ id: String) throws(RuntimeError) {
        if let failure = try release(id) { throw failure }
    }

    /// `start`'s work. Returns why the program could not be executed after the init let
    /// go of the fifo (the init also printed it on the container's stderr, as runc does).
    /// `known`: the record as the caller has it already (`run`, which made it).
    /// `starting`: `run`'s init, waiting for the start on its sync socket (there is no exec
    /// fifo); `run` holds the state directory's lock since create and passes its `config`.
    func release(_ id: String, known: ContainerRecord? = nil, starting initProcess: InitProcess? = nil,
                 config: Spec? = nil) throws(RuntimeError) -> RuntimeError? {
        let lock: ContainerLock? = try initProcess == nil ? store.lock(id) : nil
        defer { withExtendedLifetime(lock) {} }
        let record: ContainerRecord
        if let known { record = known } else { record = try store.load(id) }
        if initProcess == nil {
            switch status(of: record) {
            case .created: break
            case .stopped where record.isProvisional:
                throw RuntimeError("cannot start container \(JSONText.quote(id)): its create was interrupted; delete it and create it again")
            case .stopped: throw RuntimeError("cannot start a container that has stopped")
            case .creating: throw RuntimeError("cannot start a container that is still being created")
            case .running, .paused: throw RuntimeError("cannot start an already running container")
            }
        }
        let pidfd = petrel_pidfd_open(record.pid, 0)
        guard pidfd >= 0 else { throw RuntimeError.sys("cannot start container", "pidfd_open", path: String(record.pid)) }
        defer { close(pidfd) }
        // The saved config only for its hooks.
        var spec: Spec?
        if record.startHooks {
            if let config { spec = config } else { spec = try store.loadConfig(id) }
        }
        func state(_ status: ContainerStatus) -> State {
            State(ociVersion: record.ociVersion, id: id, status: status, pid: record.pid, bundle: record.bundle,
                  annotations: record.annotations)
        }
        if let spec {
            do {
                try HookRunner.run(.startContainer, spec: spec, state: state(.created), initPid: record.pid)
            } catch {
                // The program must not run after a failed startContainer hook.
                _ = petrel_pidfd_send_signal(pidfd, SIGKILL)
                throw error
            }
        }
        var notifyFd: Int32 = -1
        let notify = NotifySocket.fromEnvironment(stateDirectory: store.directory(id))
            .flatMap { FileSystem.exists($0.directory) ? $0 : nil }
        if let notify { notifyFd = try notify.bind() }
        defer { if notifyFd >= 0 { close(notifyFd) } }
        if let initProcess {
            Logger.shared.debug("start \(id): releasing init \(record.pid) through its sync socket")
            let failure = try initProcess.start()
            // Its end is the caller's to see (`run` waits for it), not ours to kill.
            initProcess.release()
            if let failure { return failure }
            return try started(id, record: record, pidfd: pidfd, spec: spec, notify: notify, notifyFd: notifyFd)
        }
        let fifo = store.execFifo(id)
        var execError = petrel_error()
        SetupTimeout.configure()
        Logger.shared.debug("start \(id): releasing init \(record.pid) through \(fifo)")
        let released = petrel_exec_fifo_release(fifo, pidfd, record.pid, &execError)
        Logger.shared.debug("start \(id): exec fifo answered \(released) (0: the program runs)")
        if released == -2 {
            throw RuntimeError("cannot start container: " + SetupTimeout.message(waitingFor: "the init to execute its program"))
        }
        guard released >= 0 else { throw RuntimeError.sys("cannot start container", "open", path: fifo) }
        unlink(fifo)
        // An earlier start released it and was killed before removing the fifo.
        if released == 3 { throw RuntimeError("cannot start an already running container") }
        guard released != 1 else { throw RuntimeError("cannot start container: its init exited before start") }
        if released == 2 { return InitProcess.describe(execError, fallback: "cannot start container") }
        return try started(id, record: record, pidfd: pidfd, spec: spec, notify: notify, notifyFd: notifyFd)
    }

    /// After the program was executed: the poststart hooks, then READY=1 for NOTIFY_SOCKET.
    private func started(_ id: String, record: ContainerRecord, pidfd: Int32, spec: Spec?, notify: NotifySocket?,
                         notifyFd: Int32) throws(RuntimeError) -> RuntimeError? {
        func state(_ status: ContainerStatus) -> State {
            State(ociVersion: record.ociVersion, id: id, status: status, pid: record.pid, bundle: record.bundle,
                  annotations: record.annotations)
        }
        if let spec, Self.poststartFailureIsAnError(spec.ociVersion) {
            do {
                try HookRunner.run(.poststart, spec: spec, state: state(.running))
            } catch {
                // runtime.md (1.3) step 9: "generate an error, stop the container".
                _ = petrel_pidfd_send_signal(pidfd, SIGKILL)
                throw error
            }
        } else if let spec {
            HookRunner.runWarning(.poststart, spec: spec, state: state(.running))
        }
        if let notify {
            try notify.forwardReady(notifyFd, initPid: record.pid) { isAlive(record) }
        }
        return nil
    }

    /// runtime-spec 1.0 to 1.2 make a failing poststart hook a warning ("log a warning, but
    /// the remaining hooks and lifecycle continue"); 1.3 makes it an error that stops the
    /// container. Configs keep the rule of their version.
    static func poststartFailureIsAnError(_ version: String) -> Bool {
        !(version.hasPrefix("1.0.") || version.hasPrefix("1.1.") || version.hasPrefix("1.2."))
    }
}
