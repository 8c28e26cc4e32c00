import OCI
import PetrelRuntime

/// runc's checkpoint flags, one definition each (restore shares most of them).
enum CheckpointFlags {
    static let imagePath = Flag("image-path", valueName: "DIR", help: "Path for saving criu image files (default ./checkpoint).")
    static let workPath = Flag("work-path", valueName: "DIR", help: "Path for saving work files and logs.")
    static let parentPath = Flag("parent-path", valueName: "DIR", help: "Path for previous criu image files in pre-dump.")
    static let leaveRunning = Flag("leave-running", kind: .bool, help: "Leave the process running after checkpointing.")
    static let tcpEstablished = Flag("tcp-established", kind: .bool, help: "Allow open tcp connections.")
    static let extUnixSk = Flag("ext-unix-sk", kind: .bool, help: "Allow external unix sockets.")
    static let shellJob = Flag("shell-job", kind: .bool, help: "Allow shell jobs.")
    static let lazyPages = Flag("lazy-pages", kind: .bool, help: "Use userfaultfd to lazily restore memory pages.")
    static let statusFd = Flag("status-fd", valueName: "FD", default: "-1", help: "criu writes \\0 to this FD once lazy-pages is ready.")
    static let fileLocks = Flag("file-locks", kind: .bool, help: "Handle file locks, for safety.")
    static let preDump = Flag("pre-dump", kind: .bool, help: "Dump the container's memory only, leave it running.")
    static let manageCgroupsMode = Flag("manage-cgroups-mode", valueName: "MODE",
                                        help: "cgroups mode: 'soft' (default), 'full', 'strict' or 'ignore'.")
    static let emptyNs = Flag("empty-ns", kind: .values, valueName: "NAMESPACE",
                              help: "Create a namespace, but don't restore its properties.")
    static let autoDedup = Flag("auto-dedup", kind: .bool, help: "Enable auto deduplication of memory images.")

    static let all = [imagePath, workPath, parentPath, leaveRunning, tcpEstablished, extUnixSk, shellJob, lazyPages,
                      statusFd, fileLocks, preDump, manageCgroupsMode, emptyNs, autoDedup]

    /// The CRIU flags restore shares (runc's restore has no --parent-path, --leave-running,
    /// --pre-dump or --status-fd).
    static let restoreShared = [imagePath, workPath, tcpEstablished, extUnixSk, shellJob, lazyPages, fileLocks,
                                manageCgroupsMode, emptyNs, autoDedup]

    static func request(_ arguments: Arguments) throws(UsageError) -> CheckpointRequest {
        let imagePath = arguments.value(imagePath).map { FileSystem.absolute($0) }
            ?? FileSystem.currentDirectory() + "/checkpoint"
        var request = CheckpointRequest(id: arguments.operand(0), imagePath: imagePath)
        request.workPath = arguments.value(workPath).map { FileSystem.absolute($0) }
        request.parentPath = arguments.value(parentPath)
        request.leaveRunning = arguments.isSet(leaveRunning)
        request.tcpEstablished = arguments.isSet(tcpEstablished)
        request.extUnixSk = arguments.isSet(extUnixSk)
        request.shellJob = arguments.isSet(shellJob)
        request.lazyPages = arguments.isSet(lazyPages)
        if arguments.verb.flags.contains(where: { $0.name == statusFd.name }) {
            request.statusFd = try arguments.number(statusFd, as: Int32.self) ?? -1
        }
        request.fileLocks = arguments.isSet(fileLocks)
        request.preDump = arguments.isSet(preDump)
        request.autoDedup = arguments.isSet(autoDedup)
        if let mode = arguments.value(manageCgroupsMode) {
            guard let parsed = CriuCgroupMode(flag: mode) else {
                throw UsageError(message: "invalid --manage-cgroups-mode \(JSONText.quote(mode)): want soft, full, strict or ignore",
                                 verb: arguments.verb)
            }
            request.cgroupsMode = parsed
        }
        // runc: the network namespace's properties are never dumped (petrel, like runc, does
        // not manage network devices); --empty-ns adds more.
        request.emptyNamespaces = UInt32(NamespaceFlag.cloneFlag(.network))
        for name in arguments.values(emptyNs) {
            // runc's names (the config's namespace types); time namespaces CRIU 3.17 does not know.
            guard let type = LinuxNamespaceType(rawValue: name), type != .time else {
                throw UsageError(message: "namespace \(JSONText.quote(name)) is not supported", verb: arguments.verb)
            }
            request.emptyNamespaces |= UInt32(NamespaceFlag.cloneFlag(type))
        }
        return request
    }
}

extension Verb {
    static let checkpoint = Verb(name: "checkpoint", abstract: "Checkpoint a running container (CRIU).",
                                 flags: CheckpointFlags.all, operands: [.containerID]) { arguments in
        let request: CheckpointRequest
        do throws(UsageError) {
            request = try CheckpointFlags.request(arguments)
        } catch {
            return usageFailure(error)
        }
        return perform(arguments) { globals throws(RuntimeError) in try globals.runtime.checkpoint(request) }
    }
}
