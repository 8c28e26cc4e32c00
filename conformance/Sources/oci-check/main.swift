// oci-check: runs as the container process and compares what it sees with the config.json
// it was started from (copied to /oci/config.json by the runner) and with facts about the
// runtime's side the runner recorded in /oci/expect.json (its namespaces, oom_score_adj...).
//
//   oci-check [--config FILE] [--expect FILE] CHECK...
//
// Each CHECK prints `ok`, `not ok` or `skip` lines (Report.swift); `oci-check --list` names
// them. The exit status is 0 when every assertion held, 1 otherwise.
import ConformanceKit
import Glibc

// Before anything opens a file: which descriptors the runtime left open.
let descriptorsAtStart = System.openDescriptors()

var arguments = Array(CommandLine.arguments.dropFirst())
var configPath = "/oci/config.json"
var expectPath = "/oci/expect.json"
var checks: [String] = []
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--config": configPath = arguments.isEmpty ? configPath : arguments.removeFirst()
    case "--expect": expectPath = arguments.isEmpty ? expectPath : arguments.removeFirst()
    case "--list":
        print(Checker.all.keys.sorted().joined(separator: "\n"))
        exit(0)
    default: checks.append(argument)
    }
}

var report = Report()
do {
    let config = try JSON.load(configPath)
    let expect = (try? JSON.load(expectPath)) ?? .object([:])
    var checker = Checker(config: config, expect: expect, descriptorsAtStart: descriptorsAtStart, report: report)
    for name in checks {
        if let check = Checker.all[name] {
            check(&checker)
        } else {
            checker.report.fail(name, "oci-check has no check named \(name)")
        }
    }
    report = checker.report
} catch {
    report.fail("config", "cannot read \(configPath): \(error)")
}
exit(report.failures == 0 ? 0 : 1)
