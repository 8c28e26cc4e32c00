import PetrelRuntime

extension Verb {
    static let resume = Verb(name: "resume", abstract: "Thaw a paused container.",
                             operands: [.containerID]) { arguments in
        perform(arguments) { globals throws(RuntimeError) in try (try globals.runtime).resume(arguments.operand(0)) }
    }
}
