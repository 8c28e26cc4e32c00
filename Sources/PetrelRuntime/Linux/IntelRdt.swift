import OCI
#if canImport(Glibc)
import Glibc
#endif

/// linux.intelRdt through the resctrl filesystem (config-linux.md "IntelRdt"): the
/// container's init joins the group `closID` (default: the container id) after the parent
/// wrote its schemata, and a monitoring group of its own when asked.
/// Without resctrl the spec says the runtime "MUST generate an error": it does, at create,
/// before anything exists. NOT TESTED on real hardware: the development hosts have no
/// resctrl; only the refusal is covered by tests.
public enum IntelRdt {
    static let mountPoint = "/sys/fs/resctrl"

    public static var features: Features.IntelRdt {
        Features.IntelRdt(enabled: true, schemata: true, monitoring: true)
    }

    public struct Plan: Sendable, Equatable {
        /// The resctrl group directory name.
        public var group: String
        /// closID given: a pre-configured group (kept at delete).
        public var sharedGroup: Bool
        /// From l3CacheSchema and memBwSchema, compared with an existing group's schemata.
        public var schemaLines: [String]
        /// `schemata`, written after the lines above.
        public var extraLines: [String]
        /// A mon_groups/<id> group (enableMonitoring, or the older enableCMT/enableMBM).
        public var monitoring: Bool
    }

    /// Checks the config and that resctrl is there; nil when linux.intelRdt is absent.
    public static func plan(_ rdt: LinuxIntelRdt?, id: String) throws(RuntimeError) -> Plan? {
        guard let rdt else { return nil }
        guard isMounted() else {
            throw RuntimeError("linux.intelRdt: Intel RDT needs the resctrl filesystem, which is not mounted at \(mountPoint)")
        }
        try SpecValidator.validateIntelRdt(rdt, SpecValidator.Context(configPath: nil))
        let closID = rdt.closID.flatMap { $0.isEmpty ? nil : $0 }
        var lines: [String] = []
        if let l3 = rdt.l3CacheSchema, !l3.isEmpty {
            lines = l3.split(separator: "\n").map(String.init)
            // With memBwSchema set, an MB: line in l3CacheSchema gives way to it (the spec's rule).
            if rdt.memBwSchema != nil { lines.removeAll { $0.hasPrefix("MB:") } }
        }
        if let memBw = rdt.memBwSchema, !memBw.isEmpty { lines.append(memBw) }
        let extra = (rdt.schemata ?? []).filter { !$0.isEmpty }
        let monitoring = rdt.enableMonitoring == true || rdt.enableCMT == true || rdt.enableMBM == true
        return Plan(group: closID ?? id, sharedGroup: closID != nil, schemaLines: lines, extraLines: extra, monitoring: monitoring)
    }

    /// Run by the parent after the clone, before the init continues.
    static func apply(_ plan: Plan, id: String, pid: Int32) throws(RuntimeError) {
        let directory = mountPoint + "/" + plan.group
        let writes = !plan.schemaLines.isEmpty || !plan.extraLines.isEmpty
        var existed = true
        if !FileSystem.isDirectory(directory) {
            guard writes || !plan.sharedGroup else {
                throw RuntimeError("linux.intelRdt.closID: the resctrl group \(directory) does not exist (no schema given to create it)")
            }
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                throw RuntimeError.sys("linux.intelRdt: cannot create the resctrl group", "mkdir", path: directory)
            }
            existed = false
        }
        if existed && plan.sharedGroup && !plan.schemaLines.isEmpty {
            // An existing group must already have these schemata (the spec's MUST); each
            // configured line must be one of the file's, blanks ignored.
            func squeeze(_ line: Substring) -> String { String(line.filter { !$0.isWhitespace }) }
            let current = Set(try FileSystem.readText(directory + "/schemata").split(separator: "\n").map(squeeze))
            for line in plan.schemaLines where !current.contains(squeeze(Substring(line))) {
                throw RuntimeError("linux.intelRdt: the existing resctrl group \(plan.group) does not have the schema \(JSONText.quote(line))")
            }
        } else if !plan.schemaLines.isEmpty {
            try FileSystem.writeText(directory + "/schemata", plan.schemaLines.joined(separator: "\n") + "\n")
        }
        // `schemata` is written last, as the spec orders.
        if !plan.extraLines.isEmpty {
            try FileSystem.writeText(directory + "/schemata", plan.extraLines.joined(separator: "\n") + "\n")
        }
        try FileSystem.writeText(directory + "/tasks", "\(pid)\n")
        if plan.monitoring {
            let group = directory + "/mon_groups/" + id
            guard mkdir(group, 0o755) == 0 || errno == EEXIST else {
                throw RuntimeError.sys("linux.intelRdt.enableMonitoring: cannot create the monitoring group", "mkdir", path: group)
            }
            try FileSystem.writeText(group + "/tasks", "\(pid)\n")
        }
    }

    /// `exec`: the new process joins the container's groups, as the init did.
    static func join(_ rdt: LinuxIntelRdt?, id: String, pid: Int32) throws(RuntimeError) {
        guard let rdt else { return }
        let closID = rdt.closID.flatMap { $0.isEmpty ? nil : $0 }
        let directory = mountPoint + "/" + (closID ?? id)
        try FileSystem.writeText(directory + "/tasks", "\(pid)\n")
        if rdt.enableMonitoring == true || rdt.enableCMT == true || rdt.enableMBM == true {
            try FileSystem.writeText(directory + "/mon_groups/" + id + "/tasks", "\(pid)\n")
        }
    }

    /// delete (and a failed create): the container's own groups go; a closID group stays.
    /// rmdir moves any task left to the parent group.
    static func remove(_ rdt: LinuxIntelRdt?, id: String) {
        guard let rdt, isMounted() else { return }
        let closID = rdt.closID.flatMap { $0.isEmpty ? nil : $0 }
        let directory = mountPoint + "/" + (closID ?? id)
        if rdt.enableMonitoring == true || rdt.enableCMT == true || rdt.enableMBM == true {
            rmdir(directory + "/mon_groups/" + id)
        }
        if closID == nil { rmdir(directory) }
    }

    /// resctrl's root always has `info/` and `schemata`; /sys itself cannot hold such files.
    static func isMounted() -> Bool {
        access(mountPoint + "/info", F_OK) == 0 && access(mountPoint + "/schemata", F_OK) == 0
    }
}
