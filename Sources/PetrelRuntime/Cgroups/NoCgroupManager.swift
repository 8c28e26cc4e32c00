import OCI

/// A rootless container on a host that does not delegate cgroups to its user
/// (specs/rootless.md): recorded with no directory at all, so that every later verb finds
/// nothing to write, freeze or remove. Limits were refused at create.
struct NoCgroupManager: CgroupManager {
    let record: CgroupRecord

    func apply(_ resources: LinuxResources, devices: [DeviceRule]?) throws(RuntimeError) {
        if let field = Rootless.limitFields(resources).first {
            throw RuntimeError("\(field): the container has no cgroup (rootless, not delegated): no limit can be set")
        }
    }
    func addProcess(_ pid: Int32) throws(RuntimeError) {}
    func openDirectoryForClone() throws(RuntimeError) -> Int32? { nil }
    func freeze() throws(RuntimeError) { throw RuntimeError("cannot freeze: the container has no cgroup (rootless, not delegated)") }
    func thaw() throws(RuntimeError) { throw RuntimeError("cannot thaw: the container has no cgroup (rootless, not delegated)") }
    var isFrozen: Bool { false }
    func processes() -> [Int32] { [] }
    func stats() -> CgroupStats { CgroupStats() }
    func oomKillCount() -> UInt64? { nil }
    func destroy() throws(RuntimeError) {}
}
