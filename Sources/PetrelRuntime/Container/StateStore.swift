import CExecutor
#if canImport(Glibc)
import Glibc
#endif
import OCI

/// One directory per container under --root: state.json (the record every verb reads) and
/// config.json (the config the container was created from), both written atomically, the
/// exec fifo while the container is created, and a directory lock for concurrent commands.
public struct StateStore: Sendable {
    public let root: String

    public init(root: String) {
        self.root = FileSystem.absolute(root)
    }

    public func directory(_ id: String) -> String { root + "/" + id }
    public func execFifo(_ id: String) -> String { directory(id) + "/exec.fifo" }
    func statePath(_ id: String) -> String { directory(id) + "/state.json" }
    /// The config the container was created from: read only by the verbs that need it.
    private func configPath(_ id: String) -> String { directory(id) + "/config.json" }

    /// runc's rule for ids: letters, digits and _ + , - . but never "." or "..".
    public static func validate(id: String) throws(RuntimeError) {
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || (byte >= 0x2B && byte <= 0x2E)
        }
        guard !id.isEmpty, allowed, id != ".", id != ".." else {
            throw RuntimeError("invalid container id \(JSONText.quote(id)): use letters, digits, _ + , - .")
        }
    }

    /// Makes the container's directory, failing if the id is taken; returns it locked.
    /// A directory without state.json that nobody holds is what a create killed before its
    /// first record left (nothing else exists then): it is reclaimed.
    public func create(_ id: String) throws(RuntimeError) -> ContainerLock {
        try StateStore.validate(id: id)
        try FileSystem.makeDirectories(root, mode: 0o700)
        for attempt in 0..<2 {
            if mkdir(directory(id), 0o711) == 0 { return try lock(id) }
            guard errno == EEXIST else { throw RuntimeError.sys("cannot create container state", "mkdir", path: directory(id)) }
            guard attempt == 0, !FileSystem.exists(statePath(id)), let stale = tryLock(id),
                  !FileSystem.exists(statePath(id)) else { break }
            try remove(id)
            withExtendedLifetime(stale) {}
        }
        throw RuntimeError("container with id \(JSONText.quote(id)) already exists")
    }

    /// The lock if nobody holds it now, else nil.
    private func tryLock(_ id: String) -> ContainerLock? {
        let fd = open(directory(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard petrel_flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return ContainerLock(fd: fd)
    }

    /// Locks an existing container's directory (exclusive, blocking).
    public func lock(_ id: String) throws(RuntimeError) -> ContainerLock {
        try StateStore.validate(id: id)
        let fd = open(directory(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw RuntimeError("container \(JSONText.quote(id)) does not exist") }
            throw RuntimeError.sys("cannot open container state", "open", path: directory(id))
        }
        guard petrel_flock(fd, LOCK_EX) == 0 else {
            let error = RuntimeError.sys("cannot lock container state", "flock", path: directory(id))
            close(fd)
            throw error
        }
        // The holder before us may have deleted the container.
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_nlink > 0 else {
            close(fd)
            throw RuntimeError("container \(JSONText.quote(id)) does not exist")
        }
        return ContainerLock(fd: fd)
    }

    public func load(_ id: String) throws(RuntimeError) -> ContainerRecord {
        // As lock() does: an id is never a path out of the root (runc validates it too).
        try StateStore.validate(id: id)
        let path = statePath(id)
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readDocument(path)
        } catch {
            if error.errno == ENOENT { throw RuntimeError("container \(JSONText.quote(id)) does not exist") }
            throw error
        }
        do {
            return try ContainerRecord.decode(bytes)
        } catch {
            throw RuntimeError("corrupt container state \(path): \(error)")
        }
    }

    public func save(_ record: ContainerRecord) throws(RuntimeError) {
        try FileSystem.writeAtomically(statePath(record.id), record.encoded(), mode: 0o600)
    }

    /// The config the container was created from (create saved it; update keeps its
    /// linux.resources current), not the bundle's config.json, which may have changed since.
    public func loadConfig(_ id: String) throws(RuntimeError) -> Spec {
        let path = configPath(id)
        let bytes = try FileSystem.readDocument(path)
        do {
            return try OCIJSON.decode(Spec.self, from: bytes)
        } catch {
            throw RuntimeError("corrupt container state \(path): \(error)")
        }
    }

    /// Saves the config as the JSON document given (create: the bundle's config.json as read).
    public func saveConfig(_ id: String, document: [UInt8]) throws(RuntimeError) {
        try FileSystem.writeAtomically(configPath(id), document, mode: 0o600)
    }

    public func saveConfig(_ id: String, _ spec: Spec) throws(RuntimeError) {
        let data: [UInt8]
        do {
            data = try OCIJSON.encode(spec, pretty: false)
        } catch {
            throw RuntimeError("cannot encode the container's config: \(error)")
        }
        try saveConfig(id, document: data)
    }

    public func remove(_ id: String) throws(RuntimeError) {
        try FileSystem.removeTree(directory(id))
    }

    public func ids() -> [String] {
        guard FileSystem.isDirectory(root), let names = try? FileSystem.listDirectory(root) else { return [] }
        return names.filter { FileSystem.exists(statePath($0)) }
    }
}

/// An flock on a container directory, released when this value goes away.
public final class ContainerLock {
    private let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}
