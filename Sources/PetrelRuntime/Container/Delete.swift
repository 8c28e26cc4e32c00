import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// `delete`: removes a stopped container's resources. The runtime spec forbids
    /// deleting a container that is not stopped; `force` kills it first.
    public func delete(_ id: String, force: Bool) throws(RuntimeError) {
        try delete(id, force: force, known: nil)
    }

    /// `known`: the container's record as the caller has it already (`run`, which made it;
    /// the record does not change after create), so it is not read again.
    func delete(_ id: String, force: Bool, known: ContainerRecord?) throws(RuntimeError) {
        let lock: ContainerLock
        do {
            lock = try store.lock(id)
        } catch {
            // runc: `delete --force` of an unknown container succeeds.
            if force && !FileSystem.exists(store.directory(id)) { return }
            throw error
        }
        defer { withExtendedLifetime(lock) {} }
        let record: ContainerRecord
        if let known {
            record = known
        } else {
            do {
                record = try store.load(id)
            } catch {
                guard !store.hasRecord(id) else { throw error }
                // A create that died before writing its record: nothing runs, just clear it.
                try store.remove(id)
                return
            }
        }
        if record.isProvisional { return try deleteInterrupted(record) }
        let status = status(of: record)
        let cgroup = record.cgroup.map(Cgroups.manager(for:))
        if status != .stopped {
            guard force else {
                throw RuntimeError("cannot delete container \(JSONText.quote(id)) that is not stopped: \(status.rawValue)")
            }
            // On cgroup v1 a frozen task does not die of SIGKILL until thawed.
            if status == .paused { try cgroup?.thaw() }
            try killAndWait(record)
        }
        // Read before the state directory goes, and only when there is something to use it for.
        var config: Spec?
        if record.poststopHooks || record.intelRdt {
            do {
                config = try store.loadConfig(id)
            } catch {
                Logger.shared.warning("delete: poststop hooks and Intel RDT groups skipped: \(error)")
            }
        }
        // Also kills what the init left behind (daemons without a pid namespace of their own).
        try cgroup?.destroy()
        if let config { IntelRdt.remove(config.linux?.intelRdt, id: id) }
        try store.remove(id)
        if let config {
            HookRunner.runWarning(.poststop, spec: config, state: State(
                ociVersion: record.ociVersion, id: id, status: .stopped, bundle: record.bundle,
                annotations: record.annotations))
        }
    }

    /// The remains of a create that died before its init was ready, with or without
    /// `--force`: its init died with it, so there is nothing to stop, only the cgroup it
    /// was making (whatever is in the directories it made is killed) and the state. The
    /// container was never created: no poststop hooks.
    private func deleteInterrupted(_ record: ContainerRecord) throws(RuntimeError) {
        let id = JSONText.quote(record.id)
        if let creator = record.creator, creator.isAlive {
            throw RuntimeError("container \(id) is still being created by process \(creator.pid): wait for it to finish, then delete")
        }
        if let cgroup = record.cgroup {
            do throws(RuntimeError) {
                try Cgroups.manager(for: Cgroups.abandoned(cgroup)).destroy()
            } catch {
                throw RuntimeError("cannot clean up after the interrupted create of container \(id): \(error); "
                    + "the state is kept: retry `delete --force \(record.id)`")
            }
        }
        try store.remove(record.id)
    }

    /// SIGKILL everything and wait (bounded) until the init is gone.
    func killAndWait(_ record: ContainerRecord) throws(RuntimeError) {
        signalAll(record, SIGKILL)
        let pidfd = petrel_pidfd_open(record.pid, 0)
        guard pidfd >= 0 else { return }
        defer { close(pidfd) }
        guard isAlive(record) else { return }
        _ = petrel_pidfd_send_signal(pidfd, SIGKILL)
        var descriptor = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        var waited = 0
        while poll(&descriptor, 1, 100) == 0 {
            waited += 100
            if waited >= 10_000 { throw RuntimeError("container init \(record.pid) did not die after SIGKILL") }
        }
    }
}
