import ConformanceKit
import Glibc

/// runtime-spec 1.3 additions seen from inside: linux.memoryPolicy (the process's NUMA
/// policy as /proc/self/numa_maps prints it) and linux.netDevices (the moved interface).
extension Checker {
    mutating func checkMemoryPolicy() {
        guard let mode = linux["memoryPolicy"]["mode"].string else {
            report.skip("memory-policy", "linux.memoryPolicy not set")
            return
        }
        guard let maps = try? readText("/proc/self/numa_maps"), let first = maps.lines.first else {
            report.skip("memory-policy", "no /proc/self/numa_maps (kernel without NUMA)")
            return
        }
        // mpol_to_str: "interleave:0", "bind:0-1", "prefer:0", "local", "default"; flags as "=static".
        let names = ["MPOL_DEFAULT": "default", "MPOL_BIND": "bind", "MPOL_INTERLEAVE": "interleave",
                     "MPOL_PREFERRED": "prefer", "MPOL_LOCAL": "local", "MPOL_PREFERRED_MANY": "prefer (many)",
                     "MPOL_WEIGHTED_INTERLEAVE": "weighted interleave"]
        var expected = names[mode] ?? mode
        if linux["memoryPolicy"]["flags"].strings.contains("MPOL_F_STATIC_NODES") { expected += "=static" }
        if linux["memoryPolicy"]["flags"].strings.contains("MPOL_F_RELATIVE_NODES") { expected += "=relative" }
        if let nodes = linux["memoryPolicy"]["nodes"].string, !nodes.isEmpty { expected += ":" + nodes }
        let fields = first.split(separator: " ").map(String.init)
        report.equal("memory-policy", "policy in /proc/self/numa_maps", fields.count > 1 ? fields[1] : "", expected)
    }

    /// The annotation `org.opencontainers.conformance.netdev` holds "NAME ADDRESS PREFIX" of
    /// the IPv6 address the runner gave the host interface (/proc/net/if_inet6 format).
    mutating func checkNetDevices() {
        guard let wanted = config["annotations"]["org.opencontainers.conformance.netdev"].string?.split(separator: " ").map(String.init),
              wanted.count == 3 else {
            report.skip("net-devices", "no expected interface in the annotations")
            return
        }
        let (name, address, prefix) = (wanted[0], wanted[1], wanted[2])
        let flags = readTrimmed("/sys/class/net/\(name)/flags").flatMap { Int($0.dropFirst(2), radix: 16) }
        report.expect("net-devices", flags != nil, "interface \(name) in the container's network namespace")
        report.expect("net-devices", (flags ?? 0) & 1 != 0, "\(name) is up (IFF_UP in flags \(flags.map { String($0, radix: 16) } ?? "-"))")
        let entries = ((try? readText("/proc/net/if_inet6")) ?? "").lines.map { $0.split(separator: " ").map(String.init) }
        let entry = entries.first { $0.count == 6 && $0[5] == name && $0[0] == address }
        report.expect("net-devices", entry != nil, "\(name) kept its permanent global address \(address)/\(Int(prefix, radix: 16) ?? 0)")
        if let entry {
            report.equal("net-devices", "prefix and scope of the address", "\(entry[2]) \(entry[3])", "\(prefix) 00")
        }
    }
}
