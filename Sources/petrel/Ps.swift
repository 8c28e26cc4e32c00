import PetrelRuntime

enum PsFlags {
    static let format = Flag("format", short: "f", valueName: "FORMAT", default: "table", help: "table or json (a list of host pids).")
}

extension Verb {
    static let ps = Verb(
        name: "ps", abstract: "List the processes of a container.", flags: [PsFlags.format],
        operands: [.containerID, Operand(name: "ps-options", help: "Options for ps(1) (default: -ef).", rest: true)]
    ) { arguments in
        perform(arguments) { globals throws(RuntimeError) in
            let pids = try (try globals.runtime).processes(arguments.operand(0))
            switch arguments.value(PsFlags.format) ?? "table" {
            case "json":
                print("[" + pids.map(String.init).joined(separator: ",") + "]")
            case "table":
                try printProcessTable(pids, psArguments: Array(arguments.operands.dropFirst()))
            default:
                throw RuntimeError("invalid format option")
            }
        }
    }
}

/// Like runc: run the host's ps and keep the header and the lines whose PID column is
/// one of the container's.
private func printProcessTable(_ pids: [Int32], psArguments: [String]) throws(RuntimeError) {
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
