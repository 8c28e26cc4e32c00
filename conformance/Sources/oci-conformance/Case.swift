import ConformanceKit
import Glibc

/// One conformance case: one MUST/SHOULD of the runtime spec, tested one way.
struct Case: Sendable {
    /// Stable name, "section.what" (used in TAP lines, RESULTS.md and explanations.tsv).
    var id: String
    /// What is checked, in a few words.
    var title: String
    /// The spec sentence: file, section and a short quote.
    var spec: String
    var body: @Sendable (inout Fixture) throws -> Void

    init(_ id: String, _ title: String, spec: String, body: @escaping @Sendable (inout Fixture) throws -> Void) {
        self.id = id
        self.title = title
        self.spec = spec
        self.body = body
    }

    /// A case judged from inside the container by oci-check: the config is edited by
    /// `configure`, the container runs `oci-check CHECKS...` in the foreground (`run`), and
    /// every assertion the checker prints must hold.
    static func inside(
        _ id: String, _ title: String, spec: String, checks: [String],
        configure: @escaping @Sendable (inout Fixture) throws -> Void = { _ in }
    ) -> Case {
        Case(id, title, spec: spec) { f in
            try configure(&f)
            try f.runChecker(checks)
        }
    }
}

/// The checker's verdict lines.
struct CheckerVerdict {
    var passed: [String] = []
    var failed: [String] = []
    var skipped: [String] = []

    init(_ output: String) {
        for line in output.lines {
            if line.hasPrefix("ok ") { passed.append(String(line.dropFirst(3))) }
            else if line.hasPrefix("not ok ") { failed.append(String(line.dropFirst(7))) }
            else if line.hasPrefix("skip ") { skipped.append(String(line.dropFirst(5))) }
        }
    }
}

extension Fixture {
    /// Runs the checker as the container process and turns its verdict into the outcome.
    mutating func runChecker(_ checks: [String]) throws {
        config[path: "process.args"] = .strings([checkerArgv0] + checks)
        try writeBundle()
        let id = newID()
        let output = "\(dir)/\(id).out"
        let result = runtime(["run", "--bundle", bundle, id], stdout: output)
        let verdict = CheckerVerdict(result.stdout)
        if !verdict.failed.isEmpty {
            throw Outcome.fail(verdict.failed.joined(separator: "; "))
        }
        if result.timedOut || (verdict.passed.isEmpty && verdict.skipped.isEmpty) {
            throw Outcome.fail("the container did not run the checker: \(result.summary)")
        }
        if !result.succeeded {
            throw Outcome.fail("checker passed but run exited \(result.status): \(result.summary)")
        }
        if verdict.passed.isEmpty {
            throw Outcome.skip(verdict.skipped.joined(separator: "; "))
        }
        if !verdict.skipped.isEmpty {
            throw Outcome.partial(skipped: verdict.skipped.count, of: verdict.skipped.count + verdict.passed.count,
                                  reason: verdict.skipped.joined(separator: "; "))
        }
    }

    /// Skips the case unless the host has cgroup v2 (or v1).
    func requireCgroup(v2: Bool) throws {
        if suite.host.cgroup2 != v2 {
            throw Outcome.skip("needs cgroup \(v2 ? "v2 (unified)" : "v1"); this host has \(suite.host.cgroup2 ? "v2" : "v1/hybrid")")
        }
    }

    /// Skips the case when the kernel lacks a namespace type.
    func requireNamespace(_ link: String) throws {
        if suite.host.namespaces[link] == nil {
            throw Outcome.skip("this kernel has no \(link) namespaces")
        }
    }
}
