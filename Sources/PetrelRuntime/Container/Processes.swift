extension Runtime {
    /// `ps`: the host pids in the container's cgroup, sub-cgroups included.
    public func processes(_ id: String) throws(RuntimeError) -> [Int32] {
        try cgroupManager(try store.load(id)).processes()
    }
}
