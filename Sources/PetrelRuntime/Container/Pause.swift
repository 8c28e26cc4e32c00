extension Runtime {
    /// `pause`: freezes every process of a created or running container (runc allows both).
    public func pause(_ id: String) throws(RuntimeError) {
        let lock = try store.lock(id)
        defer { withExtendedLifetime(lock) {} }
        let record = try store.load(id)
        switch status(of: record) {
        case .running, .created: break
        default: throw RuntimeError("container not running")
        }
        try cgroupManager(record).freeze()
    }

    /// `resume`: thaws a paused container.
    public func resume(_ id: String) throws(RuntimeError) {
        let lock = try store.lock(id)
        defer { withExtendedLifetime(lock) {} }
        let record = try store.load(id)
        guard status(of: record) == .paused else { throw RuntimeError("container not paused") }
        try cgroupManager(record).thaw()
    }

    func cgroupManager(_ record: ContainerRecord) throws(RuntimeError) -> any CgroupManager {
        guard let cgroup = record.cgroup else {
            throw RuntimeError("container \(JSONText.quote(record.id)) has no cgroup (created by a petrel without cgroup support)")
        }
        return Cgroups.manager(for: cgroup)
    }
}
