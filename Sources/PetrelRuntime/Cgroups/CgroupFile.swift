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
        return writeValue(fd, value)
    }

    /// Writes a run of values, keeping the last file open: cgroupfs takes each write(2) on
    /// its own, so the dozen devices rules cost a write each instead of open+write+close.
    final class Writer {
        private var path = ""
        private var fd: Int32 = -1

        deinit { if fd >= 0 { close(fd) } }

        /// 0, or the errno of the failure (of the open or of this value's write).
        func write(_ directory: String, _ file: String, _ value: String) -> Int32 {
            let full = directory + "/" + file
            if full != path || fd < 0 {
                if fd >= 0 { close(fd) }
                path = full
                fd = open(full, O_WRONLY | O_CLOEXEC)
                if fd < 0 { return errno }
            }
            return CgroupFile.writeValue(fd, value)
        }
    }

    static func writeValue(_ fd: Int32, _ value: String) -> Int32 {
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

    /// The pids in a cgroup.procs file (empty when it cannot be read).
    static func pids(_ directory: String) -> [Int32] {
        guard let bytes = try? FileSystem.readFile(directory + "/cgroup.procs") else { return [] }
        return parsePids(bytes)
    }

    /// One decimal pid per line; anything else is skipped.
    static func parsePids(_ bytes: [UInt8]) -> [Int32] {
        var pids: [Int32] = []
        var value: Int64 = 0
        var digits = 0
        var valid = true
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if valid && digits > 0 && value <= Int64(Int32.max) { pids.append(Int32(value)) }
                value = 0
                digits = 0
                valid = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") && digits < 11 {
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                valid = false
            }
        }
        if valid && digits > 0 && value <= Int64(Int32.max) { pids.append(Int32(value)) }
        return pids
    }

    /// The cgroup's child directories. cgroupfs reports each entry's type in getdents, so
    /// the control files need no stat each (a v1 hierarchy has dozens).
    static func children(_ directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var result: [String] = []
        while let entry = readdir(stream) {
            let type = entry.pointee.d_type
            guard type == UInt8(DT_DIR) || type == UInt8(DT_UNKNOWN) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String? in
                let bytes = raw.prefix { $0 != 0 }
                if bytes.count == 1 && bytes[bytes.startIndex] == UInt8(ascii: ".") { return nil }
                if bytes.count == 2 && bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return nil }
                return String(decoding: bytes, as: UTF8.self)
            }
            guard let name else { continue }
            let path = directory + "/" + name
            if type == UInt8(DT_DIR) || FileSystem.isDirectory(path) { result.append(path) }
        }
        return result
    }

    /// Every pid in the cgroup and its descendants, in tree order.
    static func allPids(_ directory: String) -> [Int32] {
        var result = pids(directory)
        for child in children(directory) { result += allPids(child) }
        return result
    }

    /// Whether `text` has a line that is exactly `line` ("frozen 1" in cgroup.events).
    static func hasLine(_ text: String, _ line: String) -> Bool {
        text.split(separator: "\n").contains { $0 == line }
    }
}

extension String {
    /// Without leading and trailing blanks (a plain index walk: the generic reversed views
    /// cost more to instantiate than cgroup files take to read).
    var trimmingSpaces: String {
        func blank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") }
        let bytes = utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && blank(bytes[start]) { start = bytes.index(after: start) }
        while end > start && blank(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(self[start..<end])
    }
}
