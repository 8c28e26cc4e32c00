import PetrelRuntime

enum KillFlags {
    static let all = Flag("all", short: "a", kind: .bool, help: "Signal every process of the container.")
}

extension Verb {
    static let kill = Verb(
        name: "kill", abstract: "Send a signal (default SIGTERM) to a container.", flags: [KillFlags.all],
        operands: [.containerID, Operand(name: "signal", help: "Signal name or number (default SIGTERM).", optional: true)]
    ) { arguments in
        perform(arguments) { globals throws(RuntimeError) in
            let signal = arguments.operands.count > 1 ? arguments.operand(1) : "SIGTERM"
            try (try globals.runtime).kill(arguments.operand(0), signal: Signals.parse(signal), all: arguments.isSet(KillFlags.all))
        }
    }
}
