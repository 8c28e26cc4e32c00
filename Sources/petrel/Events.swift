import ArgumentParser
import PetrelRuntime

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Display container events: OOM notifications and cpu, memory, pids and IO statistics.",
        discussion: "Stats are printed every --interval as JSON lines, with runc's field names.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The stats collection interval (a Go duration).")
    var interval: String = "5s"
    @Flag(help: "Display the container's stats once, then exit.")
    var stats = false
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            let nanoseconds: Int64
            do throws(RuntimeError) {
                nanoseconds = try Units.duration(interval)
            } catch {
                throw RuntimeError("--interval: \(error.message)")
            }
            // Written unbuffered: a consumer reads the stream as it comes.
            try global.runtime.events(id, statsOnly: stats, interval: nanoseconds) { writeAll(1, $0 + "\n") }
        }
    }
}
