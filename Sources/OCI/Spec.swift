/// The container's config.json (runtime-spec `specs-go.Spec`).
///
/// Properties are declared in Go's field order: the ordered encoder writes them in that
/// order, so `petrel spec` prints keys where `runc spec` does. Only the Linux platform
/// section is modelled; `solaris`, `windows`, `vm` and `zos` are ignored when decoding.
public struct Spec: Codable, Sendable, Equatable, FieldDecodable {
    /// Version of the runtime spec the bundle complies with (SemVer, see `OCIVersion`).
    public var ociVersion: String
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    /// Mounts made on top of the root, in order.
    public var mounts: [Mount]?
    public var hooks: Hooks?
    public var annotations: [String: String]?
    public var linux: Linux?

    public init(
        ociVersion: String = OCIVersion.current, process: Process? = nil, root: Root? = nil,
        hostname: String? = nil, domainname: String? = nil, mounts: [Mount]? = nil,
        hooks: Hooks? = nil, annotations: [String: String]? = nil, linux: Linux? = nil
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        ociVersion = try f(.ociVersion)
        process = try f(.process)
        root = try f(.root)
        hostname = try f(.hostname)
        domainname = try f(.domainname)
        mounts = try f(.mounts)
        hooks = try f(.hooks)
        annotations = try f(.annotations)
        linux = try f(.linux)
    }
}

/// The container's root filesystem on the host.
public struct Root: Codable, Sendable, Equatable, FieldDecodable {
    /// Path to the root filesystem, absolute or relative to the bundle.
    public var path: String
    public var readonly: Bool?

    public init(path: String, readonly: Bool? = nil) {
        self.path = path
        self.readonly = readonly
    }

    public init(from decoder: any Decoder) throws { try self.init(decoder: decoder) }

    init(object: FieldSource) throws {
        let f = try object.fields(CodingKeys.self)
        path = try f(.path)
        readonly = try f(.readonly)
    }
}

extension Spec {
    /// Decodes config.json strictly (RFC 8259, like Go's encoding/json) while ignoring
    /// unknown fields; any failure is one line naming the JSON path at fault.
    public static func decode(from bytes: [UInt8]) throws(SpecLoadError) -> Spec {
        try OCIJSON.decode(Spec.self, from: bytes)
    }

    /// Other platforms' sections and Windows-only fields: known to the spec, ignored here.
    static let otherPlatformFields: Set<String> = ["solaris", "windows", "vm", "zos", "freebsd", "process.commandLine"]

    /// `decode`, plus the JSON paths of fields this model does not know (a newer spec
    /// minor's additions, vendor keys or typos), other platforms' sections left out.
    public static func decodeReportingUnknown(from bytes: [UInt8]) throws(SpecLoadError) -> (spec: Spec, unknown: [String]) {
        let (spec, unknown) = try OCIJSON.decodeReportingUnknown(Spec.self, from: bytes)
        return (spec, unknown.filter { !otherPlatformFields.contains($0) })
    }

    /// `decodeReportingUnknown`, plus the other platforms' sections present, so that the
    /// runtime can say what it does with them.
    public static func decodeReportingOtherPlatforms(from bytes: [UInt8]) throws(SpecLoadError)
        -> (spec: Spec, unknown: [String], otherPlatforms: [String]) {
        let (spec, unknown) = try OCIJSON.decodeReportingUnknown(Spec.self, from: bytes)
        return (spec, unknown.filter { !otherPlatformFields.contains($0) }, unknown.filter { otherPlatformFields.contains($0) })
    }
}
