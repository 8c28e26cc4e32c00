import ArgumentParser
import PetrelRuntime

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List the processes of a container.",
        usage: "petrel ps [--format table|json] <container-id> [ps options]")

    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("f"), .long], help: "table or json (a list of host pids).")
    var format: String = "table"
    @Argument(help: "The container id.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "Options for ps(1) (default: -ef).")
    var psArguments: [String] = []

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            let pids = try global.runtime.processes(id)
            switch format {
            case "json":
                print("[" + pids.map(String.init).joined(separator: ",") + "]")
            case "table":
                try printTable(pids)
            default:
                throw RuntimeError("invalid format option")
            }
        }
    }

    /// Like runc: run the host's ps and keep the header and the lines whose PID column is
    /// one of the container's.
    private func printTable(_ pids: [Int32]) throws(RuntimeError) {
        let (status, output) = try Subprocess.combinedOutput(["ps"] + (psArguments.isEmpty ? ["-ef"] : psArguments))
        guard status == 0 else { throw RuntimeError("ps: exit status \(status >> 8): \(output)") }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first,
              let pidColumn = header.split(separator: " ").firstIndex(of: "PID") else {
            throw RuntimeError("couldn't find PID field in ps output")
        }
        print(header)
        let wanted = Set(pids)
        for line in lines.dropFirst() where !line.isEmpty {
            let fields = line.split(separator: " ")
            guard fields.count > pidColumn, let pid = Int32(fields[pidColumn]) else {
                throw RuntimeError("unable to parse pid: \(JSONText.quote(String(line)))")
            }
            if wanted.contains(pid) { print(line) }
        }
    }
}
