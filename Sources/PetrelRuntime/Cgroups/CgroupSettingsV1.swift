#if canImport(Glibc)
import Glibc
#endif
import OCI

/// LinuxResources → cgroup v1 files, following runc's fs driver in its subsystem order
/// (cpuset, memory, cpu, pids, blkio, hugetlb, net_cls, net_prio). Devices come from
/// `v1Devices` and only at create: `update` never changes them (runc neither).
extension CgroupSettings {
    public static func v1(_ resources: LinuxResources, facts: CgroupFacts) throws(RuntimeError) -> CgroupSettingsPlan {
        var plan = CgroupSettingsPlan()
        if let cpu = resources.cpu {
            if let cpus = cpu.cpus, !cpus.isEmpty { plan.write("cpuset", "cpuset.cpus", cpus) }
            if let mems = cpu.mems, !mems.isEmpty { plan.write("cpuset", "cpuset.mems", mems) }
        }
        if let memory = resources.memory { try memoryV1(memory, facts: facts, into: &plan) }
        if let cpu = resources.cpu { cpuV1(cpu, into: &plan) }
        if let pids = resources.pids {
            plan.write("pids", "pids.max", pids.limit > 0 ? String(pids.limit) : "max")
        }
        if let blockIO = resources.blockIO { blkioV1(blockIO, facts: facts, into: &plan) }
        for limit in resources.hugepageLimits ?? [] {
            try validatePageSize(limit.pageSize)
            // A hybrid host may carry hugetlb on the cgroup2 hierarchy only (this one does).
            if !facts.v1Controllers.contains("hugetlb") && facts.unifiedControllers.contains("hugetlb") {
                plan.write(unified, "hugetlb.\(limit.pageSize).max", String(limit.limit))
            } else {
                plan.write("hugetlb", "hugetlb.\(limit.pageSize).limit_in_bytes", String(limit.limit))
            }
        }
        if let network = resources.network {
            if let classID = network.classID { plan.write("net_cls", "net_cls.classid", String(classID)) }
            for priority in network.priorities ?? [] {
                plan.write("net_prio", "net_prio.ifpriomap", "\(priority.name) \(priority.priority)")
            }
        }
        for line in rdmaLines(resources.rdma) { plan.write("rdma", "rdma.max", line) }
        for (key, value) in (resources.unified ?? [:]).sorted(by: { $0.key < $1.key }) {
            try validateUnifiedKey(key)
            // runc refuses unified on v1 outright; a hybrid host can still honour keys whose
            // controller is enabled in its cgroup2 hierarchy.
            let controller = String(key.prefix { $0 != "." })
            guard controller == "cgroup" || facts.unifiedControllers.contains(controller) else {
                throw RuntimeError(
                    "linux.resources.unified: cannot set \(JSONText.quote(key)) on cgroup v1: the \(controller) controller is not on this host's cgroup2 hierarchy")
            }
            plan.write(unified, key, value)
        }
        return plan
    }

    /// runc's setMemoryAndSwap: memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes
    /// after every single write, so the order depends on the limit in force now.
    static func memoryV1(_ memory: LinuxMemory, facts: CgroupFacts, into plan: inout CgroupSettingsPlan) throws(RuntimeError) {
        try checkBeforeUpdate(memory, file: "memory.limit_in_bytes", usage: facts.memoryUsage)
        let limit = memory.limit ?? 0
        var swap = memory.swap ?? 0
        // Unlimited memory with swap unset means unlimited swap too, if swap is accounted.
        if limit == -1 && swap == 0 && facts.swapAccounting { swap = -1 }
        let swapFirst = limit != 0 && swap != 0 && (swap == -1 || (facts.memoryLimit ?? UInt64.max) < UInt64(max(swap, 0)))
        if swapFirst { plan.write("memory", "memory.memsw.limit_in_bytes", String(swap)) }
        if limit != 0 { plan.write("memory", "memory.limit_in_bytes", String(limit)) }
        if !swapFirst && swap != 0 { plan.write("memory", "memory.memsw.limit_in_bytes", String(swap)) }

        // Kernel memory limits are gone from recent kernels (the files are missing or refuse
        // writes); the spec deprecates them, so a kernel without them is not an error.
        let gone = [ENOENT, EOPNOTSUPP, 524 /* ENOTSUPP */]
        if let kernel = memory.kernel, kernel != 0 {
            plan.write("memory", "memory.kmem.limit_in_bytes", String(kernel), tolerated: gone, field: "linux.resources.memory.kernel")
        }
        if let kernelTCP = memory.kernelTCP, kernelTCP != 0 {
            plan.write("memory", "memory.kmem.tcp.limit_in_bytes", String(kernelTCP), tolerated: gone, field: "linux.resources.memory.kernelTCP")
        }
        if let reservation = memory.reservation, reservation != 0 {
            plan.write("memory", "memory.soft_limit_in_bytes", String(reservation))
        }
        if memory.disableOOMKiller == true { plan.write("memory", "memory.oom_control", "1") }
        if let swappiness = memory.swappiness {
            guard swappiness <= 100 else {
                throw RuntimeError("linux.resources.memory.swappiness: invalid value \(swappiness) (valid range is 0-100)")
            }
            plan.write("memory", "memory.swappiness", String(swappiness))
        }
        if memory.useHierarchy != nil { plan.ignored.append("linux.resources.memory.useHierarchy (always on in current kernels)") }
    }

