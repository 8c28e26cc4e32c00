import ConformanceKit
import Glibc

/// `oci-conformance report --out FILE --explanations FILE [--note TEXT]... LABEL=TAP...`
/// writes RESULTS.md: the commit and the runs behind it (from the TAP files' headers, with
/// each file's sha256), a summary per column, every case side by side, and each failure
/// with its explanation from explanations.tsv (`case<TAB>runtime<TAB>host<TAB>kind<TAB>text`,
/// host `any`, `host` or `v2`). A failure without an explanation is marked UNEXPLAINED and
/// makes the command exit 1; a TAP file that is missing, incomplete, names no commit or
/// another commit than the others makes it exit 2 before anything is written.
enum ResultsReport {
    enum Result {
        case pass
        case fail(String)
        case skip(String)
        /// `# SKIP N of M sub-checks skipped: ...`: what ran held, the rest could not run.
        case partial(String)
        case missing
    }

    struct Column {
        var label: String
        var runtime: String
        var host: String
        var path: String
        var results: [String: Result] = [:]
        /// `# key: value` lines before the plan (runtime, runtime-version, kernel, cgroup, commit).
        var header: [String: String] = [:]
        var planned = 0
        var sha256 = ""
    }

    struct ReportError: Error, CustomStringConvertible {
        var description: String
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
                                    host: parts.count > 1 ? parts[1] : "any",
                                    path: String(argument[argument.index(after: eq)...]))
                do {
                    try load(&column)
                } catch {
                    FileHandleOut.stderr("report: \(error)\n")
                    return 2
                }
                columns.append(column)
            }
        }
        // One commit for the whole table: every run must name it, and the same one.
        let commits = Set(columns.compactMap { $0.header["commit"] })
        if let unnamed = columns.first(where: { $0.header["commit"] == nil }) {
            FileHandleOut.stderr("report: \(unnamed.path) (\(unnamed.label)) names no commit (`# commit:`; conformance/results sets OCI_CONFORMANCE_COMMIT)\n")
            return 2
        }
        if commits.count > 1 {
            FileHandleOut.stderr("report: the TAP files come from different commits: "
                + columns.map { "\($0.label): \($0.header["commit"] ?? "?")" }.joined(separator: ", ") + "\n")
            return 2
        }
        // Every case of this suite in every column: a TAP file of another suite version is no evidence.
        for column in columns {
            let missing = cases.filter { column.results[$0.id] == nil }.map(\.id)
            if !missing.isEmpty {
                FileHandleOut.stderr("report: \(column.path) (\(column.label)) has no result for \(missing.count) case(s) of this "
                    + "suite (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", ..." : "")): run it again\n")
                return 2
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
        let commit = commits.first ?? "?"
        lines.append("Made from commit `\(commit)`\(commit.hasSuffix("-dirty") ? " (with uncommitted changes)" : "")"
            + ". The TAP files behind the columns are committed in conformance/tap/: `sha256sum conformance/tap/*.tap` "
            + "gives the digests below, and `CONFORMANCE_REPORT_ONLY=1 conformance/results` rebuilds this file from them.")
        lines.append("")
        lines += notes.map { "- \($0)" }
        lines.append("")
        lines.append("| runtime @ host | runtime version | kernel | cgroups | TAP file | sha256 |")
        lines.append("|---|---|---|---|---|---|")
        for column in columns {
            let cells = [column.label, column.header["runtime-version"] ?? "?", column.header["kernel"] ?? "?",
                         column.header["cgroup"] ?? "?", "`\(column.path)`", "`\(column.sha256)`"]
            lines.append("| " + cells.map { $0.replacing("|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("## Summary")
        lines.append("")
        lines.append("A case is *partly skipped* when every assertion that ran held but some could not run here "
            + "(its TAP line is a `# SKIP N of M sub-checks skipped`); it is not counted as passed.")
        lines.append("")
        lines.append("| runtime @ host | passed | partly skipped | failed | skipped |")
        lines.append("|---|---|---|---|---|")
        for column in columns {
            var p = 0, ps = 0, f = 0, s = 0
            for (_, result) in column.results {
                switch result {
                case .pass: p += 1
                case .partial: ps += 1
                case .fail: f += 1
                case .skip: s += 1
                case .missing: break
                }
            }
            lines.append("| \(column.label) | \(p) | \(ps) | \(f) | \(s) |")
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
                case .partial: return "partly skipped"
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
                } else if case .partial(let reason)? = column.results[testCase.id] {
                    lines.append("- `\(testCase.id)` on \(column.label) (partly): \(stable(reason))")
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

    /// Reads a column's TAP file; refuses one that is missing, or cut short (fewer results
    /// than its plan `1..N`, or no closing `# N passed, N failed, N skipped`).
    static func load(_ column: inout Column) throws {
        let bytes: [UInt8]
        do {
            bytes = try readFile(column.path)
        } catch {
            throw ReportError(description: "cannot read the TAP file of \(column.label): \(error)")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        parse(text, into: &column)
        let closing = text.lines.last { $0.hasPrefix("# ") && $0.contains(" passed, ") }
        if column.planned == 0 || column.results.count != column.planned || closing == nil {
            throw ReportError(description: "\(column.path) (\(column.label)) is incomplete: \(column.results.count) results "
                + "for a plan of \(column.planned)\(closing == nil ? ", no closing summary" : "") (did the run stop?)")
        }
        column.sha256 = SHA256.hex(bytes)
    }

    /// Reads the header (`# key: value` before the plan), the plan `1..N`, TAP lines
    /// `ok N - ID: title [# SKIP reason]` and `not ok N - ID: title` with a `  # reason` line after it.
    static func parse(_ text: String, into column: inout Column) {
        var lastFailed: String? = nil
        for line in text.lines {
            if column.planned == 0 {
                if line.hasPrefix("1.."), let count = Int(line.dropFirst(3)) {
                    column.planned = count
                } else if line.hasPrefix("# "), let colon = line.firstRange(of: ": ") {
                    column.header[String(line[line.index(line.startIndex, offsetBy: 2)..<colon.lowerBound])] =
                        String(line[colon.upperBound...])
                }
                continue
            }
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
                let reason = String(rest[skip.upperBound...])
                column.results[id] = reason.contains(#/^[0-9]+ of [0-9]+ sub-checks skipped/#) ? .partial(reason) : .skip(reason)
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
