import OCI

/// The runtime's entry points, one per lifecycle operation of the runtime spec. The CLI
/// verbs are thin wrappers around these.
public struct Runtime: Sendable {
    public let store: StateStore
    /// Degrade what needs privileges (specs/rootless.md).
    public let rootless: Bool

    public init(root: String, rootless: Bool = RootlessMode.auto.resolved) {
        store = StateStore(root: root)
        self.rootless = rootless
    }
}

/// Options of `create` (and `run`) that come from the command line.
public struct CreateRequest: Sendable {
    public var id: String
    public var bundle: String
    public var pidFile: String?
    public var consoleSocket: String?
    public var noPivot = false
    public var preserveFds: Int32 = 0
    /// `run` in the foreground keeps the terminal; `create` and `run -d` detach.
    public var detached = true
    /// `run --keep`: a foreground container is left stopped (not deleted) when it exits.
    public var keep = false
    /// How linux.cgroupsPath is read (--systemd-cgroup selects `.systemd`).
    public var cgroupDriver = CgroupDriver.cgroupfs
    /// The shim: a cgroupsPath in systemd's "slice:prefix:name" form selects the systemd driver
    /// (containerd has no runtime option for it with a non-runc runtime type).
    public var systemdFormSelectsDriver = false
    /// A connected console socket given as an fd (`run` in the foreground, the shim) instead
    /// of a path; the caller keeps it.
    public var consoleSocketFd: Int32 = -1
    /// The init's fds 0, 1 and 2 (the shim's pipes, each >= 3), or nil: the caller's stdio.
    public var stdio: [Int32]?

    public init(id: String, bundle: String) {
        self.id = id
        self.bundle = bundle
    }
}
