import OCI

/// runtime-spec 1.2's process attributes, checked and resolved for the executor:
/// `process.scheduler` (sched_setattr(2)), `process.ioPriority` (ioprio_set(2)) and
/// `process.execCPUAffinity` (sched_setaffinity(2)). The rules are runc's (its validator and
/// scheduler conversion) plus the kernel's EINVAL checks, so that a bad value is one error
/// naming the JSON path before anything exists. `field` is the path of the process object
/// ("process").
public enum ProcessAttributes {
    /// struct sched_attr's values (include/uapi/linux/sched/types.h).
    public struct Scheduler: Sendable, Equatable {
        public var policy: UInt32
        public var flags: UInt64
        public var nice: Int32
        public var priority: UInt32
        public var runtime: UInt64
        public var deadline: UInt64
        public var period: UInt64
    }

    /// include/uapi/linux/sched.h. SCHED_ISO is reserved there but never implemented.
    public static let policies: [(name: String, value: UInt32)] = [
        ("SCHED_OTHER", 0), ("SCHED_FIFO", 1), ("SCHED_RR", 2), ("SCHED_BATCH", 3),
        ("SCHED_ISO", 4), ("SCHED_IDLE", 5), ("SCHED_DEADLINE", 6),
    ]
    public static let schedulerFlags: [(name: String, value: UInt64)] = [
        ("SCHED_FLAG_RESET_ON_FORK", 0x01), ("SCHED_FLAG_RECLAIM", 0x02), ("SCHED_FLAG_DL_OVERRUN", 0x04),
        ("SCHED_FLAG_KEEP_POLICY", 0x08), ("SCHED_FLAG_KEEP_PARAMS", 0x10),
        ("SCHED_FLAG_UTIL_CLAMP_MIN", 0x20), ("SCHED_FLAG_UTIL_CLAMP_MAX", 0x40),
    ]
    /// include/uapi/linux/ioprio.h
    public static let ioPriorityClasses: [(name: String, value: Int32)] = [
        ("IOPRIO_CLASS_RT", 1), ("IOPRIO_CLASS_BE", 2), ("IOPRIO_CLASS_IDLE", 3),
    ]
    /// The CPU masks handed to the executor have this many bits (runc accepts up to 65536;
    /// 8192 is the largest NR_CPUS of the common kernel configs).
    public static let maximumCPUs = 8192
    static let maskWords = maximumCPUs / 64

    /// Every rule for the three attributes of `process`; the planner calls the same functions.
    public static func validate(_ process: Process, field: String = "process") throws(RuntimeError) {
        if let scheduler = process.scheduler { _ = try self.scheduler(scheduler, field: "\(field).scheduler") }
        if let priority = process.ioPriority { _ = try ioPriority(priority, field: "\(field).ioPriority") }
        if let affinity = process.execCPUAffinity {
            _ = try cpuMask(affinity.initial, field: "\(field).execCPUAffinity.initial")
            _ = try cpuMask(affinity.final, field: "\(field).execCPUAffinity.final")
        }
    }

