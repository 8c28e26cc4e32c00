import OCI

/// Options that come from the command line rather than config.json.
public struct LaunchOptions: Sendable {
    public var noPivot = false
    public var preserveFds: Int32 = 0
    public var execFifo: String?
    /// `run`: no exec fifo, the start comes over the sync socket (see petrel_plan.await_start).
    public var awaitStart = false
    public var pauseBeforePivot = false
    public init() {}
}

/// Turns a spec that SpecValidator passed into an ExecutionPlan. Pure apart from the
/// injected host probes, so it is unit-tested without root. It makes no config rule of its
/// own: what it may still refuse needs the host (LSMs, libseccomp, capabilities).
public struct PlanBuilder {
    public var cgroups: CgroupLayout
    /// Whether a host path is a directory (decides if a bind target is a dir or a file).
    public var isDirectory: (String) -> Bool
    /// The container's /etc/passwd text, for HOME (nil when the rootfs has none).
    public var passwd: () -> String?
    /// The host's LSMs (labels for absent ones are refused).
    public var securityModules = SecurityModules(apparmor: false, selinux: false)
    /// Compiled seccomp programs of earlier calls (nil: always compile).
    public var seccompCache: SeccompCache?

    public init(cgroups: CgroupLayout, isDirectory: @escaping (String) -> Bool, passwd: @escaping () -> String?,
                securityModules: SecurityModules = SecurityModules(apparmor: false, selinux: false),
                seccompCache: SeccompCache? = nil) {
        self.cgroups = cgroups
        self.isDirectory = isDirectory
        self.passwd = passwd
        self.securityModules = securityModules
        self.seccompCache = seccompCache
    }

    /// `cgroups`: the host's layout when the caller has read it already (mountinfo is
    /// parsed once per create). `stateRoot`: the runtime's --root, which holds the seccomp
    /// filter cache.
    public static func forHost(rootfs: String, cgroups: CgroupLayout? = nil, stateRoot: String? = nil) -> PlanBuilder {
        PlanBuilder(
            cgroups: cgroups ?? CgroupLayout.detect(),
            isDirectory: { FileSystem.isDirectory($0) },
            // The rootfs is the container's: no symlink out of it, no FIFO, no /dev/zero.
            passwd: { (try? FileSystem.readDocument(inRoot: rootfs, "/etc/passwd", limit: 4 << 20)).map { String(decoding: $0, as: UTF8.self) } },
            securityModules: SecurityModules.detect(),
            seccompCache: stateRoot.map { SeccompCache(root: $0) }
        )
    }

    /// For `buildExec`, which makes no mounts: the host's cgroup layout (a parse of
    /// mountinfo) is left unread.
    public static func forExec(rootfs: String, stateRoot: String? = nil) -> PlanBuilder {
        forHost(rootfs: rootfs, cgroups: CgroupLayout(mode: .unified, v1: [], unifiedMountPoint: nil), stateRoot: stateRoot)
    }

