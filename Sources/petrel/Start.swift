import ArgumentParser
import PetrelRuntime

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start the process of a created container.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in try global.runtime.start(id) }
    }
}
