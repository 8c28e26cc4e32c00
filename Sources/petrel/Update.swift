#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import OCI
import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Update a container's resource limits.",
        discussion: """
            With -r/--resources the limits come from a LinuxResources JSON document (a file, \
            or '-' for standard input) and the other options are ignored. Fields left out \
            keep their value. Device rules cannot be changed.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("r"), .long], help: "A file with the resources to update, or '-' for standard input.")
    var resources: String?
    @Option(name: .customLong("blkio-weight"), help: "Per cgroup block IO weight, 10 to 1000.")
    var blkioWeight: UInt16?
    @Option(name: .customLong("cpu-period"), help: "CPU CFS period (in usecs).")
    var cpuPeriod: UInt64?
    @Option(name: .customLong("cpu-quota"), parsing: .unconditional, help: "CPU CFS quota (in usecs) per period; -1 for none.")
    var cpuQuota: Int64?
    @Option(name: [.customLong("cpu-share"), .customLong("cpu-shares")], help: "CPU shares (relative weight).")
    var cpuShares: UInt64?
    @Option(name: .customLong("cpu-rt-period"), help: "CPU realtime period (in usecs).")
    var cpuRtPeriod: UInt64?
    @Option(name: .customLong("cpu-rt-runtime"), parsing: .unconditional, help: "CPU realtime runtime (in usecs) per period.")
    var cpuRtRuntime: Int64?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs to use, e.g. 0-3,7.")
    var cpusetCpus: String?
    @Option(name: .customLong("cpuset-mems"), help: "Memory nodes to use.")
    var cpusetMems: String?
    @Option(parsing: .unconditional, help: "Memory limit in bytes (suffixes k, m, g, ...; -1 for none).")
    var memory: String?
    @Option(name: .customLong("memory-reservation"), parsing: .unconditional, help: "Memory soft limit in bytes.")
    var memoryReservation: String?
    @Option(name: .customLong("memory-swap"), parsing: .unconditional, help: "Memory plus swap limit in bytes; -1 for unlimited swap.")
    var memorySwap: String?
    @Option(name: .customLong("kernel-memory"), parsing: .unconditional, help: "Kernel memory limit (cgroup v1 only; deprecated).")
    var kernelMemory: String?
    @Option(name: .customLong("kernel-memory-tcp"), parsing: .unconditional, help: "Kernel TCP buffer limit (cgroup v1 only; deprecated).")
    var kernelMemoryTCP: String?
    @Option(name: .customLong("pids-limit"), parsing: .unconditional, help: "Maximum number of processes; 0 or less for none.")
    var pidsLimit: Int64?
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            try global.runtime.update(id, try patch())
        }
    }

    private func patch() throws(RuntimeError) -> LinuxResources {
        if let resources { return try Self.decode(resources) }
        var patch = LinuxResources()
        var memory = LinuxMemory()
        memory.limit = try bytes(self.memory, "--memory")
        memory.reservation = try bytes(memoryReservation, "--memory-reservation")
        memory.swap = try bytes(memorySwap, "--memory-swap")
        memory.kernel = try bytes(kernelMemory, "--kernel-memory")
        memory.kernelTCP = try bytes(kernelMemoryTCP, "--kernel-memory-tcp")
        if memory != LinuxMemory() { patch.memory = memory }
        let cpu = LinuxCPU(
            shares: cpuShares, quota: cpuQuota, period: cpuPeriod, realtimeRuntime: cpuRtRuntime,
            realtimePeriod: cpuRtPeriod, cpus: cpusetCpus, mems: cpusetMems)
        if cpu != LinuxCPU() { patch.cpu = cpu }
        if let pidsLimit { patch.pids = LinuxPids(limit: pidsLimit) }
        // runc: a weight of 0 means "unchanged".
        if let blkioWeight, blkioWeight != 0 { patch.blockIO = LinuxBlockIO(weight: blkioWeight) }
        return patch
    }

    private func bytes(_ value: String?, _ flag: String) throws(RuntimeError) -> Int64? {
        guard let value, !value.isEmpty else { return nil }
        do throws(RuntimeError) {
            return try Units.bytes(value)
        } catch {
            throw RuntimeError("invalid value for \(flag): \(error.message)")
        }
    }

    static func decode(_ source: String) throws(RuntimeError) -> LinuxResources {
        let bytes = source == "-" ? try readStandardInput() : try FileSystem.readDocument(FileSystem.absolute(source))
        do {
            return try OCIJSON.decode(LinuxResources.self, from: Data(bytes))
        } catch {
            throw RuntimeError("--resources \(source == "-" ? "(stdin)" : source): \(error)")
        }
    }

    private static func readStandardInput() throws(RuntimeError) -> [UInt8] {
        try FileSystem.readAll(0, path: "(stdin)")
    }
}
