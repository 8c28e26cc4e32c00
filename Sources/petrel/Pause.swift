import ArgumentParser
import PetrelRuntime

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Freeze every process of a container (cgroup freezer).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in try global.runtime.pause(id) }
    }
}
