import ConformanceKit
import Glibc

/// `oci-conformance report --out FILE --explanations FILE [--note TEXT]... LABEL=TAP...`
/// writes RESULTS.md: a summary per column, every case side by side, and each failure
/// with its explanation from explanations.tsv (`case<TAB>runtime<TAB>host<TAB>kind<TAB>text`,
/// host `any`, `host` or `v2`). A failure without an explanation is marked UNEXPLAINED and
/// makes the command exit 1.
enum ResultsReport {
    enum Result {
        case pass
        case fail(String)
        case skip(String)
        case missing
    }

    struct Column {
        var label: String
        var runtime: String
        var host: String
        var results: [String: Result] = [:]
        var summary = ""
    }

    struct Explanation {
        var caseID: String
        var runtime: String
        var host: String
        var kind: String
        var text: String
    }

    static func main(_ arguments: [String], cases: [Case]) -> Int32 {
        var out = "RESULTS.md"
        var explanationsPath = ""
        var notes: [String] = []
        var columns: [Column] = []
        var args = arguments[...]
        while let argument = args.popFirst() {
            switch argument {
            case "--out": out = args.popFirst() ?? out
            case "--explanations": explanationsPath = args.popFirst() ?? ""
            case "--note": notes.append(args.popFirst() ?? "")
            default:
                guard let eq = argument.firstIndex(of: "=") else {
                    FileHandleOut.stderr("report: expected LABEL=TAPFILE, got \(argument)\n")
                    return 2
                }
                let label = String(argument[..<eq])
                let parts = label.split(separator: "@").map(String.init)
                var column = Column(label: label.replacing("@", with: " @ "), runtime: parts[0],
                                    host: parts.count > 1 ? parts[1] : "any")
                let text = (try? readText(String(argument[argument.index(after: eq)...]))) ?? ""
                parse(text, into: &column)
                columns.append(column)
            }
        }
        let explanations = loadExplanations(explanationsPath)
        var lines: [String] = []
        var unexplained = 0
        lines.append("# Conformance results")
        lines.append("")
        lines.append("Produced by `conformance/results` (do not edit: edit `conformance/explanations.tsv` and re-run).")
        lines.append("Each case tests one MUST/SHOULD of the OCI runtime-spec; its spec sentence is in the table.")
        lines.append("")
        lines += notes.map { "- \($0)" }
        lines.append("")
        lines.append("## Summary")
        lines.append("")
        lines.append("| runtime @ host | passed | failed | skipped |")
        lines.append("|---|---|---|---|")
        for column in columns {
            var p = 0, f = 0, s = 0
            for (_, result) in column.results {
                switch result {
                case .pass: p += 1
                case .fail: f += 1
                case .skip: s += 1
                case .missing: break
                }
            }
            lines.append("| \(column.label) | \(p) | \(f) | \(s) |")
        }
        lines.append("")
        lines.append("## Failures and their explanations")
        lines.append("")
        for testCase in cases {
            for column in columns {
                guard case .fail(let reason)? = column.results[testCase.id] else { continue }
                let explanation = explanations.first { e in
                    e.caseID == testCase.id && e.runtime == column.runtime && (e.host == "any" || e.host == column.host)
                }
                if let explanation {
                    lines.append("- `\(testCase.id)` on **\(column.label)** — *\(explanation.kind)*: \(explanation.text)")
                } else {
                    unexplained += 1
                    lines.append("- `\(testCase.id)` on **\(column.label)** — *UNEXPLAINED*")
                }
                lines.append("  - seen: \(stable(reason).replacing("|", with: "\\|"))")
            }
        }
        lines.append("")
        lines.append("## Every case")
        lines.append("")
        lines.append("| case | checks | spec | " + columns.map(\.label).joined(separator: " | ") + " |")
        lines.append("|---|---|---|" + columns.map { _ in "---|" }.joined())
        for testCase in cases {
            let cells = columns.map { column -> String in
                switch column.results[testCase.id] ?? .missing {
                case .pass: return "pass"
                case .fail: return "**FAIL**"
                case .skip: return "skip"
                case .missing: return "-"
                }
            }
            let spec = testCase.spec.replacing("|", with: "\\|")
            lines.append("| `\(testCase.id)` | \(testCase.title) | \(spec) | " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("## Skips")
        lines.append("")
        for testCase in cases {
            for column in columns {
                if case .skip(let reason)? = column.results[testCase.id] {
                    lines.append("- `\(testCase.id)` on \(column.label): \(reason)")
                }
            }
        }
        lines.append("")
        do {
            try writeFile(out, lines.joined(separator: "\n"))
        } catch {
            FileHandleOut.stderr("report: \(error)\n")
            return 2
        }
        if unexplained > 0 {
            FileHandleOut.stderr("report: \(unexplained) failure(s) without an explanation in \(explanationsPath)\n")
            return 1
        }
        return 0
    }

    /// Reads TAP lines `ok N - ID: title [# SKIP reason]` and `not ok N - ID: title` with a
    /// `  # reason` line after it.
    static func parse(_ text: String, into column: inout Column) {
        var lastFailed: String? = nil
        for line in text.lines {
            if line.hasPrefix("  # "), let id = lastFailed {
                column.results[id] = .fail(String(line.dropFirst(4)))
                continue
            }
            lastFailed = nil
            let failed = line.hasPrefix("not ok ")
            guard failed || line.hasPrefix("ok ") else { continue }
            guard let dash = line.firstRange(of: " - ") else { continue }
            let rest = line[dash.upperBound...]
            guard let colon = rest.firstIndex(of: ":") else { continue }
            let id = String(rest[..<colon])
            if failed {
                column.results[id] = .fail("")
                lastFailed = id
            } else if let skip = rest.firstRange(of: "# SKIP ") {
                column.results[id] = .skip(String(rest[skip.upperBound...]))
            } else {
                column.results[id] = .pass
            }
        }
    }

    /// The failure text without what changes from run to run (work directory, timestamps,
    /// pids in container ids, namespace inodes), so RESULTS.md is reproduced identically.
    static func stable(_ text: String) -> String {
        text.replacing(#//tmp/oci-conformance-[A-Za-z0-9]{6}/#, with: "$WORK")
            .replacing(#/time="[^"]*" /#, with: "")
            .replacing(#/\boc[0-9]+-/#, with: "oc<pid>-")
            .replacing(#/oci-conformance-[0-9]+/#, with: "oci-conformance-<pid>")
            .replacing(#/:\[[0-9]+\]/#, with: ":[N]")
            .replacing(#/process [0-9]+ /#, with: "process N ")
    }

    static func loadExplanations(_ path: String) -> [Explanation] {
        guard !path.isEmpty, let text = try? readText(path) else { return [] }
        return text.lines.compactMap { line in
            if line.hasPrefix("#") { return nil }
            let fields = line.split(separator: "\t", maxSplits: 4).map(String.init)
            guard fields.count == 5 else { return nil }
            return Explanation(caseID: fields[0], runtime: fields[1], host: fields[2], kind: fields[3], text: fields[4])
        }
    }
}
