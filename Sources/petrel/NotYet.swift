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

struct Exec: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a process in a running container (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}

struct Ps: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List a container's processes (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}

struct Pause: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze a container (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}

struct Resume: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a container (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}

struct Update: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a container's resources (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}

struct Events: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Stream container events (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}

struct Features: PendingVerb {
    static let configuration = CommandConfiguration(commandName: "features", abstract: "Print the features this build supports (not yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough) var rest: [String] = []
}
