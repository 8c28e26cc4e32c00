#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCI
import Testing
@testable import PetrelRuntime

@Suite struct CgroupUpdateTests {
    let stored = LinuxResources(
        devices: [LinuxDeviceCgroup(allow: false, access: "rwm")],
        memory: LinuxMemory(limit: 1000, swap: 2000),
        cpu: LinuxCPU(shares: 1024, quota: 50_000, period: 100_000, cpus: "0"),
        pids: LinuxPids(limit: 32),
        unified: ["memory.high": "900"])

    @Test func mergeReplacesOnlyWhatThePatchSets() {
        let patch = LinuxResources(
            devices: [LinuxDeviceCgroup(allow: true)], memory: LinuxMemory(limit: 3000), cpu: LinuxCPU(quota: 20_000),
            blockIO: LinuxBlockIO(weight: 300), unified: ["pids.max": "5"])
        let merged = ResourceUpdate.merged(stored: stored, patch: patch)
        #expect(merged.memory == LinuxMemory(limit: 3000, swap: 2000))
        #expect(merged.cpu == LinuxCPU(shares: 1024, quota: 20_000, period: 100_000, cpus: "0"))
        #expect(merged.pids == LinuxPids(limit: 32))
        #expect(merged.blockIO == LinuxBlockIO(weight: 300))
        #expect(merged.unified == ["memory.high": "900", "pids.max": "5"])
        #expect(merged.devices == stored.devices)
    }

    @Test func quotaAloneKeepsTheStoredPeriod() {
        let effective = ResourceUpdate.effective(stored: stored, patch: LinuxResources(cpu: LinuxCPU(quota: 20_000)))
        #expect(effective.cpu == LinuxCPU(quota: 20_000, period: 100_000))
        let periodOnly = ResourceUpdate.effective(stored: stored, patch: LinuxResources(cpu: LinuxCPU(period: 50_000)))
        #expect(periodOnly.cpu == LinuxCPU(quota: 50_000, period: 50_000))
        let sharesOnly = ResourceUpdate.effective(stored: stored, patch: LinuxResources(cpu: LinuxCPU(shares: 2)))
        #expect(sharesOnly.cpu == LinuxCPU(shares: 2))
    }

    @Test func swapAloneTakesTheStoredLimit() throws {
        let effective = ResourceUpdate.effective(stored: stored, patch: LinuxResources(memory: LinuxMemory(swap: 5000)))
        #expect(effective.memory == LinuxMemory(limit: 1000, swap: 5000))
        #expect(try CgroupSettings.v2(effective, facts: CgroupFacts()).writes.map(\.description)
            == ["memory.swap.max=\"4000\"", "memory.max=\"1000\""])
    }

    @Test func effectiveNeverCarriesDevices() {
        let effective = ResourceUpdate.effective(stored: stored, patch: LinuxResources(devices: [LinuxDeviceCgroup(allow: true)]))
        #expect(effective.devices == nil)
    }

    static let sizes: [(String, Int64)] = [
        ("1024", 1024), ("64m", 67_108_864), ("64M", 67_108_864), ("64MB", 67_108_864), ("64MiB", 67_108_864),
        ("1g", 1_073_741_824), ("1.5k", 1536), ("2 GiB", 2_147_483_648), ("-1", -1), ("10b", 10), ("1t", 1_099_511_627_776),
    ]

    @Test(arguments: sizes)
    func memorySizes(text: String, bytes: Int64) throws {
        #expect(try Units.bytes(text) == bytes)
    }

    @Test(arguments: ["", "m", "-5", "12x", "1.2.3m", "64mm", ".5m"])
    func badMemorySizes(text: String) {
        #expect(throws: RuntimeError.self) { try Units.bytes(text) }
    }

    static let durations: [(String, Int64)] = [
        ("5s", 5_000_000_000), ("100ms", 100_000_000), ("1m30s", 90_000_000_000), ("1.5h", 5_400_000_000_000),
        ("250us", 250_000), ("10ns", 10), ("0", 0), ("2m", 120_000_000_000),
    ]

    @Test(arguments: durations)
    func goDurations(text: String, nanoseconds: Int64) throws {
        #expect(try Units.duration(text) == nanoseconds)
    }

    @Test(arguments: ["", "5", "s", "5x", "1h-2m"])
    func badDurations(text: String) {
        #expect(throws: RuntimeError.self) { try Units.duration(text) }
    }

    @Test func stateWithoutACgroupStillLoads() throws {
        let json = """
            {"ociVersion":"1.0.2","id":"x","pid":1,"bundle":"/b","rootfs":"/b/rootfs","created":"now","owner":"",
             "initStartTime":5,"ownPidNamespace":true}
            """
        let record = try ContainerRecord.decode(Array(json.utf8))
        #expect(record.cgroup == nil)
    }

    @Test func cgroupRecordRoundTrips() throws {
        let record = CgroupRecord(
            version: 1, directories: [CgroupDirectory(hierarchy: "cpu,cpuacct", path: "/sys/fs/cgroup/cpu,cpuacct/x")],
            created: ["/sys/fs/cgroup/cpu,cpuacct/x"])
        let data = try OCIJSON.encode(record, pretty: false)
        #expect(String(decoding: data, as: UTF8.self)
            == #"{"version":1,"directories":[{"hierarchy":"cpu,cpuacct","path":"/sys/fs/cgroup/cpu,cpuacct/x"}],"created":["/sys/fs/cgroup/cpu,cpuacct/x"]}"#)
        #expect(try OCIJSON.decode(CgroupRecord.self, from: data) == record)
    }
}
