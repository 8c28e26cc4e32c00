import CExecutor
import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

@main
enum Petrel {
    static let version = "0.1.0"
    static let versionText = "petrel version \(version)\nspec: 1.2.0"
    static let abstract = "Petrel: an OCI container runtime (runc-compatible command line)."

    static let parser = Parser(
        verbs: [.create, .start, .state, .kill, .delete, .run, .list, .spec, .exec, .ps, .pause, .resume,
                .update, .events, .features, .checkpoint, .restore],
        globals: GlobalFlags.all)

    /// Verbs runc has that Petrel does not implement yet: named as unsupported rather than
    /// reported as an unknown command.
    static let unsupportedVerbs: [String] = []

    static func main() {
        ProtectedExecutable.ensure()
        exit(dispatch(Array(CommandLine.arguments.dropFirst())))
    }

    /// runc's contract: usage errors exit 1, an unknown command 3, help and version 0.
    static func dispatch(_ argv: [String]) -> Int32 {
        do throws(UsageError) {
            switch try parser.parse(argv) {
            case .call(let arguments):
                return arguments.verb.run(arguments)
            case .version:
                writeAll(1, versionText + "\n")
                return 0
            case .help(let verb):
                writeAll(1, Help.text(for: verb, in: parser, abstract: abstract))
                return 0
            case .unknownVerb(let name):
                if unsupportedVerbs.contains(name) {
                    writeAll(2, "petrel: \"\(name)\" is not supported by this build of petrel\n")
                    return 1
                }
                writeAll(2, "petrel: unknown command \"\(name)\" (see petrel --help)\n")
                return 3
            }
        } catch {
            return usageFailure(error)
        }
    }
}

/// runc's global flags. They may stand before or after the verb.
enum GlobalFlags {
    static let root = Flag(
        "root", valueName: "DIR", default: "/run/petrel",
        help: "Root directory for container state ($XDG_RUNTIME_DIR/petrel for a non-root user when set).")
    static let log = Flag("log", valueName: "FILE", help: "Log file (default: stderr).")
    static let logFormat = Flag("log-format", valueName: "FORMAT", default: "text", help: "Log format: text or json.")
    static let debug = Flag("debug", kind: .bool, help: "Log debug messages.")
    static let systemdCgroup = Flag(
        "systemd-cgroup", kind: .bool,
        help: "Read linux.cgroupsPath as systemd's \"slice:prefix:name\". Emulated on cgroupfs: the cgroup "
            + "goes where runc's systemd driver puts it (system.slice:petrel:abc -> "
            + "/system.slice/petrel-abc.scope), made with mkdir; no systemd unit is created.")
    static let rootless = Flag(
        "rootless", valueName: "VALUE", default: "auto",
        help: "Degrade what needs privileges (specs/rootless.md): true, false, or auto (rootless when the "
            + "effective uid is not 0 or in a user namespace that does not map the host's root).")
    static let all = [root, log, logFormat, debug, systemdCgroup, rootless]
}

/// The global flags as plain values.
struct Globals: Equatable {
    var root = Globals.defaultRoot
    var rootless = "auto"
    var log: String?
    var logFormat = "text"
    var debug = false
    var systemdCgroup = false

    init() {}

    init(_ arguments: Arguments) {
        // Not value(): its fallback is the declared (help) default, root's; a non-root
        // user's default is $XDG_RUNTIME_DIR/petrel.
        root = arguments.values(GlobalFlags.root).last ?? root
        log = arguments.value(GlobalFlags.log)
        logFormat = arguments.value(GlobalFlags.logFormat) ?? logFormat
        debug = arguments.isSet(GlobalFlags.debug)
        systemdCgroup = arguments.isSet(GlobalFlags.systemdCgroup)
        rootless = arguments.value(GlobalFlags.rootless) ?? rootless
    }

    /// The C rule the protected re-exec also uses (petrel_state_root.h): one definition.
    static var defaultRoot: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buffer in
            guard let base = buffer.baseAddress, petrel_default_state_root(base, buffer.count) == 0 else { return "/run/petrel" }
            return String(cString: base)
        }
    }

    var runtime: Runtime {
        get throws(RuntimeError) {
            guard let mode = RootlessMode(rawValue: rootless) else {
                throw RuntimeError("--rootless: unknown value \(JSONText.quote(rootless)) (auto, true or false)")
            }
            return Runtime(root: root, rootless: mode.resolved)
        }
    }
}

/// Runs a verb with runc's error contract: one error line (stderr and/or the log file)
/// and exit status 1.
func perform(_ arguments: Arguments, _ body: (Globals) throws(RuntimeError) -> Void) -> Int32 {
    let globals = Globals(arguments)
    do throws(RuntimeError) {
        try performVerb(globals) { () throws(RuntimeError) in try body(globals) }
        return 0
    } catch {
        return 1
    }
}

/// A usage error, from the parser or from a verb after parsing (a bad number): the message,
/// the verb's usage line, exit 1.
func usageFailure(_ error: UsageError) -> Int32 {
    var text = "petrel: \(error.message)\n"
    if let verb = error.verb { text += "Usage: \(Help.usage(verb))\nSee 'petrel \(verb.name) --help'.\n" }
    writeAll(2, text)
    return 1
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
