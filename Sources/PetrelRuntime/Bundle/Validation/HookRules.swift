import OCI

extension SpecValidator {
    /// config.md "POSIX-platform Hooks": checked at create, so that a bad poststart or
    /// poststop entry cannot fail a container that is already running.
    static func validateHooks(_ hooks: Hooks?, _ context: Context) throws(RuntimeError) {
        guard hooks != nil else { return }
        let spec = Spec(ociVersion: "", hooks: hooks)
        for phase in HookRunner.phases {
            for (index, hook) in HookRunner.hooks(spec, phase).enumerated() {
                if let timeout = hook.timeout, timeout <= 0 {
                    throw context.fail("hooks.\(phase.rawValue)[\(index)].timeout", "must be positive, got \(timeout)")
                }
            }
        }
    }
}
