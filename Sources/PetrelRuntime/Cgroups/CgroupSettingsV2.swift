#if canImport(Glibc)
import Glibc
#endif
import OCI

/// LinuxResources → cgroup v2 files, following runc's fs2 driver (order: pids, memory, io,
/// cpu, cpuset, hugetlb, rdma, then the raw `unified` map last so it can override).
/// Devices are not files on v2: see DeviceFilter.
public enum CgroupSettings {
    static let unified = CgroupDirectory.unified

    public static func v2(_ resources: LinuxResources, facts: CgroupFacts) throws(RuntimeError) -> CgroupSettingsPlan {
        var plan = CgroupSettingsPlan()
        if let pids = resources.pids {
            plan.write(unified, "pids.max", pids.limit > 0 ? String(pids.limit) : "max")
        }
        if let memory = resources.memory { try memoryV2(memory, facts: facts, into: &plan) }
        if let blockIO = resources.blockIO { ioV2(blockIO, facts: facts, into: &plan) }
        if let cpu = resources.cpu { cpuV2(cpu, into: &plan) }
        for limit in resources.hugepageLimits ?? [] {
            try validatePageSize(limit.pageSize)
            plan.write(unified, "hugetlb.\(limit.pageSize).max", String(limit.limit))
        }
        for line in rdmaLines(resources.rdma) { plan.write(unified, "rdma.max", line) }
        if resources.network != nil { plan.ignored.append("linux.resources.network (net_cls/net_prio are cgroup v1 only)") }
        for (key, value) in (resources.unified ?? [:]).sorted(by: { $0.key < $1.key }) {
            try validateUnifiedKey(key)
            plan.write(unified, key, value)
        }
        return plan
    }

    static func memoryV2(_ memory: LinuxMemory, facts: CgroupFacts, into plan: inout CgroupSettingsPlan) throws(RuntimeError) {
        let limit = memory.limit ?? 0
        try checkBeforeUpdate(memory, file: "memory.max", usage: facts.memoryUsage)
        let swap = try CgroupConversions.swapV2(swap: memory.swap ?? 0, limit: limit)
        var swapValue = CgroupConversions.v2Limit(swap)
        // memory == memory+swap: swap is switched off, which is "0", not "leave as is".
        if swapValue == nil, swap == 0, (memory.swap ?? 0) > 0 { swapValue = "0" }
        if let swapValue {
            // Without swap accounting the file is missing; "max" and "0" then hold anyway.
            let tolerated = swapValue == "max" || swapValue == "0" ? [ENOENT] : []
            plan.write(unified, "memory.swap.max", swapValue, tolerated: tolerated)
        }
        if let value = CgroupConversions.v2Limit(limit) { plan.write(unified, "memory.max", value) }
        if let value = CgroupConversions.v2Limit(memory.reservation ?? 0) { plan.write(unified, "memory.low", value) }
        if memory.kernel != nil { plan.ignored.append("linux.resources.memory.kernel (no cgroup v2 equivalent)") }
        if memory.kernelTCP != nil { plan.ignored.append("linux.resources.memory.kernelTCP (no cgroup v2 equivalent)") }
        if memory.swappiness != nil { plan.ignored.append("linux.resources.memory.swappiness (no cgroup v2 equivalent)") }
        if memory.disableOOMKiller == true {
            plan.ignored.append("linux.resources.memory.disableOOMKiller (not supported on cgroup v2)")
        }
        if memory.useHierarchy != nil { plan.ignored.append("linux.resources.memory.useHierarchy (always on in cgroup v2)") }
    }

    /// checkBeforeUpdate: refuse a limit below what the cgroup already uses, instead of
    /// letting the kernel reclaim or OOM-kill to get there. Best effort, like runc: no usage
    /// known (a new cgroup) means no check.
    static func checkBeforeUpdate(_ memory: LinuxMemory, file: String, usage: UInt64?) throws(RuntimeError) {
        guard memory.checkBeforeUpdate == true, let limit = memory.limit, limit > 0, let usage else { return }
        if usage >= UInt64(limit) {
            throw RuntimeError(
                "cannot set \(file) to \(JSONText.quote(String(limit))): rejecting memory limit below current usage \(usage) (linux.resources.memory.checkBeforeUpdate)")
        }
    }

