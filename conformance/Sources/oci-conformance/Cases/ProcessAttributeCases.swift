import ConformanceKit
import Glibc

/// config.md "Linux Process" (runtime-spec 1.2): `scheduler`, `ioPriority` and
/// `execCPUAffinity`; config-linux.md "IntelRdt" where the host has no resctrl. The configs
/// say 1.2.0, the version that added these fields.
enum ProcessAttributeCases {
    static let ionice: String? = ["/usr/bin/ionice", "/bin/ionice"].first { access($0, X_OK) == 0 }

    /// The CPUs this (the runner's) process may use, as a CPU list.
    static var ownCPUs: String {
        let status = (try? readText("/proc/self/status")) ?? ""
        let line = status.lines.first { $0.hasPrefix("Cpus_allowed_list:") } ?? ""
        return String(line.dropFirst("Cpus_allowed_list:".count)).trimmed
    }

    static func cpus(_ list: String) -> [Int] {
        var cpus: Set<Int> = []
        for entry in list.split(separator: ",") {
            let bounds = entry.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2, bounds[0] <= bounds[1] { cpus.formUnion(bounds[0]...bounds[1]) } else if let one = bounds.first { cpus.insert(one) }
        }
        return cpus.sorted()
    }

    /// A started container running `sleep`; returns its id and pid.
    static func startSleeper(_ f: inout Fixture) throws -> (id: String, pid: Int) {
        f.config[path: "process.args"] = .strings(["sleep", "600"])
        try f.writeBundle()
        let id = f.newID()
        try f.requireSuccess(f.create(id), "create")
        try f.requireSuccess(f.runtime(["start", id]), "start")
        let pid = f.state(id)?["pid"].int ?? -1
        try f.require(pid > 0, "no pid in the state of \(id)")
        return (id, pid)
    }

