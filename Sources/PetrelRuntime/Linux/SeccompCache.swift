#if canImport(Glibc)
import Glibc
#endif

/// Compiled seccomp programs kept across calls, so that the profile engines pass for every
/// container is compiled by libseccomp once, not per create and exec (specs/security.md,
/// "The seccomp filter cache", has the threat analysis).
///
/// One file per key in `<root>/seccomp@cache/` (the `@` keeps the name out of the container
/// ids' alphabet). The directory is made 0700 and used only while it is a real directory,
/// owned by this user and writable by nobody else; a file only while it is a regular file
/// with one link, owned by this user, writable by nobody else, and its content is exactly
/// magic, key, instruction count, program, SHA-256 of all that, and the program passes
/// SeccompProgram.check. Anything else is a miss: the file is removed and the filter compiled
/// again. Files are written whole and renamed into place. At most `maxEntries` files stay;
/// a hit refreshes the file's mtime, the oldest go first.
public struct SeccompCache: Sendable {
    public static let directoryName = "seccomp@cache"
    static let maxEntries = 64
    static let magic = Array("PETRELSC".utf8)
    static let headerSize = 8 + 32 + 4
    static let digestSize = 32

    public let root: String
    public var directory: String { root + "/" + Self.directoryName }

    public init(root: String) {
        self.root = root
    }

    public enum Lookup: Equatable {
        case hit([UInt8])
        case miss
        /// The directory is not ours alone (warned): neither read nor written.
        case unusable
    }

    /// The program stored under `key`.
    public func lookup(_ key: [UInt8]) -> Lookup {
        let directoryFd: Int32
        switch openDirectory(create: false) {
        case .missing: return .miss
        case .refused: return .unusable
        case .opened(let fd): directoryFd = fd
        }
        defer { close(directoryFd) }
        let name = hexString(key)
        let fd = openat(directoryFd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            if errno != ENOENT { discard(name, in: directoryFd, reason: "cannot be opened (errno \(errno))") }
            return .miss
        }
        defer { close(fd) }
        switch Self.read(fd, key: key) {
        case .success(let program):
            _ = futimens(fd, nil)  // most recently used
            Logger.shared.debug("seccomp: filter from the cache, \(directory)/\(name)")
            return .hit(program)
        case .failure(let reason):
            discard(name, in: directoryFd, reason: reason.message)
            return .miss
        }
    }

