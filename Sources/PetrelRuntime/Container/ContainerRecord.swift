import OCI

/// What Petrel keeps in <root>/<id>/state.json between commands.
public struct ContainerRecord: Codable, Sendable {
    public var ociVersion: String
    public var id: String
    /// Host pid of the init; 0 once known to be gone.
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
    /// `update` keeps linux.resources current.
    public var config: Spec
    /// The cgroup create() made; nil for state written before cgroup support.
    public var cgroup: CgroupRecord?
}
