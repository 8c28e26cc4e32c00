import ArgumentParser
import PetrelRuntime

/// Verbs of runc's surface that later work fills in; until then they fail clearly.
protocol PendingVerb: ParsableCommand {
    var global: GlobalOptions { get }
}

extension PendingVerb {
    func run() throws {
        let name = Self.configuration.commandName ?? String(describing: Self.self).lowercased()
        try perform(global) { () throws(RuntimeError) in
            throw RuntimeError("\(name): not implemented in this version of petrel")
        }
    }
}

struct Features: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "features", abstract: "Print the features this build supports (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}