    public func build(_ spec: Spec, bundle: String, rootfs: String, options: LaunchOptions) throws(RuntimeError) -> ExecutionPlan {
        var plan = ExecutionPlan()
        let linux = spec.linux
        let namespaces = linux?.namespaces ?? []
        plan.namespaces = namespaces.map { namespace in
            let path = namespace.path.flatMap { $0.isEmpty ? nil : $0 }
            return ExecutionPlan.Namespace(cloneFlag: NamespaceFlag.cloneFlag(namespace.type), path: path)
        }
        let userNamespace = namespaces.contains { $0.type == .user }
        plan.hostname = spec.hostname.flatMap { $0.isEmpty ? nil : $0 }
        plan.domainname = spec.domainname.flatMap { $0.isEmpty ? nil : $0 }
        plan.timeOffsets = Self.timeOffsets(linux?.timeOffsets)
        plan.personality = Self.personality(linux?.personality)
        // Validated with the spec: the conversion cannot fail here.
        if let policy = linux?.memoryPolicy { plan.memoryPolicy = try MemoryPolicy.plan(policy) }

        plan.rootfs = rootfs
        plan.rootReadonly = spec.root?.readonly ?? false
        if let propagation = linux?.rootfsPropagation, !propagation.isEmpty,
           let flags = MountOptions.propagationFlags(propagation) {
            plan.rootPropagation = flags
        }
        plan.noPivot = options.noPivot
        if !namespaces.contains(where: { $0.type == .mount }) {
            plan.sharedMountNamespace = true
            plan.rootPropagation = 0
            Logger.shared.warning("linux.namespaces has no mount namespace: the container runs in the runtime's own mount namespace (the host's), chrooted into \(rootfs); no mount is made")
        }
        let uidMappings = (linux?.uidMappings ?? []).map(Self.mappingLine)
        let gidMappings = (linux?.gidMappings ?? []).map(Self.mappingLine)
        // A joined user namespace has its maps already (runc still wants them in config.json).
        let joinedUserNamespace = namespaces.contains { $0.type == .user && !($0.path ?? "").isEmpty }
        if !joinedUserNamespace {
            plan.uidMappings = uidMappings
            plan.gidMappings = gidMappings
        }
        plan.mounts = (spec.mounts ?? []).map { mount in
            var planned = planMount(mount, bundle: bundle)
            planned.idmap = planIDMapping(mount, container: (uidMappings, gidMappings))
            return planned
        }
        try Self.planHostSysfs(&plan.mounts, namespaces: namespaces)
        let devBound = plan.mounts.contains { $0.destination == "/dev" && $0.kind == .bind }
        plan.setupDevSymlinks = !devBound
        plan.devices = planDevices(linux?.devices ?? [], defaults: !devBound, userNamespace: userNamespace)
        plan.maskedPaths = linux?.maskedPaths ?? []
        plan.readonlyPaths = linux?.readonlyPaths ?? []
        plan.sysctls = (linux?.sysctl ?? [:]).sorted { $0.key < $1.key }.map {
            ExecutionPlan.Sysctl(path: $0.key.replacingDots(), value: $0.value)
        }

        if let process = spec.process {
            try planProcess(process, version: spec.ociVersion, into: &plan)
            // config.md: execCPUAffinity "is not applicable to the container's init process"
            // (runc and crun ignore it there too); it was validated all the same.
            if process.execCPUAffinity != nil {
                Logger.shared.debug("process.execCPUAffinity applies to exec'd processes only, not to the init")
            }
        }
        plan.cpusRestricted = !(linux?.resources?.cpu?.cpus ?? "").isEmpty
        // Host-dependent: whether libseccomp knows each architecture on this machine.
        if let seccomp = linux?.seccomp { plan.seccomp = try SeccompCompiler.compile(seccomp, cache: seccompCache) }
        if let profile = spec.process?.apparmorProfile, !profile.isEmpty {
            guard securityModules.apparmor else {
                throw RuntimeError("process.apparmorProfile: AppArmor is not enabled on this host (profile \(JSONText.quote(profile)))")
            }
            plan.apparmorProfile = profile
        }
        if let label = spec.process?.selinuxLabel, !label.isEmpty {
            guard securityModules.selinux else {
                throw RuntimeError("process.selinuxLabel: SELinux is not enabled on this host (label \(JSONText.quote(label)))")
            }
            plan.selinuxLabel = label
        }
        if let label = linux?.mountLabel, !label.isEmpty {
            guard securityModules.selinux else {
                throw RuntimeError("linux.mountLabel: SELinux is not enabled on this host (label \(JSONText.quote(label)))")
            }
            // The label of every filesystem the runtime mounts (binds keep their own).
            for index in plan.mounts.indices where plan.mounts[index].kind == .filesystem
                && !["proc", "sysfs", "cgroup", "cgroup2", "mqueue"].contains(plan.mounts[index].type ?? "") {
                let context = "context=\"\(label)\""
                plan.mounts[index].data = plan.mounts[index].data.map { $0 + "," + context } ?? context
            }
        }
        plan.preserveFds = options.preserveFds
        plan.execFifo = options.execFifo
        plan.awaitStart = options.awaitStart
        plan.pauseBeforePivot = options.pauseBeforePivot
        return plan
    }

