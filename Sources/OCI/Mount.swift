/// One entry of `mounts` (runtime-spec `specs-go.Mount`).
public struct Mount: Codable, Sendable, Equatable, FieldDecodable {
    /// Where the mount goes inside the container.
    public var destination: String
    /// Filesystem type for mount(2); nil or "none" for bind mounts.
    public var type: String?
    public var source: String?
    /// fstab-style options, e.g. `nosuid`, `rbind`, `mode=755`.
    public var options: [String]?
    /// ID-mapped mount: file owners are shifted by these mappings without a chown.
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?

    public init(
        destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil,
        uidMappings: [LinuxIDMapping]? = nil, gidMappings: [LinuxIDMapping]? = nil
    ) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        destination = try f(.destination)
        type = try f(.type)
        source = try f(.source)
        options = try f(.options)
        uidMappings = try f(.uidMappings)
        gidMappings = try f(.gidMappings)
    }
}
