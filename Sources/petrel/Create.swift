import ArgumentParser
import PetrelRuntime

/// Options shared by `create` and `run`.
struct ContainerOptions: ParsableArguments {
    @Option(name: [.customShort("b"), .long], help: "Path to the bundle directory.")
    var bundle: String = "."

    @Option(name: .customLong("pid-file"), help: "File to write the init's pid to.")
    var pidFile: String?

    @Option(name: .customLong("console-socket"), help: "Unix socket that receives the pty master.")
    var consoleSocket: String?

    @Flag(name: .customLong("no-pivot"), help: "Use MS_MOVE and chroot instead of pivot_root.")
    var noPivot = false

    @Flag(name: .customLong("no-new-keyring"), help: "Do not create a session keyring (accepted).")
    var noNewKeyring = false

    @Option(name: .customLong("preserve-fds"), help: "Pass N extra fds (3..3+N-1) to the container.")
    var preserveFds: Int32 = 0

    func request(id: String, global: GlobalOptions, detached: Bool) throws(RuntimeError) -> CreateRequest {
        guard preserveFds >= 0 else { throw RuntimeError("--preserve-fds: must not be negative") }
        var request = CreateRequest(id: id, bundle: bundle)
        request.pidFile = pidFile
        request.consoleSocket = consoleSocket
        request.noPivot = noPivot
        request.preserveFds = preserveFds
        request.detached = detached
        request.cgroupDriver = global.systemdCgroup ? .systemd : .cgroupfs
        return request
    }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container (its process waits for start).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: ContainerOptions
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            try global.runtime.create(options.request(id: id, global: global, detached: true))
        }
    }
}
