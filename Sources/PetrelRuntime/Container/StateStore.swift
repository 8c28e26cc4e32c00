import CExecutor
#if canImport(Glibc)
import Glibc
#endif
import OCI

/// One directory per container under --root: state.json (the record every verb reads),
/// config.json (the config the container was created from), the exec fifo while a `create`d
/// container waits for `start`, and a directory lock for concurrent commands. While `create`
/// runs, the record is state.json.draft (see RecordDraft); renaming it to state.json
/// publishes the container. config.json is written once, before that, in place; `update`
/// replaces it atomically.
public struct StateStore: Sendable {
    public let root: String

    public init(root: String) {
        self.root = FileSystem.absolute(root)
    }

    public func directory(_ id: String) -> String { root + "/" + id }
    public func execFifo(_ id: String) -> String { directory(id) + "/exec.fifo" }
    func statePath(_ id: String) -> String { directory(id) + "/state.json" }
    /// The record of a create not yet published (running, or killed): see RecordDraft.
    func draftPath(_ id: String) -> String { directory(id) + "/state.json.draft" }
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
    /// A directory without a record that nobody holds is what a create killed before its
    /// first record left (nothing else exists then): it is reclaimed.
    public func create(_ id: String) throws(RuntimeError) -> ContainerLock {
        try StateStore.validate(id: id)
        try FileSystem.makeDirectories(root, mode: 0o700)
        for attempt in 0..<2 {
            if mkdir(directory(id), 0o711) == 0 { return try lock(id) }
            guard errno == EEXIST else { throw RuntimeError.sys("cannot create container state", "mkdir", path: directory(id)) }
            guard attempt == 0, !hasRecord(id), let stale = tryLock(id), !hasRecord(id) else { break }
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
        if let record = try loadPublished(id) { return record }
        if let record = try loadDraft(id) { return record }
        // Published between the two reads.
        if let record = try loadPublished(id) { return record }
        throw RuntimeError("container \(JSONText.quote(id)) does not exist")
    }

    /// Whether the directory holds a record, published or not (an empty draft is none: its
    /// create died before writing it, and made nothing else).
    func hasRecord(_ id: String) -> Bool {
        var info = stat()
        return FileSystem.exists(statePath(id)) || (stat(draftPath(id), &info) == 0 && info.st_size > 0)
    }

    /// state.json, or nil if there is none.
    private func loadPublished(_ id: String) throws(RuntimeError) -> ContainerRecord? {
        let path = statePath(id)
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readDocument(path)
        } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
        return try Self.decode(bytes, path: path)
    }

