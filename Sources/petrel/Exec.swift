import PetrelRuntime

enum ExecFlags {
    static let consoleSocket = Flag("console-socket", valueName: "SOCKET", help: "Unix socket that receives the pty master.")
    static let cwd = Flag("cwd", valueName: "DIR", help: "Working directory inside the container.")
    static let env = Flag("env", short: "e", kind: .values, valueName: "KEY=VALUE", help: "Set an environment variable.")
    static let tty = Flag("tty", short: "t", kind: .bool, help: "Allocate a pseudo-TTY.")
    static let user = Flag("user", short: "u", valueName: "UID[:GID]", help: "UID[:GID] to run as.")
    static let additionalGids = Flag("additional-gids", short: "g", kind: .values, valueName: "GID", help: "An additional gid.")
    static let process = Flag("process", short: "p", valueName: "FILE", help: "Path to a process.json.")
    static let detach = Flag("detach", short: "d", kind: .bool, help: "Do not wait for the process.")
    static let pidFile = Flag("pid-file", valueName: "FILE", help: "File to write the process's pid to.")
    static let processLabel = Flag("process-label", valueName: "LABEL", help: "SELinux label for the process.")
    static let apparmor = Flag("apparmor", valueName: "PROFILE", help: "AppArmor profile for the process.")
    static let noNewPrivs = Flag("no-new-privs", kind: .bool, help: "Set no_new_privs for the process.")
    static let cap = Flag("cap", short: "c", kind: .values, valueName: "CAP",
                          help: "Add a capability (bounding, effective, permitted; never inheritable).")
    static let preserveFds = Flag("preserve-fds", valueName: "N", default: "0", help: "Pass N extra fds (3..3+N-1).")
    static let ignorePaused = Flag("ignore-paused", kind: .bool, help: "Allow exec in a paused container.")
    static let cgroup = Flag("cgroup", kind: .values, valueName: "[CONTROLLER[,CONTROLLER]:]PATH",
                             help: "Run in an existing sub-cgroup.")
    static let all = [consoleSocket, cwd, env, tty, user, additionalGids, process, detach, pidFile, processLabel,
                      apparmor, noNewPrivs, cap, preserveFds, ignorePaused, cgroup]

    static func request(_ arguments: Arguments) throws(UsageError) -> ExecRequest {
        let preserveFds = try arguments.number(ExecFlags.preserveFds, as: Int32.self) ?? 0
        guard preserveFds >= 0 else { throw UsageError(message: "--preserve-fds: must not be negative", verb: arguments.verb) }
        var request = ExecRequest(id: arguments.operand(0))
        let command = Array(arguments.operands.dropFirst())
        request.processFile = arguments.value(process)
        request.args = command.first == "--" ? Array(command.dropFirst()) : command
        request.terminal = arguments.isSet(tty)
        request.cwd = arguments.value(cwd)
        request.env = arguments.values(env)
        request.user = arguments.value(user)
        request.additionalGids = try arguments.numbers(additionalGids, as: UInt32.self)
        request.capabilities = arguments.values(cap)
        request.noNewPrivileges = arguments.isSet(noNewPrivs)
        request.apparmorProfile = arguments.value(apparmor)
        request.processLabel = arguments.value(processLabel)
        request.consoleSocket = arguments.value(consoleSocket)
        request.pidFile = arguments.value(pidFile)
        request.detached = arguments.isSet(detach)
        request.preserveFds = preserveFds
        request.ignorePaused = arguments.isSet(ignorePaused)
        request.subCgroups = arguments.values(cgroup)
        return request
    }
}

extension Verb {
    static let exec = Verb(
        name: "exec", abstract: "Run a new process inside a container.", flags: ExecFlags.all,
        operands: [.containerID, Operand(name: "command", help: "The command and its arguments (or -p process.json).", rest: true)]
    ) { arguments in
        let request: ExecRequest
        do throws(UsageError) {
            request = try ExecFlags.request(arguments)
        } catch {
            return usageFailure(error)
        }
        var code: Int32 = 0
        // runc exits 255 when exec itself fails (the process's own codes are 0-255 too).
        let status = perform(arguments) { globals throws(RuntimeError) in code = try (try globals.runtime).exec(request) }
        return status != 0 ? 255 : code
    }
}
