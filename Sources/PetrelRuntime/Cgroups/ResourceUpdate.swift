import OCI

/// How `update` combines the stored resources with the requested change. nil in the patch
/// means "unchanged" (runc uses 0 for that, which this model does not need).
public enum ResourceUpdate {
    /// What is in force after the update: the stored values with every field the patch
    /// sets replaced. Device rules never change after create.
    public static func merged(stored: LinuxResources, patch: LinuxResources) -> LinuxResources {
        var result = stored
        if let memory = patch.memory {
            var current = stored.memory ?? LinuxMemory()
            overlay(&current.limit, memory.limit)
            overlay(&current.reservation, memory.reservation)
            overlay(&current.swap, memory.swap)
            overlay(&current.kernel, memory.kernel)
            overlay(&current.kernelTCP, memory.kernelTCP)
            overlay(&current.swappiness, memory.swappiness)
            overlay(&current.disableOOMKiller, memory.disableOOMKiller)
            overlay(&current.useHierarchy, memory.useHierarchy)
            overlay(&current.checkBeforeUpdate, memory.checkBeforeUpdate)
            result.memory = current
        }
        if let cpu = patch.cpu {
            var current = stored.cpu ?? LinuxCPU()
            overlay(&current.shares, cpu.shares)
            overlay(&current.quota, cpu.quota)
            overlay(&current.burst, cpu.burst)
            overlay(&current.period, cpu.period)
            overlay(&current.realtimeRuntime, cpu.realtimeRuntime)
            overlay(&current.realtimePeriod, cpu.realtimePeriod)
            overlay(&current.cpus, cpu.cpus)
            overlay(&current.mems, cpu.mems)
            overlay(&current.idle, cpu.idle)
            result.cpu = current
        }
        if let pids = patch.pids { result.pids = pids }
        if let blockIO = patch.blockIO {
            var current = stored.blockIO ?? LinuxBlockIO()
            overlay(&current.weight, blockIO.weight)
            overlay(&current.leafWeight, blockIO.leafWeight)
            overlay(&current.weightDevice, blockIO.weightDevice)
            overlay(&current.throttleReadBpsDevice, blockIO.throttleReadBpsDevice)
            overlay(&current.throttleWriteBpsDevice, blockIO.throttleWriteBpsDevice)
            overlay(&current.throttleReadIOPSDevice, blockIO.throttleReadIOPSDevice)
            overlay(&current.throttleWriteIOPSDevice, blockIO.throttleWriteIOPSDevice)
            result.blockIO = current
        }
        overlay(&result.hugepageLimits, patch.hugepageLimits)
        overlay(&result.network, patch.network)
        if let rdma = patch.rdma { result.rdma = (stored.rdma ?? [:]).merging(rdma) { $1 } }
        if let unified = patch.unified { result.unified = (stored.unified ?? [:]).merging(unified) { $1 } }
        return result
    }

    /// What to write: the patch alone, completed where one file needs two values. cpu.max
    /// holds quota and period together, so a patch with one of them takes the other from
    /// the stored config (runc does the same); memory.swap.max is swap minus limit, so a
    /// swap-only patch takes the stored limit.
    public static func effective(stored: LinuxResources, patch: LinuxResources) -> LinuxResources {
        var result = patch
        result.devices = nil
        if var cpu = result.cpu, (cpu.quota == nil) != (cpu.period == nil) {
            if cpu.quota == nil { cpu.quota = stored.cpu?.quota }
            if cpu.period == nil { cpu.period = stored.cpu?.period }
            result.cpu = cpu
        }
        if var memory = result.memory, memory.swap != nil, memory.limit == nil {
            memory.limit = stored.memory?.limit
            result.memory = memory
        }
        return result
    }

    private static func overlay<T>(_ field: inout T?, _ value: T?) {
        if let value { field = value }
    }
}
