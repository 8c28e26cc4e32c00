import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// `create`: sets the container up and leaves its init blocked on the exec fifo.
    /// On any failure nothing is left: no process, no state directory, no mounts (the
    /// mounts live only in the init's mount namespace, which dies with it).
    /// Everything that can refuse the config (Bundle.load's validation, then the checks
    /// that need the host: LSMs, libseccomp, cgroups, resctrl, net devices) runs before
    /// the first side effect, `store.create`.
    @discardableResult
    public func create(_ request: CreateRequest) throws(RuntimeError) -> ContainerRecord {
        try create(request, loaded: nil, forRun: false).record
    }

    /// A container create made. After `run`'s create its init waits on the sync socket for
    /// the start (no exec fifo), and the state directory stays locked until then.
    struct Created {
        var record: ContainerRecord
        /// `run`: the init, waiting for `release(_:known:starting:)`; nil after `create`.
        var initProcess: InitProcess?
        var lock: ContainerLock
    }

    /// `loaded`: the bundle `run` has read already.
    func create(_ request: CreateRequest, loaded: Bundle?, forRun: Bool) throws(RuntimeError) -> Created {
        try KernelVersion.check()
        try StateStore.validate(id: request.id)
        try PreservedFds.check(Self.socketActivatedFds() + request.preserveFds)
        let bundle: Bundle
        if let loaded { bundle = loaded } else { bundle = try Bundle.load(request.bundle) }
        Logger.shared.debug("create \(request.id): bundle \(bundle.path), ociVersion \(bundle.spec.ociVersion), rootfs \(bundle.rootfs)")
        let terminal = bundle.spec.process?.terminal ?? false
        let hasConsoleSocket = request.consoleSocket != nil || request.consoleSocketFd >= 0
        if terminal && request.detached && !hasConsoleSocket {
            throw RuntimeError("cannot allocate tty if petrel will detach without setting console socket")
        }
        if !terminal && request.consoleSocket != nil {
            throw RuntimeError("cannot use console socket if petrel will not detach or allocate tty")
        }
        if terminal && request.consoleSocket == nil && request.consoleSocketFd < 0 {
            throw RuntimeError("process.terminal: a terminal needs --console-socket (or run in the foreground)")
        }

        // sd_notify pass-through (runc's behaviour when NOTIFY_SOCKET is set).
        var spec = bundle.spec
        let notify = NotifySocket.fromEnvironment(stateDirectory: store.directory(request.id))
        notify?.configure(&spec)
        // Socket activation (runc): fds 3.. handed to the runtime by systemd go on to the
        // container first, then the --preserve-fds ones.
        let activated = Self.socketActivatedFds()
        if activated > 0 {
            let env = spec.process?.env ?? []
            spec.process?.env = env + ["LISTEN_FDS=\(activated)", "LISTEN_PID=1"]
        }

        var options = LaunchOptions()
        options.noPivot = request.noPivot
        options.preserveFds = activated + request.preserveFds
        options.execFifo = forRun ? nil : store.execFifo(request.id)
        options.awaitStart = forRun
        options.pauseBeforePivot = HookRunner.needsPause(bundle.spec)
        let layout = CgroupLayout.detect()
        var plan = try PlanBuilder.forHost(rootfs: bundle.rootfs, cgroups: layout, stateRoot: store.root)
            .build(spec, bundle: bundle.path, rootfs: bundle.rootfs, options: options)
        plan.stdio = request.stdio
        Logger.shared.debug("create \(request.id): plan: \(plan.namespaces.count) namespaces, \(plan.mounts.count) mounts, seccomp \(plan.seccomp == nil ? "none" : "compiled"), preserved fds \(options.preserveFds)")
        let linux = bundle.spec.linux
        let deviceRules = try DeviceRules.rules(resources: linux?.resources?.devices, devices: linux?.devices)
        let intelRdt = try IntelRdt.plan(linux?.intelRdt, id: request.id)
        let netDevices = try NetDevices.plan(linux?.netDevices, namespaces: linux?.namespaces ?? [])
        let driver = request.systemdFormSelectsDriver && CgroupPath.hasSystemdForm(linux?.cgroupsPath) ? .systemd : request.cgroupDriver
        var plannedCgroup = try Cgroups.plan(cgroupsPath: linux?.cgroupsPath, id: request.id, driver: driver, layout: layout)
        if rootless {
            // Before any side effect: what an unprivileged caller cannot do is refused with
            // its field named; what needs privileges is replaced (specs/rootless.md).
            try Rootless.check(spec)
            let delegated = Rootless.cgroupDelegated(plannedCgroup, layout: layout)
            if !delegated {
                try Rootless.checkWithoutCgroup(linux, layout: layout)
                plannedCgroup = CgroupRecord(version: plannedCgroup.version, directories: [], created: [])
            }
            Rootless.adjust(&plan, hasCgroup: delegated)
        }
        if layout.mode == .unified, let memory = linux?.resources?.memory {
            // cgroup v2 takes swap apart from memory: a swap below the limit only fails
            // there, and is better refused before the cgroup exists.
            _ = try CgroupConversions.swapV2(swap: memory.swap ?? 0, limit: memory.limit ?? 0)
        }
        guard let creator = ProcessIdentity.current() else { throw RuntimeError("cannot read /proc/self/stat") }

        let lock = try store.create(request.id)
        // Provisional until the init is ready: see ContainerRecord. The config is saved
        // beside the complete record; nothing reads it from a provisional one.
        var record = ContainerRecord(
            ociVersion: bundle.spec.ociVersion, id: request.id, pid: 0, bundle: bundle.path,
            rootfs: bundle.rootfs, created: Clock.rfc3339(nanoseconds: true), owner: "",
            annotations: bundle.spec.annotations, initStartTime: 0,
            ownPidNamespace: plan.namespaces.contains { $0.cloneFlag == NamespaceFlag.cloneFlag(.pid) && $0.path == nil },
            cgroup: plannedCgroup, creator: creator)
        var consoleSocket: Int32 = -1
        var initProcess: InitProcess?
        var cgroup: (any CgroupManager)?
        var cgroupFd: Int32 = -1
        do throws(RuntimeError) {
            let draft = try store.beginRecord(record)
            try notify?.makeDirectory()
            Logger.shared.debug("create \(request.id): provisional record \(store.draftPath(request.id))")
            if !forRun {
                guard petrel_mkfifo(store.execFifo(request.id), 0o622) == 0 else {
                    throw RuntimeError.sys("cannot create exec fifo", "mkfifo", path: store.execFifo(request.id))
                }
            }
            if request.consoleSocketFd >= 0 {
                // CLOEXEC: the hooks run before the init takes the socket and must not get it.
                consoleSocket = fcntl(request.consoleSocketFd, F_DUPFD_CLOEXEC, 3)
                guard consoleSocket >= 0 else { throw RuntimeError.sys("cannot use the console socket", "fcntl(F_DUPFD_CLOEXEC)") }
            } else if let path = request.consoleSocket {
                consoleSocket = petrel_unix_connect(path)
                guard consoleSocket >= 0 else { throw RuntimeError.sys("cannot connect to console socket", "connect", path: path) }
            }
            // The cgroup is complete, limits and device filter included, before the init
            // exists: it is born inside (v2, CLONE_INTO_CGROUP) or moved in before it runs
            // a single step of its own (v1), so nothing escapes the limits.
            let manager = try Cgroups.create(plannedCgroup, layout: layout)
            Logger.shared.debug("create \(request.id): cgroup v\(manager.record.version): \(manager.record.directories.map(\.path).joined(separator: " "))")
            cgroup = manager
            if !manager.record.directories.isEmpty {
                try manager.apply(linux?.resources ?? LinuxResources(), devices: rootless ? nil : deviceRules)
            }
            cgroupFd = try manager.openDirectoryForClone() ?? -1
            Self.bindOwnCgroups(&plan, record: manager.record)
            let trees = try IdmappedTrees(for: plan, rootless: rootless)
            let child = try InitProcess(plan: plan, spec: bundle.spec, consoleSocket: consoleSocket, cgroupFd: cgroupFd,
                                        mountTrees: trees.fds)
            trees.close()
            initProcess = child
            Logger.shared.debug("create \(request.id): init cloned, host pid \(child.pid)")
            if cgroupFd >= 0 {
                close(cgroupFd)
                cgroupFd = -1
            } else {
                try manager.addProcess(child.pid)
            }
            try writeIdMappings(plan, spec: spec, pid: child.pid)
            try NetDevices.move(netDevices, initPid: child.pid)
            if let intelRdt { try IntelRdt.apply(intelRdt, id: request.id, pid: child.pid) }
            try child.proceed()
            if options.pauseBeforePivot {
                // The namespaces exist, the mounts are done, the root is not switched yet.
                try child.waitFor(PETREL_MSG_MOUNTS_DONE)
                let state = State(ociVersion: bundle.spec.ociVersion, id: request.id, status: .creating, pid: child.pid,
                                  bundle: bundle.path, annotations: bundle.spec.annotations)
                for phase in [HookRunner.Phase.prestart, .createRuntime, .createContainer] {
                    try HookRunner.run(phase, spec: bundle.spec, state: state, initPid: child.pid, rootfs: bundle.rootfs)
                }
                try child.proceed()
            }
            try child.waitForReady { (listenerFd) throws(RuntimeError) in
                try SeccompListener.send(listenerFd, spec: bundle.spec, id: request.id, pid: child.pid, bundle: bundle.path)
            }
            Logger.shared.debug("create \(request.id): init \(child.pid) ready (mounts, devices, root switch, identity done)")

            guard let stat = ProcessStat.read(pid: child.pid) else {
                throw RuntimeError("container init \(child.pid) exited during create")
            }
            record.pid = child.pid
            record.initStartTime = stat.startTime
            record.cgroup = manager.record
            record.noteConfigUses(bundle.spec)
            record.creator = nil
            // The config first: a complete record always has it beside it.
            try store.writeConfig(request.id, document: bundle.document.isEmpty ? StateStore.encoded(bundle.spec) : bundle.document)
            try draft.publish(record)
            // Until now the init dies with this process; only a recorded one may outlive it.
            // `run`'s init stops dying with it at the start.
            if !forRun { try child.confirmRecorded() }
            Logger.shared.debug("create \(request.id): recorded; the init waits on \(forRun ? "the start" : store.execFifo(request.id))")
            if let pidFile = request.pidFile {
                try FileSystem.writeAtomically(FileSystem.absolute(pidFile), Array("\(child.pid)".utf8))
            }
            if consoleSocket >= 0 { close(consoleSocket) }
            if forRun { return Created(record: record, initProcess: child, lock: lock) }
            child.release()
            return Created(record: record, initProcess: nil, lock: lock)
        } catch {
            initProcess?.abort()
            let reported = SetupOOM.explain(error, cgroup: cgroup, spec: bundle.spec)
            if cgroupFd >= 0 { close(cgroupFd) }
            var cleaned = true
            if let cgroup {
                do throws(RuntimeError) {
                    try cgroup.destroy()
                } catch let cleanup {
                    // The provisional record keeps naming the cgroup for `delete --force`.
                    cleaned = false
                    Logger.shared.warning("cannot remove the cgroup of the failed container (`delete --force` retries): \(cleanup)")
                }
            }
            if consoleSocket >= 0 { close(consoleSocket) }
            if intelRdt != nil { IntelRdt.remove(linux?.intelRdt, id: request.id) }
            if cleaned { try? store.remove(request.id) }
            throw reported
        }
    }

    /// Without a cgroup namespace a v1 "cgroup" mount shows the container's own cgroup
    /// directories (runc binds them), not the host's whole hierarchies.
    static func bindOwnCgroups(_ plan: inout ExecutionPlan, record: CgroupRecord) {
        if record.version == 2 {
            // Used only if cgroup2 cannot be mounted (a user namespace): never the host's tree.
            for index in plan.mounts.indices where plan.mounts[index].type == "cgroup2" {
                plan.mounts[index].ownCgroup = record.directories.first?.path
            }
            return
        }
        // Without a cgroup namespace they are bound instead of the hierarchies; with one, only
        // where a hierarchy cannot be mounted (EPERM), never the host's whole hierarchy.
        for index in plan.mounts.indices where plan.mounts[index].kind == .cgroupV1 {
            plan.mounts[index].cgroupSources = plan.mounts[index].cgroupSubsystems.map { subsystem in
                record.directories.first { $0.hierarchy == subsystem }?.path ?? ""
            }
        }
    }

    /// LISTEN_FDS when LISTEN_PID names this process (systemd's socket activation), else 0.
    static func socketActivatedFds() -> Int32 {
        guard let fds = getenv("LISTEN_FDS"), let pid = getenv("LISTEN_PID"),
              let count = Int32(String(cString: fds)), count > 0,
              Int32(String(cString: pid)) == getpid() else { return 0 }
        return count
    }

    /// The parent writes the user namespace's maps (the child cannot map itself to
    /// arbitrary host ids) before letting the child continue.
    private func writeIdMappings(_ plan: ExecutionPlan, spec: Spec, pid: Int32) throws(RuntimeError) {
        guard !plan.uidMappings.isEmpty || !plan.gidMappings.isEmpty else { return }
        if rootless, let linux = spec.linux {
            try Rootless.writeMappings(uid: linux.uidMappings ?? [], gid: linux.gidMappings ?? [], pid: pid)
            return
        }
        if !plan.uidMappings.isEmpty {
            try FileSystem.writeText("/proc/\(pid)/uid_map", plan.uidMappings.joined(separator: "\n") + "\n")
        }
        if !plan.gidMappings.isEmpty {
            try FileSystem.writeText("/proc/\(pid)/gid_map", plan.gidMappings.joined(separator: "\n") + "\n")
        }
    }
}
