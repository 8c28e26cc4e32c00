/// Lifecycle hooks, in the order the lifecycle runs them. Each receives the container's
/// `State` on stdin.
public struct Hooks: Codable, Sendable, Equatable, FieldDecodable {
    /// Deprecated by the spec in favour of createRuntime, createContainer and startContainer,
    /// but runc still runs it, just before createRuntime.
    public var prestart: [Hook]?
    public var createRuntime: [Hook]?
    public var createContainer: [Hook]?
    public var startContainer: [Hook]?
    public var poststart: [Hook]?
    public var poststop: [Hook]?

    public init(
        prestart: [Hook]? = nil, createRuntime: [Hook]? = nil, createContainer: [Hook]? = nil,
        startContainer: [Hook]? = nil, poststart: [Hook]? = nil, poststop: [Hook]? = nil
    ) {
        self.prestart = prestart
        self.createRuntime = createRuntime
        self.createContainer = createContainer
        self.startContainer = startContainer
        self.poststart = poststart
        self.poststop = poststop
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        prestart = try f(.prestart)
        createRuntime = try f(.createRuntime)
        createContainer = try f(.createContainer)
        startContainer = try f(.startContainer)
        poststart = try f(.poststart)
        poststop = try f(.poststop)
    }
}

/// A program to run at a lifecycle event.
public struct Hook: Codable, Sendable, Equatable, FieldDecodable {
    /// Absolute path of the executable.
    public var path: String
    /// Full argv, including argv[0].
    public var args: [String]?
    public var env: [String]?
    /// Seconds before the hook is killed; must be positive when set.
    public var timeout: Int?

    public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
        self.path = path
        self.args = args
        self.env = env
        self.timeout = timeout
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        path = try f(.path)
        args = try f(.args)
        env = try f(.env)
        timeout = try f(.timeout)
    }
}