    static func ioV2(_ blockIO: LinuxBlockIO, facts: CgroupFacts, into plan: inout CgroupSettingsPlan) {
        if let weight = blockIO.weight, weight != 0 {
            if facts.bfqWeight {
                plan.write(unified, "io.bfq.weight", String(weight))
            } else {
                plan.write(unified, "io.weight", String(CgroupConversions.ioWeight(blkioWeight: weight)))
            }
        }
        for device in blockIO.weightDevice ?? [] {
            if device.leafWeight != nil {
                plan.ignored.append("linux.resources.blockIO.weightDevice \(device.major):\(device.minor) leafWeight (no cgroup v2 equivalent)")
            }
            guard let weight = device.weight, weight != 0 else { continue }
            if facts.bfqWeight {
                plan.write(unified, "io.bfq.weight", "\(device.major):\(device.minor) \(weight)")
            } else {
                plan.ignored.append("linux.resources.blockIO.weightDevice \(device.major):\(device.minor) (needs the BFQ scheduler: no io.bfq.weight)")
            }
        }
        if blockIO.leafWeight != nil { plan.ignored.append("linux.resources.blockIO.leafWeight (no cgroup v2 equivalent)") }
        // One io.max line per device carrying every throttle it has (the kernel keeps the
        // keys a line leaves out), devices in the order they first appear.
        var order: [String] = []
        var keys: [String: [String]] = [:]
        let throttles: [(String, [LinuxThrottleDevice]?)] = [
            ("rbps", blockIO.throttleReadBpsDevice), ("wbps", blockIO.throttleWriteBpsDevice),
            ("riops", blockIO.throttleReadIOPSDevice), ("wiops", blockIO.throttleWriteIOPSDevice),
        ]
        for (key, devices) in throttles {
            for device in devices ?? [] {
                let id = "\(device.major):\(device.minor)"
                if keys[id] == nil { order.append(id) }
                keys[id, default: []].append("\(key)=\(device.rate)")
            }
        }
        for id in order { plan.write(unified, "io.max", ([id] + (keys[id] ?? [])).joined(separator: " ")) }
    }

    static func cpuV2(_ cpu: LinuxCPU, into plan: inout CgroupSettingsPlan) {
        let weight = CgroupConversions.cpuWeight(shares: cpu.shares ?? 0)
        if weight != 0 { plan.write(unified, "cpu.weight", String(weight)) }
        if let idle = cpu.idle { plan.write(unified, "cpu.idle", String(idle)) }
        let quota = cpu.quota ?? 0, period = cpu.period ?? 0
        let setsMax = quota != 0 || period != 0
        // The kernel wants burst <= quota: a burst above the old quota only fits after
        // cpu.max, one above the new quota only before. Try before (EINVAL tolerated), then
        // again after, as runc does.
        if let burst = cpu.burst, setsMax { plan.write(unified, "cpu.max.burst", String(burst), tolerated: [EINVAL]) }
        if setsMax {
            var value = quota > 0 ? String(quota) : "max"
            if period != 0 { value += " \(period)" }
            plan.write(unified, "cpu.max", value)
        }
        if let burst = cpu.burst { plan.write(unified, "cpu.max.burst", String(burst)) }
        if let cpus = cpu.cpus, !cpus.isEmpty { plan.write(unified, "cpuset.cpus", cpus) }
        if let mems = cpu.mems, !mems.isEmpty { plan.write(unified, "cpuset.mems", mems) }
        if cpu.realtimeRuntime != nil || cpu.realtimePeriod != nil {
            plan.ignored.append("linux.resources.cpu.realtimeRuntime/realtimePeriod (no cgroup v2 equivalent)")
        }
    }

    /// rdma.max lines, sorted by device so the writes are deterministic.
    static func rdmaLines(_ rdma: [String: LinuxRdma]?) -> [String] {
        (rdma ?? [:]).sorted { $0.key < $1.key }.compactMap { device, limits in
            var line = device
            if let handles = limits.hcaHandles { line += " hca_handle=\(handles)" }
            if let objects = limits.hcaObjects { line += " hca_object=\(objects)" }
            return line == device ? nil : line
        }
    }

    /// The page size becomes part of a file name: keep it to letters and digits.
    static func validatePageSize(_ size: String) throws(RuntimeError) {
        guard !size.isEmpty, size.utf8.allSatisfy({ isAlphanumeric($0) }) else {
            throw RuntimeError("linux.resources.hugepageLimits: invalid pageSize \(JSONText.quote(size))")
        }
    }

    /// A unified key is a file name in the container's cgroup, never a path.
    static func validateUnifiedKey(_ key: String) throws(RuntimeError) {
        guard !key.isEmpty, !key.contains("/"), key != ".", key != "..", key.contains(".") else {
            throw RuntimeError("linux.resources.unified: invalid key \(JSONText.quote(key)) (a cgroup file name such as \"memory.high\")")
        }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