    /// Stores `program` under `key`; failures only cost the next call a compile.
    public func store(_ key: [UInt8], program: [UInt8]) {
        if let problem = SeccompProgram.check(program) {
            Logger.shared.debug("seccomp: the compiled filter is not cached: \(problem)")
            return
        }
        guard case .opened(let directoryFd) = openDirectory(create: true) else { return }
        defer { close(directoryFd) }
        let name = hexString(key)
        let temporary = ".tmp-\(name)-\(getpid())"
        var fd = openat(directoryFd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 && errno == EEXIST {
            unlinkat(directoryFd, temporary, 0)
            fd = openat(directoryFd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else {
            Logger.shared.debug("seccomp: cannot write the filter cache: openat \(directory)/\(temporary): errno \(errno)")
            return
        }
        let written = (try? FileSystem.writeAll(fd, Self.encode(key: key, program: program), at: 0, path: temporary)) != nil
        close(fd)
        guard written, renameat(directoryFd, temporary, directoryFd, name) == 0 else {
            Logger.shared.debug("seccomp: cannot write the filter cache \(directory)/\(name): errno \(errno)")
            unlinkat(directoryFd, temporary, 0)
            return
        }
        Logger.shared.debug("seccomp: filter compiled and cached, \(directory)/\(name)")
        evict(directoryFd)
    }

    // MARK: The file

    static func encode(key: [UInt8], program: [UInt8]) -> [UInt8] {
        let end = headerSize + program.count
        return [UInt8](unsafeUninitializedCapacity: end + digestSize) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            func put(_ bytes: UnsafeRawBufferPointer) {
                UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
                offset += bytes.count
            }
            magic.withUnsafeBytes { put($0) }
            key.prefix(32).withUnsafeBytes { put($0) }
            withUnsafeBytes(of: UInt32(program.count / 8).littleEndian) { put($0) }
            program.withUnsafeBytes { put($0) }
            var hasher = SHA256()
            hasher.update(UnsafeRawBufferPointer(rebasing: raw[0..<offset]))
            hasher.finalize().withUnsafeBytes { put($0) }
            count = offset
        }
    }

    /// The program of a cache file's content, or why the file is not trusted.
    static func decode(_ bytes: [UInt8], key: [UInt8]) -> Result<[UInt8], RuntimeError> {
        guard bytes.count >= headerSize + 8 + digestSize else { return .failure(RuntimeError("is truncated")) }
        guard Array(bytes[0..<8]) == magic else { return .failure(RuntimeError("is not a filter cache file")) }
        guard Array(bytes[8..<40]) == key else { return .failure(RuntimeError("holds the filter of another profile")) }
        let count = Int(UInt32(bytes[40]) | UInt32(bytes[41]) << 8 | UInt32(bytes[42]) << 16 | UInt32(bytes[43]) << 24)
        guard headerSize + 8 * count + digestSize == bytes.count else { return .failure(RuntimeError("has the wrong size")) }
        let end = headerSize + 8 * count
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        guard hasher.finalize().elementsEqual(bytes[end...]) else { return .failure(RuntimeError("fails its checksum")) }
        let program = Array(bytes[headerSize..<end])
        if let problem = SeccompProgram.check(program) { return .failure(RuntimeError("holds an invalid program: \(problem)")) }
        return .success(program)
    }

    private static func read(_ fd: Int32, key: [UInt8]) -> Result<[UInt8], RuntimeError> {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(RuntimeError("cannot be inspected (errno \(errno))")) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink == 1 else {
            return .failure(RuntimeError("is not a regular file with one link"))
        }
        guard info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            return .failure(RuntimeError("is owned by uid \(info.st_uid) with mode \(String(info.st_mode & 0o7777, radix: 8))"))
        }
        let limit = headerSize + 8 * SeccompProgram.maxInstructions + digestSize
        guard info.st_size <= limit else { return .failure(RuntimeError("is too large")) }
        guard let bytes = try? FileSystem.readAll(fd, path: "", limit: limit) else {
            return .failure(RuntimeError("cannot be read"))
        }
        return decode(bytes, key: key)
    }

    private func discard(_ name: String, in directoryFd: Int32, reason: String) {
        Logger.shared.warning("seccomp filter cache: \(directory)/\(name) \(reason): removed, the filter is compiled again")
        unlinkat(directoryFd, name, 0)
    }

    // MARK: The directory

    private enum Opened {
        case missing, refused, opened(Int32)
    }

    /// The cache directory, opened without following a symlink and checked on the open fd.
    private func openDirectory(create: Bool) -> Opened {
        var rootFd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if rootFd < 0 && errno == ENOENT && create {
            // The first container of this root: StateStore makes it 0700 the same way.
            guard (try? FileSystem.makeDirectories(root, mode: 0o700)) != nil else { return .missing }
            rootFd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard rootFd >= 0 else { return .missing }
        defer { close(rootFd) }
        if create && mkdirat(rootFd, Self.directoryName, 0o700) != 0 && errno != EEXIST {
            Logger.shared.debug("seccomp: cannot make the filter cache: mkdirat \(directory): errno \(errno)")
            return .missing
        }
        let fd = openat(rootFd, Self.directoryName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return .missing }
            Logger.shared.warning("seccomp filter cache \(directory) is not used: not a directory (openat: errno \(errno))")
            return .refused
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            Logger.shared.warning("seccomp filter cache \(directory) is not used: it must be owned by uid \(geteuid()) and writable by it alone (owner uid \(info.st_uid), mode \(String(info.st_mode & 0o7777, radix: 8)))")
            close(fd)
            return .refused
        }
        return .opened(fd)
    }

    /// Keeps the newest `maxEntries` files; removes writers' temporary files older than a minute.
    private func evict(_ directoryFd: Int32) {
        let listFd = dup(directoryFd)
        guard listFd >= 0, let stream = fdopendir(listFd) else {
            if listFd >= 0 { close(listFd) }
            return
        }
        defer { closedir(stream) }
        var entries: [(name: String, mtime: Int)] = []
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                guard let base = raw.bindMemory(to: CChar.self).baseAddress else { return "" }
                return String(cString: base)
            }
            guard !name.isEmpty, name != ".", name != ".." else { continue }
            var info = stat()
            guard fstatat(directoryFd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if name.hasPrefix(".tmp-") {
                if now.tv_sec - info.st_mtim.tv_sec > 60 { unlinkat(directoryFd, name, 0) }
                continue
            }
            entries.append((name, Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)))
        }
        guard entries.count > Self.maxEntries else { return }
        for entry in entries.sorted(by: { $0.mtime < $1.mtime }).prefix(entries.count - Self.maxEntries) {
            unlinkat(directoryFd, entry.name, 0)
        }
    }
}

