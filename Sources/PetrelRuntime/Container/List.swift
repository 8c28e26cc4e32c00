import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// Every container under --root with its live status, sorted by id.
    public func list() -> [ContainerStateReport] {
        store.ids().compactMap { id in
            guard var record = try? store.load(id) else { return nil }
            record.owner = ownerName(of: store.directory(id))
            return ContainerStateReport(record: record, status: status(of: record))
        }
    }

    /// The user owning the state directory, named from the host's /etc/passwd (no NSS in a
    /// static binary).
    private func ownerName(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "" }
        let uid = info.st_uid
        if let text = try? FileSystem.readText("/etc/passwd") {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count > 2, UInt32(fields[2]) == uid { return String(fields[0]) }
            }
        }
        return "#\(uid)"
    }
}
