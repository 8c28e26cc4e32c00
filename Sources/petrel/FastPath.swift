import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The verbs an engine calls for every container (state, start, kill, delete), parsed by
/// hand. swift-argument-parser's reflection is about 40% of the CPU time of a `state` call
/// (perf); these calls are the runtime's hot path. Anything not recognised exactly (help,
/// unknown flags, a missing argument) is left to ArgumentParser, so usage errors and help
/// text stay in one place.
enum FastPath {
    /// Runs the verb and exits, or returns when the arguments are not for the fast path.
    static func runIfHandled(_ arguments: ArraySlice<String>) {
        guard let call = parse(arguments) else { return }
        let status: Int32
        do {
            try performVerb(call.globals) { () throws(RuntimeError) in
                let runtime = Runtime(root: call.globals.root)
                switch call.verb {
                case "state": writeOut(try runtime.state(call.operands[0]).json() + "\n")
                case "start": try runtime.start(call.operands[0])
                case "delete": try runtime.delete(call.operands[0], force: call.flag)
                default:
                    let signal = call.operands.count > 1 ? call.operands[1] : "SIGTERM"
                    try runtime.kill(call.operands[0], signal: Signals.parse(signal), all: call.flag)
                }
            }
            status = 0
        } catch {
            status = 1
        }
        exit(status)
    }

    struct Call: Equatable {
        var globals = Globals()
        var verb = ""
        var operands: [String] = []
        /// `kill --all` / `delete --force`.
        var flag = false
    }

    static func parse(_ arguments: ArraySlice<String>) -> Call? {
        var call = Call()
        var rest = arguments
        while let argument = rest.popFirst() {
            if !argument.hasPrefix("-") || argument == "-" {
                if call.verb.isEmpty {
                    guard ["state", "start", "kill", "delete"].contains(argument) else { return nil }
                    call.verb = argument
                } else {
                    call.operands.append(argument)
                }
                continue
            }
            // --name=value or --name value
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            func value() -> String? { inline ?? rest.popFirst() }
            switch name {
            case "--root": guard let v = value() else { return nil }; call.globals.root = v
            case "--log": guard let v = value() else { return nil }; call.globals.log = v
            case "--log-format": guard let v = value() else { return nil }; call.globals.logFormat = v
            case "--debug", "--systemd-cgroup", "--all", "-a", "--force", "-f":
                guard inline == nil else { return nil }
                switch name {
                case "--debug": call.globals.debug = true
                case "--systemd-cgroup": call.globals.systemdCgroup = true
                case "--all", "-a": guard call.verb == "kill" else { return nil }; call.flag = true
                default: guard call.verb == "delete" else { return nil }; call.flag = true
                }
            default: return nil
            }
        }
        switch call.verb {
        case "kill": return (1...2).contains(call.operands.count) ? call : nil
        case "": return nil
        default: return call.operands.count == 1 ? call : nil
        }
    }

    private static func writeOut(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(1, base + offset, buffer.count - offset)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
