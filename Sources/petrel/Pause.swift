import PetrelRuntime

extension Verb {
    static let pause = Verb(name: "pause", abstract: "Freeze every process of a container (cgroup freezer).",
                            operands: [.containerID]) { arguments in
        perform(arguments) { globals throws(RuntimeError) in try (try globals.runtime).pause(arguments.operand(0)) }
    }
}
