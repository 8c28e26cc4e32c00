/// How linux.cgroupsPath is read: runc's cgroupfs driver (a path) or its systemd driver
/// ("slice:prefix:name", selected with --systemd-cgroup).
public enum CgroupDriver: String, Sendable {
    case cgroupfs
    /// There is no systemd on the machines Petrel targets, so this is an emulation: the
    /// cgroup is laid out where runc's systemd driver would put it (slices expanded, a
    /// `prefix-name.scope` leaf) but made with plain mkdir; no systemd unit exists.
    case systemd
}

/// linux.cgroupsPath made safe, before any host lookup.
public enum CgroupInnerPath: Equatable, Sendable {
    /// Below each hierarchy's root, e.g. "/system.slice/petrel-abc.scope".
    case absolute(String)
    /// Below the caller's own cgroup, e.g. "petrel/abc".
    case relative(String)
}

/// linux.cgroupsPath resolution, as runc 1.1 does it. Pure: the host's mounts and
/// /proc/self/cgroup come in as values.
public enum CgroupPath {
    /// The v1 controllers runc's fs driver manages; other hierarchies (misc, named ones other
    /// than systemd) are left alone.
    static let managedV1Controllers: Set<String> = [
        "cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb", "net_cls",
        "net_prio", "perf_event", "freezer", "rdma", "name=systemd",
    ]

    public static func inner(cgroupsPath: String?, id: String, driver: CgroupDriver) throws(RuntimeError) -> CgroupInnerPath {
        switch driver {
        case .systemd:
            return .absolute(try systemdPath(cgroupsPath ?? "", id: id))
        case .cgroupfs:
            let value = cgroupsPath ?? ""
            // runc: an empty path means "the container id, relative to our own cgroup".
            return try clean(value.isEmpty ? id : value, shownAs: value.isEmpty ? id : value)
        }
    }