/// The checks the kernel makes on a seccomp program (bpf_check_classic and
/// seccomp_check_filter), made before a cached one is used, so that a damaged file can
/// never fail a container at load time: length, known opcodes, in-range loads, jumps
/// inside the program, a return at the end. Stricter than the kernel in one way: no
/// scratch memory (neither libseccomp nor the ENOSYS stub use it).
public enum SeccompProgram {
    public static let maxInstructions = 4096
    static let seccompDataSize: UInt32 = 64

    /// nil when the kernel would accept `program`, else what is wrong.
    public static func check(_ program: [UInt8]) -> String? {
        guard !program.isEmpty, program.count % 8 == 0 else { return "\(program.count) bytes is not a whole number of instructions" }
        let count = program.count / 8
        guard count <= maxInstructions else { return "\(count) instructions, more than \(maxInstructions)" }
        return program.withUnsafeBytes { raw -> String? in
            for pc in 0..<count {
                let base = pc * 8
                let code = raw.loadUnaligned(fromByteOffset: base, as: UInt16.self)
                let jt = Int(raw[base + 2]), jf = Int(raw[base + 3])
                let k = raw.loadUnaligned(fromByteOffset: base + 4, as: UInt32.self)
                let rest = count - pc - 1
                switch code {
                case 0x20:  // ld [k]
                    guard k < seccompDataSize, k % 4 == 0 else { return "instruction \(pc) loads offset \(k)" }
                case 0x80, 0x81, 0x00, 0x01, 0x07, 0x87:  // ld len, ldx len, ld #k, ldx #k, tax, txa
                    break
                case 0x06, 0x16:  // ret #k, ret a
                    break
                case 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x84:  // add sub mul and or xor neg
                    break
                case 0x34, 0x3c:  // div
                    if code == 0x34 && k == 0 { return "instruction \(pc) divides by zero" }
                case 0x64, 0x6c, 0x74, 0x7c:  // lsh rsh
                    if code & 0x08 == 0 && k >= 32 { return "instruction \(pc) shifts by \(k)" }
                case 0x05:  // ja
                    guard Int(k) < rest else { return "instruction \(pc) jumps out of the program" }
                case 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d:  // jeq jgt jge jset
                    guard jt < rest, jf < rest else { return "instruction \(pc) jumps out of the program" }
                default:
                    return "instruction \(pc) has opcode \(String(code, radix: 16))"
                }
            }
            let last = raw.loadUnaligned(fromByteOffset: program.count - 8, as: UInt16.self)
            return last == 0x06 || last == 0x16 ? nil : "the program does not end with a return"
        }
    }
}
