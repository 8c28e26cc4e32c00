#if canImport(Glibc)
import Glibc
#endif
import OCI
import Testing
@testable import PetrelRuntime

/// Pairs of (file, value) are the readable form of a plan.
private func pairs(_ plan: CgroupSettingsPlan) -> [String] { plan.writes.map { "\($0.file)=\($0.value)" } }

@Suite struct CgroupConversionTests {
    @Test(arguments: [
        (UInt64(0), UInt64(0)), (1, 1), (2, 1), (1024, 39), (512, 20), (262_144, 10_000), (1_000_000, 10_000), (100, 4),
    ])
    func sharesToWeight(shares: UInt64, weight: UInt64) {
        #expect(CgroupConversions.cpuWeight(shares: shares) == weight)
    }

    @Test(arguments: [(UInt16(0), UInt64(0)), (10, 1), (1000, 10_000), (500, 4950), (5, 1), (2000, 10_000)])
    func blkioToIOWeight(weight: UInt16, expected: UInt64) {
        #expect(CgroupConversions.ioWeight(blkioWeight: weight) == expected)
    }

    /// runc's ConvertMemorySwapToCgroupV2Value table.
    @Test(arguments: [
        (Int64(0), Int64(0), Int64(0)),  // nothing set
        (0, -1, -1),  // unlimited memory, swap unset: unlimited swap
        (-1, -1, -1),
        (-1, 1000, -1),  // unlimited swap
        (0, 1000, 0),  // swap unset
        (2000, 1000, 1000),
        (1000, 1000, 0),  // memory == memory+swap: no swap
    ])
    func swapConversion(swap: Int64, limit: Int64, expected: Int64) throws {
        #expect(try CgroupConversions.swapV2(swap: swap, limit: limit) == expected)
    }

    @Test(arguments: [(Int64(2000), Int64(0)), (2000, -1), (500, 1000), (2000, -5)])
    func swapConversionErrors(swap: Int64, limit: Int64) {
        #expect(throws: RuntimeError.self) { try CgroupConversions.swapV2(swap: swap, limit: limit) }
    }

    @Test func hugePageNames() {
        #expect(CgroupConversions.hugePageSizeName(kilobytes: 2048) == "2MB")
        #expect(CgroupConversions.hugePageSizeName(kilobytes: 1_048_576) == "1GB")
        #expect(CgroupConversions.hugePageSizeName(kilobytes: 64) == "64KB")
        #expect(CgroupStatsReader.hugePageSize("hugepages-2048kB") == "2MB")
        #expect(CgroupStatsReader.hugePageSize("other") == nil)
    }
}

@Suite struct CgroupSettingsV2Tests {
    let facts = CgroupFacts()

    @Test func emptyResourcesWriteNothing() throws {
        #expect(try CgroupSettings.v2(LinuxResources(), facts: facts) == CgroupSettingsPlan())
    }

