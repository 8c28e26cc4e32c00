import ArgumentParser
import PetrelRuntime

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print the state of a container as JSON.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            print(try global.runtime.state(id).json())
        }
    }
}
