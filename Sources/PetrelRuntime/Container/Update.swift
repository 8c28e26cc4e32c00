import OCI

extension Runtime {
    /// `update`: writes the changed limits to the live cgroup and keeps the merged result in
    /// the saved config, so later updates see what is in force.
    public func update(_ id: String, _ patch: LinuxResources) throws(RuntimeError) {
        let lock = try store.lock(id)
        defer { withExtendedLifetime(lock) {} }
        let record = try store.load(id)
        guard status(of: record) != .stopped else { throw RuntimeError("container not running") }
        guard !record.isProvisional else { throw RuntimeError("container \(JSONText.quote(id)) is still being created") }
        let manager = try cgroupManager(record)
        var config = try store.loadConfig(id)
        let stored = config.linux?.resources ?? LinuxResources()
        if patch.devices != nil { Logger.shared.warning("update: linux.resources.devices cannot be changed after create; ignored") }
        // Devices stay as created (runc's update cannot change them either).
        try manager.apply(ResourceUpdate.effective(stored: stored, patch: patch), devices: nil)
        var linux = config.linux ?? Linux()
        linux.resources = ResourceUpdate.merged(stored: stored, patch: patch)
        config.linux = linux
        try store.saveConfig(id, config)
    }
}
