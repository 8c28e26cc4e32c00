import PetrelRuntime

extension Verb {
    static let state = Verb(name: "state", abstract: "Print the state of a container as JSON.",
                            operands: [.containerID]) { arguments in
        perform(arguments) { globals throws(RuntimeError) in
            writeAll(1, try (try globals.runtime).state(arguments.operand(0)).json() + "\n")
        }
    }
}
