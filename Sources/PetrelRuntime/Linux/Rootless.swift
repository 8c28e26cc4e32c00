import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// `--rootless auto|true|false` (runc's flag; specs/rootless.md).
public enum RootlessMode: String, Sendable {
    case auto, `true`, `false`

    /// runc's rule for auto: rootless when the effective uid is not 0, or when this process
    /// is in a user namespace (its root has no privileges over the host's objects).
    public var resolved: Bool {
        switch self {
        case .true: return true
        case .false: return false
        case .auto: return geteuid() != 0 || petrel_running_in_userns() != 0
        }
    }
}

/// What an unprivileged caller cannot do, refused before any side effect with the config
/// field named, and the plan changes that replace what needs privileges (specs/rootless.md).
enum Rootless {
    /// Before anything is made: a user namespace with maps this user may write (its own id,
    /// or its subordinate ranges through newuidmap/newgidmap), joined namespaces it owns,
    /// device nodes it can open on the host (they are bound, not made), and no rlimit
    /// above its hard limit.
    static func check(_ spec: Spec, euid: UInt32 = geteuid(), egid: UInt32 = getegid()) throws(RuntimeError) {
        let linux = spec.linux
        guard let user = linux?.namespaces?.first(where: { $0.type == .user }) else {
            throw RuntimeError("linux.namespaces: a rootless container needs a user namespace (petrel spec --rootless writes one)")
        }
        if (user.path ?? "").isEmpty {
            try checkMappings(linux?.uidMappings ?? [], own: euid, field: "linux.uidMappings", what: "uid")
            try checkMappings(linux?.gidMappings ?? [], own: egid, field: "linux.gidMappings", what: "gid")
        }
        for (index, namespace) in (linux?.namespaces ?? []).enumerated() {
            guard let path = namespace.path, !path.isEmpty else { continue }
            var owner: UInt32 = 0
            let rc = petrel_namespace_owner_uid(path, namespace.type == .user ? 1 : 0, &owner)
            if rc != 0 {
                throw RuntimeError("linux.namespaces[\(index)].path: cannot tell who owns \(path)", errno: -rc)
            }
            if owner != euid {
                throw RuntimeError("linux.namespaces[\(index)].path: \(path) belongs to a user namespace of uid \(owner), "
                    + "not this user's (\(euid)): a rootless container may join only namespaces it owns")
            }
        }
        for (index, device) in (linux?.devices ?? []).enumerated() {
            // Bound from the host (no mknod without privileges): the host's node must be
            // there and this user must be able to open it, or the container gets a dead node.
            let path = FileSystem.clean(device.path)
            guard device.type != "p" else { continue }
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw RuntimeError("linux.devices[\(index)].path: a rootless container binds the host's \(path), which cannot be used", errno: errno)
            }
            guard access(path, R_OK) == 0 || access(path, W_OK) == 0 else {
                throw RuntimeError("linux.devices[\(index)].path: this user cannot open the host's \(path) "
                    + "(a rootless container binds the host's node instead of making one)", errno: EACCES)
            }
        }
        for (index, limit) in (spec.process?.rlimits ?? []).enumerated() {
            guard let resource = Rlimits.resources[limit.type] else { continue }
            var current = rlimit()
            guard getrlimit(__rlimit_resource_t(UInt32(bitPattern: resource)), &current) == 0 else { continue }
            let ceiling = UInt64(current.rlim_max)
            if limit.hard > ceiling || limit.soft > ceiling {
                throw RuntimeError("process.rlimits[\(index)]: \(limit.type) \(limit.soft)/\(limit.hard) is above this user's hard limit"
                    + " \(ceiling == UInt64.max ? "unlimited" : String(ceiling)) (raising it needs CAP_SYS_RESOURCE)")
            }
        }
    }

    /// The only map an unprivileged process may write itself is its own id, once; any other
    /// goes through the setuid helper (newuidmap/newgidmap, Debian's uidmap), which allows
    /// the ranges /etc/subuid and /etc/subgid give the user. Checked here so that the error
    /// names the field and the ranges.
    private static func checkMappings(_ mappings: [LinuxIDMapping], own: UInt32, field: String, what: String) throws(RuntimeError) {
        guard !mappings.isEmpty else {
            throw RuntimeError("\(field): a rootless container needs a mapping of the caller's \(what) \(own)")
        }
        if isOwnIdOnly(mappings, own: own) { return }
        let text = mappings.map { "\($0.containerID) \($0.hostID) \($0.size)" }.joined(separator: ", ")
        let helper = what == "uid" ? "newuidmap" : "newgidmap"
        guard mapHelper(helper) != nil else {
            throw RuntimeError("\(field): [\(text)] maps host \(what)s other than the caller's own (\(own)), which needs "
                + "\(helper) (Debian: apt-get install uidmap); without it a rootless container may map only \"0 \(own) 1\"")
        }
        let ranges = subordinateRanges(what == "uid" ? "/etc/subuid" : "/etc/subgid", own: own)
        for mapping in mappings {
            let start = UInt64(mapping.hostID)
            let end = start + UInt64(mapping.size)
            let allowed = (start == UInt64(own) && mapping.size == 1)
                || ranges.contains { start >= $0.start && end <= $0.start + $0.count }
            guard allowed else {
                let given = ranges.map { "\($0.start)-\($0.start + $0.count - 1)" }.joined(separator: ", ")
                throw RuntimeError("\(field): host \(what)s \(start)-\(end - 1) are outside this user's own \(what) \(own) and its "
                    + "ranges in /etc/sub\(what) (\(given.isEmpty ? "none" : given))")
            }
        }
    }

    /// Rootless maps: the caller's own id written directly (gid only after setgroups is
    /// denied: the kernel's rule for an unprivileged writer since 3.19, or it could drop a
    /// group that denies it access); anything else through newuidmap/newgidmap, which
    /// check /etc/subuid and /etc/subgid themselves (setgroups stays allowed then, as runc).
    static func writeMappings(uid: [LinuxIDMapping], gid: [LinuxIDMapping], pid: Int32,
                              euid: UInt32 = geteuid(), egid: UInt32 = getegid()) throws(RuntimeError) {
        for (mappings, own, file, helper) in [(uid, euid, "uid_map", "newuidmap"), (gid, egid, "gid_map", "newgidmap")] {
            if mappings.isEmpty { continue }
            if isOwnIdOnly(mappings, own: own) {
                if file == "gid_map" { try FileSystem.writeText("/proc/\(pid)/setgroups", "deny") }
                try FileSystem.writeText("/proc/\(pid)/\(file)", "\(mappings[0].containerID) \(own) 1\n")
                continue
            }
            guard let path = mapHelper(helper) else { throw RuntimeError("\(helper) is not installed (Debian: uidmap)") }
            let arguments = [path, "\(pid)"] + mappings.flatMap { ["\($0.containerID)", "\($0.hostID)", "\($0.size)"] }
            let (status, output) = try Subprocess.combinedOutput(arguments)
            guard status == 0 else {
                let field = file == "uid_map" ? "linux.uidMappings" : "linux.gidMappings"
                throw RuntimeError("\(field): \(helper) refused the mapping (exit status \(status >> 8)): "
                    + output.split(separator: "\n").joined(separator: "; "))
            }
        }
    }

    static func isOwnIdOnly(_ mappings: [LinuxIDMapping], own: UInt32) -> Bool {
        mappings.count == 1 && mappings[0].hostID == own && mappings[0].size == 1
    }

    /// The setuid helper's path, when installed.
    static func mapHelper(_ name: String) -> String? {
        ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"].map { $0 + name }.first { access($0, X_OK) == 0 }
    }

    /// The user's lines of /etc/subuid or /etc/subgid ("name-or-uid:start:count").
    static func subordinateRanges(_ file: String, own: UInt32) -> [(start: UInt64, count: UInt64)] {
        guard let text = try? FileSystem.readText(file) else { return [] }
        var names = ["\(own)"]
        if let entry = getpwuid(own), let name = entry.pointee.pw_name { names.append(String(cString: name)) }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, names.contains(fields[0]), let start = UInt64(fields[1]), let count = UInt64(fields[2]) else {
                return nil
            }
            return (start, count)
        }
    }

    /// The resource fields set in `resources` that only a cgroup can enforce (devices rules
    /// are left out: runc ignores them rootless, the devices controller is not delegated).
    static func limitFields(_ resources: LinuxResources?) -> [String] {
        guard let r = resources else { return [] }
        var fields: [String] = []
        if let m = r.memory {
            let set: [(String, Bool)] = [
                ("limit", m.limit != nil), ("reservation", m.reservation != nil), ("swap", m.swap != nil),
                ("kernel", m.kernel != nil), ("kernelTCP", m.kernelTCP != nil), ("swappiness", m.swappiness != nil),
                ("disableOOMKiller", m.disableOOMKiller == true)]
            fields += set.filter(\.1).map { "linux.resources.memory.\($0.0)" }
        }
        if let c = r.cpu {
            let set: [(String, Bool)] = [
                ("shares", c.shares != nil), ("quota", c.quota != nil), ("burst", c.burst != nil), ("period", c.period != nil),
                ("realtimeRuntime", c.realtimeRuntime != nil), ("realtimePeriod", c.realtimePeriod != nil),
                ("cpus", !(c.cpus ?? "").isEmpty), ("mems", !(c.mems ?? "").isEmpty), ("idle", c.idle != nil)]
            fields += set.filter(\.1).map { "linux.resources.cpu.\($0.0)" }
        }
        if r.pids != nil { fields.append("linux.resources.pids.limit") }
        if r.blockIO != nil { fields.append("linux.resources.blockIO") }
        if !(r.hugepageLimits ?? []).isEmpty { fields.append("linux.resources.hugepageLimits") }
        if r.network != nil { fields.append("linux.resources.network") }
        if !(r.rdma ?? [:]).isEmpty { fields.append("linux.resources.rdma") }
        if !(r.unified ?? [:]).isEmpty { fields.append("linux.resources.unified") }
        return fields
    }

    /// Whether the planned cgroup may be made by this user: cgroup v2 only (v1 is never
    /// delegated), in a subtree whose nearest existing directory the user may write
    /// (systemd's Delegate=yes chowns the directory and its cgroup.procs).
    static func cgroupDelegated(_ planned: CgroupRecord, layout: CgroupLayout) -> Bool {
        guard layout.mode == .unified, planned.version == 2, let leaf = planned.directories.first?.path else { return false }
        var existing = leaf
        while existing != "/" && !FileSystem.exists(existing) { existing = CgroupPath.parentDirectory(existing) }
        return access(existing, W_OK) == 0 && access(existing + "/cgroup.procs", W_OK) == 0
    }

    /// No cgroup: refuse limits (runc's "cannot set memory limit: container could not join
    /// or create cgroup"), and an explicit cgroupsPath (runc: "unable to apply cgroup
    /// configuration: permission denied").
    static func checkWithoutCgroup(_ linux: Linux?, layout: CgroupLayout) throws(RuntimeError) {
        let why = layout.mode == .unified
            ? "the cgroup v2 subtree is not delegated to this user"
            : "cgroup v1 is never delegated to an unprivileged user"
        if let field = limitFields(linux?.resources).first {
            throw RuntimeError("\(field): cannot set a limit in a rootless container without a cgroup (\(why)); "
                + "remove linux.resources' limits to run without one")
        }
        if let path = linux?.cgroupsPath, !path.isEmpty {
            throw RuntimeError("linux.cgroupsPath: cannot create \(JSONText.quote(path)) in a rootless container (\(why))",
                               errno: EACCES)
        }
    }

    /// Plan changes: every device node bound from the host, recursive bind mounts made read-only
    /// recursively (CVE-2023-25809: the rbind of /sys must not leave the host's
    /// /sys/fs/cgroup writable), and, without a cgroup, the cgroup mounts replaced by an
    /// empty read-only tmpfs (never the host's tree).
    static func adjust(_ plan: inout ExecutionPlan, hasCgroup: Bool) {
        // A fifo may be made in a user namespace; device nodes may not.
        for index in plan.devices.indices where plan.devices[index].mode & 0o170000 != 0o010000 {
            plan.devices[index].bindFromHost = true
        }
        for index in plan.mounts.indices {
            let mount = plan.mounts[index]
            if mount.kind == .bind && mount.recursive && mount.flags & MountFlag.readOnly != 0 {
                plan.mounts[index].recursiveAttrSet |= 0x1  // MOUNT_ATTR_RDONLY
            }
            if mount.kind == .filesystem && mount.type == "sysfs" && mount.hostSysfs {
                // The parent cannot copy the host's /sys unprivileged: the child binds it
                // recursively if a new sysfs is refused, read-only all the way down.
                plan.mounts[index].hostSysfs = false
                plan.mounts[index].recursiveAttrSet |= 0x1 | 0x2 | 0x4 | 0x8  // RDONLY NOSUID NODEV NOEXEC
            }
            let isCgroup = mount.kind == .cgroupV1 || (mount.kind == .filesystem && mount.type == "cgroup2")
            if isCgroup && !hasCgroup {
                plan.mounts[index] = ExecutionPlan.Mount(
                    kind: .filesystem, source: "tmpfs", destination: mount.destination, type: "tmpfs", data: "mode=555,size=4k",
                    flags: MountFlag.readOnly | MountFlag.noSuid | MountFlag.noDev | MountFlag.noExec,
                    propagation: mount.propagation, recursive: false, targetIsFile: false)
            }
        }
    }
}
