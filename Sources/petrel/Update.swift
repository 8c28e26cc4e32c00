import OCI
import PetrelRuntime

enum UpdateFlags {
    static let resources = Flag("resources", short: "r", valueName: "FILE",
                                help: "A file with the resources to update, or '-' for standard input.")
    static let blkioWeight = Flag("blkio-weight", valueName: "WEIGHT", help: "Per cgroup block IO weight, 10 to 1000.")
    static let cpuPeriod = Flag("cpu-period", valueName: "USECS", help: "CPU CFS period (in usecs).")
    static let cpuQuota = Flag("cpu-quota", valueName: "USECS", help: "CPU CFS quota (in usecs) per period; -1 for none.")
    static let cpuShares = Flag("cpu-share", "cpu-shares", valueName: "SHARES", help: "CPU shares (relative weight).")
    static let cpuRtPeriod = Flag("cpu-rt-period", valueName: "USECS", help: "CPU realtime period (in usecs).")
    static let cpuRtRuntime = Flag("cpu-rt-runtime", valueName: "USECS", help: "CPU realtime runtime (in usecs) per period.")
    static let cpusetCpus = Flag("cpuset-cpus", valueName: "CPUS", help: "CPUs to use, e.g. 0-3,7.")
    static let cpusetMems = Flag("cpuset-mems", valueName: "NODES", help: "Memory nodes to use.")
    static let memory = Flag("memory", valueName: "BYTES", help: "Memory limit in bytes (suffixes k, m, g, ...; -1 for none).")
    static let memoryReservation = Flag("memory-reservation", valueName: "BYTES", help: "Memory soft limit in bytes.")
    static let memorySwap = Flag("memory-swap", valueName: "BYTES", help: "Memory plus swap limit in bytes; -1 for unlimited swap.")
    static let kernelMemory = Flag("kernel-memory", valueName: "BYTES", help: "Kernel memory limit (cgroup v1 only; deprecated).")
    static let kernelMemoryTCP = Flag("kernel-memory-tcp", valueName: "BYTES", help: "Kernel TCP buffer limit (cgroup v1 only; deprecated).")
    static let pidsLimit = Flag("pids-limit", valueName: "N", help: "Maximum number of processes; 0 or less for none.")
    static let all = [resources, blkioWeight, cpuPeriod, cpuQuota, cpuShares, cpuRtPeriod, cpuRtRuntime, cpusetCpus,
                      cpusetMems, memory, memoryReservation, memorySwap, kernelMemory, kernelMemoryTCP, pidsLimit]

    /// The resources the flags ask for (only those given).
    static func patch(_ arguments: Arguments) throws(UsageError) -> LinuxResources {
        var patch = LinuxResources()
        var memory = LinuxMemory()
        memory.limit = try bytes(arguments, self.memory)
        memory.reservation = try bytes(arguments, memoryReservation)
        memory.swap = try bytes(arguments, memorySwap)
        memory.kernel = try bytes(arguments, kernelMemory)
        memory.kernelTCP = try bytes(arguments, kernelMemoryTCP)
        if memory != LinuxMemory() { patch.memory = memory }
        let cpu = LinuxCPU(
            shares: try arguments.number(cpuShares), quota: try arguments.number(cpuQuota),
            period: try arguments.number(cpuPeriod), realtimeRuntime: try arguments.number(cpuRtRuntime),
            realtimePeriod: try arguments.number(cpuRtPeriod), cpus: arguments.value(cpusetCpus),
            mems: arguments.value(cpusetMems))
        if cpu != LinuxCPU() { patch.cpu = cpu }
        if let limit: Int64 = try arguments.number(pidsLimit) { patch.pids = LinuxPids(limit: limit) }
        // runc: a weight of 0 means "unchanged".
        if let weight: UInt16 = try arguments.number(blkioWeight), weight != 0 { patch.blockIO = LinuxBlockIO(weight: weight) }
        return patch
    }

    private static func bytes(_ arguments: Arguments, _ flag: Flag) throws(UsageError) -> Int64? {
        guard let value = arguments.value(flag), !value.isEmpty else { return nil }
        do throws(RuntimeError) {
            return try Units.bytes(value)
        } catch {
            throw UsageError(message: "invalid value for --\(flag.name): \(error.message)", verb: arguments.verb)
        }
    }

    static func decode(_ source: String) throws(RuntimeError) -> LinuxResources {
        let bytes = source == "-" ? try FileSystem.readAll(0, path: "(stdin)") : try FileSystem.readDocument(FileSystem.absolute(source))
        do {
            return try OCIJSON.decode(LinuxResources.self, from: bytes)
        } catch {
            throw RuntimeError("--resources \(source == "-" ? "(stdin)" : source): \(error)")
        }
    }
}

extension Verb {
    static let update = Verb(
        name: "update", abstract: "Update a container's resource limits.",
        discussion: "With -r/--resources the limits come from a LinuxResources JSON document (a file, or '-' for "
            + "standard input) and the other options are ignored. Fields left out keep their value. Device rules "
            + "cannot be changed.",
        flags: UpdateFlags.all, operands: [.containerID]
    ) { arguments in
        var patch: LinuxResources?
        if arguments.value(UpdateFlags.resources) == nil {
            do throws(UsageError) {
                patch = try UpdateFlags.patch(arguments)
            } catch {
                return usageFailure(error)
            }
        }
        return perform(arguments) { globals throws(RuntimeError) in
            let resources: LinuxResources
            if let patch { resources = patch } else { resources = try UpdateFlags.decode(arguments.value(UpdateFlags.resources) ?? "-") }
            try (try globals.runtime).update(arguments.operand(0), resources)
        }
    }
}
