import ArgumentParser
import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a new process inside a container.",
        usage: "petrel exec [options] <container-id> <command> [args...]  ||  petrel exec -p process.json <container-id>")

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("console-socket"), help: "Unix socket that receives the pty master.")
    var consoleSocket: String?
    @Option(help: "Working directory inside the container.") var cwd: String?
    @Option(name: [.customShort("e"), .long], help: "Set an environment variable (KEY=value).") var env: [String] = []
    @Flag(name: [.customShort("t"), .long], help: "Allocate a pseudo-TTY.") var tty = false
    @Option(name: [.customShort("u"), .long], help: "UID[:GID] to run as.") var user: String?
    @Option(name: [.customShort("g"), .customLong("additional-gids")], help: "An additional gid.") var additionalGids: [UInt32] = []
    @Option(name: [.customShort("p"), .long], help: "Path to a process.json.") var process: String?
    @Flag(name: [.customShort("d"), .long], help: "Do not wait for the process.") var detach = false
    @Option(name: .customLong("pid-file"), help: "File to write the process's pid to.") var pidFile: String?
    @Option(name: .customLong("process-label"), help: "SELinux label for the process.") var processLabel: String?
    @Option(help: "AppArmor profile for the process.") var apparmor: String?
    @Flag(name: .customLong("no-new-privs"), help: "Set no_new_privs for the process.") var noNewPrivs = false
    @Option(name: [.customShort("c"), .long], help: "Add a capability (bounding, effective, permitted; never inheritable).") var cap: [String] = []
    @Option(name: .customLong("preserve-fds"), help: "Pass N extra fds (3..3+N-1).") var preserveFds: Int32 = 0
    @Flag(name: .customLong("ignore-paused"), help: "Allow exec in a paused container.") var ignorePaused = false
    @Option(name: .customLong("cgroup"), help: "Run in an existing sub-cgroup: [CONTROLLER[,CONTROLLER]:]PATH (repeatable).")
    var cgroup: [String] = []
    @Argument(help: "The container id.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func run() throws {
        var code: Int32 = 0
        // runc exits 255 when exec itself fails (the process's own codes are 0-255 too).
        do {
            try performVerb(global.globals) { () throws(RuntimeError) in
            guard preserveFds >= 0 else { throw RuntimeError("--preserve-fds: must not be negative") }
            var request = ExecRequest(id: id)
            request.processFile = process
            request.args = command.first == "--" ? Array(command.dropFirst()) : command
            request.terminal = tty
            request.cwd = cwd
            request.env = env
            request.user = user
            request.additionalGids = additionalGids
            request.capabilities = cap
            request.noNewPrivileges = noNewPrivs
            request.apparmorProfile = apparmor
            request.processLabel = processLabel
            request.consoleSocket = consoleSocket
            request.pidFile = pidFile
            request.detached = detach
            request.preserveFds = preserveFds
            request.ignorePaused = ignorePaused
            request.subCgroups = cgroup
            code = try global.runtime.exec(request)
            }
        } catch {
            throw ExitCode(255)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