    /// `exec`: `process` runs in the namespaces of the container whose init is `initPid`
    /// (every namespace the config gives it, new or joined, entered through the init), with
    /// the container's seccomp filter and the process's own settings.
    public func buildExec(_ spec: Spec, process: Process, initPid: Int32, preserveFds: Int32) throws(RuntimeError) -> ExecutionPlan {
        var plan = ExecutionPlan()
        plan.execMode = true
        let namespaces = spec.linux?.namespaces ?? []
        // The user namespace first, as the child joins in that order anyway.
        plan.namespaces = namespaces.sorted { ($0.type == .user ? 0 : 1) < ($1.type == .user ? 0 : 1) }.map { namespace in
            ExecutionPlan.Namespace(cloneFlag: NamespaceFlag.cloneFlag(namespace.type),
                                    path: "/proc/\(initPid)/ns/\(NamespaceFlag.procName(namespace.type))")
        }
        try planProcess(process, version: spec.ociVersion, into: &plan)
        plan.cpusRestricted = !(spec.linux?.resources?.cpu?.cpus ?? "").isEmpty
        if let affinity = process.execCPUAffinity {
            plan.cpuAffinityInitial = try ProcessAttributes.cpuMask(affinity.initial, field: "process.execCPUAffinity.initial")
            plan.cpuAffinityFinal = try ProcessAttributes.cpuMask(affinity.final, field: "process.execCPUAffinity.final")
        }
        if let policy = spec.linux?.memoryPolicy { plan.memoryPolicy = try MemoryPolicy.plan(policy) }
        if let seccomp = spec.linux?.seccomp { plan.seccomp = try SeccompCompiler.compile(seccomp, cache: seccompCache) }
        if let profile = process.apparmorProfile, !profile.isEmpty {
            guard securityModules.apparmor else {
                throw RuntimeError("process.apparmorProfile: AppArmor is not enabled on this host (profile \(JSONText.quote(profile)))")
            }
            plan.apparmorProfile = profile
        }
        if let label = process.selinuxLabel, !label.isEmpty {
            guard securityModules.selinux else {
                throw RuntimeError("process.selinuxLabel: SELinux is not enabled on this host (label \(JSONText.quote(label)))")
            }
            plan.selinuxLabel = label
        }
        plan.preserveFds = preserveFds
        return plan
    }

    private func planProcess(_ process: Process, version: String, into plan: inout ExecutionPlan) throws(RuntimeError) {
        plan.args = process.args ?? []
        plan.cwd = process.cwd
        plan.uid = process.user.uid
        plan.gid = process.user.gid
        plan.additionalGids = process.user.additionalGids ?? []
        if let umask = process.user.umask { plan.umask = Int32(truncatingIfNeeded: umask) }
        var env = process.env ?? []
        if !env.contains(where: { $0.hasPrefix("HOME=") }) {
            env.append("HOME=" + homeDirectory(uid: plan.uid))
        }
        plan.env = env
        plan.terminal = process.terminal ?? false
        if let size = process.consoleSize {
            plan.consoleRows = UInt16(clamping: size.height)
            plan.consoleColumns = UInt16(clamping: size.width)
        }
        plan.noNewPrivileges = process.noNewPrivileges ?? false
        if let caps = process.capabilities {
            // runtime-spec 1.0: an unknown capability MUST cause an error; 1.1 on: it MUST be
            // logged as a warning and SHOULD NOT fail the container.
            let strict = version.hasPrefix("1.0.")
            plan.capabilities = ExecutionPlan.CapabilitySets(
                bounding: try Capabilities.mask(caps.bounding, field: "process.capabilities.bounding", strict: strict),
                effective: try Capabilities.mask(caps.effective, field: "process.capabilities.effective", strict: strict),
                inheritable: try Capabilities.mask(caps.inheritable, field: "process.capabilities.inheritable", strict: strict),
                permitted: try Capabilities.mask(caps.permitted, field: "process.capabilities.permitted", strict: strict),
                ambient: try Capabilities.mask(caps.ambient, field: "process.capabilities.ambient", strict: strict)
            )
        }
        plan.rlimits = (process.rlimits ?? []).compactMap { limit in
            Rlimits.resources[limit.type].map { ExecutionPlan.Rlimit(resource: $0, soft: limit.soft, hard: limit.hard) }
        }
        // Validated with the process (ProcessAttributes' rules): the conversions cannot fail here.
        if let scheduler = process.scheduler {
            plan.scheduler = try ProcessAttributes.scheduler(scheduler, field: "process.scheduler")
        }
        if let priority = process.ioPriority {
            plan.ioPriority = try ProcessAttributes.ioPriority(priority, field: "process.ioPriority")
        }
        if let score = process.oomScoreAdj { plan.oomScoreAdj = Int32(clamping: score) }
    }

