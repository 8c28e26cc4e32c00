import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// `restore`'s command-line options: checkpoint's CRIU ones plus create's.
public struct RestoreRequest: Sendable {
    public var checkpoint: CheckpointRequest
    public var bundle: String
    public var detach = false
    public var pidFile: String?
    public var consoleSocket: String?
    /// Accepted as runc does; the restored init is petrel's child (CRIU's rst_sibling), so a
    /// foreground restore waits for it without being a subreaper.
    public var noSubreaper = false
    /// Accepted: CRIU switches the root itself (pivot_root in the mount namespace it builds).
    public var noPivot = false
    public var cgroupDriver = CgroupDriver.cgroupfs

    public init(checkpoint: CheckpointRequest, bundle: String) {
        self.checkpoint = checkpoint
        self.bundle = bundle
    }
}

extension Runtime {
    /// `restore`: a new container from the bundle whose init is the checkpointed process
    /// tree brought back by CRIU, `running` with its new pid. Detached, petrel returns; in
    /// the foreground it waits for the init, returns its exit code and deletes the container
    /// (as `run`). On failure nothing is left: no state, no cgroup, no process (CRIU kills
    /// what it restored), no mounts (they live in petrel's own mount namespace).
    public func restore(_ request: RestoreRequest) throws(RuntimeError) -> Int32 {
        let id = request.checkpoint.id
        try KernelVersion.check()
        try StateStore.validate(id: id)
        let bundle = try Bundle.load(request.bundle)
        let terminal = bundle.spec.process?.terminal ?? false
        if terminal && request.consoleSocket == nil {
            throw RuntimeError("cannot allocate tty if petrel will detach without setting console socket")
        }
        if !terminal && request.consoleSocket != nil {
            throw RuntimeError("cannot use console socket if petrel will not detach or allocate tty")
        }
        let criu = try Criu.requireUsable()
        if request.checkpoint.lazyPages { try Criu.requireFeature(lazyPages: true, version: criu) }
        // A missing image directory is refused before anything exists.
        let images = open(request.checkpoint.imagePath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard images >= 0 else {
            throw RuntimeError.sys("cannot open checkpoint directory", "open", path: request.checkpoint.imagePath)
        }
        defer { close(images) }
        let descriptors = try RestoreSetup.descriptors(images: request.checkpoint.imagePath)
        let layout = CgroupLayout.detect()
        let linux = bundle.spec.linux
        let planned = try Cgroups.plan(cgroupsPath: linux?.cgroupsPath, id: id, driver: request.cgroupDriver, layout: layout)
        let deviceRules = try DeviceRules.rules(resources: linux?.resources?.devices, devices: linux?.devices)
        guard let creator = ProcessIdentity.current() else { throw RuntimeError("cannot read /proc/self/stat") }

        let lock = try store.create(id)
        defer { withExtendedLifetime(lock) {} }
        var record = ContainerRecord(
            ociVersion: bundle.spec.ociVersion, id: id, pid: 0, bundle: bundle.path,
            rootfs: bundle.rootfs, created: Clock.rfc3339(nanoseconds: true), owner: "",
            annotations: bundle.spec.annotations, initStartTime: 0,
            ownPidNamespace: (linux?.namespaces ?? []).contains { $0.type == .pid && ($0.path ?? "").isEmpty },
            cgroup: planned, creator: creator)
        var cgroup: (any CgroupManager)?
        var consoleSocket: Int32 = -1
        var restoredPid: Int32 = 0
        do throws(RuntimeError) {
            let draft = try store.beginRecord(record)
            if let path = request.consoleSocket {
                consoleSocket = petrel_unix_connect(path)
                guard consoleSocket >= 0 else { throw RuntimeError.sys("cannot connect to console socket", "connect", path: path) }
            }
            let manager = try Cgroups.create(planned, layout: layout)
            cgroup = manager
            try manager.apply(linux?.resources ?? LinuxResources(), devices: deviceRules)
            try RestoreSetup.privateRoot(bundle.rootfs)

            let workPath = request.checkpoint.workPath ?? store.directory(id) + "/criu.work"
            try FileSystem.makeDirectories(workPath, mode: 0o700)
            let work = open(workPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard work >= 0 else { throw RuntimeError.sys("cannot open the work directory", "open", path: workPath) }
            defer { close(work) }
            var options = RestoreSetup.options(request.checkpoint, spec: bundle.spec, bundle: bundle.path,
                                               rootfs: bundle.rootfs, cgroup: manager.record, descriptors: descriptors)
            options.imagesDirFd = images
            options.workDirFd = work
            options.orphanPtsMaster = terminal ? true : nil
            var launch = CriuSwrk.Launch()
            launch.stdio = true
            // Joined namespaces named external at the dump are opened and inherited again.
            let joined = try RestoreSetup.joinedNamespaces(bundle.spec)
            defer { for item in joined { close(item.fd) } }
            for (index, item) in joined.enumerated() {
                launch.extraFds.append(item.fd)
                options.inheritFds.append((item.key, Int32(4 + index)))
            }
            launch.prepare = { (criuPid, message) throws(RuntimeError) in
                // CRIU restores the tree into the cgroup it runs in: it goes into the
                // container's, named as /proc/PID/cgroup shows it (runc does the same).
                try manager.addProcess(criuPid)
                message.options?.cgroupRoots = try RestoreSetup.cgroupRoots(pid: criuPid)
            }
            let response = try CriuSwrk.call(CriuRequest(type: .restore, options: options), launch: launch) { (notification) throws(RuntimeError) in
                switch notification.script {
                case "setup-namespaces":
                    // The namespaces exist, the process does not run yet: prestart and
                    // createRuntime hooks, as runc runs them at this point.
                    let state = State(ociVersion: bundle.spec.ociVersion, id: id, status: .creating,
                                      pid: notification.pid ?? 0, bundle: bundle.path, annotations: bundle.spec.annotations)
                    for phase in [HookRunner.Phase.prestart, .createRuntime] {
                        try HookRunner.run(phase, spec: bundle.spec, state: state)
                    }
                case "post-restore":
                    restoredPid = notification.pid ?? 0
                case "orphan-pts-master":
                    guard notification.fd >= 0, consoleSocket >= 0 else { return }
                    guard petrel_send_fd(consoleSocket, notification.fd, "/dev/ptmx") == 0 else {
                        throw RuntimeError.sys("cannot send the restored terminal to the console socket", "sendmsg")
                    }
                default: break
                }
            }
            guard response.success else {
                throw Criu.failure(.restore, response: response, log: workPath + "/restore.log",
                                   kept: request.checkpoint.workPath != nil)
            }
            if let pid = response.restoredPid, pid > 0 { restoredPid = pid }
            guard restoredPid > 0, let stat = ProcessStat.read(pid: restoredPid) else {
                throw RuntimeError("criu restore reported no running init (pid \(restoredPid))")
            }
            record.pid = restoredPid
            record.initStartTime = stat.startTime
            record.cgroup = manager.record
            record.noteConfigUses(bundle.spec)
            record.creator = nil
            try store.writeConfig(id, document: bundle.document.isEmpty ? StateStore.encoded(bundle.spec) : bundle.document)
            try draft.publish(record)
            if let pidFile = request.pidFile {
                try FileSystem.writeAtomically(FileSystem.absolute(pidFile), Array("\(restoredPid)".utf8))
            }
            if consoleSocket >= 0 {
                close(consoleSocket)
                consoleSocket = -1
            }
        } catch {
            if restoredPid > 0 { _ = Glibc.kill(restoredPid, SIGKILL) }
            if let cgroup { try? cgroup.destroy() }
            if consoleSocket >= 0 { close(consoleSocket) }
            try? store.remove(id)
            throw error
        }
        HookRunner.runWarning(.poststart, spec: bundle.spec, state: State(
            ociVersion: bundle.spec.ociVersion, id: id, status: .running, pid: restoredPid, bundle: bundle.path,
            annotations: bundle.spec.annotations))
        guard !request.detach else { return 0 }
        withExtendedLifetime(lock) {}
        return try waitForeground(record)
    }

    /// Foreground restore: the init is petrel's child (rst_sibling); its exit code is ours
    /// (128+signal when killed), then the container is deleted as `run` does.
    private func waitForeground(_ record: ContainerRecord) throws(RuntimeError) -> Int32 {
        var status: Int32 = 0
        while waitpid(record.pid, &status, 0) < 0 {
            guard errno == EINTR else { throw RuntimeError.sys("cannot wait for the restored init", "waitpid") }
        }
        try delete(record.id, force: true)
        if petrel_wifsignaled(status) != 0 { return 128 + petrel_wtermsig(status) }
        return petrel_wexitstatus(status)
    }
}
