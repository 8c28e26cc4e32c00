import PetrelRuntime

enum DeleteFlags {
    static let force = Flag("force", short: "f", kind: .bool, help: "Kill the container if it is not stopped.")
}

extension Verb {
    static let delete = Verb(name: "delete", abstract: "Delete a stopped container (--force kills it first).",
                             flags: [DeleteFlags.force], operands: [.containerID]) { arguments in
        perform(arguments) { globals throws(RuntimeError) in
            try (try globals.runtime).delete(arguments.operand(0), force: arguments.isSet(DeleteFlags.force))
        }
    }
}
