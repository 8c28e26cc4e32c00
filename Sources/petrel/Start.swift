import PetrelRuntime

extension Verb {
    static let start = Verb(name: "start", abstract: "Start the process of a created container.",
                            operands: [.containerID]) { arguments in
        perform(arguments) { globals throws(RuntimeError) in try (try globals.runtime).start(arguments.operand(0)) }
    }
}
