#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import PetrelRuntime
import ShimProtocol
import SwiftProtobuf
import Testing
@testable import Shim
#if canImport(Glibc)
import Glibc
#endif

/// Task.Stats: the runtime's cgroup stats mapped onto containerd/cgroups' Metrics, in an Any
/// whose type URL is the bare message name (what typeurl.MarshalAny gives and CRI expects).
@Suite struct TaskMetricsTests {
    static func sampleStats() -> CgroupStats {
        var stats = CgroupStats()
        stats.cpu.total = 5_000_000
        stats.cpu.user = 3_000_000
        stats.cpu.kernel = 2_000_000
        stats.cpu.percpu = [1_000_000, 4_000_000]
        stats.cpu.periods = 10
        stats.cpu.throttledPeriods = 4
        stats.cpu.throttledTime = 7_000
        stats.memory.usage = .init(limit: 64 << 20, usage: 1 << 20, max: 2 << 20, failcnt: 1)
        stats.memory.swap = .init(limit: 128 << 20, usage: 3 << 20, max: 4 << 20, failcnt: 2)
        stats.pids = .init(current: 3, limit: 32)
        stats.blkio.serviceBytes = [.init(major: 8, minor: 0, op: "Read", value: 4096), .init(major: 8, minor: 0, op: "Write", value: 8192)]
        stats.blkio.serviced = [.init(major: 8, minor: 0, op: "Read", value: 1), .init(major: 8, minor: 0, op: "Write", value: 2)]
        stats.hugetlb["2MB"] = .init(usage: 2 << 20, max: 4 << 20, failcnt: 5)
        return stats
    }

    @Test func v1MapsWhatCRIReads() throws {
        var stats = Self.sampleStats()
        stats.memory.raw = [
            "cache": 11, "rss": 12, "total_inactive_file": 13, "total_rss": 14, "total_pgfault": 15,
            "total_pgmajfault": 16, "hierarchical_memory_limit": 17, "pgfault": 18,
        ]
        let devices = TaskMetrics.blockDevices("major minor  #blocks  name\n\n   8        0  1000 sda\n 254        0  268435456 vda\n")
        let metrics = TaskMetrics.v1(stats, oomControl: ["oom_kill_disable": 0, "under_oom": 1, "oom_kill": 2], devices: devices)

        #expect(metrics.cpu.usage.total == 5_000_000)
        #expect(metrics.cpu.usage.user == 3_000_000 && metrics.cpu.usage.kernel == 2_000_000)
        #expect(metrics.cpu.usage.perCpu == [1_000_000, 4_000_000])
        #expect(metrics.cpu.throttling.periods == 10 && metrics.cpu.throttling.throttledPeriods == 4)
        #expect(metrics.cpu.throttling.throttledTime == 7_000)
        #expect(metrics.memory.usage.usage == 1 << 20 && metrics.memory.usage.limit == 64 << 20)
        #expect(metrics.memory.usage.max == 2 << 20 && metrics.memory.usage.failcnt == 1)
        #expect(metrics.memory.swap.usage == 3 << 20 && metrics.memory.swap.limit == 128 << 20)
        #expect(metrics.memory.totalInactiveFile == 13 && metrics.memory.totalRss == 14)
        #expect(metrics.memory.totalPgFault == 15 && metrics.memory.totalPgMajFault == 16)
        #expect(metrics.memory.cache == 11 && metrics.memory.rss == 12 && metrics.memory.pgFault == 18)
        #expect(metrics.memory.hierarchicalMemoryLimit == 17)
        #expect(metrics.memoryOomControl.underOom == 1 && metrics.memoryOomControl.oomKill == 2)
        #expect(metrics.pids.current == 3 && metrics.pids.limit == 32)
        #expect(metrics.blkio.ioServiceBytesRecursive.map(\.device) == ["/dev/sda", "/dev/sda"])
        #expect(metrics.blkio.ioServiceBytesRecursive.map(\.op) == ["Read", "Write"])
        #expect(metrics.blkio.ioServicedRecursive.map(\.value) == [1, 2])
        #expect(metrics.hugetlb.count == 1)
        #expect(metrics.hugetlb.first?.pagesize == "2MB" && metrics.hugetlb.first?.usage == 2 << 20)
        #expect(metrics.hugetlb.first?.max == 4 << 20 && metrics.hugetlb.first?.failcnt == 5)

        // No memory hierarchy: no oom_control message at all, as containerd leaves it nil.
        #expect(!TaskMetrics.v1(stats, oomControl: nil, devices: [:]).hasMemoryOomControl)
    }