    @Test func everyField() throws {
        let resources = LinuxResources(
            memory: LinuxMemory(limit: 67_108_864, reservation: 33_554_432, swap: 134_217_728),
            cpu: LinuxCPU(shares: 1024, quota: 50_000, burst: 10_000, period: 100_000, cpus: "0-1", mems: "0", idle: 0),
            pids: LinuxPids(limit: 32),
            blockIO: LinuxBlockIO(
                weight: 500,
                throttleReadBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 1_048_576)],
                throttleWriteBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 2_097_152)],
                throttleReadIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 16, rate: 100)],
                throttleWriteIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 200)]),
            hugepageLimits: [LinuxHugepageLimit(pageSize: "2MB", limit: 1_073_741_824)],
            rdma: ["mlx5_1": LinuxRdma(hcaHandles: 3, hcaObjects: 10000), "mlx4_0": LinuxRdma(hcaObjects: 5)],
            unified: ["memory.high": "50M", "io.latency": "8:0 target=100"])
        let plan = try CgroupSettings.v2(resources, facts: facts)
        #expect(pairs(plan) == [
            "pids.max=32",
            "memory.swap.max=67108864",
            "memory.max=67108864",
            "memory.low=33554432",
            "io.weight=4950",
            "io.max=8:0 rbps=1048576 wbps=2097152 wiops=200",
            "io.max=8:16 riops=100",
            "cpu.weight=39",
            "cpu.idle=0",
            "cpu.max.burst=10000",
            "cpu.max=50000 100000",
            "cpu.max.burst=10000",
            "cpuset.cpus=0-1",
            "cpuset.mems=0",
            "hugetlb.2MB.max=1073741824",
            "rdma.max=mlx4_0 hca_object=5",
            "rdma.max=mlx5_1 hca_handle=3 hca_object=10000",
            "io.latency=8:0 target=100",
            "memory.high=50M",
        ])
        #expect(plan.writes.allSatisfy { $0.controller == "unified" })
        #expect(plan.ignored.isEmpty)
    }

    @Test(arguments: [
        (Int64(-1), Int64?(nil), ["memory.swap.max=max", "memory.max=max"]),
        (-1, -1, ["memory.swap.max=max", "memory.max=max"]),
        (1000, -1, ["memory.swap.max=max", "memory.max=1000"]),
        (1000, 1000, ["memory.swap.max=0", "memory.max=1000"]),
        (1000, 3000, ["memory.swap.max=2000", "memory.max=1000"]),
        (1000, nil, ["memory.max=1000"]),
        (1000, 0, ["memory.max=1000"]),
    ])
    func memoryAndSwap(limit: Int64, swap: Int64?, expected: [String]) throws {
        let plan = try CgroupSettings.v2(LinuxResources(memory: LinuxMemory(limit: limit, swap: swap)), facts: facts)
        #expect(pairs(plan) == expected)
    }

    @Test func swapWithoutLimitIsAnError() {
        let error = #expect(throws: RuntimeError.self) {
            try CgroupSettings.v2(LinuxResources(memory: LinuxMemory(swap: 1000)), facts: facts)
        }
        #expect(error?.description == "linux.resources.memory.swap: unable to set swap limit without memory limit")
    }

    @Test func swapMaxAndZeroTolerateMissingSwapAccounting() throws {
        let plan = try CgroupSettings.v2(LinuxResources(memory: LinuxMemory(limit: 100, swap: -1)), facts: facts)
        #expect(plan.writes.first?.tolerated == [ENOENT])
        let finite = try CgroupSettings.v2(LinuxResources(memory: LinuxMemory(limit: 100, swap: 300)), facts: facts)
        #expect(finite.writes.first?.file == "memory.swap.max")
        #expect(finite.writes.first?.tolerated == [])
    }

    @Test func v1OnlyMemoryFieldsAreIgnored() throws {
        let memory = LinuxMemory(kernel: 1000, kernelTCP: 1000, swappiness: 10, disableOOMKiller: true, useHierarchy: true)
        let plan = try CgroupSettings.v2(LinuxResources(memory: memory), facts: facts)
        #expect(plan.writes.isEmpty)
        #expect(plan.ignored.count == 5)
    }

    @Test func checkBeforeUpdateRefusesALimitBelowUsage() throws {
        var facts = CgroupFacts()
        facts.memoryUsage = 5000
        let memory = LinuxMemory(limit: 4000, checkBeforeUpdate: true)
        let error = #expect(throws: RuntimeError.self) { try CgroupSettings.v2(LinuxResources(memory: memory), facts: facts) }
        #expect(error?.description.hasPrefix("cannot set memory.max to \"4000\": rejecting memory limit below current usage 5000") == true)
        // Above usage, without the flag, or with unknown usage: written.
        #expect(try pairs(CgroupSettings.v2(LinuxResources(memory: LinuxMemory(limit: 6000, checkBeforeUpdate: true)), facts: facts)) == ["memory.max=6000"])
        #expect(try pairs(CgroupSettings.v2(LinuxResources(memory: LinuxMemory(limit: 4000)), facts: facts)) == ["memory.max=4000"])
        #expect(try pairs(CgroupSettings.v2(LinuxResources(memory: memory), facts: CgroupFacts())) == ["memory.max=4000"])
    }

    @Test(arguments: [(Int64(0), "max"), (-1, "max"), (-5, "max"), (1, "1"), (4096, "4096")])
    func pidsLimit(limit: Int64, expected: String) throws {
        #expect(try pairs(CgroupSettings.v2(LinuxResources(pids: LinuxPids(limit: limit)), facts: facts)) == ["pids.max=\(expected)"])
    }

    @Test(arguments: [
        (Int64?(nil), UInt64?(50_000), "max 50000"),
        (Int64?(-1), UInt64?(nil), "max"),
        (Int64?(-1), UInt64?(20_000), "max 20000"),
        (Int64?(25_000), UInt64?(nil), "25000"),
        (Int64?(25_000), UInt64?(0), "25000"),
    ])
    func cpuMax(quota: Int64?, period: UInt64?, expected: String) throws {
        let plan = try CgroupSettings.v2(LinuxResources(cpu: LinuxCPU(quota: quota, period: period)), facts: facts)
        #expect(pairs(plan) == ["cpu.max=\(expected)"])
    }

    @Test func cpuRealtimeIsIgnored() throws {
        let plan = try CgroupSettings.v2(LinuxResources(cpu: LinuxCPU(realtimeRuntime: 100, realtimePeriod: 1000)), facts: facts)
        #expect(plan.writes.isEmpty)
        #expect(plan.ignored.count == 1)
    }

    @Test func burstAloneIsOneWrite() throws {
        #expect(try pairs(CgroupSettings.v2(LinuxResources(cpu: LinuxCPU(burst: 5)), facts: facts)) == ["cpu.max.burst=5"])
    }

    @Test func bfqGetsRawWeightsAndPerDeviceWeights() throws {
        var facts = CgroupFacts()
        facts.bfqWeight = true
        let blockIO = LinuxBlockIO(weight: 300, leafWeight: 10, weightDevice: [
            LinuxWeightDevice(major: 8, minor: 0, weight: 200), LinuxWeightDevice(major: 8, minor: 16, leafWeight: 5),
        ])
        let plan = try CgroupSettings.v2(LinuxResources(blockIO: blockIO), facts: facts)
        #expect(pairs(plan) == ["io.bfq.weight=300", "io.bfq.weight=8:0 200"])
        #expect(plan.ignored.count == 2)  // leafWeight, and 8:16's leafWeight
    }

    @Test func perDeviceWeightsNeedBFQ() throws {
        let blockIO = LinuxBlockIO(weightDevice: [LinuxWeightDevice(major: 8, minor: 0, weight: 200)])
        let plan = try CgroupSettings.v2(LinuxResources(blockIO: blockIO), facts: facts)
        #expect(plan.writes.isEmpty)
        #expect(plan.ignored.first?.contains("BFQ") == true)
    }

    @Test func networkIsIgnored() throws {
        let plan = try CgroupSettings.v2(LinuxResources(network: LinuxNetwork(classID: 1)), facts: facts)
        #expect(plan.writes.isEmpty)
        #expect(plan.ignored.count == 1)
    }

    @Test(arguments: ["../x", "a/b", "", "nodot", ".."])
    func unifiedKeysMustBeFileNames(key: String) {
        #expect(throws: RuntimeError.self) { try CgroupSettings.v2(LinuxResources(unified: [key: "1"]), facts: facts) }
    }

    @Test(arguments: ["../2MB", "2 MB", ""])
    func pageSizesMustBePlain(size: String) {
        #expect(throws: RuntimeError.self) {
            try CgroupSettings.v2(LinuxResources(hugepageLimits: [LinuxHugepageLimit(pageSize: size, limit: 1)]), facts: facts)
        }
    }
}

