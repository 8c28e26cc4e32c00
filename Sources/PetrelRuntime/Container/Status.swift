import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// A container's live status: the init's process (checked against its recorded start
    /// time, so a reused pid never counts), a frozen cgroup and the exec fifo decide it, in
    /// runc's order (a paused container that was never started is paused). A provisional
    /// record is `creating` while its create runs and `stopped` once that died (its init
    /// dies with it until the complete record is written).
    public func status(of record: ContainerRecord) -> ContainerStatus {
        if let creator = record.creator { return creator.isAlive ? .creating : .stopped }
        guard isAlive(record) else { return .stopped }
        if let cgroup = record.cgroup, Cgroups.manager(for: cgroup).isFrozen { return .paused }
        if FileSystem.exists(store.execFifo(record.id)) { return .created }
        return .running
    }

    func isAlive(_ record: ContainerRecord) -> Bool {
        guard record.pid > 0, let stat = ProcessStat.read(pid: record.pid) else { return false }
        return stat.startTime == record.initStartTime && !stat.isDead
    }

    /// The runtime-spec state of a container, plus runc's extra fields.
    public func state(_ id: String) throws(RuntimeError) -> ContainerStateReport {
        let record = try store.load(id)
        let status = status(of: record)
        return ContainerStateReport(record: record, status: status)
    }
}

/// `state` output, in runc's field order.
public struct ContainerStateReport: Sendable {
    public var record: ContainerRecord
    public var status: ContainerStatus

    public var pid: Int32 { status == .stopped ? 0 : record.pid }

    public func json(indent: Bool = true) -> String {
        var fields: [(String, String)] = [
            ("ociVersion", JSONText.quote(record.ociVersion)),
            ("id", JSONText.quote(record.id)),
            ("pid", String(pid)),
            ("status", JSONText.quote(status.rawValue)),
            ("bundle", JSONText.quote(record.bundle)),
            ("rootfs", JSONText.quote(record.rootfs)),
            ("created", JSONText.quote(record.created)),
        ]
        if let annotations = record.annotations, !annotations.isEmpty {
            let inner = annotations.sorted { $0.key < $1.key }
                .map { (indent ? "    " : "") + JSONText.quote($0.key) + (indent ? ": " : ":") + JSONText.quote($0.value) }
            let body = indent ? "{\n" + inner.joined(separator: ",\n") + "\n  }" : "{" + inner.joined(separator: ",") + "}"
            fields.append(("annotations", body))
        }
        fields.append(("owner", JSONText.quote(record.owner)))
        if indent {
            return "{\n" + fields.map { "  \(JSONText.quote($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}"
        }
        return "{" + fields.map { "\(JSONText.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}
