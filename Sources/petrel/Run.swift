import PetrelRuntime

enum RunFlags {
    static let detach = Flag("detach", short: "d", kind: .bool, help: "Detach from the container's process.")
    static let keep = Flag("keep", kind: .bool, help: "Do not delete the container after it exits.")
}

extension Verb {
    static let run = Verb(
        name: "run", abstract: "Create and start a container; in the foreground, wait and exit with its code.",
        flags: ContainerFlags.all + [RunFlags.detach, RunFlags.keep], operands: [.containerID]
    ) { arguments in
        var request: CreateRequest
        do throws(UsageError) {
            request = try ContainerFlags.request(arguments, Globals(arguments), detached: arguments.isSet(RunFlags.detach))
        } catch {
            return usageFailure(error)
        }
        request.keep = arguments.isSet(RunFlags.keep)
        var code: Int32 = 0
        let status = perform(arguments) { globals throws(RuntimeError) in code = try (try globals.runtime).run(request) }
        return status != 0 ? status : code
    }
}
