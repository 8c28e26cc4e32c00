import ArgumentParser
import PetrelRuntime

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List containers.")

    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("f"), .long], help: "table or json.")
    var format: String = "table"
    @Flag(name: [.short, .long], help: "Print only the ids.")
    var quiet = false

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            let reports = global.runtime.list()
            if quiet {
                for report in reports { print(report.record.id) }
                return
            }
            switch format {
            case "json":
                print("[" + reports.map { $0.json(indent: false) }.joined(separator: ",") + "]")
            case "table":
                printTable(reports)
            default:
                throw RuntimeError("--format: unknown format \(JSONText.quote(format)) (table or json)")
            }
        }
    }

    /// runc's tabwriter layout: columns at least 12 wide, 3 spaces of padding.
    private func printTable(_ reports: [ContainerStateReport]) {
        var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
        for report in reports {
            rows.append([report.record.id, String(report.pid), report.status.rawValue, report.record.bundle,
                         report.record.created, report.record.owner])
        }
        var widths = [Int](repeating: 12, count: 6)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count + 3) }
        }
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                line += column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            print(line)
        }
    }
}
