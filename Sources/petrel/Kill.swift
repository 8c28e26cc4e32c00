import ArgumentParser
import PetrelRuntime

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default SIGTERM) to a container.")

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Signal every process of the container.")
    var all = false
    @Argument(help: "The container id.") var id: String
    @Argument(help: "Signal name or number.") var signal: String = "SIGTERM"

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            try global.runtime.kill(id, signal: Signals.parse(signal), all: all)
        }
    }
}
