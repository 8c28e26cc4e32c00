import Foundation
import Testing

/// runtime-spec 1.2's process attributes, read from inside the container: process.scheduler
/// (/proc/PID/stat: policy, rt_priority, nice), process.ioPriority (busybox ionice -p) and
/// process.execCPUAffinity (/proc/PID/status Cpus_allowed_list), for the init and for exec;
/// bad values are one error naming the JSON path and leave nothing. linux.intelRdt without
/// resctrl is refused the same way.
@Suite(Harness.enabled)
struct ProcessAttributesTests {
    static let resctrl = FileManager.default.fileExists(atPath: "/sys/fs/resctrl/schemata")
    /// CONFIG_RT_GROUP_SCHED on a cgroup v1 cpu hierarchy: a new cgroup has no real-time
    /// runtime, so SCHED_FIFO/RR there needs linux.resources.cpu.realtimeRuntime.
    static let rtGroupV1 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cpu/cpu.rt_runtime_us")
    /// CONFIG_RT_GROUP_SCHED with cgroup v2: real-time tasks cannot live in a non-root cgroup
    /// that has the cpu controller.
    static let rtGroupV2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") && hostHasRTGroupSched()

    static func hostHasRTGroupSched() -> Bool {
        // /proc/sys/kernel/sched_rt_runtime_us exists either way; the boot config says it.
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let config = (try? String(contentsOfFile: "/boot/config-\(release)", encoding: .utf8)) ?? ""
        return config.contains("CONFIG_RT_GROUP_SCHED=y")
    }

    /// The process's own scheduling policy, rt priority and nice (fields 41, 40, 19 of
    /// /proc/PID/stat), its I/O priority and its CPU list.
    static let report = #"s=$(cat /proc/$$/stat); s=${s##*) }; set -- $s; echo "policy=${39} rtprio=${38} nice=${17}"; ionice -p $$; grep Cpus_allowed_list /proc/$$/status | tr -d '\t'"#

    /// This test process's CPU list: what "every CPU" means for a container here.
    static var ownCPUs: String {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") } ?? ""
        return line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
    }

