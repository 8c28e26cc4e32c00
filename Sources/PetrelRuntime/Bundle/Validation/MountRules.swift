import OCI

extension SpecValidator {
    /// config.md "Mounts" and the Linux mount options (runc's extensions included).
    static func validateMounts(_ spec: Spec, linux: Linux, _ context: Context) throws(RuntimeError) {
        // config.md before 1.2: "This value MUST be an absolute path"; runtime-spec 1.2 allows
        // a relative one on Linux, below "/" (what runc 1.1 does for any version).
        let relativeAllowed = !(spec.ociVersion.hasPrefix("1.0.") || spec.ociVersion.hasPrefix("1.1."))
        let containerMapped = !(linux.uidMappings ?? []).isEmpty && !(linux.gidMappings ?? []).isEmpty
        for (index, mount) in (spec.mounts ?? []).enumerated() {
            let field = "mounts[\(index)]"
            guard !mount.destination.isEmpty else { throw context.fail("\(field).destination", "must not be empty") }
            guard mount.destination.hasPrefix("/") || relativeAllowed else {
                throw context.fail("\(field).destination", "must be an absolute path, got \(JSONText.quote(mount.destination))")
            }
            let options = MountOptions(parsing: mount.options ?? [])
            let type = mount.type.flatMap { $0.isEmpty ? nil : $0 }
            let isBind = options.bind || type == "bind"
            if isBind {
                guard let source = mount.source, !source.isEmpty else {
                    throw context.fail("\(field).source", "a bind mount needs a source")
                }
                if options.copyUp {
                    throw context.fail("\(field).options", "tmpcopyup is only for tmpfs mounts, not a bind mount")
                }
            } else {
                guard let type else { throw context.fail("\(field).type", "required for a non-bind mount") }
                // runc's extension copies the covered directory into a new tmpfs; it means
                // nothing for another filesystem, so it is refused rather than passed to mount(2).
                if options.copyUp && type != "tmpfs" {
                    throw context.fail("\(field).options", "tmpcopyup is only for tmpfs mounts, not \(JSONText.quote(type))")
                }
            }
            try validateIDMapping(mount, field: field, isBind: isBind, containerMapped: containerMapped, context)
        }
        if let propagation = linux.rootfsPropagation, !propagation.isEmpty,
           MountOptions.propagationFlags(propagation) == nil {
            throw context.fail("linux.rootfsPropagation", "unknown value \(JSONText.quote(propagation))")
        }
    }

    /// runtime-spec 1.2: `idmap`/`ridmap` options, or uidMappings/gidMappings on the mount
    /// (which imply `idmap`, as in runc); without maps of its own the mount takes the
    /// container's.
    static func validateIDMapping(_ mount: Mount, field: String, isBind: Bool, containerMapped: Bool,
                                  _ context: Context) throws(RuntimeError) {
        let options = MountOptions(parsing: mount.options ?? [])
        let uids = mount.uidMappings ?? []
        let gids = mount.gidMappings ?? []
        guard options.idmap || !uids.isEmpty || !gids.isEmpty else { return }
        guard isBind else {
            throw context.fail(field, "id-mapped mounts (idmap, ridmap, uidMappings, gidMappings) are only supported for bind mounts")
        }
        if uids.isEmpty != gids.isEmpty {
            throw context.fail(field, "uidMappings and gidMappings must be given together")
        }
        for (name, list) in [("uidMappings", uids), ("gidMappings", gids)] {
            if let bad = list.firstIndex(where: { $0.size == 0 }) {
                throw context.fail("\(field).\(name)[\(bad)].size", "must be at least 1")
            }
        }
        if uids.isEmpty && !containerMapped {
            throw context.fail(field, "idmap without uidMappings/gidMappings on the mount needs linux.uidMappings and linux.gidMappings (a user namespace)")
        }
    }
}