    /// Lexically cleans the path and refuses one that climbs out with "..", names a hierarchy
    /// root, or names the caller's own cgroup (destroy would then remove what is not ours).
    static func clean(_ value: String, shownAs shown: String) throws(RuntimeError) -> CgroupInnerPath {
        var parts: [String] = []
        for part in value.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                guard !parts.isEmpty else {
                    throw RuntimeError("linux.cgroupsPath \(JSONText.quote(shown)): escapes its cgroup hierarchy with \"..\"")
                }
                parts.removeLast()
                continue
            }
            parts.append(String(part))
        }
        let joined = parts.joined(with: "/")
        if value.hasPrefix("/") {
            guard !joined.isEmpty else {
                throw RuntimeError("linux.cgroupsPath \(JSONText.quote(shown)): names a hierarchy root, not a cgroup of its own")
            }
            return .absolute("/" + joined)
        }
        guard !joined.isEmpty else {
            throw RuntimeError("linux.cgroupsPath \(JSONText.quote(shown)): names petrel's own cgroup, not a cgroup of its own")
        }
        return .relative(joined)
    }

    /// containerd's CRI writes cgroupsPath as "parent.slice:cri-containerd:id" whenever the pod's
    /// cgroup parent is a systemd slice (kubelet's systemd driver), whatever the runtime's
    /// options say: that form, and only that form, is read with the systemd driver by the shim.
    public static func hasSystemdForm(_ value: String?) -> Bool {
        guard let value, !value.contains("/") else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].hasSuffix(".slice") && !parts[2].isEmpty
    }

    /// "slice:prefix:name" laid out like runc's systemd driver: "system.slice:petrel:abc" →
    /// /system.slice/petrel-abc.scope; a name ending in .slice is used as is. An empty
    /// value means "system.slice:petrel:<id>" (runc uses its own name as the prefix too).
    static func systemdPath(_ value: String, id: String) throws(RuntimeError) -> String {
        var slice = "system.slice", prefix = "petrel", name = id
        if !value.isEmpty {
            let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else {
                throw RuntimeError(
                    "linux.cgroupsPath \(JSONText.quote(value)): expected \"slice:prefix:name\" for systemd cgroups")
            }
            if !parts[0].isEmpty { slice = parts[0] }
            prefix = parts[1]
            name = parts[2]
        }
        for (field, text) in [("prefix", prefix), ("name", name)] where text.contains("/") || text == ".." || text == "." {
            throw RuntimeError("linux.cgroupsPath \(JSONText.quote(value)): invalid \(field) \(JSONText.quote(text))")
        }
        guard !name.isEmpty else { throw RuntimeError("linux.cgroupsPath \(JSONText.quote(value)): empty name") }
        let parent = try expandSlice(slice, shownAs: value)
        let unit = name.hasSuffix(".slice") ? name : (prefix.isEmpty ? name : prefix + "-" + name) + ".scope"
        return (parent == "/" ? "" : parent) + "/" + unit
    }

    /// systemd spells nesting with dashes: "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice;
    /// "-.slice" is the root.
    public static func expandSlice(_ slice: String, shownAs shown: String? = nil) throws(RuntimeError) -> String {
        let invalid = RuntimeError("linux.cgroupsPath \(JSONText.quote(shown ?? slice)): invalid slice name \(JSONText.quote(slice))")
        guard slice.hasSuffix(".slice"), slice.count > ".slice".count, !slice.contains("/") else { throw invalid }
        let base = slice.dropLast(".slice".count)
        if base == "-" { return "/" }
        var path = "", prefix = ""
        for component in base.split(separator: "-", omittingEmptySubsequences: false) {
            guard !component.isEmpty else { throw invalid }
            path += "/" + prefix + component + ".slice"
            prefix += component + "-"
        }
        return path
    }

    /// /proc/self/cgroup as hierarchy key → path: "memory" → "/a/b", "name=systemd" → "/",
    /// and "" → the cgroup v2 path (the "0::" line). Co-mounted controllers get one entry each.
    public static func ownCgroups(_ text: String) -> [String: String] {
        // Over bytes: splitting Substrings on Characters costs grapheme breaking per byte.
        var result: [String: String] = [:]
        let bytes = Array(text.utf8)
        func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            guard let first = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")),
                  let second = bytes[(first + 1)..<lineEnd].firstIndex(of: UInt8(ascii: ":")) else { continue }
            let path = string((second + 1)..<lineEnd)
            if first + 1 == second {
                result[""] = path
                continue
            }
            var keyStart = first + 1
            for index in (first + 1)...second where index == second || bytes[index] == UInt8(ascii: ",") {
                if index > keyStart { result[string(keyStart..<index)] = path }
                keyStart = index + 1
            }
        }
        return result
    }

    /// The container's cgroup directories on this host.
    /// - v2: relative paths go below the PARENT of our own cgroup, like runc's fs2: our own
    ///   cgroup holds processes, so it cannot enable controllers for a child.
    /// - v1: one directory per managed hierarchy, relative to our cgroup in that hierarchy;
    ///   on a hybrid host also one in the cgroup2 hierarchy (runc 1.1 joins it too).
    public static func directories(
        for inner: CgroupInnerPath, layout: CgroupLayout, procSelfCgroup: String
    ) throws(RuntimeError) -> [CgroupDirectory] {
        let own = ownCgroups(procSelfCgroup)
        func place(_ mountPoint: String, _ ownKey: String, parentOfOwn: Bool) throws(RuntimeError) -> String {
            let path: String
            switch inner {
            case .absolute(let absolute):
                path = mountPoint + absolute
            case .relative(let relative):
                guard var base = own[ownKey] else {
                    throw RuntimeError("cannot find our own cgroup for \(ownKey.isEmpty ? "cgroup v2" : ownKey) in /proc/self/cgroup")
                }
                // Seen from another cgroup namespace our cgroup may read "/../x": there is no
                // sound place below it then.
                guard base.hasPrefix("/"), !base.split(separator: "/").contains("..") else {
                    throw RuntimeError("our own cgroup \(JSONText.quote(base)) (/proc/self/cgroup) is outside this cgroup namespace")
                }
                if parentOfOwn { base = parentDirectory(base) }
                // `relative` is clean already; so is the kernel's own path, almost always.
                let joined = (base == "/" ? "" : base) + "/" + relative
                path = mountPoint + (isPlainAbsolute(base) ? joined : FileSystem.clean(joined))
            }
            return path
        }

        if layout.mode == .unified {
            let mountPoint = layout.unifiedMountPoint ?? CgroupLayout.root
            return [CgroupDirectory(hierarchy: CgroupDirectory.unified, path: try place(mountPoint, "", parentOfOwn: true))]
        }
        var result: [CgroupDirectory] = []
        for hierarchy in layout.v1 {
            let keys = hierarchy.controllers + (hierarchy.name.map { ["name=" + $0] } ?? [])
            guard let first = keys.first, keys.contains(where: managedV1Controllers.contains) else { continue }
            let path = try place(hierarchy.mountPoint, first, parentOfOwn: false)
            result.append(CgroupDirectory(hierarchy: keys.joined(with: ","), path: path))
        }
        if let unified = layout.unifiedMountPoint {
            result.append(CgroupDirectory(hierarchy: CgroupDirectory.unified, path: try place(unified, "", parentOfOwn: false)))
        }
        return result
    }

    /// "/" or "/a/b": no empty, "." or ".." component and no trailing slash, so joining
    /// needs no FileSystem.clean. (A component starting with "." also answers false: harmless.)
    static func isPlainAbsolute(_ path: String) -> Bool {
        var previous: UInt8 = 0
        for byte in path.utf8 {
            if previous == UInt8(ascii: "/") && (byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".")) { return false }
            previous = byte
        }
        return previous != 0 && (path.utf8.count == 1 || previous != UInt8(ascii: "/"))
    }

    static func parentDirectory(_ path: String) -> String {
        if isPlainAbsolute(path), let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) {
            return slash == path.utf8.startIndex ? "/" : String(path[..<slash])
        }
        var parts = path.split(separator: "/")
        if !parts.isEmpty { parts.removeLast() }
        return "/" + parts.map { String($0) }.joined(with: "/")
    }
}
