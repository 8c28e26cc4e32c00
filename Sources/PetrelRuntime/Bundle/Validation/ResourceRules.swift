import OCI

extension SpecValidator {
    /// config-linux.md "Control groups": the values whose validity does not depend on the
    /// host's cgroup version or controllers (those are checked when the cgroup is planned).
    static func validateResources(_ resources: LinuxResources?, _ context: Context) throws(RuntimeError) {
        guard let resources else { return }
        do throws(RuntimeError) {
            _ = try DeviceRules.rules(resources: resources.devices, devices: nil)
            for limit in resources.hugepageLimits ?? [] { try CgroupSettings.validatePageSize(limit.pageSize) }
            for key in (resources.unified ?? [:]).keys.sorted() { try CgroupSettings.validateUnifiedKey(key) }
        } catch {
            throw context.prefixed(error)
        }
    }
}
