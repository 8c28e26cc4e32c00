import OCI

/// Every rule that config.json and the bundle decide alone, checked by `Bundle.load`
/// before anything exists (no state, cgroup, mount, process or hook). The rules live in
/// Validation/, one file per area; what needs the host (libseccomp, LSMs, resctrl, the
/// cgroup hierarchy) is checked where the host is consulted, still before any side effect.
/// Every message names the JSON path: `<config.json>: linux.namespaces[2].type: ...`.
public enum SpecValidator {
    /// Names the file (when there is one) in front of the field.
    struct Context {
        var configPath: String?
        func fail(_ field: String, _ why: String) -> RuntimeError {
            RuntimeError((configPath.map { $0 + ": " } ?? "") + "\(field): \(why)")
        }
        /// A rule shared with other callers throws a message that already names the field.
        func prefixed(_ error: RuntimeError) -> RuntimeError {
            guard let configPath else { return error }
            var copy = error
            copy.message = "\(configPath): \(error.message)"
            return copy
        }
    }

    public static func validate(_ spec: Spec, configPath: String) throws(RuntimeError) {
        let context = Context(configPath: configPath)
        guard OCIVersion.isSupported(spec.ociVersion) else {
            throw context.fail("ociVersion", "unsupported version \(JSONText.quote(spec.ociVersion)) (petrel supports 1.x)")
        }
        guard let process = spec.process else {
            throw context.fail("process", "required to create a container")
        }
        try validateProcess(process, context)
        guard let linux = spec.linux else { throw context.fail("linux", "required on Linux") }
        try validateNamespaces(spec, linux: linux, context)
        try validateSysctls(spec, linux: linux, context)
        try validateMounts(spec, linux: linux, context)
        try validateDevices(linux, context)
        try validateResources(linux.resources, context)
        try validateSeccomp(linux.seccomp, context)
        try validateLinuxExtras(linux, context)
        try validateHooks(spec.hooks, context)
    }

    /// `exec`: the process it runs (from --process, the shim or the container's own with
    /// the flags applied) obeys the same per-field rules as the init's.
    public static func validateExecProcess(_ process: Process) throws(RuntimeError) {
        try validateProcessSettings(process, Context(configPath: nil))
    }
}
