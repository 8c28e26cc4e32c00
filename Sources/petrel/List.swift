import PetrelRuntime

enum ListFlags {
    static let format = Flag("format", short: "f", valueName: "FORMAT", default: "table", help: "table or json.")
    static let quiet = Flag("quiet", short: "q", kind: .bool, help: "Print only the ids.")
}

extension Verb {
    static let list = Verb(name: "list", abstract: "List containers.", flags: [ListFlags.format, ListFlags.quiet]) { arguments in
        perform(arguments) { globals throws(RuntimeError) in
            let reports = (try globals.runtime).list()
            if arguments.isSet(ListFlags.quiet) {
                for report in reports { print(report.record.id) }
                return
            }
            let format = arguments.value(ListFlags.format) ?? "table"
            switch format {
            case "json":
                // runc (Go's encoding of a nil slice) prints null when there is nothing.
                print(reports.isEmpty ? "null" : "[" + reports.map { $0.json(indent: false) }.joined(separator: ",") + "]")
            case "table":
                printContainerTable(reports)
            default:
                throw RuntimeError("--format: unknown format \(JSONText.quote(format)) (table or json)")
            }
        }
    }
}

/// runc's tabwriter layout: columns at least 12 wide, 3 spaces of padding.
private func printContainerTable(_ reports: [ContainerStateReport]) {
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
