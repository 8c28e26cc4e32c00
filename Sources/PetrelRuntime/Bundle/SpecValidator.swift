import OCI

/// Checks the parts of config.json that decoding alone cannot: versions, required fields,
/// and combinations the runtime spec forbids. Messages name the JSON path.
public enum SpecValidator {
    /// A container in the runtime's mount namespace may not mount anything: it would be the host's.
    static func validateSharedMountNamespace(_ spec: Spec, linux: Linux,
                                             fail: (String, String) -> RuntimeError) throws(RuntimeError) {
        let why = "needs a private mount namespace (linux.namespaces has no \"mount\", so the container shares the host's and petrel makes no mount there)"
        // runc 1.1.5's own refusal, in its words.
        if !(linux.maskedPaths ?? []).isEmpty {
            throw fail("linux.maskedPaths", "unable to restrict sys entries without a private MNT namespace")
        }
        if !(linux.readonlyPaths ?? []).isEmpty {
            throw fail("linux.readonlyPaths", "unable to restrict sys entries without a private MNT namespace")
        }
        if let mounts = spec.mounts, !mounts.isEmpty {
            throw fail("mounts", "\(mounts.count) mount(s) given (first: \(JSONText.quote(mounts[0].destination))): each \(why)")
        }
        if spec.root?.readonly == true { throw fail("root.readonly", why) }
        if let propagation = linux.rootfsPropagation, !propagation.isEmpty { throw fail("linux.rootfsPropagation", why) }
        if spec.process?.terminal == true { throw fail("process.terminal", "the console is bind-mounted on /dev/console: it " + why) }
    }

    public static func validate(_ spec: Spec, configPath: String) throws(RuntimeError) {
        func fail(_ field: String, _ why: String) -> RuntimeError {
            RuntimeError("\(configPath): \(field): \(why)")
        }
        guard OCIVersion.isSupported(spec.ociVersion) else {
            throw fail("ociVersion", "unsupported version \(JSONText.quote(spec.ociVersion)) (petrel supports 1.x)")
        }
        guard let process = spec.process else {
            throw fail("process", "required to create a container")
        }
        guard let args = process.args, let program = args.first, !program.isEmpty else {
            throw fail("process.args", "must name the program to run")
        }
        guard process.cwd.hasPrefix("/") else {
            throw fail("process.cwd", "must be an absolute path, got \(JSONText.quote(process.cwd))")
        }
        for (index, variable) in (process.env ?? []).enumerated() where !variable.contains("=") {
            throw fail("process.env[\(index)]", "expected KEY=value, got \(JSONText.quote(variable))")
        }
        do throws(RuntimeError) {
            try ProcessAttributes.validate(process)
        } catch {
            throw RuntimeError("\(configPath): \(error.message)")
        }
        guard let linux = spec.linux else { throw fail("linux", "required on Linux") }

        var seen: Set<LinuxNamespaceType> = []
        for (index, namespace) in (linux.namespaces ?? []).enumerated() {
            guard seen.insert(namespace.type).inserted else {
                throw fail("linux.namespaces[\(index)]", "duplicate namespace type \(JSONText.quote(namespace.type.rawValue))")
            }
            if let path = namespace.path, !path.isEmpty, !path.hasPrefix("/") {
                throw fail("linux.namespaces[\(index)].path", "must be an absolute path, got \(JSONText.quote(path))")
            }
        }
        func hasNew(_ type: LinuxNamespaceType) -> Bool {
            (linux.namespaces ?? []).contains { $0.type == type }
        }
        if !hasNew(.mount) {
            // config-linux.md: without a mount namespace "the runtime MUST inherit" its own.
            // Everything that would then be a mount on the host is refused (specs/cli.md).
            try validateSharedMountNamespace(spec, linux: linux, fail: fail)
        }
        if let hostname = spec.hostname, !hostname.isEmpty, !hasNew(.uts) {
            throw fail("hostname", "cannot set the hostname without a uts namespace")
        }
        if let domainname = spec.domainname, !domainname.isEmpty, !hasNew(.uts) {
            throw fail("domainname", "cannot set the domainname without a uts namespace")
        }
        if (linux.uidMappings?.isEmpty == false || linux.gidMappings?.isEmpty == false) && !hasNew(.user) {
            throw fail("linux.uidMappings", "id mappings need a user namespace")
        }
        // A new user namespace (not a joined one) without maps leaves every id unmapped: the
        // init could not even become its root. Say so now rather than "setresuid: EINVAL".
        if (linux.namespaces ?? []).contains(where: { $0.type == .user && ($0.path ?? "").isEmpty }) {
            if linux.uidMappings?.isEmpty ?? true { throw fail("linux.uidMappings", "a new user namespace needs uid mappings") }
            if linux.gidMappings?.isEmpty ?? true { throw fail("linux.gidMappings", "a new user namespace needs gid mappings") }
        }
        // As runc and crun: the sysctl and the field would both set the same kernel value.
        for (key, field, value) in [("kernel.hostname", "hostname", spec.hostname), ("kernel.domainname", "domainname", spec.domainname)]
        where linux.sysctl?[key] != nil && !(value ?? "").isEmpty && hasNew(.uts) {
            throw fail("linux.sysctl[\(JSONText.quote(key))]", "conflicts with the \(field) field; set only one of them")
        }
        for (index, mount) in (spec.mounts ?? []).enumerated() where mount.destination.isEmpty {
            throw fail("mounts[\(index)].destination", "must not be empty")
        }
        if let propagation = linux.rootfsPropagation, !propagation.isEmpty,
           MountOptions.propagationFlags[propagation] == nil {
            throw fail("linux.rootfsPropagation", "unknown value \(JSONText.quote(propagation))")
        }
    }
}
