import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// Small, error-precise file helpers (every failure names the syscall and path).
public enum FileSystem {
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public static func readFile(_ path: String) throws(RuntimeError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError.sys("cannot read", "open", path: path) }
        defer { close(fd) }
        return try readAll(fd, path: path, limit: Int.max)
    }

    /// The largest JSON document (config.json, a process or resources file, state.json)
    /// Petrel reads. A real config.json is a few KiB; runc has no limit.
    public static let documentLimit = 64 << 20

    /// Reads a JSON document the caller names: only a regular file (following symlinks),
    /// at most `limit` bytes. A FIFO, a device (/dev/zero) or a directory is refused at
    /// once, before any read: O_NONBLOCK keeps the open of a FIFO from waiting for a writer.
    public static func readDocument(_ path: String, limit: Int = documentLimit) throws(RuntimeError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw RuntimeError.sys("cannot read", "open", path: path) }
        defer { close(fd) }
        return try readOpenedDocument(fd, path: path, limit: limit)
    }

    /// readDocument for a file of the container's rootfs: resolved inside it (openat2
    /// RESOLVE_IN_ROOT), so a symlink cannot make the runtime read a host file.
    public static func readDocument(inRoot root: String, _ path: String, limit: Int) throws(RuntimeError) -> [UInt8] {
        let fd = petrel_open_in_root(root, path)
        guard fd >= 0 else { throw RuntimeError.sys("cannot read", "openat2", path: root + path) }
        defer { close(fd) }
        return try readOpenedDocument(fd, path: root + path, limit: limit)
    }

    private static func readOpenedDocument(_ fd: Int32, path: String, limit: Int) throws(RuntimeError) -> [UInt8] {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw RuntimeError.sys("cannot read", "fstat", path: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RuntimeError("cannot read \(path): not a regular file (\(fileType(info.st_mode)))")
        }
        guard info.st_size <= limit else {
            throw RuntimeError("cannot read \(path): too large (\(info.st_size) bytes, the limit is \(limit >> 20) MiB)")
        }
        return try readAll(fd, path: path, limit: limit)
    }

    /// Reads fd to its end, refusing more than `limit` bytes (the file may grow meanwhile).
    /// The chunk is a temporary allocation, not a fresh zero-filled array per read: the
    /// runtime reads hundreds of small cgroup and proc files per call.
    public static func readAll(_ fd: Int32, path: String, limit: Int = documentLimit) throws(RuntimeError) -> [UInt8] {
        var result: [UInt8] = []
        var failure: RuntimeError?
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16384) { chunk in
            while true {
                let count = read(fd, chunk.baseAddress, chunk.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = RuntimeError.sys("cannot read", "read", path: path)
                    return
                }
                if count == 0 { return }
                guard result.count + count <= limit else {
                    failure = RuntimeError("cannot read \(path): too large (more than \(limit >> 20) MiB)")
                    return
                }
                result.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<count]))
            }
        }
        if let failure { throw failure }
        return result
    }

    static func fileType(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symlink"
        default: return "mode \(String(mode & S_IFMT, radix: 8))"
        }
    }

    public static func readText(_ path: String) throws(RuntimeError) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes through a temporary file and rename, so readers never see half a file.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(RuntimeError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw RuntimeError.sys("cannot write", "open", path: temporary) }
        do {
            try writeAll(fd, bytes, at: 0, path: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = RuntimeError.sys("cannot write", "rename", path: path)
            unlink(temporary)
            throw error
        }
    }

    /// Writes a file that must not exist yet (O_EXCL, O_NOFOLLOW), for a directory nobody
    /// else writes and nothing reads before the caller says so: no temporary file, one inode.
    public static func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(RuntimeError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw RuntimeError.sys("cannot write", "open", path: path) }
        defer { close(fd) }
        try writeAll(fd, bytes, at: 0, path: path)
    }

    /// pwrite of all of `bytes` at `offset`, retried on EINTR and short writes.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(RuntimeError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress.map { $0 + done }, $0.count - done, off_t(offset + done)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw RuntimeError.sys("cannot write", "write", path: path)
            }
            done += written
        }
    }

    public static func writeText(_ path: String, _ text: String) throws(RuntimeError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError.sys("cannot write", "open", path: path) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw RuntimeError.sys("cannot write \(JSONText.quote(text))", "write", path: path) }
    }

    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(RuntimeError) {
        // Usually only the last component is missing, or none: one mkdir, no string work.
        if mkdir(path, mode) == 0 || errno == EEXIST { return }
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/"
            current += String(component)
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw RuntimeError.sys("cannot create directory", "mkdir", path: current)
            }
        }
    }

    /// rm -rf without following symlinks; a missing path is not an error.
    public static func removeTree(_ path: String) throws(RuntimeError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw RuntimeError.sys("cannot remove", "lstat", path: path)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for entry in try listDirectory(path) {
                try removeTree(path + "/" + entry)
            }
            if rmdir(path) != 0 && errno != ENOENT { throw RuntimeError.sys("cannot remove", "rmdir", path: path) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw RuntimeError.sys("cannot remove", "unlink", path: path)
        }
    }

    public static func listDirectory(_ path: String) throws(RuntimeError) -> [String] {
        guard let directory = opendir(path) else { throw RuntimeError.sys("cannot list", "opendir", path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                guard let base = raw.bindMemory(to: CChar.self).baseAddress else { return "" }
                return String(cString: base)
            }
            if !name.isEmpty && name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func realPath(_ path: String) throws(RuntimeError) -> String {
        guard let resolved = realpath(path, nil) else { throw RuntimeError.sys("cannot resolve", "realpath", path: path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }

    /// Already what `clean` makes: absolute, no empty, "." or ".." component, no trailing "/".
    static func isClean(_ path: String) -> Bool {
        var bytes = path.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "/") else { return false }
        if path.utf8.count == 1 { return true }
        var component = 0  // bytes in the current component
        var dots = 0  // of which dots: a component of only 1 or 2 dots is "." or ".."
        while let byte = bytes.next() {
            if byte == UInt8(ascii: "/") {
                if component == 0 || (component == dots && dots <= 2) { return false }
                component = 0
                dots = 0
                continue
            }
            component += 1
            if byte == UInt8(ascii: ".") { dots += 1 }
        }
        return component > 0 && !(component == dots && dots <= 2)
    }

    /// An absolute, lexically cleaned path (no symlink resolution).
    /// `base` defaults to the working directory (asked for only when `path` is relative).
    public static func absolute(_ path: String, relativeTo base: String? = nil) -> String {
        if path.hasPrefix("/") { return clean(path) }
        return clean((base ?? currentDirectory()) + "/" + path)
    }

    public static func clean(_ path: String) -> String {
        if isClean(path) { return path }
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
