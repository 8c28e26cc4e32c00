#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing cgroup files. A cgroup file takes one value per write(2) and reports
/// a refusal as that write's errno, so each value goes in a single write.
/// The readers and `tryWrite` are public for the shim (Task.Stats, the OOM watcher).
public enum CgroupFile {
    /// Writes and returns 0, or the errno of the failure.
    public static func tryWrite(_ directory: String, _ file: String, _ value: String) -> Int32 {
        let path = directory + "/" + file
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        while true {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written == bytes.count { return 0 }
            if written < 0 && errno == EINTR { continue }
            return written < 0 ? errno : EIO
        }
    }

    /// Writes, failing with `cannot set FILE to "VALUE" in DIR: <errno>`.
    static func write(_ directory: String, _ file: String, _ value: String, detail: String = "") throws(RuntimeError) {
        let code = tryWrite(directory, file, value)
        guard code == 0 else {
            throw RuntimeError("cannot set \(file) to \(JSONText.quote(value)) in \(directory)\(detail)", errno: code)
        }
    }

    /// The file's text, or nil when it cannot be read (missing controller, gone cgroup).
    public static func read(_ directory: String, _ file: String) -> String? {
        try? FileSystem.readText(directory + "/" + file)
    }

    public static func trimmed(_ directory: String, _ file: String) -> String? {
        read(directory, file).map { String($0.filter { $0 != "\n" }) }
    }

    public static func exists(_ directory: String, _ file: String) -> Bool {
        FileSystem.exists(directory + "/" + file)
    }

    /// A single number; "max" reads as UInt64.max like runc's GetCgroupParamUint, and a
    /// negative v1 value (-1 for unlimited) as 0.
    public static func number(_ directory: String, _ file: String) -> UInt64? {
        guard let text = trimmed(directory, file) else { return nil }
        return parseNumber(text)
    }

    static func parseNumber(_ text: Substring) -> UInt64? { parseNumber(String(text)) }

    static func parseNumber(_ text: String) -> UInt64? {
        let value = text.trimmingSpaces
        if value == "max" { return UInt64.max }
        if let number = UInt64(value) { return number }
        if let negative = Int64(value), negative < 0 { return 0 }
        return nil
    }

    /// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control).
    public static func keyed(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let value = parseNumber(fields[1]) else { continue }
            values[String(fields[0])] = value
        }
        return values
    }

    /// The pids in a cgroup.procs file.
    static func pids(_ directory: String) -> [Int32] {
        (read(directory, "cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// The cgroup's child directories (cgroupfs holds only files and cgroup directories).
    static func children(_ directory: String) -> [String] {
        ((try? FileSystem.listDirectory(directory)) ?? []).map { directory + "/" + $0 }.filter(FileSystem.isDirectory)
    }

    /// Every pid in the cgroup and its descendants, in tree order.
    static func allPids(_ directory: String) -> [Int32] {
        pids(directory) + children(directory).flatMap(allPids)
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\n" || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\n" || $0 == "\t" }.reversed())
    }
}
