import OCI

extension SpecValidator {
    /// config.md's other platform sections. `windows`, `solaris`, `zos` and `freebsd` (and
    /// the Windows-only process.commandLine and process.user.username) describe a container
    /// for another OS: a Linux runtime ignores them, as runc and crun do, but says so.
    /// `vm` asks for a hypervisor-based container (config-vm.md); running a plain container
    /// instead would be doing something else than asked, so it is refused.
    public static func validateOtherPlatforms(_ sections: [String], spec: Spec, configPath: String) throws(RuntimeError) {
        let context = Context(configPath: configPath)
        if sections.contains("vm") {
            throw context.fail("vm", "petrel runs Linux containers, not virtual machines (config-vm.md needs a hypervisor-based runtime)")
        }
        var ignored = sections.sorted()
        if spec.process?.commandLine != nil { ignored.append("process.commandLine") }
        if spec.process?.user.username != nil { ignored.append("process.user.username") }
        for field in ignored {
            Logger.shared.warning("\(configPath): \(field): for another platform than Linux; ignored")
        }
    }
}
