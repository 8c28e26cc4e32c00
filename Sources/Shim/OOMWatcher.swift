import CShim
import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Tells the shim when the kernel's OOM killer struck in a container's memory cgroup, the
/// way containerd's runc shim does (pkg/oom/v1, internal/oom):
/// - v1: an eventfd registered through cgroup.event_control on memory.oom_control. Each OOM
///   of the memcg adds one to the counter. The kernel also signals it once when the cgroup
///   is removed: a notification that finds the cgroup gone counts nothing (containerd drops
///   it the same way).
/// - v2: inotify IN_MODIFY on memory.events; the oom_kill counter (kills, not the `oom`
///   field, which also counts failed charges that killed nothing) is compared with the last
///   value seen.
/// Both fds are non-blocking and close-on-exec; `fd` goes into the shim's EventLoop, and the
/// shim calls `consume()` when it is readable and once more before publishing the init's
/// TaskExit, so a kill that took the init down is reported before the exit (the kernel
/// counts it before the victim dies).
public final class OOMWatcher {
    private enum Source {
        /// The v1 memory hierarchy's directory, checked on each notification.
        case eventfd(directory: String)
        /// The v2 cgroup, with the oom_kill value already reported.
        case memoryEvents(record: CgroupRecord, reported: UInt64)
    }

    private var descriptor: Int32
    private var source: Source

    /// Starts watching the container's memory cgroup right after Create.
    public init(record: CgroupRecord) throws(RuntimeError) {
        if record.version == 2 {
            guard let directory = record.directories.first?.path else {
                throw RuntimeError("cannot watch for OOM kills: the container has no cgroup")
            }
            let events = directory + "/memory.events"
            let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard fd >= 0 else { throw RuntimeError.sys("cannot watch for OOM kills", "inotify_init1") }
            // ENOENT here: the memory controller is not enabled for this cgroup.
            guard inotify_add_watch(fd, events, UInt32(IN_MODIFY)) >= 0 else {
                let error = RuntimeError.sys("cannot watch for OOM kills", "inotify_add_watch", path: events)
                Glibc.close(fd)
                throw error
            }
            descriptor = fd
            // Read after the watch is in place: a kill in between is either counted in this
            // baseline or wakes the fd, never lost.
            source = .memoryEvents(record: record, reported: Cgroups.manager(for: record).oomKillCount() ?? 0)
            return
        }
        guard let directory = record.directory(for: "memory") else {
            throw RuntimeError("cannot watch for OOM kills: no memory cgroup (v1 memory controller not mounted)")
        }
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw RuntimeError.sys("cannot watch for OOM kills", "eventfd") }
        let controlPath = directory + "/memory.oom_control"
        let control = open(controlPath, O_RDONLY | O_CLOEXEC)
        guard control >= 0 else {
            let error = RuntimeError.sys("cannot watch for OOM kills", "open", path: controlPath)
            Glibc.close(fd)
            throw error
        }
        // The kernel holds its own reference once registered: the file can be closed.
        defer { Glibc.close(control) }
        let code = CgroupFile.tryWrite(directory, "cgroup.event_control", "\(fd) \(control)")
        guard code == 0 else {
            Glibc.close(fd)
            throw RuntimeError("cannot watch for OOM kills", syscall: "write", path: directory + "/cgroup.event_control", errno: code)
        }
        descriptor = fd
        source = .eventfd(directory: directory)
    }

    deinit { close() }

    /// Readable (epoll) when something may have happened; -1 once closed.
    public var fd: Int32 { descriptor }

    /// Drains the notification(s) and returns how many OOM kills happened since the last call
    /// (v1: OOM events of the memcg); 0 for a spurious wake-up or a removed cgroup.
    public func consume() -> Int {
        guard descriptor >= 0 else { return 0 }
        switch source {
        case .eventfd(let directory):
            var counter: UInt64 = 0
            let got = withUnsafeMutableBytes(of: &counter) { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard got == MemoryLayout<UInt64>.size, FileSystem.isDirectory(directory) else { return 0 }
            return Int(clamping: counter)
        case .memoryEvents(let record, let reported):
            drainInotify()
            guard let now = Cgroups.manager(for: record).oomKillCount(), now > reported else { return 0 }
            source = .memoryEvents(record: record, reported: now)
            return Int(clamping: now - reported)
        }
    }

    /// Idempotent; deinit calls it too.
    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    private func drainInotify() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if got > 0 { continue }
            if got < 0 && errno == EINTR { continue }
            return
        }
    }
}
