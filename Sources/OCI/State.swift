/// The runtime-spec state of a container: what `state` prints and hooks read on stdin.
public struct State: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    public var status: ContainerStatus
    /// Host pid of the container process; absent once it is gone.
    public var pid: Int32?
    /// Absolute path of the bundle.
    public var bundle: String
    public var annotations: [String: String]?

    public init(
        ociVersion: String = OCIVersion.current, id: String, status: ContainerStatus, pid: Int32? = nil,
        bundle: String, annotations: [String: String]? = nil
    ) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }
}

/// Go's `ContainerState`. `paused` is not in the spec but runc reports it (freezer), so
/// runc-compatible tools expect it.
public enum ContainerStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case creating, created, running, stopped, paused

    public init(from decoder: any Decoder) throws {
        self = try decodeKnownValue(ContainerStatus.self, from: decoder)
    }
}

/// What the runtime sends, with the fds themselves in SCM_RIGHTS, to the seccomp agent at
/// `linux.seccomp.listenerPath` (Go's `ContainerProcessState`).
public struct ContainerProcessState: Codable, Sendable, Equatable {
    /// Name of the seccomp notify fd in `fds`.
    public static let seccompFdName = "seccompFd"

    public var ociVersion: String
    /// Names of the passed fds, in SCM_RIGHTS order.
    public var fds: [String]
    public var pid: Int32
    /// `linux.seccomp.listenerMetadata`.
    public var metadata: String?
    public var state: State

    public init(ociVersion: String = OCIVersion.current, fds: [String], pid: Int32, metadata: String? = nil, state: State) {
        self.ociVersion = ociVersion
        self.fds = fds
        self.pid = pid
        self.metadata = metadata
        self.state = state
    }
}
