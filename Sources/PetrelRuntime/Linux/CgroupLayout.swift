#if canImport(Glibc)
import Glibc
#endif

/// How the host mounts cgroups: pure v2 (unified), or v1 controllers with or without a
/// v2 hierarchy beside them (hybrid / legacy). Read from /proc/self/mountinfo and statfs.
public struct CgroupLayout: Sendable, Equatable {
    public enum Mode: String, Sendable { case unified, hybrid, legacy }

    public struct V1Hierarchy: Sendable, Equatable {
        /// Where the host mounts it, e.g. /sys/fs/cgroup/memory.
        public var mountPoint: String
        /// The kernel controllers it carries, e.g. ["cpu", "cpuacct"]; empty for named ones.
        public var controllers: [String]
        /// name=... for named hierarchies such as name=systemd.
        public var name: String?
    }

    public var mode: Mode
    public var v1: [V1Hierarchy]
    public var unifiedMountPoint: String?

    public static let root = "/sys/fs/cgroup"

    public static func detect(mountInfo: String? = nil) -> CgroupLayout {
        let text = mountInfo ?? ((try? FileSystem.readText("/proc/self/mountinfo")) ?? "")
        var v1: [V1Hierarchy] = []
        var unified: String?
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedByString: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " ")
            let right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let mountPoint = String(left[4])
            switch right[0] {
            case "cgroup2":
                if mountPoint.hasPrefix(root) { unified = mountPoint }
            case "cgroup":
                var controllers: [String] = []
                var name: String?
                for option in right[2].split(separator: ",") {
                    if option.hasPrefix("name=") { name = String(option.dropFirst(5)); continue }
                    if ["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "xattr", "clone_children", "nsdelegate"].contains(String(option)) { continue }
                    if option.hasPrefix("release_agent=") { continue }
                    controllers.append(String(option))
                }
                v1.append(V1Hierarchy(mountPoint: mountPoint, controllers: controllers, name: name))
            default:
                continue
            }
        }
        if v1.isEmpty, unified == root { return CgroupLayout(mode: .unified, v1: [], unifiedMountPoint: root) }
        return CgroupLayout(mode: unified == nil ? .legacy : .hybrid, v1: v1, unifiedMountPoint: unified)
    }
}

extension Substring {
    /// Splits on a multi-character separator (FoundationEssentials has no components(separatedBy:)).
    func components(separatedByString separator: String) -> [Substring] {
        var parts: [Substring] = []
        let needle = Array(separator.utf8)
        guard !needle.isEmpty else { return [self] }
        var start = startIndex
        var cursor = startIndex
        while cursor < endIndex {
            if self[cursor...].utf8.starts(with: needle) {
                parts.append(self[start..<cursor])
                cursor = utf8.index(cursor, offsetBy: needle.count)
                start = cursor
            } else {
                cursor = index(after: cursor)
            }
        }
        parts.append(self[start...])
        return parts
    }
}
