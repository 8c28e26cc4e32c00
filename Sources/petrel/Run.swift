import ArgumentParser
import PetrelRuntime

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and start a container; in the foreground, wait and exit with its code.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: ContainerOptions
    @Flag(name: [.short, .long], help: "Detach from the container's process.")
    var detach = false
    @Flag(name: .customLong("keep"), help: "Do not delete the container after it exits.")
    var keep = false
    @Argument(help: "The container id.") var id: String

    func run() throws {
        var code: Int32 = 0
        try perform(global) { () throws(RuntimeError) in
            var request = try options.request(id: id, global: global, detached: detach)
            request.keep = keep
            code = try global.runtime.run(request)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