    static var onlineCPUs: [Int] {
        let text = (try? String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8)) ?? "0"
        var cpus: [Int] = []
        for entry in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let bounds = entry.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2 { cpus += Array(bounds[0]...bounds[1]) } else if let one = bounds.first { cpus.append(one) }
        }
        return cpus
    }

    static var smp: Bool { onlineCPUs.count >= 2 && ownCPUs.contains(where: { $0 == "-" || $0 == "," }) }

    private func realtimeBudget(_ t: Sandbox) throws {
        if Self.rtGroupV1 {
            try t.setConfig("linux.resources.cpu.realtimeRuntime", 10000)
            try t.setConfig("linux.resources.cpu.realtimePeriod", 1_000_000)
        }
    }

    private func processFile(_ t: Sandbox, _ fields: [String: Any], args: [String] = ["sh", "-c", ProcessAttributesTests.report]) throws -> String {
        var process: [String: Any] = ["args": args, "cwd": "/", "env": ["PATH=/bin:/usr/bin"], "user": ["uid": 0, "gid": 0]]
        for (key, value) in fields { process[key] = value }
        let file = t.dir + "/process-\(Harness.randomToken()).json"
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: file))
        return file
    }

    private func containerPids(_ t: Sandbox, _ id: String) -> [Int] {
        let ps = t.runtime(["ps", "--format", "json", id])
        return (try? JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [Int]) ?? []
    }

    // MARK: scheduler and ioPriority, init

    @Test("process.scheduler (SCHED_BATCH, nice) and process.ioPriority (best-effort 6) are the init's",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"))
    func initBatchAndIOPriority() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.scheduler", ["policy": "SCHED_BATCH", "nice": 7])
        try t.setConfig("process.ioPriority", ["class": "IOPRIO_CLASS_BE", "priority": 6])
        let result = try t.run(["sh", "-c", Self.report])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.prefix(2) == ["policy=3 rtprio=0 nice=7", "best-effort: prio 6"], "\(result)")
    }

    @Test("SCHED_RR with a priority and IOPRIO_CLASS_IDLE; SCHED_IDLE; SCHED_DEADLINE with runtime, deadline, period",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"), .enabled(if: !rtGroupV2, "CONFIG_RT_GROUP_SCHED with cgroup v2: no real-time task in a cgroup with the cpu controller"))
    func initRealtimeIdleDeadline() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try realtimeBudget(t)
        try t.setConfig("process.scheduler", ["policy": "SCHED_RR", "priority": 10])
        try t.setConfig("process.ioPriority", ["class": "IOPRIO_CLASS_IDLE", "priority": 0])
        let rr = try t.run(["sh", "-c", Self.report])
        #expect(rr.status == 0, "\(rr)")
        #expect(rr.lines.first?.hasPrefix("policy=2 rtprio=10 ") == true, "\(rr)")
        #expect(rr.lines.dropFirst().first == "idle", "\(rr)")

        try t.setConfig("process.scheduler", ["policy": "SCHED_IDLE"])
        try t.removeConfig("process.ioPriority")
        let idle = try t.run(["sh", "-c", Self.report])
        #expect(idle.lines.first?.hasPrefix("policy=5 rtprio=0 ") == true, "\(idle)")
    }

    @Test("SCHED_DEADLINE with runtime, deadline and period (reset on fork: the shell still forks)",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"))
    func initDeadline() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.scheduler", ["policy": "SCHED_DEADLINE", "runtime": 42000, "deadline": 1_000_000,
                                              "period": 1_000_000, "flags": ["SCHED_FLAG_RESET_ON_FORK"]])
        let result = try t.run(["sh", "-c", Self.report])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.first?.hasPrefix("policy=6 rtprio=0 ") == true, "\(result)")
    }

    // MARK: scheduler and ioPriority, exec

    @Test("exec: the container's scheduler and ioPriority by default, exec --process's own when given",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"))
    func execSchedulerAndIOPriority() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.scheduler", ["policy": "SCHED_BATCH", "nice": 5])
        try t.setConfig("process.ioPriority", ["class": "IOPRIO_CLASS_BE", "priority": 2])
        let id = try t.runDetached(["sleep", "1000"])
        let inherited = t.runtime(["exec", id, "sh", "-c", Self.report])
        #expect(inherited.status == 0, "\(inherited)")
        #expect(inherited.lines.prefix(2) == ["policy=3 rtprio=0 nice=5", "best-effort: prio 2"], "\(inherited)")

        let file = try processFile(t, ["scheduler": ["policy": "SCHED_IDLE"], "ioPriority": ["class": "IOPRIO_CLASS_RT", "priority": 3]])
        let own = t.runtime(["exec", "--process", file, id])
        #expect(own.status == 0, "\(own)")
        #expect(own.lines.first?.hasPrefix("policy=5 rtprio=0 ") == true, "\(own)")
        #expect(own.lines.dropFirst().first == "realtime: prio 3", "\(own)")

        let other = try processFile(t, ["scheduler": ["policy": "SCHED_OTHER", "nice": -3]])
        let plain = t.runtime(["exec", "--process", other, id])
        #expect(plain.lines.first == "policy=0 rtprio=0 nice=-3", "\(plain)")
    }

    // MARK: execCPUAffinity

    @Test("execCPUAffinity: final is the exec'd process's CPUs; without it every CPU; the init keeps every CPU",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"), .enabled(if: smp, "needs two CPUs this process may use"))
    func execCPUAffinity() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let cpus = Self.onlineCPUs
        let first = cpus[0], second = cpus[1]
        let all = Self.ownCPUs
        // config.md: "not applicable to the container's init process"; exec takes it from config.json.
        try t.setConfig("process.execCPUAffinity", ["initial": "\(first)", "final": "\(second)"])
        let id = try t.runDetached(["sleep", "1000"])
        let initCPUs = t.runtime(["exec", id, "sh", "-c", "grep Cpus_allowed_list /proc/1/status | tr -d '\\t'"])
        #expect(initCPUs.out == "Cpus_allowed_list:\(all)", "\(initCPUs)")

        let fromConfig = t.runtime(["exec", id, "sh", "-c", Self.report])
        #expect(fromConfig.status == 0, "\(fromConfig)")
        #expect(fromConfig.lines.last == "Cpus_allowed_list:\(second)", "\(fromConfig)")

        for (fields, expected) in [
            (["initial": "\(first)-\(second)", "final": "\(first)"], "\(first)"),
            (["initial": "\(second)", "final": " \(first) , \(second) "], all),
            // No final: not the initial CPUs but every CPU the cgroup allows.
            (["initial": "\(second)"], all),
        ] as [([String: String], String)] {
            let file = try processFile(t, ["execCPUAffinity": fields])
            let result = t.runtime(["exec", "--process", file, id])
            #expect(result.status == 0, "\(fields): \(result)")
            #expect(result.lines.last == "Cpus_allowed_list:\(expected)", "\(fields): \(result)")
        }
    }

    @Test("execCPUAffinity on CPUs that are not there: sched_setaffinity's error naming initial or final, no process left",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"))
    func execCPUAffinityAbsentCPU() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "1000"])
        let absent = 8000  // below petrel's 8192, above any CPU of the test machines
        for key in ["initial", "final"] {
            let file = try processFile(t, ["execCPUAffinity": [key: "\(absent)"]], args: ["true"])
            let result = t.runtime(["exec", "--process", file, id])
            #expect(result.status != 0, "\(result)")
            #expect(result.stderr.contains("process.execCPUAffinity.\(key)") && result.stderr.contains("sched_setaffinity"), "\(result)")
            #expect(containerPids(t, id).count == 1, "only the init is left")
        }
        // Without execCPUAffinity an exec'd process does not keep the runtime's own CPUs.
        if Self.smp, let taskset = Harness.which("taskset") {
            let first = Self.onlineCPUs[0]
            let pinned = Child(taskset, ["-c", "\(first)", Harness.binary, "--root", t.root, "exec", id, "sh", "-c", Self.report],
                               ioDirectory: t.dir + "/io").wait()
            #expect(pinned.lines.last == "Cpus_allowed_list:\(Self.ownCPUs)", "\(pinned)")
        }
    }

    @Test("run under taskset: the init does not keep the runtime's CPUs (runc 1.3's reset)",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"), .enabled(if: smp && Harness.which("taskset") != nil, "needs two CPUs and taskset"))
    func initAffinityReset() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["sh", "-c", Self.report])
        let id = t.newID("pin")
        let result = Child(Harness.which("taskset") ?? "taskset", ["-c", "\(Self.onlineCPUs[0])", Harness.binary, "--root", t.root, "run", "--bundle", t.bundle, id],
                           ioDirectory: t.dir + "/io").wait()
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.last == "Cpus_allowed_list:\(Self.ownCPUs)", "\(result)")
    }

    // MARK: bad values

    static var badValues: [(path: String, value: Any, expect: String)] { [
        ("process.scheduler", ["policy": "SCHED_FOO"], "process.scheduler.policy: unknown policy"),
        ("process.scheduler", ["policy": "SCHED_ISO"], "process.scheduler.policy"),
        ("process.scheduler", ["policy": "SCHED_OTHER", "nice": 20], "process.scheduler.nice"),
        ("process.scheduler", ["policy": "SCHED_BATCH", "priority": 5], "process.scheduler.priority"),
        ("process.scheduler", ["policy": "SCHED_FIFO", "priority": 0], "process.scheduler.priority"),
        ("process.scheduler", ["policy": "SCHED_RR", "priority": 100], "process.scheduler.priority"),
        ("process.scheduler", ["policy": "SCHED_OTHER", "runtime": 1000], "process.scheduler.runtime"),
        ("process.scheduler", ["policy": "SCHED_DEADLINE", "runtime": 20000, "deadline": 10000], "process.scheduler.runtime"),
        ("process.scheduler", ["policy": "SCHED_DEADLINE"], "process.scheduler.deadline"),
        ("process.scheduler", ["policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_FOO"]], "process.scheduler.flags[0]"),
        ("process.ioPriority", ["class": "IOPRIO_CLASS_FOO", "priority": 1], "process.ioPriority.class"),
        ("process.ioPriority", ["class": "IOPRIO_CLASS_BE", "priority": 8], "process.ioPriority.priority"),
        ("process.ioPriority", ["class": "IOPRIO_CLASS_BE", "priority": -1], "process.ioPriority.priority"),
        ("process.execCPUAffinity", ["initial": "1-0"], "process.execCPUAffinity.initial"),
        ("process.execCPUAffinity", ["final": "0,x"], "process.execCPUAffinity.final"),
        ("process.execCPUAffinity", ["final": ","], "process.execCPUAffinity.final"),
        ("process.execCPUAffinity", ["initial": "70000"], "process.execCPUAffinity.initial"),
    ] }

    @Test("bad scheduler, ioPriority and execCPUAffinity values: create fails naming the field, nothing is left",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"))
    func badValuesRefused() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["true"])
        for bad in Self.badValues {
            try t.removeConfig("process.scheduler")
            try t.removeConfig("process.ioPriority")
            try t.removeConfig("process.execCPUAffinity")
            try t.setConfig(bad.path, bad.value)
            let id = t.newID("bad")
            let result = t.runtime(["create", "--bundle", t.bundle, id])
            #expect(result.status != 0, "\(bad.value): \(result)")
            #expect(result.stderr.contains(bad.expect), "\(bad.value): \(result)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one error line: \(result)")
            #expect(!t.hasStateDir(id), "\(bad.value)")
        }
    }

    @Test("bad values in exec --process: the error names the field, no process is started",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"))
    func badValuesInExec() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "1000"])
        for bad in Self.badValues {
            let key = String(bad.path.dropFirst("process.".count))
            let file = try processFile(t, [key: bad.value], args: ["true"])
            let result = t.runtime(["exec", "--process", file, id])
            #expect(result.status != 0, "\(bad.value): \(result)")
            #expect(result.stderr.contains(bad.expect), "\(bad.value): \(result)")
        }
        #expect(containerPids(t, id).count == 1, "only the init is left")
    }

    @Test("a real-time policy the cgroup cannot run (no realtime runtime) is sched_setattr's error naming process.scheduler, nothing left",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 predates process.scheduler and ioPriority (runc 1.2) and execCPUAffinity (runc 1.3): it ignores them"), .enabled(if: rtGroupV1, "needs CONFIG_RT_GROUP_SCHED on a cgroup v1 cpu hierarchy"))
    func realtimeWithoutBudget() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.scheduler", ["policy": "SCHED_FIFO", "priority": 5])
        try t.setArgs(["true"])
        let id = t.newID("rt")
        let result = t.runtime(["run", "--bundle", t.bundle, id])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("process.scheduler") && result.stderr.contains("sched_setattr"), "\(result)")
        #expect(!t.hasStateDir(id))
    }

    // MARK: intelRdt

    @Test("linux.intelRdt without resctrl: create and run fail naming it; no state, no cgroup is left",
          .enabled(if: !resctrl, "this host has resctrl mounted"))
    func intelRdtRefused() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["true"])
        try t.setConfig("linux.intelRdt", ["closID": "pit", "l3CacheSchema": "L3:0=ff"])
        let cgroupName = "pit-rdt-\(Harness.randomToken())"
        try t.setConfig("linux.cgroupsPath", "/" + cgroupName)
        for verb in ["create", "run"] {
            let id = t.newID("rdt")
            let result = t.runtime([verb, "--bundle", t.bundle, id])
            #expect(result.status != 0, "\(verb): \(result)")
            // runc: "intelRdt.l3CacheSchema is specified in config, but Intel RDT/CAT is not enabled".
            #expect(Harness.isRunc ? result.stderr.contains("intelRdt")
                                   : result.stderr.contains("linux.intelRdt") && result.stderr.contains("resctrl"), "\(verb): \(result)")
            #expect(!t.hasStateDir(id), "\(verb)")
            let hierarchies = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []).map { "/sys/fs/cgroup/" + $0 } + ["/sys/fs/cgroup"]
            for hierarchy in hierarchies {
                #expect(!FileManager.default.fileExists(atPath: hierarchy + "/" + cgroupName), "\(verb): \(hierarchy)/\(cgroupName) left")
            }
        }
    }
}
