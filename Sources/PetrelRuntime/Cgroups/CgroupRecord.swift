/// One directory of a container's cgroup: the single one on cgroup v2, one per hierarchy on v1.
public struct CgroupDirectory: Codable, Sendable, Equatable {
    /// What the directory's hierarchy carries: "cpu,cpuacct", "memory", "name=systemd", or
    /// "unified" for a cgroup2 hierarchy (the only one on v2, the extra one on hybrid hosts).
    public var hierarchy: String
    /// Absolute host path, e.g. /sys/fs/cgroup/memory/petrel/abc.
    public var path: String

    public init(hierarchy: String, path: String) {
        self.hierarchy = hierarchy
        self.path = path
    }

    public static let unified = "unified"

    /// The controllers of a v1 hierarchy (a named hierarchy yields its "name=..." key).
    public var controllers: [String] { hierarchy.split(separator: ",").map(String.init) }

    /// Whether the hierarchy carries `controller`: `controllers.contains` without building
    /// the array (record lookups run for every cgroup file written).
    public func carries(_ controller: String) -> Bool {
        if hierarchy == controller { return true }
        let key = controller.utf8
        var rest = hierarchy.utf8[...]
        while !rest.isEmpty {
            let comma = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            if rest[..<comma].elementsEqual(key) { return true }
            rest = comma == rest.endIndex ? rest[comma...] : rest[rest.index(after: comma)...]
        }
        return false
    }
}

/// Where a container's cgroup lives, saved in its state.json: later commands (update, pause,
/// delete) must act on exactly these directories, whatever the host or flags look like then.
public struct CgroupRecord: Codable, Sendable, Equatable {
    /// 2 on a unified host; 1 on legacy and hybrid hosts.
    public var version: Int
    public var directories: [CgroupDirectory]
    /// The directories create() made itself, parents first. destroy() removes the leaves and,
    /// of the ancestors, only these: a parent someone else made may hold other cgroups.
    public var created: [String]

    public init(version: Int, directories: [CgroupDirectory], created: [String]) {
        self.version = version
        self.directories = directories
        self.created = created
    }

    /// The directory of the hierarchy carrying `controller` ("memory", "name=systemd", "unified").
    public func directory(for controller: String) -> String? {
        if version == 2 { return directories.first?.path }
        return directories.first { $0.carries(controller) }?.path
    }
}
