/// One line of /proc/self/mountinfo (proc(5)). The runner reads its own (the peer groups
/// of the host side), the checker the container's.
public struct MountEntry: Sendable {
    public var id: Int
    public var parent: Int
    /// "major:minor" of the file system (st_dev).
    public var device: String
    public var root: String
    public var mountPoint: String
    public var options: Set<String>
    /// Optional fields: "shared:N", "master:N", "propagate_from:N", "unbindable".
    public var propagation: [String]
    public var fsType: String
    public var source: String
    public var superOptions: [String]

    /// The peer group this mount is a member of (shared:N).
    public var sharedGroup: Int? { group("shared:") }
    /// The peer group this mount is a slave of (master:N).
    public var masterGroup: Int? { group("master:") }
    public var isShared: Bool { sharedGroup != nil }
    public var isSlave: Bool { masterGroup != nil }
    public var isUnbindable: Bool { propagation.contains("unbindable") }
    public var propagationText: String { propagation.isEmpty ? "private" : propagation.joined(separator: " ") }

    private func group(_ prefix: String) -> Int? {
        propagation.first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
    }
}

public enum MountInfo {
    public static func read() -> [MountEntry] {
        guard let text = try? readText("/proc/self/mountinfo") else { return [] }
        return text.lines.compactMap(parse)
    }

    public static func parse(_ line: String) -> MountEntry? {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
              fields.count >= separator + 3,
              let id = Int(fields[0]), let parent = Int(fields[1]) else { return nil }
        return MountEntry(
            id: id, parent: parent, device: fields[2], root: unescape(fields[3]), mountPoint: unescape(fields[4]),
            options: Set(fields[5].split(separator: ",").map(String.init)),
            propagation: Array(fields[6..<separator]),
            fsType: fields[separator + 1], source: unescape(fields[separator + 2]),
            superOptions: separator + 3 < fields.count ? fields[separator + 3].split(separator: ",").map(String.init) : [])
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    public static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count + 0,
               let value = UInt8(String(decoding: source[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The mount visible at `path`: the last one listed there.
    public static func top(at path: String, in mounts: [MountEntry]) -> MountEntry? {
        mounts.last { $0.mountPoint == normalize(path) }
    }

    /// The mount that holds `path` (an absolute path without symlinks): the top mount at its
    /// longest mount-point prefix.
    public static func holding(_ path: String, in mounts: [MountEntry]) -> MountEntry? {
        var candidate = normalize(path)
        while true {
            if let entry = top(at: candidate, in: mounts) { return entry }
            if candidate == "/" { return nil }
            candidate = normalize(candidate + "/..")
        }
    }

    public static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." && !part.isEmpty {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}