    /// HOME from the container's /etc/passwd, "/" when the user has no entry (runc's rule).
    private func homeDirectory(uid: UInt32) -> String {
        guard let text = passwd() else { return "/" }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 6, UInt32(fields[2]) == uid, !fields[5].isEmpty { return String(fields[5]) }
        }
        return "/"
    }

    private func planMount(_ mount: Mount, bundle: String) -> ExecutionPlan.Mount {
        let options = MountOptions(parsing: mount.options ?? [])
        let destination = FileSystem.clean(mount.destination)
        // Validated: a non-bind mount has a type.
        let type = mount.type ?? ""
        let isBind = options.bind || type == "bind"
        if isBind {
            let source = FileSystem.absolute(mount.source ?? "", relativeTo: bundle)
            var planned = ExecutionPlan.Mount(
                kind: .bind, source: source, destination: destination, type: nil,
                data: options.data.isEmpty ? nil : options.data.joined(with: ","),
                flags: options.flags, propagation: options.propagation, recursive: options.recursive,
                targetIsFile: FileSystem.exists(source) && !isDirectory(source)
            )
            planned.recursiveAttrSet = options.recursiveAttrSet
            planned.recursiveAttrClear = options.recursiveAttrClear
            return planned
        }
        var planned = ExecutionPlan.Mount(
            kind: .filesystem, source: mount.source ?? type, destination: destination, type: type,
            data: options.data.isEmpty ? nil : options.data.joined(with: ","),
            flags: options.flags, propagation: options.propagation, recursive: false, targetIsFile: false
        )
        planned.recursiveAttrSet = options.recursiveAttrSet
        planned.recursiveAttrClear = options.recursiveAttrClear
        planned.copyUp = options.copyUp
        if type == "cgroup" || type == "cgroup2" {
            if cgroups.mode == .unified {
                planned.type = "cgroup2"
                planned.source = "cgroup2"
                planned.data = nil
            } else {
                planned.kind = .cgroupV1
                planned.data = nil
                planned.cgroupSubsystems = cgroups.v1.filter { !$0.controllers.isEmpty }
                    .map { $0.controllers.joined(with: ",") }
            }
        }
        return planned
    }

    /// sysfs belongs to a network namespace: a user namespace may mount it only with a network
    /// namespace of its own. Without one the init gets the parent's non-recursive copy of the
    /// host's /sys (the same sysfs a fresh mount in the host's network namespace shows, without
    /// the cgroup tree or any other submount), read-only; runc fails there, crun binds the
    /// whole tree. A writable sysfs cannot be had that way, so it is refused here.
    static func planHostSysfs(_ mounts: inout [ExecutionPlan.Mount], namespaces: [LinuxNamespace]) throws(RuntimeError) {
        guard let user = namespaces.first(where: { $0.type == .user }),
              !namespaces.contains(where: { $0.type == .network && ($0.path ?? "").isEmpty }) else { return }
        let newUser = (user.path ?? "").isEmpty
        for index in mounts.indices where mounts[index].kind == .filesystem && mounts[index].type == "sysfs" {
            // A joined user namespace may own the joined network namespace: then the mount works.
            if newUser && mounts[index].flags & MountFlag.readOnly == 0 {
                throw RuntimeError("mounts[\(index)]: a user namespace without its own network namespace cannot mount sysfs at \(mounts[index].destination);"
                    + " add \"ro\" to get the host's sysfs read-only (without its submounts), or a network namespace to get the container's own")
            }
            mounts[index].hostSysfs = true
        }
    }

    static func mappingLine(_ mapping: LinuxIDMapping) -> String {
        "\(mapping.containerID) \(mapping.hostID) \(mapping.size)"
    }

    /// runtime-spec 1.2: `idmap`/`ridmap` options, or uidMappings/gidMappings on the mount
    /// (which imply `idmap`, as in runc). Without mappings of its own the mount takes the
    /// container's user namespace mappings.
    private func planIDMapping(_ mount: Mount, container: (uid: [String], gid: [String])) -> ExecutionPlan.IDMapping? {
        let options = MountOptions(parsing: mount.options ?? [])
        let uids = mount.uidMappings ?? []
        let gids = mount.gidMappings ?? []
        guard options.idmap || !uids.isEmpty || !gids.isEmpty else { return nil }
        if uids.isEmpty {
            return ExecutionPlan.IDMapping(
                uidMappings: container.uid, gidMappings: container.gid, recursive: options.recursiveIdmap)
        }
        return ExecutionPlan.IDMapping(
            uidMappings: uids.map(Self.mappingLine), gidMappings: gids.map(Self.mappingLine), recursive: options.recursiveIdmap)
    }

    /// runc's default devices, then linux.devices (a spec entry replaces a default one).
    static let defaultDevices: [(path: String, major: UInt32, minor: UInt32)] = [
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7),
        ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ]

    /// S_IF* bits of linux.devices[].type.
    static let deviceTypeBits: [String: UInt32] = ["c": 0o020000, "u": 0o020000, "b": 0o060000, "p": 0o010000]
    static let fifoTypeBits: UInt32 = 0o010000

    private func planDevices(_ devices: [LinuxDevice], defaults: Bool, userNamespace: Bool) -> [ExecutionPlan.Device] {
        var planned: [ExecutionPlan.Device] = []
        if defaults {
            for device in Self.defaultDevices {
                planned.append(ExecutionPlan.Device(
                    path: device.path, mode: 0o020000 | 0o666, major: device.major, minor: device.minor,
                    uid: 0, gid: 0, bindFromHost: userNamespace))
            }
        }
        for device in devices {
            let entry = ExecutionPlan.Device(
                path: FileSystem.clean(device.path),
                mode: (Self.deviceTypeBits[device.type] ?? 0) | ((device.fileMode ?? 0o666) & 0o7777),
                major: UInt32(clamping: device.major ?? 0), minor: UInt32(clamping: device.minor ?? 0),
                uid: device.uid ?? 0, gid: device.gid ?? 0, bindFromHost: userNamespace)
            planned.removeAll { $0.path == entry.path }
            planned.append(entry)
        }
        return planned
    }
}

extension PlanBuilder {
    static let timeClocks: Set<String> = ["monotonic", "boottime"]

    /// linux.timeOffsets as /proc/self/timens_offsets lines.
    static func timeOffsets(_ offsets: [String: LinuxTimeOffset]?) -> String? {
        guard let offsets, !offsets.isEmpty else { return nil }
        var lines = ""
        for clock in offsets.keys.sorted() where timeClocks.contains(clock) {
            let offset = offsets[clock]
            lines += "\(clock) \(offset?.secs ?? 0) \(offset?.nanosecs ?? 0)\n"
        }
        return lines
    }

    static let personalityDomains: [String: Int32] = ["LINUX": 0x0000, "LINUX32": 0x0008]

    /// linux.personality as a persona: the execution domain only (the spec defines no flags yet).
    static func personality(_ personality: LinuxPersonality?) -> Int32? {
        personality.flatMap { personalityDomains[$0.domain.rawValue] }
    }
}

extension String {
    /// sysctl keys use dots; their /proc/sys files use slashes.
    func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
}
