import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// Every container under --root with its live status, sorted by id.
    public func list() -> [ContainerStateReport] {
        var users: [Substring]?
        return store.ids().compactMap { id in
            guard var record = try? store.load(id) else { return nil }
            record.owner = ownerName(of: store.directory(id), users: &users)
            return ContainerStateReport(record: record, status: status(of: record))
        }
    }

    /// The user owning the state directory, named from the host's /etc/passwd (no NSS in a
    /// static binary), read once per listing into `users`.
    private func ownerName(of path: String, users: inout [Substring]?) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "" }
        let uid = info.st_uid
        if users == nil {
            let text = (try? FileSystem.readText("/etc/passwd")) ?? ""
            users = text.split(separator: "\n")
        }
        for line in users ?? [] {
            let fields = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if fields.count > 2, UInt32(fields[2]) == uid { return String(fields[0]) }
        }
        return "#\(uid)"
    }
}