    @Test func v2MapsWhatCRIReads() throws {
        var stats = Self.sampleStats()
        stats.memory.usage.limit = UInt64.max
        stats.memory.raw = ["anon": 21, "file": 22, "inactive_file": 23, "pgfault": 24, "pgmajfault": 25, "slab": 26]
        let files = TaskMetrics.V2Files(
            memoryEvents: ["low": 0, "high": 1, "max": 2, "oom": 3, "oom_kill": 4], swapCurrent: 5, swapMax: UInt64.max,
            swapPeak: 6, pidsMax: UInt64.max, hugetlbMax: ["2MB": 8 << 20, "1GB": 0])
        let metrics = TaskMetrics.v2(stats, files)

        // The runtime's reader holds nanoseconds; the v2 message counts microseconds.
        #expect(metrics.cpu.usageUsec == 5_000 && metrics.cpu.userUsec == 3_000 && metrics.cpu.systemUsec == 2_000)
        #expect(metrics.cpu.nrPeriods == 10 && metrics.cpu.nrThrottled == 4 && metrics.cpu.throttledUsec == 7)
        #expect(metrics.memory.usage == 1 << 20 && metrics.memory.usageLimit == UInt64.max)
        #expect(metrics.memory.maxUsage == 2 << 20)
        #expect(metrics.memory.anon == 21 && metrics.memory.file == 22 && metrics.memory.inactiveFile == 23)
        #expect(metrics.memory.pgfault == 24 && metrics.memory.pgmajfault == 25 && metrics.memory.slab == 26)
        // containerd's own files, not runc's memory+swap.
        #expect(metrics.memory.swapUsage == 5 && metrics.memory.swapLimit == UInt64.max && metrics.memory.swapMaxUsage == 6)
        #expect(metrics.memoryEvents.high == 1 && metrics.memoryEvents.oom == 3 && metrics.memoryEvents.oomKill == 4)
        #expect(metrics.pids.current == 3 && metrics.pids.limit == UInt64.max)
        #expect(metrics.io.usage.count == 1)
        let io = try #require(metrics.io.usage.first)
        #expect(io.major == 8 && io.minor == 0 && io.rbytes == 4096 && io.wbytes == 8192 && io.rios == 1 && io.wios == 2)
        #expect(metrics.hugetlb.map(\.pagesize) == ["1GB", "2MB"])
        #expect(metrics.hugetlb.last?.current == 2 << 20 && metrics.hugetlb.last?.max == 8 << 20)

        #expect(!TaskMetrics.v2(stats, TaskMetrics.V2Files()).hasMemoryEvents)
    }

    @Test func anyCarriesTheBareCgroupsTypeURL() throws {
        let v1 = try Google_Protobuf_Any(bare: TaskMetrics.v1(Self.sampleStats(), oomControl: nil, devices: [:]))
        #expect(v1.typeURL == "io.containerd.cgroups.v1.Metrics")
        #expect(try Io_Containerd_Cgroups_V1_Metrics(serializedBytes: [UInt8](v1.value)).cpu.usage.total == 5_000_000)
        let v2 = try Google_Protobuf_Any(bare: TaskMetrics.v2(Self.sampleStats(), TaskMetrics.V2Files()))
        #expect(v2.typeURL == "io.containerd.cgroups.v2.Metrics")
        #expect(try Io_Containerd_Cgroups_V2_Metrics(serializedBytes: [UInt8](v2.value)).cpu.usageUsec == 5_000)
    }

    @Test func partitionsNameDevicesFirstEntryWins() {
        let devices = TaskMetrics.blockDevices("major minor  #blocks  name\n\n   8  0 10 sda\n   8  1 5 sda1\n   8  0 10 other\n")
        #expect(devices == [.init(major: 8, minor: 0): "/dev/sda", .init(major: 8, minor: 1): "/dev/sda1"])
        #expect(TaskMetrics.V2Files.hugetlbMaxSize("hugetlb.2MB.max") == "2MB")
        #expect(TaskMetrics.V2Files.hugetlbMaxSize("hugetlb.2MB.current") == nil)
        #expect(TaskMetrics.V2Files.hugetlbMaxSize("hugetlb.2MB.rsvd.max") == nil)
    }

    @Test func aRemovedCgroupIsAnError() {
        let record = CgroupRecord(
            version: 2, directories: [CgroupDirectory(hierarchy: CgroupDirectory.unified, path: "/sys/fs/cgroup/petrel-test-gone")],
            created: [])
        #expect(throws: RuntimeError.self) { try TaskMetrics.read(record) }
    }

    /// A real cgroup with a process that did some work: usage shows, and the Any decodes back.
    @Test(.enabled(if: CgroupFixture.isRoot, "needs root"))
    func realCgroup() throws {
        let cgroup = try CgroupFixture("metrics")
        defer { cgroup.remove() }
        // Burns CPU and touches fresh memory (a ~1 MB variable, a pipeline of forks) inside
        // the cgroup, then stops again so the stats are read while it is still there.
        let script = """
            kill -STOP $$
            x=$(head -c 1000000 /dev/zero | tr '\\0' a)
            i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done
            kill -STOP $$
            """
        let pid = try cgroup.run(["/bin/sh", "-c", script])
        defer { kill(pid, SIGKILL); _ = reap(pid) }
        var status: Int32 = 0
        try #require(waitStopped(pid, &status), "the script ended early (status \(status))")

        let any = try TaskMetrics.read(cgroup.record)
        if cgroup.record.version == 2 {
            #expect(any.typeURL == "io.containerd.cgroups.v2.Metrics")
            let metrics = try Io_Containerd_Cgroups_V2_Metrics(serializedBytes: [UInt8](any.value))
            #expect(metrics.cpu.usageUsec > 0)
            #expect(metrics.memory.usage > 0)
            #expect(metrics.memory.usageLimit == UInt64.max)
            #expect(metrics.pids.current == 1)
        } else {
            #expect(any.typeURL == "io.containerd.cgroups.v1.Metrics")
            let metrics = try Io_Containerd_Cgroups_V1_Metrics(serializedBytes: [UInt8](any.value))
            #expect(metrics.cpu.usage.total > 0)
            #expect(metrics.memory.usage.usage > 0)
            #expect(metrics.memory.totalPgFault > 0)
            #expect(metrics.pids.current == 1)
            #expect(metrics.hasMemoryOomControl)
        }
    }
}