    static let all: [Case] = [
        .inside("process.scheduler", "process.scheduler: the process's policy and nice (SCHED_BATCH, nice 7)",
                spec: "config.md Linux Process (1.2): `scheduler` \"is an object describing the scheduler properties for the process\"; `policy` \"represents the scheduling policy\", `nice` \"is the nice value for the process\" (sched_setattr(2))",
                checks: ["scheduler"]) { f in
            f.config["ociVersion"] = "1.2.0"
            f.config[path: "process.scheduler"] = ["policy": "SCHED_BATCH", "nice": 7]
        },
        Case("process.scheduler-exec", "process.scheduler of an exec'd process (SCHED_IDLE)",
             spec: "config.md Linux Process (1.2): `scheduler` \"is an object describing the scheduler properties for the process\"; runtime.md: exec runs a process (config.md Process) in the container") { f in
            f.config["ociVersion"] = "1.2.0"
            let (id, _) = try startSleeper(&f)
            let process: JSON = [
                "args": ["/oci/oci-check", "--config", "/oci/exec-process.json", "scheduler"],
                "cwd": "/", "env": .strings([BaseConfig.path]), "user": ["uid": 0, "gid": 0],
                "scheduler": ["policy": "SCHED_IDLE"],
            ]
            try writeFile(f.rootfs + "/oci/exec-process.json", JSON.object(["process": process]).pretty)
            try writeFile(f.dir + "/exec-process.json", process.pretty)
            let result = f.runtime(["exec", "--process", f.dir + "/exec-process.json", id])
            let verdict = CheckerVerdict(result.stdout)
            try f.require(verdict.failed.isEmpty, verdict.failed.joined(separator: "; "))
            try f.require(!verdict.passed.isEmpty, "the exec'd checker did not run: \(result.summary)")
        },
        Case("process.io-priority", "process.ioPriority: the process's I/O class and level (best-effort 6), read with ioprio_get",
             spec: "config.md Linux Process (1.2): `ioPriority` \"configures the I/O priority settings for the container's processes\"; `class` IOPRIO_CLASS_BE, `priority` \"from 0 (highest) to 7 (lowest)\" (ioprio_set(2))") { f in
            guard let ionice else { throw Outcome.skip("no ionice(1) on the host to read the process's I/O priority") }
            f.config["ociVersion"] = "1.2.0"
            f.config[path: "process.ioPriority"] = ["class": "IOPRIO_CLASS_BE", "priority": 6]
            let (_, pid) = try startSleeper(&f)
            let seen = f.suite.commands.run([ionice, "-p", String(pid)])
            try f.requireSuccess(seen, "ionice -p \(pid)")
            try f.require(seen.stdout.trimmed == "best-effort: prio 6", "I/O priority of the process: expected best-effort: prio 6, got \(seen.stdout.trimmed)")
        },
        Case("process.exec-cpu-affinity", "process.execCPUAffinity.final: the exec'd process's CPUs; the init keeps every CPU",
             spec: "config.md Linux Process (1.2): `execCPUAffinity` \"specifies CPU affinity used to execute the process. This setting is not applicable to the container's init process\"; `final` \"is a list of CPUs the process will be run on after the transition to container's cgroup\"") { f in
            let all = cpus(ownCPUs)
            guard all.count >= 2 else { throw Outcome.skip("needs two CPUs; this process may use \(ownCPUs)") }
            f.config["ociVersion"] = "1.2.0"
            f.config[path: "process.execCPUAffinity"] = ["initial": .string(String(all[0])), "final": .string(String(all[1]))]
            let (id, pid) = try startSleeper(&f)
            let initCPUs = ((try? readText("/proc/\(pid)/status")) ?? "").lines.first { $0.hasPrefix("Cpus_allowed_list:") } ?? ""
            try f.require(cpus(String(initCPUs.dropFirst("Cpus_allowed_list:".count)).trimmed) == all,
                          "the init's CPUs: expected \(ownCPUs) (not applicable to the init), got \(initCPUs)")
            let process: JSON = [
                "args": ["/oci/oci-check", "--config", "/oci/exec-process.json", "cpu-affinity"],
                "cwd": "/", "env": .strings([BaseConfig.path]), "user": ["uid": 0, "gid": 0],
                "execCPUAffinity": ["initial": .string("\(all[0])-\(all[1])"), "final": .string(String(all[0]))],
            ]
            try writeFile(f.rootfs + "/oci/exec-process.json", JSON.object(["process": process]).pretty)
            try writeFile(f.dir + "/exec-process.json", process.pretty)
            let own = f.runtime(["exec", "--process", f.dir + "/exec-process.json", id])
            var verdict = CheckerVerdict(own.stdout)
            try f.require(verdict.failed.isEmpty, "exec --process: " + verdict.failed.joined(separator: "; "))
            try f.require(!verdict.passed.isEmpty, "the exec'd checker did not run: \(own.summary)")
            // Without --process the exec'd process takes config.json's (final: the second CPU).
            try writeFile(f.rootfs + "/oci/exec-process.json", JSON.object(["process": f.config["process"]]).pretty)
            let fromConfig = f.runtime(["exec", id, "/oci/oci-check", "--config", "/oci/exec-process.json", "cpu-affinity"])
            verdict = CheckerVerdict(fromConfig.stdout)
            try f.require(verdict.failed.isEmpty, "exec with config.json's process: " + verdict.failed.joined(separator: "; "))
            try f.require(!verdict.passed.isEmpty, "the exec'd checker did not run: \(fromConfig.summary)")
        },
        Case("errors.scheduler-policy", "an unknown process.scheduler.policy: error naming it, nothing left",
             spec: "config.md Linux Process (1.2): `policy` \"MUST be one of\" SCHED_OTHER ... SCHED_DEADLINE; Valid values: \"Runtimes ... MUST generate an error when invalid or unsupported values are encountered\"") { f in
            f.config["ociVersion"] = "1.2.0"
            f.config[path: "process.scheduler"] = ["policy": "SCHED_CONFORMANCE"]
            try ErrorCases.refusedCreate(&f, "scheduler policy SCHED_CONFORMANCE", field: "process.scheduler.policy")
        },
        Case("errors.io-priority-range", "process.ioPriority.priority 8: error naming it, nothing left",
             spec: "config.md Linux Process (1.2): ioPriority `priority` \"The value should be an integer ranging from 0 (highest) to 7 (lowest)\"; Valid values: \"MUST generate an error when invalid or unsupported values are encountered\"") { f in
            f.config["ociVersion"] = "1.2.0"
            f.config[path: "process.ioPriority"] = ["class": "IOPRIO_CLASS_BE", "priority": 8]
            try ErrorCases.refusedCreate(&f, "I/O priority 8", field: "process.ioPriority.priority")
        },
        Case("linux.intel-rdt", "linux.intelRdt where the host has no resctrl: an error naming it, nothing left",
             spec: "config-linux.md IntelRdt: \"If no mounted `resctrl` pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error\"; runtime.md Errors: \"generating an error MUST leave the state of the environment as if the operation were never attempted\"") { f in
            if fileExists("/sys/fs/resctrl/schemata") {
                throw Outcome.skip("this host has resctrl: applying a schema is not checked by this suite")
            }
            f.config[path: "linux.intelRdt"] = ["closID": "oci-conformance", "l3CacheSchema": "L3:0=ff"]
            try ErrorCases.refusedCreate(&f, "linux.intelRdt without resctrl", field: "linux.intelRdt", words: ["rdt", "resctrl"])
        },
    ]
}
