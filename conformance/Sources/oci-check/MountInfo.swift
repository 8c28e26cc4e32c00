import ConformanceKit

/// One line of /proc/self/mountinfo (proc(5)).
struct MountEntry {
    var id: Int
    var parent: Int
    var root: String
    var mountPoint: String
    var options: Set<String>
    /// Optional fields: "shared:N", "master:N", "propagate_from:N", "unbindable".
    var propagation: [String]
    var fsType: String
    var source: String
    var superOptions: [String]

    var isShared: Bool { propagation.contains { $0.hasPrefix("shared:") } }
    var isSlave: Bool { propagation.contains { $0.hasPrefix("master:") } }
    var isUnbindable: Bool { propagation.contains("unbindable") }
    var propagationText: String { propagation.isEmpty ? "private" : propagation.joined(separator: " ") }
}

enum MountInfo {
    static func read() -> [MountEntry] {
        guard let text = try? readText("/proc/self/mountinfo") else { return [] }
        return text.lines.compactMap(parse)
    }

    static func parse(_ line: String) -> MountEntry? {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
              fields.count >= separator + 3,
              let id = Int(fields[0]), let parent = Int(fields[1]) else { return nil }
        return MountEntry(
            id: id, parent: parent, root: unescape(fields[3]), mountPoint: unescape(fields[4]),
            options: Set(fields[5].split(separator: ",").map(String.init)),
            propagation: Array(fields[6..<separator]),
            fsType: fields[separator + 1], source: unescape(fields[separator + 2]),
            superOptions: separator + 3 < fields.count ? fields[separator + 3].split(separator: ",").map(String.init) : [])
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ text: String) -> String {
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
    static func top(at path: String, in mounts: [MountEntry]) -> MountEntry? {
        mounts.last { $0.mountPoint == normalize(path) }
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." && !part.isEmpty {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}
