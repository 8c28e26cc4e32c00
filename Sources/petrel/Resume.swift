import ArgumentParser
import PetrelRuntime

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a paused container.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in try global.runtime.resume(id) }
    }
}
