import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// Owns the C memory behind a petrel_plan: strings and arrays live until the arena dies,
/// which is after the child has been cloned (the child has its own copy of the memory).
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { for block in blocks { free(block) } }

    func string(_ text: String) -> UnsafePointer<CChar> {
        let bytes = Array(text.utf8CString)
        let block = allocate(bytes.count * MemoryLayout<CChar>.stride)
        let typed = block.bindMemory(to: CChar.self, capacity: bytes.count)
        typed.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(typed)
    }

    func optionalString(_ text: String?) -> UnsafePointer<CChar>? { text.map { string($0) } }

    func array<T>(_ items: [T]) -> UnsafePointer<T>? {
        guard !items.isEmpty else { return nil }
        let block = allocate(items.count * MemoryLayout<T>.stride)
        let typed = block.bindMemory(to: T.self, capacity: items.count)
        typed.initialize(from: items, count: items.count)
        return UnsafePointer(typed)
    }

    /// A NULL-terminated array of C strings.
    func stringArray(_ items: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let pointers: [UnsafePointer<CChar>?] = items.map { string($0) } + [nil]
        // pointers is never empty, so array() always returns a block.
        guard let result = array(pointers) else { fatalError("unreachable: empty pointer array") }
        return result
    }

    private func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        guard let block = malloc(max(size, 1)) else { fatalError("out of memory") }
        blocks.append(block)
        return block
    }
}

extension ExecutionPlan {
    /// Lowers the plan to C. Fds are owned by the caller.
    /// `mountTrees`: mount index -> id-mapped tree fd (IdmappedTrees).
    func lowered(in arena: CArena, consoleSocket: Int32, cgroupFd: Int32, mountTrees: [Int: Int32] = [:]) -> petrel_plan {
        var plan = petrel_plan()
        plan.namespaces = arena.array(namespaces.map { petrel_namespace(clone_flag: $0.cloneFlag, path: arena.optionalString($0.path)) })
        plan.namespace_count = namespaces.count
        plan.hostname = arena.optionalString(hostname)
        plan.domainname = arena.optionalString(domainname)

        plan.rootfs = arena.string(rootfs)
        plan.root_readonly = rootReadonly ? 1 : 0
        plan.root_propagation = rootPropagation
        plan.no_pivot = noPivot ? 1 : 0
        plan.shared_mount_namespace = sharedMountNamespace ? 1 : 0
        plan.mounts = arena.array(mounts.enumerated().map { (index, mount) in
            var lowered = petrel_mount()
            lowered.tree_fd = mountTrees[index] ?? -1
            lowered.idmapped = mount.idmap != nil && lowered.tree_fd >= 0 ? 1 : 0
            lowered.kind = mount.kind.rawValue
            lowered.source = arena.string(mount.source)
            lowered.destination = arena.string(mount.destination)
            lowered.fstype = arena.optionalString(mount.type)
            lowered.data = arena.optionalString(mount.data)
            lowered.flags = mount.flags
            lowered.propagation = mount.propagation
            lowered.recursive = mount.recursive ? 1 : 0
            lowered.target_is_file = mount.targetIsFile ? 1 : 0
            lowered.attr_set = mount.recursiveAttrSet
            lowered.attr_clr = mount.recursiveAttrClear
            lowered.copy_up = mount.copyUp ? 1 : 0
            lowered.cgroup_v1_subsystems = mount.cgroupSubsystems.isEmpty ? nil : arena.stringArray(mount.cgroupSubsystems)
            lowered.cgroup_v1_sources = mount.cgroupSources.count == mount.cgroupSubsystems.count && !mount.cgroupSources.isEmpty
                ? arena.stringArray(mount.cgroupSources) : nil
            lowered.own_cgroup = mount.ownCgroup.map { arena.string($0) }
            return lowered
        })
        plan.mount_count = mounts.count
        plan.devices = arena.array(devices.map { device in
            petrel_device(
                path: arena.string(device.path), mode: device.mode,
                rdev: UInt64(petrel_makedev(device.major, device.minor)),
                uid: device.uid, gid: device.gid, bind_from_host: device.bindFromHost ? 1 : 0)
        })
        plan.device_count = devices.count
        plan.setup_dev_symlinks = setupDevSymlinks ? 1 : 0
        plan.masked_paths = maskedPaths.isEmpty ? nil : arena.stringArray(maskedPaths)
        plan.masked_path_count = maskedPaths.count
        plan.readonly_paths = readonlyPaths.isEmpty ? nil : arena.stringArray(readonlyPaths)
        plan.readonly_path_count = readonlyPaths.count

        plan.argv = arena.stringArray(args)
        plan.envp = arena.stringArray(env)
        plan.cwd = arena.string(cwd)
        plan.uid = uid
        plan.gid = gid
        plan.additional_gids = arena.array(additionalGids)
        plan.additional_gid_count = additionalGids.count
        plan.umask = umask
        plan.terminal = terminal ? 1 : 0
        plan.console_socket_fd = consoleSocket
        plan.console_rows = consoleRows
        plan.console_cols = consoleColumns
        plan.no_new_privileges = noNewPrivileges ? 1 : 0
        if let capabilities {
            plan.set_capabilities = 1
            plan.cap_bounding = capabilities.bounding
            plan.cap_effective = capabilities.effective
            plan.cap_inheritable = capabilities.inheritable
            plan.cap_permitted = capabilities.permitted
            plan.cap_ambient = capabilities.ambient
            plan.cap_last = Capabilities.last
        }
        plan.rlimits = arena.array(rlimits.map { petrel_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) })
        plan.rlimit_count = rlimits.count
        if let oomScoreAdj {
            plan.set_oom_score_adj = 1
            plan.oom_score_adj = oomScoreAdj
        }
        plan.sysctls = arena.array(sysctls.map { petrel_sysctl(path: arena.string($0.path), value: arena.string($0.value)) })
        plan.sysctl_count = sysctls.count

