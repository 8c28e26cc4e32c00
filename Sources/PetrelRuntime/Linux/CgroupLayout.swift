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
        let text = mountInfo.map { Array($0.utf8) } ?? ((try? FileSystem.readFile("/proc/self/mountinfo")) ?? [])
        return text.withUnsafeBufferPointer { parse($0) }
    }

    /// A byte scan: most lines are not cgroups and are skipped without building a String
    /// (splitting each line into Substrings cost millions of instructions per create).
    /// A line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".
    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> CgroupLayout {
        var v1: [V1Hierarchy] = []
        var unified: String?
        var lineStart = 0
        while lineStart < text.count {
            var lineEnd = lineStart
            while lineEnd < text.count && text[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            // The fields, as (start, end) ranges split on single spaces.
            var fields: [(Int, Int)] = []
            fields.reserveCapacity(12)
            var fieldStart = lineStart
            for index in lineStart...lineEnd where index == lineEnd || text[index] == UInt8(ascii: " ") {
                fields.append((fieldStart, index))
                fieldStart = index + 1
            }
            guard let separator = fields.indices.first(where: { $0 >= 5 && equals(text, fields[$0], "-") }),
                  separator + 3 < fields.count else { continue }
            let fsType = fields[separator + 1]
            let isV2 = equals(text, fsType, "cgroup2")
            guard isV2 || equals(text, fsType, "cgroup") else { continue }
            let mountPoint = string(text, fields[4])
            if isV2 {
                if mountPoint.hasPrefix(root) { unified = mountPoint }
                continue
            }
            var controllers: [String] = []
            var name: String?
            let options = fields[separator + 3]
            var optionStart = options.0
            for index in options.0...options.1 where index == options.1 || text[index] == UInt8(ascii: ",") {
                let option = string(text, (optionStart, index))
                optionStart = index + 1
                if option.isEmpty || ignoredOptions.contains(option) || option.hasPrefix("release_agent=") { continue }
                if option.hasPrefix("name=") { name = String(option.dropFirst(5)); continue }
                controllers.append(option)
            }
            v1.append(V1Hierarchy(mountPoint: mountPoint, controllers: controllers, name: name))
        }
        if v1.isEmpty, unified == root { return CgroupLayout(mode: .unified, v1: [], unifiedMountPoint: root) }
        return CgroupLayout(mode: unified == nil ? .legacy : .hybrid, v1: v1, unifiedMountPoint: unified)
    }

    /// Mount options of a v1 cgroup mount that are not controllers.
    static let ignoredOptions: Set<String> = [
        "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "xattr", "clone_children", "nsdelegate",
    ]

    private static func equals(_ text: UnsafeBufferPointer<UInt8>, _ range: (Int, Int), _ literal: StaticString) -> Bool {
        guard range.1 - range.0 == literal.utf8CodeUnitCount else { return false }
        let bytes = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount where text[range.0 + offset] != bytes[offset] { return false }
        return true
    }

    private static func string(_ text: UnsafeBufferPointer<UInt8>, _ range: (Int, Int)) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: text[range.0..<range.1]), as: UTF8.self)
    }
}
