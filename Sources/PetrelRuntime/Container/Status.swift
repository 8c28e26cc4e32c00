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
        var out: [UInt8] = []
        out.reserveCapacity(512)
        var first = true
        func key(_ name: String) {
            out.append(contentsOf: (first ? (indent ? "{\n  " : "{") : (indent ? ",\n  " : ",")).utf8)
            first = false
            JSONText.appendQuoted(name, to: &out)
            out.append(contentsOf: (indent ? ": " : ":").utf8)
        }
        func member(_ name: String, _ value: String) {
            key(name)
            JSONText.appendQuoted(value, to: &out)
        }
        member("ociVersion", record.ociVersion)
        member("id", record.id)
        key("pid")
        out.append(contentsOf: String(pid).utf8)
        member("status", status.rawValue)
        member("bundle", record.bundle)
        member("rootfs", record.rootfs)
        member("created", record.created)
        if let annotations = record.annotations, !annotations.isEmpty {
            key("annotations")
            out.append(contentsOf: (indent ? "{\n" : "{").utf8)
            for (index, name) in annotations.keys.sorted().enumerated() {
                if index > 0 { out.append(contentsOf: (indent ? ",\n" : ",").utf8) }
                if indent { out.append(contentsOf: "    ".utf8) }
                JSONText.appendQuoted(name, to: &out)
                out.append(contentsOf: (indent ? ": " : ":").utf8)
                JSONText.appendQuoted(annotations[name] ?? "", to: &out)
            }
            out.append(contentsOf: (indent ? "\n  }" : "}").utf8)
        }
        member("owner", record.owner)
        out.append(contentsOf: (indent ? "\n}" : "}").utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
