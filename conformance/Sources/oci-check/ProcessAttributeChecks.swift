import ConformanceKit
import Glibc

/// runtime-spec 1.2's process attributes seen by the process itself: process.scheduler
/// (/proc/self/stat: policy, rt_priority, nice) and process.execCPUAffinity
/// (/proc/self/status Cpus_allowed_list). process.ioPriority has no /proc file: the runner
/// reads it from the host (ioprio_get through ionice).
extension Checker {
    /// Fields of /proc/self/stat after the command name: index 0 is field 3 (state).
    static func statFields() -> [String] {
        guard let text = try? readText("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return [] }
        return text[text.index(after: close)...].split(separator: " ").map(String.init)
    }

    mutating func checkScheduler() {
        let scheduler = process["scheduler"]
        guard let policy = scheduler["policy"].string else {
            report.skip("scheduler", "process.scheduler not set")
            return
        }
        let policies = ["SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3, "SCHED_ISO": 4,
                        "SCHED_IDLE": 5, "SCHED_DEADLINE": 6]
        let fields = Self.statFields()
        // Fields 19 (nice), 40 (rt_priority), 41 (policy), counted from 1.
        guard fields.count > 38 else {
            report.fail("scheduler", "cannot read /proc/self/stat")
            return
        }
        report.equal("scheduler", "policy (field 41 of /proc/self/stat)", Int(fields[38]) ?? -1, policies[policy] ?? -1)
        report.equal("scheduler", "rt_priority (field 40)", Int(fields[37]) ?? -1, scheduler["priority"].int ?? 0)
        if policy == "SCHED_OTHER" || policy == "SCHED_BATCH" {
            report.equal("scheduler", "nice (field 19)", Int(fields[16]) ?? -99, scheduler["nice"].int ?? 0)
        }
    }

    /// The expected CPUs: process.execCPUAffinity.final, or (none given) every CPU the
    /// runner's own process may use (annotation org.opencontainers.conformance.cpus).
    mutating func checkCPUAffinity() {
        let final = process["execCPUAffinity"]["final"].string ?? ""
        let everyCPU = config["annotations"]["org.opencontainers.conformance.cpus"].string ?? ""
        let wanted = final.isEmpty ? everyCPU : final
        guard !wanted.isEmpty else {
            report.skip("cpu-affinity", "no expected CPU list")
            return
        }
        guard let seen = System.status("Cpus_allowed_list") else {
            report.fail("cpu-affinity", "no Cpus_allowed_list in /proc/self/status")
            return
        }
        report.equal("cpu-affinity", "CPUs of the process (\(final.isEmpty ? "every CPU" : "execCPUAffinity.final \(final)"))",
                     Self.cpuSet(seen), Self.cpuSet(wanted))
    }

    /// "0-2,5" as a sorted list of CPUs.
    static func cpuSet(_ list: String) -> [Int] {
        var cpus: Set<Int> = []
        for entry in list.split(separator: ",") {
            let bounds = entry.split(separator: "-").compactMap { Int($0.filter { $0 != " " && $0 != "\t" }) }
            if bounds.count == 2, bounds[0] <= bounds[1] { cpus.formUnion(bounds[0]...bounds[1]) } else if let one = bounds.first { cpus.insert(one) }
        }
        return cpus.sorted()
    }
}