    public static func scheduler(_ scheduler: OCI.Scheduler, field: String) throws(RuntimeError) -> Scheduler {
        let name = scheduler.policy.rawValue
        guard !name.isEmpty else { throw RuntimeError("\(field).policy: required") }
        guard let policy = policies.first(where: { $0.name == name }) else {
            throw RuntimeError("\(field).policy: unknown policy \(JSONText.quote(name)) (known: \(policies.map(\.name).joined(separator: ", ")))")
        }
        if name == "SCHED_ISO" {
            throw RuntimeError("\(field).policy: SCHED_ISO is reserved by Linux but not implemented (sched_setattr would fail with EINVAL)")
        }
        let nice = scheduler.nice ?? 0
        guard (-20...19).contains(nice) else {
            throw RuntimeError("\(field).nice: \(nice) is outside -20..19")
        }
        let realtime = name == "SCHED_FIFO" || name == "SCHED_RR"
        let priority = scheduler.priority ?? 0
        if realtime {
            guard (1...99).contains(priority) else {
                throw RuntimeError("\(field).priority: \(name) needs a priority in 1..99, got \(priority)")
            }
        } else if priority != 0 {
            throw RuntimeError("\(field).priority: only SCHED_FIFO and SCHED_RR take a priority (policy \(name), priority \(priority))")
        }
        let runtime = scheduler.runtime ?? 0
        let deadline = scheduler.deadline ?? 0
        let period = scheduler.period ?? 0
        if name == "SCHED_DEADLINE" {
            // sched(7) / __checkparam_dl: 1024 ns <= runtime <= deadline <= period (0: the deadline).
            guard deadline > 0 else { throw RuntimeError("\(field).deadline: SCHED_DEADLINE needs a deadline (nanoseconds)") }
            guard runtime >= 1024 else {
                throw RuntimeError("\(field).runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns, got \(runtime)")
            }
            guard runtime <= deadline else {
                throw RuntimeError("\(field).runtime: \(runtime) is above the deadline \(deadline)")
            }
            guard period == 0 || deadline <= period else {
                throw RuntimeError("\(field).deadline: \(deadline) is above the period \(period)")
            }
            guard deadline < 1 << 63, period < 1 << 63 else {
                throw RuntimeError("\(field).deadline: deadline and period must be below 2^63 ns")
            }
        } else {
            for (key, value) in [("runtime", runtime), ("deadline", deadline), ("period", period)] where value != 0 {
                throw RuntimeError("\(field).\(key): only SCHED_DEADLINE takes runtime, deadline and period (policy \(name))")
            }
        }
        var flags: UInt64 = 0
        for (index, flag) in (scheduler.flags ?? []).enumerated() {
            guard let known = schedulerFlags.first(where: { $0.name == flag.rawValue }) else {
                throw RuntimeError("\(field).flags[\(index)]: unknown flag \(JSONText.quote(flag.rawValue)) (known: \(schedulerFlags.map(\.name).joined(separator: ", ")))")
            }
            flags |= known.value
        }
        return Scheduler(policy: policy.value, flags: flags, nice: nice, priority: UInt32(priority),
                         runtime: runtime, deadline: deadline, period: period)
    }

    /// IOPRIO_PRIO_VALUE(class, level).
    public static func ioPriority(_ priority: LinuxIOPriority, field: String) throws(RuntimeError) -> Int32 {
        guard let known = ioPriorityClasses.first(where: { $0.name == priority.class.rawValue }) else {
            throw RuntimeError("\(field).class: unknown class \(JSONText.quote(priority.class.rawValue)) (known: \(ioPriorityClasses.map(\.name).joined(separator: ", ")))")
        }
        guard (0...7).contains(priority.priority) else {
            throw RuntimeError("\(field).priority: \(priority.priority) is outside 0..7")
        }
        return known.value << 13 | Int32(priority.priority)
    }

    /// A CPU list ("0-3,7") as a mask of `maximumCPUs` bits, runc's syntax: entries separated
    /// by commas, blanks around them ignored, empty entries skipped. nil or "": not set.
    public static func cpuMask(_ list: String?, field: String) throws(RuntimeError) -> [UInt64]? {
        guard let list, !list.isEmpty else { return nil }
        var mask = [UInt64](repeating: 0, count: maskWords)
        var any = false
        for entry in list.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = entry.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            let text = String(trimmed)
            if text.isEmpty { continue }
            let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = bounds.first, let low = cpuNumber(first),
                  let high = bounds.count == 2 ? cpuNumber(bounds[1]) : low else {
                throw RuntimeError("\(field): invalid CPU list \(JSONText.quote(list)) (entry \(JSONText.quote(text)); expected N or N-M, as in \"0-3,7\")")
            }
            guard low <= high else {
                throw RuntimeError("\(field): invalid CPU range \(JSONText.quote(text)) in \(JSONText.quote(list)) (start above end)")
            }
            guard high < maximumCPUs else {
                throw RuntimeError("\(field): CPU \(high) in \(JSONText.quote(list)) is above the highest CPU petrel handles (\(maximumCPUs - 1))")
            }
            for cpu in low...high { mask[cpu / 64] |= 1 << UInt64(cpu % 64) }
            any = true
        }
        guard any else { throw RuntimeError("\(field): invalid CPU list \(JSONText.quote(list)) (no CPU in it)") }
        return mask
    }

    private static func cpuNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 6, text.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return Int(text)
    }
}
