import PetrelRuntime

enum EventsFlags {
    static let interval = Flag("interval", valueName: "DURATION", default: "5s", help: "The stats collection interval (a Go duration).")
    static let stats = Flag("stats", kind: .bool, help: "Display the container's stats once, then exit.")
}

extension Verb {
    static let events = Verb(
        name: "events", abstract: "Display container events: OOM notifications and cpu, memory, pids and IO statistics.",
        discussion: "Stats are printed every --interval as JSON lines, with runc's field names.",
        flags: [EventsFlags.interval, EventsFlags.stats], operands: [.containerID]
    ) { arguments in
        perform(arguments) { globals throws(RuntimeError) in
            let interval = arguments.value(EventsFlags.interval) ?? "5s"
            let nanoseconds: Int64
            do throws(RuntimeError) {
                nanoseconds = try Units.duration(interval)
            } catch {
                throw RuntimeError("--interval: \(error.message)")
            }
            // Written unbuffered: a consumer reads the stream as it comes.
            try (try globals.runtime).events(arguments.operand(0), statsOnly: arguments.isSet(EventsFlags.stats),
                                       interval: nanoseconds) { writeAll(1, $0 + "\n") }
        }
    }
}
