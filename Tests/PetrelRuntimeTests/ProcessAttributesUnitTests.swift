import OCI
import Testing
@testable import PetrelRuntime

@Suite struct ProcessAttributesUnitTests {
    @Test func schedulerBecomesSchedAttr() throws {
        let batch = try ProcessAttributes.scheduler(Scheduler(policy: .batch, nice: 7, flags: [.resetOnFork, .keepParams]), field: "process.scheduler")
        #expect(batch == .init(policy: 3, flags: 0x11, nice: 7, priority: 0, runtime: 0, deadline: 0, period: 0))
        let rr = try ProcessAttributes.scheduler(Scheduler(policy: .rr, priority: 99), field: "process.scheduler")
        #expect(rr.policy == 2 && rr.priority == 99)
        let deadline = try ProcessAttributes.scheduler(Scheduler(policy: .deadline, runtime: 42000, deadline: 100_000, period: 1_000_000), field: "process.scheduler")
        #expect(deadline.policy == 6 && deadline.runtime == 42000 && deadline.deadline == 100_000 && deadline.period == 1_000_000)
        #expect(try ProcessAttributes.ioPriority(LinuxIOPriority(class: .realtime, priority: 3), field: "process.ioPriority") == 1 << 13 | 3)
        #expect(try ProcessAttributes.ioPriority(LinuxIOPriority(class: .idle, priority: 7), field: "process.ioPriority") == 3 << 13 | 7)
    }

    @Test(arguments: [
        (Scheduler(policy: "SCHED_FOO"), "process.scheduler.policy: unknown policy \"SCHED_FOO\""),
        (Scheduler(policy: ""), "process.scheduler.policy: required"),
        (Scheduler(policy: .iso), "process.scheduler.policy: SCHED_ISO is reserved"),
        (Scheduler(policy: .other, nice: -21), "process.scheduler.nice: -21 is outside -20..19"),
        (Scheduler(policy: .idle, priority: 1), "process.scheduler.priority: only SCHED_FIFO and SCHED_RR"),
        (Scheduler(policy: .fifo), "process.scheduler.priority: SCHED_FIFO needs a priority in 1..99, got 0"),
        (Scheduler(policy: .batch, period: 5), "process.scheduler.period: only SCHED_DEADLINE"),
        (Scheduler(policy: .deadline, runtime: 2000), "process.scheduler.deadline: SCHED_DEADLINE needs a deadline"),
        (Scheduler(policy: .deadline, runtime: 100, deadline: 2000), "process.scheduler.runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns"),
        (Scheduler(policy: .deadline, runtime: 2000, deadline: 3000, period: 2500), "process.scheduler.deadline: 3000 is above the period 2500"),
        (Scheduler(policy: .other, flags: [.reclaim, "SCHED_FLAG_X"]), "process.scheduler.flags[1]: unknown flag \"SCHED_FLAG_X\""),
    ])
    func badSchedulers(_ scheduler: Scheduler, _ message: String) {
        #expect(throws: RuntimeError.self) { try ProcessAttributes.scheduler(scheduler, field: "process.scheduler") }
        do {
            _ = try ProcessAttributes.scheduler(scheduler, field: "process.scheduler")
        } catch {
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }

    @Test func cpuListsAsRuncParsesThem() throws {
        func cpus(_ list: String) throws -> [Int]? {
            guard let mask = try ProcessAttributes.cpuMask(list, field: "f") else { return nil }
            #expect(mask.count == ProcessAttributes.maximumCPUs / 64)
            return (0..<ProcessAttributes.maximumCPUs).filter { mask[$0 / 64] & (1 << UInt64($0 % 64)) != 0 }
        }
        #expect(try cpus("") == nil)
        #expect(try ProcessAttributes.cpuMask(nil, field: "f") == nil)
        #expect(try cpus("0") == [0])
        #expect(try cpus("0-3,7") == [0, 1, 2, 3, 7])
        #expect(try cpus(",0,1,") == [0, 1])
        #expect(try cpus("    , 1   , 3  ,  5-7,    ") == [1, 3, 5, 6, 7])
        #expect(try cpus("127-129, 1") == [1, 127, 128, 129])
        #expect(try cpus("8191") == [8191])
        for bad in ["-", "1-", "-3", ",", " ", "54-53", "1 - 2", "8192", "0-65537", "a", "1-2-3"] {
            #expect(throws: RuntimeError.self, "\(bad)") { try ProcessAttributes.cpuMask(bad, field: "process.execCPUAffinity.final") }
        }
    }

    @Test func validatorNamesTheConfigPath() {
        var process = Process(args: ["true"], cwd: "/")
        process.ioPriority = LinuxIOPriority(class: .bestEffort, priority: 8)
        #expect(throws: RuntimeError("process.ioPriority.priority: 8 is outside 0..7")) { try ProcessAttributes.validate(process) }
        process.ioPriority = nil
        process.execCPUAffinity = CPUAffinity(initial: "0", final: "x")
        #expect(throws: RuntimeError.self) { try ProcessAttributes.validate(process) }
        process.execCPUAffinity = CPUAffinity(initial: "0", final: "1")
        #expect(throws: Never.self) { try ProcessAttributes.validate(process) }
    }
}
