import ArgumentParser
import PetrelRuntime

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a stopped container (--force kills it first).")

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Kill the container if it is not stopped.")
    var force = false
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in try global.runtime.delete(id, force: force) }
    }
}
