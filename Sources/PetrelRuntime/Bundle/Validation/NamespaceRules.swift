import OCI

extension SpecValidator {
    static func ownsNamespace(_ linux: Linux, _ type: LinuxNamespaceType) -> Bool {
        (linux.namespaces ?? []).contains { $0.type == type }
    }

    /// config-linux.md "Namespaces", "User namespace mappings", "Offset for Time Namespace",
    /// and the spec fields that need a namespace of the container's own.
    static func validateNamespaces(_ spec: Spec, linux: Linux, _ context: Context) throws(RuntimeError) {
        var seen: Set<LinuxNamespaceType> = []
        for (index, namespace) in (linux.namespaces ?? []).enumerated() {
            guard seen.insert(namespace.type).inserted else {
                throw context.fail("linux.namespaces[\(index)]", "duplicate namespace type \(JSONText.quote(namespace.type.rawValue))")
            }
            if let path = namespace.path, !path.isEmpty, !path.hasPrefix("/") {
                throw context.fail("linux.namespaces[\(index)].path", "must be an absolute path, got \(JSONText.quote(path))")
            }
        }
        if !ownsNamespace(linux, .mount) {
            // config-linux.md: without a mount namespace "the runtime MUST inherit" its own.
            // Everything that would then be a mount on the host is refused (specs/cli.md).
            try validateSharedMountNamespace(spec, linux: linux, context)
        }
        if let hostname = spec.hostname, !hostname.isEmpty, !ownsNamespace(linux, .uts) {
            throw context.fail("hostname", "cannot set the hostname without a uts namespace")
        }
        if let domainname = spec.domainname, !domainname.isEmpty, !ownsNamespace(linux, .uts) {
            throw context.fail("domainname", "cannot set the domainname without a uts namespace")
        }
        if (linux.uidMappings?.isEmpty == false || linux.gidMappings?.isEmpty == false) && !ownsNamespace(linux, .user) {
            throw context.fail("linux.uidMappings", "id mappings need a user namespace")
        }
        // A new user namespace (not a joined one) without maps leaves every id unmapped: the
        // init could not even become its root. Say so now rather than "setresuid: EINVAL".
        if (linux.namespaces ?? []).contains(where: { $0.type == .user && ($0.path ?? "").isEmpty }) {
            if linux.uidMappings?.isEmpty ?? true { throw context.fail("linux.uidMappings", "a new user namespace needs uid mappings") }
            if linux.gidMappings?.isEmpty ?? true { throw context.fail("linux.gidMappings", "a new user namespace needs gid mappings") }
        }
        try validateTimeOffsets(linux, context)
    }

    /// A container in the runtime's mount namespace may not mount anything: it would be the host's.
    static func validateSharedMountNamespace(_ spec: Spec, linux: Linux, _ context: Context) throws(RuntimeError) {
        let why = "needs a private mount namespace (linux.namespaces has no \"mount\", so the container shares the host's and petrel makes no mount there)"
        // runc 1.1.5's own refusal, in its words.
        if !(linux.maskedPaths ?? []).isEmpty {
            throw context.fail("linux.maskedPaths", "unable to restrict sys entries without a private MNT namespace")
        }
        if !(linux.readonlyPaths ?? []).isEmpty {
            throw context.fail("linux.readonlyPaths", "unable to restrict sys entries without a private MNT namespace")
        }
        if let mounts = spec.mounts, !mounts.isEmpty {
            throw context.fail("mounts", "\(mounts.count) mount(s) given (first: \(JSONText.quote(mounts[0].destination))): each \(why)")
        }
        if spec.root?.readonly == true { throw context.fail("root.readonly", why) }
        if let propagation = linux.rootfsPropagation, !propagation.isEmpty { throw context.fail("linux.rootfsPropagation", why) }
        if spec.process?.terminal == true { throw context.fail("process.terminal", "the console is bind-mounted on /dev/console: it " + why) }
    }

    /// Written to /proc/self/timens_offsets, which only a new time namespace takes.
    static func validateTimeOffsets(_ linux: Linux, _ context: Context) throws(RuntimeError) {
        guard let offsets = linux.timeOffsets, !offsets.isEmpty else { return }
        guard (linux.namespaces ?? []).contains(where: { $0.type == .time && ($0.path ?? "").isEmpty }) else {
            throw context.fail("linux.timeOffsets", "needs a new time namespace (linux.namespaces entry of type time without a path)")
        }
        for clock in offsets.keys.sorted() {
            guard PlanBuilder.timeClocks.contains(clock) else {
                throw context.fail("linux.timeOffsets.\(clock)", "unknown clock (expected monotonic or boottime)")
            }
            let nanosecs = offsets[clock]?.nanosecs ?? 0
            guard nanosecs < 1_000_000_000 else {
                throw context.fail("linux.timeOffsets.\(clock).nanosecs", "\(nanosecs) is not below 1000000000")
            }
        }
    }

    /// linux.sysctl: only keys of a namespace the container owns (Sysctls), and not both a
    /// sysctl and the field that sets the same kernel value (as runc and crun).
    static func validateSysctls(_ spec: Spec, linux: Linux, _ context: Context) throws(RuntimeError) {
        guard let sysctl = linux.sysctl else { return }
        for (key, field, value) in [("kernel.hostname", "hostname", spec.hostname), ("kernel.domainname", "domainname", spec.domainname)]
        where sysctl[key] != nil && !(value ?? "").isEmpty && ownsNamespace(linux, .uts) {
            throw context.fail("linux.sysctl[\(JSONText.quote(key))]", "conflicts with the \(field) field; set only one of them")
        }
        for key in sysctl.keys.sorted() {
            do throws(RuntimeError) {
                try Sysctls.validate(key, namespaces: linux.namespaces ?? [])
            } catch {
                throw context.prefixed(error)
            }
        }
    }
}
