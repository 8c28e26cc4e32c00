/// Everything the C executor needs, fully resolved in Swift before any clone: no lookups,
/// parsing or allocation is left for the child.
public struct ExecutionPlan: Sendable, Equatable {
    public struct Namespace: Sendable, Equatable {
        public var cloneFlag: UInt64
        /// nil: create a new namespace; otherwise join this one.
        public var path: String?
    }

    public enum MountKind: Int32, Sendable {
        case filesystem = 0
        case bind = 1
        case cgroupV1 = 2
    }

    public struct Mount: Sendable, Equatable {
        public var kind: MountKind
        public var source: String
        public var destination: String
        public var type: String?
        public var data: String?
        public var flags: UInt
        public var propagation: UInt
        public var recursive: Bool
        public var targetIsFile: Bool
        public var cgroupSubsystems: [String] = []
        /// Parallel to cgroupSubsystems: the container's own cgroup directory to bind there
        /// (no cgroup namespace, as runc; with one, if the hierarchy cannot be mounted);
        /// empty: mount the hierarchy.
        public var cgroupSources: [String] = []
        /// cgroup2 mounts: the container's own cgroup directory, bound when cgroup2 itself
        /// may not be mounted (a user namespace), as runc does with a cgroup namespace.
        public var ownCgroup: String?
        /// Bind mounts only: made id-mapped by the parent (open_tree + mount_setattr)
        /// before the clone, then moved into place by the child.
        public var idmap: IDMapping?
        /// runc's recursive options: mount_setattr(AT_RECURSIVE) after the mount.
        public var recursiveAttrSet: UInt64 = 0
        public var recursiveAttrClear: UInt64 = 0
        /// tmpfs `tmpcopyup`: copy what the tmpfs covers into it.
        public var copyUp = false
        /// sysfs in a user namespace without a network namespace of its own: the parent
        /// passes a non-recursive copy of the host's /sys, used if mounting sysfs is refused.
        public var hostSysfs = false
    }

    /// The user namespace an id-mapped mount takes its mapping from, as
    /// "containerID hostID size" lines (the format of /proc/PID/uid_map).
    public struct IDMapping: Sendable, Equatable {
        public var uidMappings: [String]
        public var gidMappings: [String]
        /// `ridmap`: submounts of an rbind are id-mapped too.
        public var recursive: Bool
    }

    public struct Device: Sendable, Equatable {
        public var path: String
        public var mode: UInt32
        public var major: UInt32
        public var minor: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var bindFromHost: Bool
    }

    public struct Rlimit: Sendable, Equatable {
        public var resource: Int32
        public var soft: UInt64
        public var hard: UInt64
    }

    public struct CapabilitySets: Sendable, Equatable {
        public var bounding: UInt64 = 0
        public var effective: UInt64 = 0
        public var inheritable: UInt64 = 0
        public var permitted: UInt64 = 0
        public var ambient: UInt64 = 0
    }

    public struct Sysctl: Sendable, Equatable {
        /// Below /proc/sys, e.g. "net/ipv4/ip_forward".
        public var path: String
        public var value: String
    }

    public var namespaces: [Namespace] = []
    public var hostname: String?
    public var domainname: String?
    /// /proc/self/timens_offsets lines for a new time namespace (linux.timeOffsets).
    public var timeOffsets: String?
    /// personality(2) persona (linux.personality); nil: unchanged.
    public var personality: Int32?
    /// linux.memoryPolicy, applied by the process itself before exec.
    public var memoryPolicy: MemoryPolicyPlan?

    public var rootfs: String = ""
    public var rootReadonly = false
    public var rootPropagation: UInt = MountFlag.slave | MountFlag.recursive
    public var noPivot = false
    /// No mount namespace in the config: the runtime's is inherited (chroot, no mounts).
    public var sharedMountNamespace = false
    public var mounts: [Mount] = []
    public var devices: [Device] = []
    public var setupDevSymlinks = true
    public var maskedPaths: [String] = []
    public var readonlyPaths: [String] = []

    public var args: [String] = []
    public var env: [String] = []
    public var cwd: String = "/"
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var additionalGids: [UInt32] = []
    public var umask: Int32 = 0o022
    public var terminal = false
    public var consoleRows: UInt16 = 0
    public var consoleColumns: UInt16 = 0
    public var noNewPrivileges = false
    public var capabilities: CapabilitySets?
    public var rlimits: [Rlimit] = []
    public var oomScoreAdj: Int32?
    public var sysctls: [Sysctl] = []
    public var seccomp: CompiledSeccomp?
    public var apparmorProfile: String?
    public var selinuxLabel: String?
    /// process.scheduler and process.ioPriority (IOPRIO_PRIO_VALUE), set by the process
    /// itself before the user switch.
    public var scheduler: ProcessAttributes.Scheduler?
    public var ioPriority: Int32?
    /// process.execCPUAffinity (exec only): `initial` is the runtime's own affinity while it
    /// clones; `final` the process's once in the cgroup (nil: every CPU the cgroup allows).
    public var cpuAffinityInitial: [UInt64]?
    public var cpuAffinityFinal: [UInt64]?
    /// linux.resources.cpu.cpus is set: an EPERM from sched_setattr is then explained.
    public var cpusRestricted = false

    public var preserveFds: Int32 = 0
    /// The process's fds 0, 1 and 2 (each >= 3 in the caller), or nil: the caller's own stdio.
    public var stdio: [Int32]?
    public var execFifo: String?
    public var awaitStart = false
    public var pauseBeforePivot = false
    /// `exec`: join the namespaces (all given by path), no filesystem setup.
    public var execMode = false
    /// The program when it is not args[0] looked up in PATH (a hook's `path`).
    public var execPath: String?

    /// Written by the parent into /proc/PID/{uid,gid}_map when a new user namespace is made.
    public var uidMappings: [String] = []
    public var gidMappings: [String] = []

    public init() {}
}
