import OCI

/// An init that the kernel OOM-killed during setup shows up as "killed by signal 9"; the
/// cgroup's OOM kill counter (v2 memory.events, v1 memory.oom_control) says why. The cgroup
/// is fresh, so any kill it counts happened during this setup.
enum SetupOOM {
    static func explain(_ error: RuntimeError, cgroup: (any CgroupManager)?, spec: Spec) -> RuntimeError {
        guard let cgroup, let kills = cgroup.oomKillCount(), kills > 0 else { return error }
        let limit = spec.linux?.resources?.memory?.limit.map { "linux.resources.memory.limit (\($0) bytes)" }
            ?? "the memory limit"
        if error.description.includes("killed by signal 9") {
            return RuntimeError("container init was OOM-killed during setup: \(limit) is too small")
        }
        var explained = error
        explained.message += " (the container's cgroup hit its memory limit during setup: \(limit) may be too small)"
        return explained
    }
}
