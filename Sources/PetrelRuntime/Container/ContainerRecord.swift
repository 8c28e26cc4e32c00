import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What Petrel keeps in <root>/<id>/state.json between commands.
///
/// `create` writes it twice: a provisional record (pid 0, `creator` set, the cgroup it is
/// about to make) before its first step with effects outside the state directory, and the
/// complete one (init pid and start time, `creator` nil) once the init is ready. So a
/// `create` killed at any moment leaves a record that `delete --force` can clean up.
public struct ContainerRecord: Codable, Sendable {
    public var ociVersion: String
    public var id: String
    /// Host pid of the init; 0 once known to be gone, or while provisional.
    public var pid: Int32
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [String: String]?
    /// /proc/PID/stat starttime of the init, so a reused pid is never mistaken for it.
    public var initStartTime: UInt64
    /// Whether the container has a pid namespace of its own (kill --all strategy).
    public var ownPidNamespace: Bool
    /// The config the container was created from (hooks and cgroups need it later);
    /// `update` keeps linux.resources current. Empty in a provisional record.
    public var config: Spec
    /// The cgroup create() made (or, while provisional, is about to make); nil for state
    /// written before cgroup support.
    public var cgroup: CgroupRecord?
    /// Set only in a provisional record: the `create` (or `run`) still writing it. While it
    /// lives the container is `creating`; once it is gone the record is the remains of an
    /// interrupted create (its init died with it), `stopped`.
    public var creator: ProcessIdentity?

    /// Whether this is the provisional record of a create that has not finished.
    public var isProvisional: Bool { creator != nil }
}

/// A process named so that a reused pid never matches: pid plus /proc/PID/stat starttime.
public struct ProcessIdentity: Codable, Sendable, Equatable {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process, or nil when /proc cannot tell.
    public static func current() -> ProcessIdentity? {
        let pid = getpid()
        return ProcessStat.read(pid: pid).map { ProcessIdentity(pid: pid, startTime: $0.startTime) }
    }

    /// Alive and still the same process (not a zombie, not a reused pid).
    public var isAlive: Bool {
        guard let stat = ProcessStat.read(pid: pid) else { return false }
        return stat.startTime == startTime && !stat.isDead
    }
}
