import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// `kill`: signals the init, or with `all` every process of the container.
    public func kill(_ id: String, signal: Int32, all: Bool) throws(RuntimeError) {
        let record = try store.load(id)
        if let creator = record.creator {
            guard creator.isAlive else { throw RuntimeError("container not running") }
            throw RuntimeError("container \(JSONText.quote(id)) is still being created: its init cannot be signalled yet")
        }
        // Created, running and paused are all signalled: of the status only whether the init
        // lives matters, and signalInit checks that on the pinned process.
        // The init first: signalling the others first may let it exit (e.g. a shell
        // whose `wait` returns), which would turn a successful --all into an error.
        try signalInit(record, signal)
        if all { signalAll(record, signal) }
    }

    func signalInit(_ record: ContainerRecord, _ signal: Int32) throws(RuntimeError) {
        guard record.pid > 0 else { throw RuntimeError("container not running") }
        // A pidfd pins the process: the signal cannot reach a recycled pid.
        let pidfd = petrel_pidfd_open(record.pid, 0)
        guard pidfd >= 0 else {
            if errno == ESRCH { throw RuntimeError("container not running") }
            throw RuntimeError.sys("cannot signal container", "pidfd_open", path: String(record.pid))
        }
        defer { close(pidfd) }
        guard isAlive(record) else { throw RuntimeError("container not running") }
        guard petrel_pidfd_send_signal(pidfd, signal) == 0 else {
            if errno == ESRCH { throw RuntimeError("container not running") }
            throw RuntimeError.sys("cannot signal container", "pidfd_send_signal", path: String(record.pid))
        }
    }

    /// Every process in the container's pid namespace (when it has its own), init last.
    func signalAll(_ record: ContainerRecord, _ signal: Int32) {
        guard record.ownPidNamespace, let namespace = namespaceIdentity(pid: record.pid, "pid") else { return }
        for pid in processIDs() where pid != record.pid {
            if namespaceIdentity(pid: pid, "pid") == namespace { Glibc.kill(pid, signal) }
        }
    }

    func namespaceIdentity(pid: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let length = readlink("/proc/\(pid)/ns/\(name)", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func processIDs() -> [Int32] {
        ((try? FileSystem.listDirectory("/proc")) ?? []).compactMap { Int32($0) }
    }
}
