import PetrelRuntime

enum RestoreFlags {
    static let noSubreaper = Flag("no-subreaper", kind: .bool, help: "Disable the use of the subreaper used to reap reparented processes.")
    static let all = CheckpointFlags.restoreShared + [
        ContainerFlags.consoleSocket, ContainerFlags.bundle, RunFlags.detach, ContainerFlags.pidFile, noSubreaper,
        ContainerFlags.noPivot,
    ]
}

extension Verb {
    static let restore = Verb(name: "restore", abstract: "Restore a container from a checkpoint (CRIU).",
                              flags: RestoreFlags.all, operands: [.containerID]) { arguments in
        var request: RestoreRequest
        do throws(UsageError) {
            let checkpoint = try CheckpointFlags.request(arguments)
            request = RestoreRequest(checkpoint: checkpoint, bundle: arguments.value(ContainerFlags.bundle) ?? ".")
            request.cgroupDriver = Globals(arguments).systemdCgroup ? .systemd : .cgroupfs
        } catch {
            return usageFailure(error)
        }
        request.detach = arguments.isSet(RunFlags.detach)
        request.pidFile = arguments.value(ContainerFlags.pidFile)
        request.consoleSocket = arguments.value(ContainerFlags.consoleSocket)
        request.noSubreaper = arguments.isSet(RestoreFlags.noSubreaper)
        request.noPivot = arguments.isSet(ContainerFlags.noPivot)
        var code: Int32 = 0
        let status = perform(arguments) { globals throws(RuntimeError) in code = try globals.runtime.restore(request) }
        return status != 0 ? status : code
    }
}