    static func cpuV1(_ cpu: LinuxCPU, into plan: inout CgroupSettingsPlan) {
        if let shares = cpu.shares, shares != 0 { plan.write("cpu", "cpu.shares", String(shares)) }
        let quota = cpu.quota ?? 0, period = cpu.period ?? 0
        // A shorter period can be refused (EINVAL) while the old quota is in force; runc then
        // writes the quota and retries the period.
        if period != 0 {
            plan.write("cpu", "cpu.cfs_period_us", String(period), tolerated: quota != 0 ? [EINVAL] : [])
        }
        if quota != 0 {
            plan.write("cpu", "cpu.cfs_quota_us", String(quota))
            if period != 0 { plan.write("cpu", "cpu.cfs_period_us", String(period)) }
        }
        if let burst = cpu.burst { plan.write("cpu", "cpu.cfs_burst_us", String(burst)) }
        if let realtimePeriod = cpu.realtimePeriod, realtimePeriod != 0 {
            plan.write("cpu", "cpu.rt_period_us", String(realtimePeriod))
        }
        if let realtimeRuntime = cpu.realtimeRuntime, realtimeRuntime != 0 {
            plan.write("cpu", "cpu.rt_runtime_us", String(realtimeRuntime))
        }
        if let idle = cpu.idle { plan.write("cpu", "cpu.idle", String(idle)) }
    }

    static func blkioV1(_ blockIO: LinuxBlockIO, facts: CgroupFacts, into plan: inout CgroupSettingsPlan) {
        let weightFile = facts.blkioWeightFile ? "blkio.weight" : "blkio.bfq.weight"
        let weightDeviceFile = facts.blkioWeightFile ? "blkio.weight_device" : "blkio.bfq.weight_device"
        if let weight = blockIO.weight, weight != 0 { plan.write("blkio", weightFile, String(weight)) }
        if let leafWeight = blockIO.leafWeight, leafWeight != 0 { plan.write("blkio", "blkio.leaf_weight", String(leafWeight)) }
        for device in blockIO.weightDevice ?? [] {
            if let weight = device.weight, weight != 0 {
                plan.write("blkio", weightDeviceFile, "\(device.major):\(device.minor) \(weight)")
            }
            if let leafWeight = device.leafWeight, leafWeight != 0 {
                plan.write("blkio", "blkio.leaf_weight_device", "\(device.major):\(device.minor) \(leafWeight)")
            }
        }
        let throttles: [(String, [LinuxThrottleDevice]?)] = [
            ("blkio.throttle.read_bps_device", blockIO.throttleReadBpsDevice),
            ("blkio.throttle.write_bps_device", blockIO.throttleWriteBpsDevice),
            ("blkio.throttle.read_iops_device", blockIO.throttleReadIOPSDevice),
            ("blkio.throttle.write_iops_device", blockIO.throttleWriteIOPSDevice),
        ]
        for (file, devices) in throttles {
            for device in devices ?? [] { plan.write("blkio", file, "\(device.major):\(device.minor) \(device.rate)") }
        }
    }

    /// The devices cgroup: deny everything, then replay the rules in order (the kernel's v1
    /// semantics make the last matching rule win, as the v2 filter does).
    public static func v1Devices(_ rules: [DeviceRule]) -> [CgroupWrite] {
        [CgroupWrite("devices", "devices.deny", "a")]
            + rules.map { CgroupWrite("devices", $0.allow ? "devices.allow" : "devices.deny", $0.v1Line) }
    }
}
