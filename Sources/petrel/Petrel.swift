import ArgumentParser
import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

@main
struct Petrel: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "petrel",
        abstract: "Petrel: an OCI container runtime (runc-compatible command line).",
        version: "petrel version \(version)\nspec: 1.2.0",
        subcommands: [
            Create.self, Start.self, State.self, Kill.self, Delete.self, Run.self, List.self,
            SpecCommand.self, Exec.self, Ps.self, Pause.self, Resume.self, Update.self, Events.self,
            Features.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    /// runc exits 1 on usage errors too (ArgumentParser would use 64).
    static func main() {
        ProtectedExecutable.ensure()
        FastPath.runIfHandled(CommandLine.arguments.dropFirst())
        var arguments = Array(CommandLine.arguments.dropFirst())
        checkVerb(&arguments)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                let line = Array((message + "\n").utf8)
                _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                Glibc.exit(1)
            }
            exit(withError: error)
        }
    }
}

extension Petrel {
    /// Verbs runc has that Petrel does not implement yet: named as unsupported rather than
    /// reported as a usage error.
    static let unsupportedVerbs = ["checkpoint", "restore"]

    /// What ArgumentParser would get wrong for runc's callers: `-v` before the verb is
    /// `--version`; an unknown verb (even with `-h`) is an error with a non-zero exit, not
    /// the root help; an unsupported verb says so.
    static func checkVerb(_ arguments: inout [String]) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "-v" {
                arguments[index] = "--version"
                return
            }
            if ["--root", "--log", "--log-format"].contains(argument) {
                index += 2
                continue
            }
            if argument.hasPrefix("-") {
                index += 1
                continue
            }
            let known = configuration.subcommands.compactMap { $0.configuration.commandName }
            if known.contains(argument) || argument == "help" { return }
            let message = unsupportedVerbs.contains(argument)
                ? "petrel: \"\(argument)\" is not supported by this build of petrel"
                : "petrel: unknown command \"\(argument)\" (see petrel --help)"
            let line = Array((message + "\n").utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            Glibc.exit(unsupportedVerbs.contains(argument) ? 1 : 3)
        }
    }
}

/// runc's global flags. They may stand before or after the verb.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Root directory for container state.")
    var root: String = "/run/petrel"

    @Option(help: "Log file (default: stderr).")
    var log: String?

    @Option(name: .customLong("log-format"), help: "Log format: text or json.")
    var logFormat: String = "text"

    @Flag(help: "Log debug messages.")
    var debug = false

    @Flag(
        name: .customLong("systemd-cgroup"),
        help: ArgumentHelp(
            "Read linux.cgroupsPath as systemd's \"slice:prefix:name\".",
            discussion: """
                Emulated on cgroupfs: the cgroup goes where runc's systemd driver puts it \
                (e.g. system.slice:petrel:abc -> /system.slice/petrel-abc.scope), but it is \
                made with mkdir and no systemd unit is created (there is no systemd to ask).
                """))
    var systemdCgroup = false

    var runtime: Runtime { Runtime(root: root) }

    var globals: Globals {
        Globals(root: root, log: log, logFormat: logFormat, debug: debug, systemdCgroup: systemdCgroup)
    }
}

/// The global flags as plain values (shared with the hand-parsed fast path).
struct Globals: Equatable {
    var root = "/run/petrel"
    var log: String?
    var logFormat = "text"
    var debug = false
    var systemdCgroup = false
}

/// Runs a verb with runc's error contract: one error line (stderr and/or the log file)
/// and exit status 1.
func perform(_ global: GlobalOptions, _ body: () throws(RuntimeError) -> Void) throws {
    do {
        try performVerb(global.globals, body)
    } catch {
        throw ExitCode(1)
    }
}

/// Configures logging, runs the verb, and logs its failure; throws the failure on.
func performVerb(_ globals: Globals, _ body: () throws(RuntimeError) -> Void) throws(RuntimeError) {
    do throws(RuntimeError) {
        guard let format = LogFormat(rawValue: globals.logFormat) else {
            throw RuntimeError("--log-format: unknown format \(JSONText.quote(globals.logFormat)) (text or json)")
        }
        try Logger.shared.configure(path: globals.log, format: format, debug: globals.debug)
        try body()
    } catch {
        Logger.shared.failure(error.description)
        throw error
    }
}