@Suite struct CgroupSettingsV1Tests {
    var facts: CgroupFacts {
        var facts = CgroupFacts()
        facts.v1Controllers = ["cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "hugetlb", "net_cls", "net_prio", "devices", "freezer"]
        return facts
    }

    @Test func everyField() throws {
        let resources = LinuxResources(
            memory: LinuxMemory(
                limit: 67_108_864, reservation: 33_554_432, swap: 134_217_728, kernel: 1_000_000, kernelTCP: 2_000_000,
                swappiness: 10, disableOOMKiller: true),
            cpu: LinuxCPU(
                shares: 512, quota: 50_000, burst: 1000, period: 100_000, realtimeRuntime: 950_000, realtimePeriod: 1_000_000,
                cpus: "0", mems: "0", idle: 1),
            pids: LinuxPids(limit: 32),
            blockIO: LinuxBlockIO(
                weight: 500, leafWeight: 300,
                weightDevice: [LinuxWeightDevice(major: 8, minor: 0, weight: 600, leafWeight: 700)],
                throttleReadBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 1)],
                throttleWriteBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 2)],
                throttleReadIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 3)],
                throttleWriteIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 4)]),
            hugepageLimits: [LinuxHugepageLimit(pageSize: "2MB", limit: 4_194_304)],
            network: LinuxNetwork(classID: 0x100001, priorities: [LinuxInterfacePriority(name: "eth0", priority: 5)]),
            rdma: ["mlx5_1": LinuxRdma(hcaHandles: 3)])
        let plan = try CgroupSettings.v1(resources, facts: facts)
        #expect(plan.writes.map { "\($0.controller):\($0.file)=\($0.value)" } == [
            "cpuset:cpuset.cpus=0",
            "cpuset:cpuset.mems=0",
            "memory:memory.limit_in_bytes=67108864",
            "memory:memory.memsw.limit_in_bytes=134217728",
            "memory:memory.kmem.limit_in_bytes=1000000",
            "memory:memory.kmem.tcp.limit_in_bytes=2000000",
            "memory:memory.soft_limit_in_bytes=33554432",
            "memory:memory.oom_control=1",
            "memory:memory.swappiness=10",
            "cpu:cpu.shares=512",
            "cpu:cpu.cfs_period_us=100000",
            "cpu:cpu.cfs_quota_us=50000",
            "cpu:cpu.cfs_period_us=100000",
            "cpu:cpu.cfs_burst_us=1000",
            "cpu:cpu.rt_period_us=1000000",
            "cpu:cpu.rt_runtime_us=950000",
            "cpu:cpu.idle=1",
            "pids:pids.max=32",
            "blkio:blkio.weight=500",
            "blkio:blkio.leaf_weight=300",
            "blkio:blkio.weight_device=8:0 600",
            "blkio:blkio.leaf_weight_device=8:0 700",
            "blkio:blkio.throttle.read_bps_device=8:0 1",
            "blkio:blkio.throttle.write_bps_device=8:0 2",
            "blkio:blkio.throttle.read_iops_device=8:0 3",
            "blkio:blkio.throttle.write_iops_device=8:0 4",
            "hugetlb:hugetlb.2MB.limit_in_bytes=4194304",
            "net_cls:net_cls.classid=1048577",
            "net_prio:net_prio.ifpriomap=eth0 5",
            "rdma:rdma.max=mlx5_1 hca_handle=3",
        ])
        // A shorter period may be refused until the quota is in: tolerated the first time.
        #expect(plan.writes[10].tolerated == [EINVAL])
        #expect(plan.writes[12].tolerated == [])
    }

    @Test func swapGoesFirstWhenItGrowsPastTheCurrentLimit() throws {
        var facts = self.facts
        facts.memoryLimit = 100
        let plan = try CgroupSettings.v1(LinuxResources(memory: LinuxMemory(limit: 300, swap: 600)), facts: facts)
        #expect(pairs(plan) == ["memory.memsw.limit_in_bytes=600", "memory.limit_in_bytes=300"])
        facts.memoryLimit = 1000
        let shrinking = try CgroupSettings.v1(LinuxResources(memory: LinuxMemory(limit: 300, swap: 600)), facts: facts)
        #expect(pairs(shrinking) == ["memory.limit_in_bytes=300", "memory.memsw.limit_in_bytes=600"])
        let unlimited = try CgroupSettings.v1(LinuxResources(memory: LinuxMemory(limit: 300, swap: -1)), facts: facts)
        #expect(pairs(unlimited) == ["memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=300"])
    }

    @Test func unlimitedMemoryAlsoUnlimitsSwapWhenAccounted() throws {
        #expect(try pairs(CgroupSettings.v1(LinuxResources(memory: LinuxMemory(limit: -1)), facts: facts))
            == ["memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"])
        var noSwap = facts
        noSwap.swapAccounting = false
        #expect(try pairs(CgroupSettings.v1(LinuxResources(memory: LinuxMemory(limit: -1)), facts: noSwap)) == ["memory.limit_in_bytes=-1"])
    }

    @Test func kernelMemoryToleratesKernelsWithoutIt() throws {
        let plan = try CgroupSettings.v1(LinuxResources(memory: LinuxMemory(kernel: 5)), facts: facts)
        #expect(plan.writes.first?.tolerated.contains(ENOENT) == true)
        #expect(plan.writes.first?.tolerated.contains(EOPNOTSUPP) == true)
    }

    @Test func swappinessAbove100IsRefused() {
        #expect(throws: RuntimeError.self) {
            try CgroupSettings.v1(LinuxResources(memory: LinuxMemory(swappiness: 101)), facts: facts)
        }
    }

    @Test func bfqBlkioNames() throws {
        var facts = self.facts
        facts.blkioWeightFile = false
        let blockIO = LinuxBlockIO(weight: 100, weightDevice: [LinuxWeightDevice(major: 8, minor: 0, weight: 200)])
        #expect(try pairs(CgroupSettings.v1(LinuxResources(blockIO: blockIO), facts: facts))
            == ["blkio.bfq.weight=100", "blkio.bfq.weight_device=8:0 200"])
    }

    @Test func hugetlbOnlyOnTheUnifiedSideOfAHybridHost() throws {
        var facts = self.facts
        facts.v1Controllers.remove("hugetlb")
        facts.unifiedControllers = ["hugetlb"]
        let plan = try CgroupSettings.v1(LinuxResources(hugepageLimits: [LinuxHugepageLimit(pageSize: "2MB", limit: 2_097_152)]), facts: facts)
        #expect(plan.writes == [CgroupWrite("unified", "hugetlb.2MB.max", "2097152")])
    }

    @Test func unifiedOnV1OnlyForControllersOnTheCgroup2Side() throws {
        let error = #expect(throws: RuntimeError.self) {
            try CgroupSettings.v1(LinuxResources(unified: ["memory.high": "1G"]), facts: facts)
        }
        #expect(error?.description.contains("cannot set \"memory.high\" on cgroup v1") == true)
        var hybrid = facts
        hybrid.unifiedControllers = ["hugetlb"]
        let plan = try CgroupSettings.v1(LinuxResources(unified: ["hugetlb.2MB.max": "0", "cgroup.max.depth": "3"]), facts: hybrid)
        #expect(plan.writes == [CgroupWrite("unified", "cgroup.max.depth", "3"), CgroupWrite("unified", "hugetlb.2MB.max", "0")])
    }

    @Test func pidsAndShares() throws {
        #expect(try pairs(CgroupSettings.v1(LinuxResources(pids: LinuxPids(limit: 0)), facts: facts)) == ["pids.max=max"])
        #expect(try pairs(CgroupSettings.v1(LinuxResources(cpu: LinuxCPU(shares: 0)), facts: facts)) == [])
    }
}
