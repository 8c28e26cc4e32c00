import Foundation
import Testing

/// Resource fields this host or cgroup version cannot apply (issue 14): runc skips them
/// silently; Petrel applies the rest and says, at the default log level, which it skipped.
@Suite(Harness.enabled)
struct CgroupWarnings {
    static let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")

    @Test("fields the cgroup version cannot apply are log.json warnings naming their JSON path; the container runs",
          .enabled(if: !Harness.isRunc, "runc skips them silently"))
    func unappliedFieldsWarned() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // useHierarchy: no file on either version; on v2 also swappiness and the realtime
        // fields (no equivalent), which v1 applies (a realtime runtime of 0 changes nothing).
        var memory: [String: Any] = ["useHierarchy": true]
        var expected = ["linux.resources.memory.useHierarchy"]
        if Self.unified {
            memory["swappiness"] = 60
            expected += ["linux.resources.memory.swappiness", "linux.resources.cpu.realtimeRuntime"]
            try t.setConfig("linux.resources.cpu", ["realtimeRuntime": 0])
        }
        try t.setConfig("linux.resources.memory", memory)
        let log = t.dir + "/log.json"
        try t.setArgs(["true"])
        let result = t.runtime(["--log", log, "--log-format", "json", "run", "--bundle", t.bundle, t.newID("warn")])
        #expect(result.status == 0, "\(result)")
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        let warnings = lines.filter { $0.contains(#""level":"warning""#) }
        for path in expected {
            #expect(warnings.filter { $0.contains(path) }.count == 1, "\(path) in \(lines)")
        }
        #expect(warnings.count == expected.count, "\(warnings)")
    }

    @Test("a config every field of which applies logs no warning")
    func appliedFieldsQuiet() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.resources.memory", ["limit": 64 << 20])
        try t.setConfig("linux.resources.pids", ["limit": 100])
        let log = t.dir + "/log.json"
        try t.setArgs(["true"])
        let result = t.runtime(["--log", log, "--log-format", "json", "run", "--bundle", t.bundle, t.newID("quiet")])
        #expect(result.status == 0, "\(result)")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!text.contains(#""level":"warning""#) && !text.contains("level=warning"), "\(text)")
    }
}