    /// The draft of a create that runs or was killed, or nil if there is none (or its first
    /// record is not written yet). A complete record still in the draft was not published:
    /// its create died or failed before the rename, and its init died with it (the init
    /// stops dying with its creator only after the rename): it reads as interrupted.
    private func loadDraft(_ id: String) throws(RuntimeError) -> ContainerRecord? {
        let path = draftPath(id)
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw RuntimeError.sys("cannot read", "open", path: path)
        }
        defer { close(fd) }
        // The creator holds LOCK_EX while it writes the draft and while it publishes it.
        guard petrel_flock(fd, LOCK_SH) == 0 else { throw RuntimeError.sys("cannot read", "flock", path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw RuntimeError.sys("cannot read", "fstat", path: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RuntimeError("cannot read \(path): not a regular file (\(FileSystem.fileType(info.st_mode)))")
        }
        let bytes = try FileSystem.readAll(fd, path: path)
        if bytes.isEmpty { return nil }
        var record = try Self.decode(bytes, path: path)
        if record.creator == nil {
            var now = stat()
            let published = stat(path, &now) != 0 || now.st_ino != info.st_ino || now.st_dev != info.st_dev
            if !published { record.creator = ProcessIdentity.gone }
        }
        return record
    }

    private static func decode(_ bytes: [UInt8], path: String) throws(RuntimeError) -> ContainerRecord {
        do {
            return try ContainerRecord.decode(bytes)
        } catch {
            throw RuntimeError("corrupt container state \(path): \(error)")
        }
    }

    /// Starts the record of a container being created with its provisional record, in a
    /// fresh draft beside where state.json will be (the directory is new and locked).
    public func beginRecord(_ provisional: ContainerRecord) throws(RuntimeError) -> RecordDraft {
        let path = draftPath(provisional.id)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RuntimeError.sys("cannot write", "open", path: path) }
        let draft = RecordDraft(fd: fd, path: path, published: statePath(provisional.id))
        try draft.write(provisional.encoded(), rename: false)
        return draft
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

    /// Replaces the saved config (`update`) atomically: exec and start may read it meanwhile.
    public func saveConfig(_ id: String, document: [UInt8]) throws(RuntimeError) {
        try FileSystem.writeAtomically(configPath(id), document, mode: 0o600)
    }

    /// `create`: the config as read from the bundle, written in place (no temporary file).
    /// Nothing reads it before the container is published: every reader (exec, update,
    /// start, delete) reads it only for a complete record, which the rename of the draft
    /// makes visible after this.
    public func writeConfig(_ id: String, document: [UInt8]) throws(RuntimeError) {
        try FileSystem.writeNew(configPath(id), document)
    }

    public func saveConfig(_ id: String, _ spec: Spec) throws(RuntimeError) {
        try saveConfig(id, document: Self.encoded(spec))
    }

    static func encoded(_ spec: Spec) throws(RuntimeError) -> [UInt8] {
        do {
            return try OCIJSON.encode(spec, pretty: false)
        } catch {
            throw RuntimeError("cannot encode the container's config: \(error)")
        }
    }

    public func remove(_ id: String) throws(RuntimeError) {
        // The files a container's directory holds, by name (no listing, no stat each); the
        // tree walk only for what else is there (or when a name is not a plain file).
        for path in [statePath(id), configPath(id), draftPath(id), execFifo(id)] {
            if unlink(path) != 0 && errno != ENOENT { break }
        }
        if rmdir(directory(id)) == 0 || errno == ENOENT { return }
        try FileSystem.removeTree(directory(id))
    }

    public func ids() -> [String] {
        guard FileSystem.isDirectory(root), let names = try? FileSystem.listDirectory(root) else { return [] }
        return names.filter { FileSystem.exists(statePath($0)) || FileSystem.exists(draftPath($0)) }
    }
}

/// The record of a container being created: one file, written first with the provisional
/// record (before create's first effect outside the state directory, so that a killed create
/// is cleaned up by `delete --force`), then once with the complete record, and renamed to
/// state.json, which publishes the container. Readers of the draft take LOCK_SH: they see
/// the provisional record or the published one, never a partial write.
public final class RecordDraft {
    private let fd: Int32
    private let path: String
    private let published: String
    /// Bytes in the file: a rewrite never leaves a tail of the earlier record after it.
    private var length = 0

    init(fd: Int32, path: String, published: String) {
        self.fd = fd
        self.path = path
        self.published = published
    }

    deinit { close(fd) }

    /// The complete record, published: written over the provisional one, then renamed.
    public func publish(_ record: ContainerRecord) throws(RuntimeError) {
        try write(record.encoded(), rename: true)
    }

    fileprivate func write(_ bytes: [UInt8], rename publish: Bool) throws(RuntimeError) {
        var bytes = bytes
        // Spaces, JSON's own padding, cover a longer earlier record: one pwrite, no truncate,
        // so a kill between any two syscalls leaves a record that reads whole.
        if bytes.count < length { bytes += [UInt8](repeating: 0x20, count: length - bytes.count) }
        guard petrel_flock(fd, LOCK_EX) == 0 else { throw RuntimeError.sys("cannot write", "flock", path: path) }
        defer { _ = petrel_flock(fd, LOCK_UN) }
        try FileSystem.writeAll(fd, bytes, at: 0, path: path)
        length = bytes.count
        if publish, rename(path, published) != 0 { throw RuntimeError.sys("cannot write", "rename", path: published) }
    }
}

/// An flock on a container directory, released when this value goes away.
public final class ContainerLock {
    private var fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { unlock() }

    /// Releases it now (`run` before it deletes its container).
    func unlock() {
        if fd >= 0 { close(fd) }
        fd = -1
    }
}
