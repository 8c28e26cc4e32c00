import PetrelRuntime

/// Flags shared by `create` and `run`.
enum ContainerFlags {
    static let bundle = Flag("bundle", short: "b", valueName: "DIR", default: ".", help: "Path to the bundle directory.")
    static let pidFile = Flag("pid-file", valueName: "FILE", help: "File to write the init's pid to.")
    static let consoleSocket = Flag("console-socket", valueName: "SOCKET", help: "Unix socket that receives the pty master.")
    static let noPivot = Flag("no-pivot", kind: .bool, help: "Use MS_MOVE and chroot instead of pivot_root.")
    static let noNewKeyring = Flag("no-new-keyring", kind: .bool, help: "Do not create a session keyring (accepted).")
    static let preserveFds = Flag("preserve-fds", valueName: "N", default: "0", help: "Pass N extra fds (3..3+N-1) to the container.")
    static let all = [bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds]

    static func request(_ arguments: Arguments, _ globals: Globals, detached: Bool) throws(UsageError) -> CreateRequest {
        let preserveFds = try arguments.number(ContainerFlags.preserveFds, as: Int32.self) ?? 0
        guard preserveFds >= 0 else { throw UsageError(message: "--preserve-fds: must not be negative", verb: arguments.verb) }
        var request = CreateRequest(id: arguments.operand(0), bundle: arguments.value(bundle) ?? ".")
        request.pidFile = arguments.value(pidFile)
        request.consoleSocket = arguments.value(consoleSocket)
        request.noPivot = arguments.isSet(noPivot)
        request.preserveFds = preserveFds
        request.detached = detached
        request.cgroupDriver = globals.systemdCgroup ? .systemd : .cgroupfs
        return request
    }
}

extension Verb {
    static let create = Verb(name: "create", abstract: "Create a container (its process waits for start).",
                             flags: ContainerFlags.all, operands: [.containerID]) { arguments in
        let request: CreateRequest
        do throws(UsageError) {
            request = try ContainerFlags.request(arguments, Globals(arguments), detached: true)
        } catch {
            return usageFailure(error)
        }
        return perform(arguments) { globals throws(RuntimeError) in try (try globals.runtime).create(request) }
    }
}
