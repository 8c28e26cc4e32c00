/// What the runtime supports (`features` command; runtime-spec `specs-go/features`).
///
/// Go keeps these types in a package of their own; here they nest in `Features` so that
/// `Features.Linux` does not collide with the config's `Linux`. A nil list or flag means
/// "unknown", not "unsupported".
public struct Features: Codable, Sendable, Equatable {
    /// Oldest spec version accepted, e.g. "1.0.0".
    public var ociVersionMin: String?
    /// Newest spec version accepted, e.g. "1.2.0".
    public var ociVersionMax: String?
    /// Recognized hook names, e.g. "createRuntime".
    public var hooks: [String]?
    /// Recognized mount options, e.g. "ro" (not filesystem-specific data).
    public var mountOptions: [String]?
    public var linux: Linux?
    public var annotations: [String: String]?
    /// Config annotations that may weaken isolation; entries ending in "." are prefixes.
    public var potentiallyUnsafeConfigAnnotations: [String]?

    public init(
        ociVersionMin: String? = nil, ociVersionMax: String? = nil, hooks: [String]? = nil,
        mountOptions: [String]? = nil, linux: Linux? = nil, annotations: [String: String]? = nil,
        potentiallyUnsafeConfigAnnotations: [String]? = nil
    ) {
        self.ociVersionMin = ociVersionMin
        self.ociVersionMax = ociVersionMax
        self.hooks = hooks
        self.mountOptions = mountOptions
        self.linux = linux
        self.annotations = annotations
        self.potentiallyUnsafeConfigAnnotations = potentiallyUnsafeConfigAnnotations
    }

    public struct Linux: Codable, Sendable, Equatable {
        /// e.g. "mount".
        public var namespaces: [String]?
        /// e.g. "CAP_SYS_ADMIN".
        public var capabilities: [String]?
        public var cgroup: Cgroup?
        public var seccomp: Seccomp?
        public var apparmor: Apparmor?
        public var selinux: Selinux?
        public var intelRdt: IntelRdt?
        public var memoryPolicy: MemoryPolicy?
        public var mountExtensions: MountExtensions?
        public var netDevices: NetDevices?

        public init(
            namespaces: [String]? = nil, capabilities: [String]? = nil, cgroup: Cgroup? = nil,
            seccomp: Seccomp? = nil, apparmor: Apparmor? = nil, selinux: Selinux? = nil,
            intelRdt: IntelRdt? = nil, mountExtensions: MountExtensions? = nil,
            memoryPolicy: MemoryPolicy? = nil, netDevices: NetDevices? = nil
        ) {
            self.memoryPolicy = memoryPolicy
            self.netDevices = netDevices
            self.namespaces = namespaces
            self.capabilities = capabilities
            self.cgroup = cgroup
            self.seccomp = seccomp
            self.apparmor = apparmor
            self.selinux = selinux
            self.intelRdt = intelRdt
            self.mountExtensions = mountExtensions
        }
    }

    /// Which cgroup drivers are compiled in (not what the host uses).
    public struct Cgroup: Codable, Sendable, Equatable {
        public var v1: Bool?
        public var v2: Bool?
        public var systemd: Bool?
        public var systemdUser: Bool?
        public var rdma: Bool?

        public init(v1: Bool? = nil, v2: Bool? = nil, systemd: Bool? = nil, systemdUser: Bool? = nil, rdma: Bool? = nil) {
            self.v1 = v1
            self.v2 = v2
            self.systemd = systemd
            self.systemdUser = systemdUser
            self.rdma = rdma
        }
    }

    public struct Seccomp: Codable, Sendable, Equatable {
        public var enabled: Bool?
        /// e.g. "SCMP_ACT_NOTIFY".
        public var actions: [String]?
        /// e.g. "SCMP_CMP_NE".
        public var operators: [String]?
        /// e.g. "SCMP_ARCH_X86_64".
        public var archs: [String]?
        /// Filter flags this build knows.
        public var knownFlags: [String]?
        /// The subset of knownFlags the kernel and libseccomp accept.
        public var supportedFlags: [String]?

        public init(
            enabled: Bool? = nil, actions: [String]? = nil, operators: [String]? = nil, archs: [String]? = nil,
            knownFlags: [String]? = nil, supportedFlags: [String]? = nil
        ) {
            self.enabled = enabled
            self.actions = actions
            self.operators = operators
            self.archs = archs
            self.knownFlags = knownFlags
            self.supportedFlags = supportedFlags
        }
    }

    public struct Apparmor: Codable, Sendable, Equatable {
        public var enabled: Bool?
        public init(enabled: Bool? = nil) { self.enabled = enabled }
    }

    public struct Selinux: Codable, Sendable, Equatable {
        public var enabled: Bool?
        public init(enabled: Bool? = nil) { self.enabled = enabled }
    }

    public struct IntelRdt: Codable, Sendable, Equatable {
        public var enabled: Bool?
        /// `linux.intelRdt.schemata` is understood.
        public var schemata: Bool?
        /// `linux.intelRdt.enableMonitoring` is understood.
        public var monitoring: Bool?
        public init(enabled: Bool? = nil, schemata: Bool? = nil, monitoring: Bool? = nil) {
            self.enabled = enabled
            self.schemata = schemata
            self.monitoring = monitoring
        }
    }

    public struct MemoryPolicy: Codable, Sendable, Equatable {
        /// e.g. "MPOL_BIND".
        public var modes: [String]?
        /// e.g. "MPOL_F_STATIC_NODES".
        public var flags: [String]?
        public init(modes: [String]? = nil, flags: [String]? = nil) {
            self.modes = modes
            self.flags = flags
        }
    }

    public struct NetDevices: Codable, Sendable, Equatable {
        public var enabled: Bool?
        public init(enabled: Bool? = nil) { self.enabled = enabled }
    }

    public struct MountExtensions: Codable, Sendable, Equatable {
        /// ID-mapped mounts (`uidMappings` on a mount).
        public var idmap: IDMap?
        public init(idmap: IDMap? = nil) { self.idmap = idmap }
    }

    public struct IDMap: Codable, Sendable, Equatable {
        public var enabled: Bool?
        public init(enabled: Bool? = nil) { self.enabled = enabled }
    }
}
