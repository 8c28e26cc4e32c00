import ConformanceKit
import Glibc

/// What the process sees of the kernel: small readers over /proc and a few syscalls.
enum System {
    /// A field of /proc/self/status ("CapEff", "NoNewPrivs", "Umask").
    static func status(_ field: String) -> String? {
        guard let text = try? readText("/proc/self/status") else { return nil }
        for line in text.lines where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1)).trimmed
        }
        return nil
    }

    static func namespaceLink(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/self/ns/\(name)", &buffer, buffer.count - 1)
        if count < 0 { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        if count < 0 { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    struct UnameFields {
        var nodename: String
        var domainname: String
        var machine: String
    }

    static func unameFields() -> UnameFields {
        var info = utsname()
        uname(&info)
        func text<T>(_ field: inout T) -> String {
            withUnsafeBytes(of: &field) { raw in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        return UnameFields(
            nodename: text(&info.nodename), domainname: text(&info.__domainname), machine: text(&info.machine))
    }

    static func groups() -> [UInt32] {
        let count = getgroups(0, nil)
        if count <= 0 { return [] }
        var list = [gid_t](repeating: 0, count: Int(count))
        let got = getgroups(count, &list)
        return Array(list.prefix(Int(max(got, 0))))
    }

    static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(cString: buffer)
    }

    static func environment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    /// The open file descriptors, read before anything else opens one.
    static func openDescriptors() -> [Int32] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        let own = dirfd(dir)
        var result: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd != own { result.append(fd) }
        }
        return result.sorted()
    }

    static func major(_ device: UInt64) -> UInt64 { ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff)) }
    static func minor(_ device: UInt64) -> UInt64 { (device & 0xff) | ((device >> 12) & ~UInt64(0xff)) }

    static func lstatOf(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    static func statOf(_ path: String) -> stat? {
        var st = stat()
        return stat(path, &st) == 0 ? st : nil
    }

    static func isDirectory(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFDIR }

    /// Entries of a directory (without . and ..), or nil when it cannot be listed.
    static func listDirectory(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var result: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result
    }

    /// errno of opening `path` with `flags` (0 when it opened).
    static func openErrno(_ path: String, _ flags: Int32) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC)
        if fd < 0 { return errno }
        close(fd)
        return 0
    }
}
