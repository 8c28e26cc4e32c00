// oci-conformance: Petrel's conformance suite for OCI runtimes (runc command line).
//
//   oci-conformance --runtime PATH --checker PATH [--filter TEXT] [--keep] [--timeout S]
//       runs every case against the runtime, prints TAP and `N passed, N failed, N skipped`;
//       exits 1 when a case fails.
//   oci-conformance --list            the cases as a markdown table (id, title, spec)
//   oci-conformance report OPTIONS    RESULTS.md from TAP files (Report.swift)
import ConformanceKit
import FoundationEssentials
import Glibc

/// TAP lines go out at once (a file or pipe would otherwise buffer them until exit).
func say(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}

let allCases: [Case] = LifecycleCases.all + ErrorCases.all + ProcessCases.all + NamespaceCases.all
    + TerminalCases.all + FilesystemCases.all + DeviceCases.all + CgroupCases.all + SeccompCases.all + HookCases.all + Spec13Cases.all
    + ProcessAttributeCases.all

func fatal(_ message: String) -> Never {
    FileHandleOut.stderr("oci-conformance: \(message)\n")
    exit(2)
}

enum FileHandleOut {
    static func stderr(_ text: String) {
        _ = text.withCString { write(2, $0, strlen($0)) }
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "report" {
    arguments.removeFirst()
    exit(ResultsReport.main(arguments, cases: allCases))
}

var runtimePath = ProcessInfo.processInfo.environment["RUNTIME"] ?? ""
var checkerPath = ProcessInfo.processInfo.environment["OCI_CHECK"] ?? ""
var filters: [String] = []
var keep = false
var timeout = Double(ProcessInfo.processInfo.environment["OCI_CONFORMANCE_TIMEOUT"] ?? "") ?? 30
while let argument = arguments.first {
    arguments.removeFirst()
    func value() -> String {
        guard !arguments.isEmpty else { fatal("\(argument) needs a value") }
        return arguments.removeFirst()
    }
    switch argument {
    case "--runtime": runtimePath = value()
    case "--checker": checkerPath = value()
    case "--filter": filters.append(value())
    case "--keep": keep = true
    case "--timeout": timeout = Double(value()) ?? timeout
    case "--list":
        say("| case | checks | spec |\n|---|---|---|")
        for c in allCases { say("| `\(c.id)` | \(c.title) | \(c.spec) |") }
        exit(0)
    case "-h", "--help":
        say("usage: oci-conformance --runtime PATH --checker PATH [--filter TEXT]... [--keep] [--timeout SECONDS]")
        exit(0)
    default: fatal("unknown argument \(argument)")
    }
}
guard !runtimePath.isEmpty else { fatal("no runtime: set RUNTIME=/path or pass --runtime") }
guard !checkerPath.isEmpty, access(checkerPath, X_OK) == 0 else { fatal("no oci-check binary: pass --checker PATH") }
guard geteuid() == 0 else { fatal("the suite creates containers: run it as root") }

var template = Array("/tmp/oci-conformance-XXXXXX".utf8CString)
guard let made = mkdtemp(&template) else { fatal("mkdtemp: \(errnoName(errno))") }
let workDir = String(cString: made)
chmod(workDir, 0o755)  // containers in user namespaces must reach their rootfs

let suite: Suite
do {
    suite = try Suite(runtime: runtimePath, workDir: workDir, checker: checkerPath, timeout: timeout)
} catch {
    fatal("preparing \(workDir): \(error)")
}
suite.keep = keep

let selected = filters.isEmpty ? allCases : allCases.filter { c in filters.contains { c.id.contains($0) } }
say("TAP version 13")
// What the run was: `oci-conformance report` prints these in RESULTS.md, from the TAP file alone.
say("# runtime: \(runtimePath)")
let version = suite.commands.run([runtimePath, "--version"])
say("# runtime-version: \(version.succeeded ? version.stdout.lines.first ?? "?" : "? (\(version.summary))")")
say("# kernel: \(readTrimmed("/proc/sys/kernel/osrelease") ?? "?")")
say("# cgroup: \(suite.host.cgroup2 ? "v2" : fileExists("/sys/fs/cgroup/unified") ? "hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified)" : "v1")")
if let commit = ProcessInfo.processInfo.environment["OCI_CONFORMANCE_COMMIT"], !commit.isEmpty {
    say("# commit: \(commit)")
}
say("1..\(selected.count)")
var passed = 0, failed = 0, skipped = 0, partial = 0
for (index, testCase) in selected.enumerated() {
    let number = index + 1
    let label = "\(testCase.id): \(testCase.title)"
    let started = Clock.now
    var fixture: Fixture
    do {
        fixture = try Fixture(suite: suite, name: testCase.id)
    } catch {
        failed += 1
        say("not ok \(number) - \(label)\n  # fixture: \(error)")
        continue
    }
    var outcome: Outcome? = nil
    do {
        try testCase.body(&fixture)
    } catch let result as Outcome {
        outcome = result
    } catch {
        outcome = .fail("\(error)")
    }
    fixture.cleanup()
    let took = String(Int((Clock.now - started) * 1000))
    switch outcome {
    case nil:
        passed += 1
        say("ok \(number) - \(label) # \(took) ms")
    case .skip(let reason)?:
        skipped += 1
        say("ok \(number) - \(label) # SKIP \(reason)")
    case .partial(let count, let total, let reason)?:
        // A TAP skip (not a pass): `report` reads the "N of M sub-checks" form as partly skipped.
        skipped += 1
        partial += 1
        say("ok \(number) - \(label) # SKIP \(count) of \(total) sub-checks skipped: \(reason)")
    case .fail(let reason)?:
        failed += 1
        say("not ok \(number) - \(label)")
        say("  # \(reason)")
    }
}
if !keep { removeTree(workDir) }
if partial > 0 { say("# \(partial) of the skipped cases passed every sub-check that could run (partly skipped)") }
say("# \(passed) passed, \(failed) failed, \(skipped) skipped")
exit(failed == 0 ? 0 : 1)