        if let seccomp {
            plan.seccomp_filter = UnsafeRawPointer(arena.array(seccomp.program))
            plan.seccomp_filter_count = seccomp.instructionCount
            plan.seccomp_flags = seccomp.flags
            plan.seccomp_notify = seccomp.usesNotify ? 1 : 0
        }
        plan.preserve_fds = preserveFds
        if let stdio, stdio.count == 3 {
            plan.stdio_set = 1
            plan.stdio_fds = (stdio[0], stdio[1], stdio[2])
        }
        plan.exec_fifo = arena.optionalString(execFifo)
        plan.await_start = awaitStart ? 1 : 0
        plan.cgroup_fd = cgroupFd
        plan.pause_before_pivot = pauseBeforePivot ? 1 : 0
        plan.exec_mode = execMode ? 1 : 0
        plan.exec_path = arena.optionalString(execPath)
        plan.apparmor_profile = arena.optionalString(apparmorProfile)
        plan.selinux_label = arena.optionalString(selinuxLabel)
        plan.time_offsets = arena.optionalString(timeOffsets)
        plan.personality = personality ?? -1
        if let memoryPolicy {
            plan.mempolicy_set = 1
            plan.mempolicy_mode = memoryPolicy.mode
            plan.mempolicy_nodes = arena.array(memoryPolicy.nodemask.map { UInt($0) })
            plan.mempolicy_maxnode = UInt(memoryPolicy.maxnode)
        }
        if let scheduler {
            plan.sched_set = 1
            plan.sched_policy = scheduler.policy
            plan.sched_flags = scheduler.flags
            plan.sched_nice = scheduler.nice
            plan.sched_priority = scheduler.priority
            plan.sched_runtime = scheduler.runtime
            plan.sched_deadline = scheduler.deadline
            plan.sched_period = scheduler.period
        }
        plan.sched_cpus_restricted = cpusRestricted ? 1 : 0
        if let ioPriority {
            plan.ioprio_set = 1
            plan.ioprio = ioPriority
        }
        plan.cpu_initial = cpuAffinityInitial.flatMap { arena.array(Self.fixedMask($0)) }
        plan.cpu_final = cpuAffinityFinal.flatMap { arena.array(Self.fixedMask($0)) }
        return plan
    }

    /// The executor reads exactly PETREL_CPU_MASK_WORDS words.
    static func fixedMask(_ mask: [UInt64]) -> [UInt64] {
        let words = Int(PETREL_CPU_MASK_WORDS)
        return Array((mask + [UInt64](repeating: 0, count: max(0, words - mask.count))).prefix(words))
    }
}
