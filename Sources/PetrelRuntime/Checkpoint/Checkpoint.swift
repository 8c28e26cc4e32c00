import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// `checkpoint`'s command-line options (runc's names; specs/checkpoint.md).
public struct CheckpointRequest: Sendable {
    public var id: String
    /// Where CRIU writes the images (runc: ./checkpoint by default, made 0700).
    public var imagePath: String
    /// Where CRIU writes dump.log (runc: criu.work in the container's state directory).
    public var workPath: String?
    /// A pre-dump's images, relative to imagePath as CRIU reads it.
    public var parentPath: String?
    public var leaveRunning = false
    public var tcpEstablished = false
    public var extUnixSk = false
    public var shellJob = false
    public var fileLocks = false
    public var preDump = false
    public var cgroupsMode: CriuCgroupMode?
    /// CLONE_NEW* bits of namespaces CRIU should not dump the properties of.
    public var emptyNamespaces: UInt32 = 0
    public var autoDedup = false
    public var lazyPages = false
    public var statusFd: Int32 = -1

    public init(id: String, imagePath: String) {
        self.id = id
        self.imagePath = imagePath
    }
}

extension Runtime {
    /// `checkpoint`: CRIU dumps the container's process tree into request.imagePath. As runc:
    /// a dump stops the container and the container is then destroyed (its cgroup and state
    /// go, poststop hooks run) unless --leave-running; a pre-dump only copies memory and the
    /// container keeps running.
    public func checkpoint(_ request: CheckpointRequest) throws(RuntimeError) {
        let destroy = try dump(request)
        // Outside the lock dump() held: delete takes it itself.
        if destroy { try delete(request.id, force: true) }
    }

    /// Returns whether the container must be destroyed now.
    private func dump(_ request: CheckpointRequest) throws(RuntimeError) -> Bool {
        let lock = try store.lock(request.id)
        defer { withExtendedLifetime(lock) {} }
        let record = try store.load(request.id)
        let status = status(of: record)
        // runc's own words and test (it checks before asking CRIU anything).
        guard status == .running || status == .paused else {
            throw RuntimeError("Container cannot be checkpointed in \(status.rawValue) state")
        }
        let criu = try Criu.requireUsable()
        let config = try store.loadConfig(request.id)
        if request.preDump || request.parentPath != nil {
            try Criu.requireFeature(memoryTracking: true, version: criu)
        }
        if request.lazyPages { try Criu.requireFeature(lazyPages: true, version: criu) }

        try FileSystem.makeDirectories(request.imagePath, mode: 0o700)
        let workPath = request.workPath ?? store.directory(request.id) + "/criu.work"
        try FileSystem.makeDirectories(workPath, mode: 0o700)
        let images = try openDirectory(request.imagePath)
        defer { close(images) }
        let work = try openDirectory(workPath)
        defer { close(work) }

        var options = CriuOptions()
        options.imagesDirFd = images
        options.workDirFd = work
        options.pid = record.pid
        options.logLevel = 4
        options.logFile = request.preDump ? "pre-dump.log" : "dump.log"
        options.root = record.rootfs
        options.manageCgroups = true
        options.manageCgroupsMode = request.cgroupsMode
        options.leaveRunning = request.leaveRunning || request.preDump ? true : nil
        options.tcpEstablished = request.tcpEstablished
        options.extUnixSk = request.extUnixSk
        options.shellJob = request.shellJob
        options.fileLocks = request.fileLocks
        options.autoDedup = request.autoDedup
        options.emptyNamespaces = request.emptyNamespaces == 0 ? nil : request.emptyNamespaces
        // The pty master lives outside the container (console socket): CRIU re-creates it
        // on restore and hands it back (orphan-pts-master) instead of failing the dump.
        options.orphanPtsMaster = true
        if let parent = request.parentPath {
            options.parentImage = parent
            options.trackMemory = true
        }
        if request.preDump { options.trackMemory = true }
        if request.lazyPages {
            options.lazyPages = true
            if request.statusFd >= 0 { options.statusFd = request.statusFd }
        }
        // The cgroup freezer stops the tree atomically (CRIU would ptrace-stop it task by task).
        if let cgroup = record.cgroup {
            let freezer = cgroup.version == 2 ? cgroup.directories.first : cgroup.directories.first { $0.carries("freezer") }
            options.freezeCgroup = freezer?.path
        }
        options.externalMounts = try CheckpointMounts.external(config: config, initPid: record.pid)
        options.external = try CheckpointMounts.externalNamespaces(config: config)

        if !request.preDump { try writeDescriptors(pid: record.pid, images: request.imagePath) }
        let type: CriuRequestType = request.preDump ? .preDump : .dump
        let response = try CriuSwrk.call(CriuRequest(type: type, options: options))
        guard response.success else {
            throw Criu.failure(type, response: response, log: workPath + "/" + (options.logFile ?? ""))
        }
        return !(request.leaveRunning || request.preDump)
    }

    private func openDirectory(_ path: String) throws(RuntimeError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError.sys("cannot open checkpoint directory", "open", path: path) }
        return fd
    }

    /// descriptors.json, as runc writes it: what the init's fds 0-2 were ("/dev/null",
    /// "pipe:[1234]", "/dev/pts/0"), so a restore can hand CRIU the new ones in their place.
    private func writeDescriptors(pid: Int32, images: String) throws(RuntimeError) {
        var items: [String] = []
        for fd in 0..<3 {
            let link = "/proc/\(pid)/fd/\(fd)"
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink(link, &buffer, buffer.count - 1)
            guard count >= 0 else { throw RuntimeError.sys("cannot read the container's stdio", "readlink", path: link) }
            items.append(JSONText.quote(String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        try FileSystem.writeAtomically(images + "/descriptors.json", Array(("[" + items.joined(separator: ",") + "]").utf8), mode: 0o600)
    }
}
