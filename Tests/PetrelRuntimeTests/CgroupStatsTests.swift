import Testing
@testable import PetrelRuntime

@Suite struct CgroupStatsTests {
    @Test func cpusetLists() {
        #expect(CgroupStatsReader.parseList("0-3,7\n") == [0, 1, 2, 3, 7])
        #expect(CgroupStatsReader.parseList("") == [])
        #expect(CgroupStatsReader.parseList("5") == [5])
    }

    @Test func keyedFiles() {
        let values = CgroupFile.keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
        #expect(values["oom_kill"] == 3)
        #expect(CgroupFile.keyed("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n")["max"] == 12)
        #expect(CgroupFile.parseNumber("max") == UInt64.max)
        #expect(CgroupFile.parseNumber("-1") == 0)
        #expect(CgroupFile.parseNumber("9223372036854771712\n") == 9_223_372_036_854_771_712)
    }

    @Test func usageAll() {
        let parsed = CgroupStatsReader.parseUsageAll("cpu user system\n0 10 20\n1 30 40\n")
        #expect(parsed.user == [10, 30])
        #expect(parsed.kernel == [20, 40])
    }

    @Test func blkioLines() {
        let entries = CgroupStatsReader.parseBlkio("8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n")
        #expect(entries.count == 3)
        #expect(entries[0] == CgroupStats.BlkioEntry(major: 8, minor: 0, op: "Read", value: 4096))
    }

    @Test func ioStatLines() {
        let parsed = CgroupStatsReader.parseIoStat("8:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n254:1 rbytes=1 wbytes=0 rios=1 wios=0\n")
        #expect(parsed.bytes == [
            CgroupStats.BlkioEntry(major: 8, minor: 0, op: "Read", value: 100), CgroupStats.BlkioEntry(major: 8, minor: 0, op: "Write", value: 200),
            CgroupStats.BlkioEntry(major: 254, minor: 1, op: "Read", value: 1), CgroupStats.BlkioEntry(major: 254, minor: 1, op: "Write", value: 0),
        ])
        #expect(parsed.operations.map(\.value) == [3, 4, 1, 0])
    }

    /// The shape runc 1.1.5 printed on the hybrid host for a `sleep` container (raw trimmed).
    @Test func jsonMatchesRunc() {
        var stats = CgroupStats()
        stats.cpu.total = 12_004_359
        stats.cpu.percpu = [3_120_142, 8_884_217]
        stats.cpu.percpuKernel = [0, 7_972_590]
        stats.cpu.percpuUser = [0, 0]
        stats.cpu.kernel = 10_000_000
        stats.cpuset.cpus = [0, 1]
        stats.cpuset.mems = [0]
        stats.cpuset.schedLoadBalance = 1
        stats.cpuset.schedRelaxDomainLevel = -1
        stats.memory.usage = .init(limit: 67_108_864, usage: 770_048, max: 2_502_656, failcnt: 0)
        stats.memory.swap = .init(limit: 9_223_372_036_854_771_712, usage: 770_048, max: 2_502_656, failcnt: 0)
        stats.memory.kernelTCP = .init(limit: 9_223_372_036_854_771_712, usage: 0, max: 0, failcnt: 0)
        stats.memory.raw = ["rss": 49152, "cache": 0]
        stats.pids = .init(current: 1, limit: 32)
        #expect(stats.json == """
            {"cpu":{"usage":{"total":12004359,"percpu":[3120142,8884217],"percpu_kernel":[0,7972590],"percpu_user":[0,0],"kernel":10000000,"user":0},"throttling":{}},\
            "cpuset":{"cpus":[0,1],"cpu_exclusive":0,"mems":[0],"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":1,"sched_relax_domain_level":-1},\
            "memory":{"usage":{"limit":67108864,"usage":770048,"max":2502656,"failcnt":0},"swap":{"limit":9223372036854771712,"usage":770048,"max":2502656,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":9223372036854771712,"failcnt":0},"raw":{"cache":0,"rss":49152}},\
            "pids":{"current":1,"limit":32},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null}
            """)
    }

    @Test func jsonOfV2ShapedStats() {
        var stats = CgroupStats()
        stats.cpu.total = 920_150_000
        stats.memory.cache = 1_789_952
        stats.hugetlb = ["2MB": .init(), "1GB": .init(usage: 0, max: 0, failcnt: 2)]
        stats.blkio.serviceBytes = [CgroupStats.BlkioEntry(major: 8, minor: 0, op: "Read", value: 4096)]
        let json = stats.json
        #expect(json.contains(#""usage":{"total":920150000,"kernel":0,"user":0}"#))
        #expect(json.contains(#""memory":{"cache":1789952,"usage":{"limit":0,"failcnt":0}"#))
        #expect(json.contains(#""hugetlb":{"1GB":{"failcnt":2},"2MB":{"failcnt":0}}"#))
        #expect(json.contains(#""blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":4096}]}"#))
        #expect(json.contains(#""pids":{}"#))
    }
}
