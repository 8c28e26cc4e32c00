import OCI

/// `linux.memoryPolicy` checked and resolved for set_mempolicy(2), which the init calls
/// on itself just before exec (the policy is per thread and survives execve).
public struct MemoryPolicyPlan: Sendable, Equatable {
    /// The MPOL_* mode or-ed with its MPOL_F_* flags, as set_mempolicy takes it.
    public var mode: Int32
    /// The node bit mask, 64 nodes per word; empty for the modes that take no nodes.
    public var nodemask: [UInt64]

    /// set_mempolicy's maxnode: the kernel reads maxnode - 1 bits.
    public var maxnode: UInt64 { nodemask.isEmpty ? 0 : UInt64(nodemask.count * 64 + 1) }
}

public enum MemoryPolicy {
    /// include/uapi/linux/mempolicy.h
    public static let modes: [(name: String, value: Int32)] = [
        ("MPOL_DEFAULT", 0), ("MPOL_PREFERRED", 1), ("MPOL_BIND", 2), ("MPOL_INTERLEAVE", 3),
        ("MPOL_LOCAL", 4), ("MPOL_PREFERRED_MANY", 5), ("MPOL_WEIGHTED_INTERLEAVE", 6),
    ]
    public static let flags: [(name: String, value: Int32)] = [
        ("MPOL_F_NUMA_BALANCING", 1 << 13), ("MPOL_F_RELATIVE_NODES", 1 << 14), ("MPOL_F_STATIC_NODES", 1 << 15),
    ]
    /// The largest MAX_NUMNODES a kernel is built with (CONFIG_NODES_SHIFT=10).
    static let maximumNodes = 1024

    /// Checks every rule set_mempolicy(2) would enforce with EINVAL, so a bad policy is a
    /// clear error naming the field before anything is created.
    public static func plan(_ policy: LinuxMemoryPolicy) throws(RuntimeError) -> MemoryPolicyPlan {
        let field = "linux.memoryPolicy"
        guard let mode = modes.first(where: { $0.name == policy.mode }) else {
            throw RuntimeError("\(field).mode: unknown mode \(JSONText.quote(policy.mode)) (known: \(modes.map(\.name).joined(separator: ", ")))")
        }
        var flagBits: Int32 = 0
        for (index, name) in (policy.flags ?? []).enumerated() {
            guard let flag = flags.first(where: { $0.name == name }) else {
                throw RuntimeError("\(field).flags[\(index)]: unknown flag \(JSONText.quote(name)) (known: \(flags.map(\.name).joined(separator: ", ")))")
            }
            flagBits |= flag.value
        }
        let nodes = try nodeList(policy.nodes ?? "", field: "\(field).nodes")
        let staticOrRelative = flagBits & (1 << 14 | 1 << 15) != 0
        if flagBits & (1 << 14) != 0 && flagBits & (1 << 15) != 0 {
            throw RuntimeError("\(field).flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other")
        }
        if flagBits & (1 << 13) != 0 && mode.name != "MPOL_BIND" && mode.name != "MPOL_PREFERRED_MANY" {
            throw RuntimeError("\(field).flags: MPOL_F_NUMA_BALANCING needs mode MPOL_BIND or MPOL_PREFERRED_MANY, got \(mode.name)")
        }
        switch mode.name {
        case "MPOL_DEFAULT":
            guard nodes.isEmpty else { throw RuntimeError("\(field).nodes: MPOL_DEFAULT takes no nodes") }
            guard flagBits == 0 else { throw RuntimeError("\(field).flags: MPOL_DEFAULT takes no flags") }
        case "MPOL_LOCAL":
            guard nodes.isEmpty else { throw RuntimeError("\(field).nodes: MPOL_LOCAL takes no nodes") }
            guard !staticOrRelative else { throw RuntimeError("\(field).flags: MPOL_LOCAL takes no static or relative nodes flag") }
        case "MPOL_PREFERRED":
            if nodes.isEmpty && staticOrRelative {
                throw RuntimeError("\(field).flags: MPOL_PREFERRED without nodes takes no static or relative nodes flag")
            }
        default:
            guard !nodes.isEmpty else { throw RuntimeError("\(field).nodes: \(mode.name) needs at least one node") }
        }
        var mask: [UInt64] = []
        if let highest = nodes.max() {
            mask = Array(repeating: 0, count: highest / 64 + 1)
            for node in nodes { mask[node / 64] |= 1 << UInt64(node % 64) }
        }
        return MemoryPolicyPlan(mode: mode.value | flagBits, nodemask: mask)
    }

    /// A cpuset-style list, `0-3,7`: comma-separated numbers and ascending ranges.
    static func nodeList(_ text: String, field: String) throws(RuntimeError) -> [Int] {
        var nodes: [Int] = []
        let trimmed = text.filter { !$0.isWhitespace }
        guard !trimmed.isEmpty else { return [] }
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]),
                  low >= 0, low <= high, bounds.allSatisfy({ $0.allSatisfy(\.isASCII) }) else {
                throw RuntimeError("\(field): invalid node list \(JSONText.quote(text)) (expected e.g. \"0-3,7\")")
            }
            guard high < maximumNodes else {
                throw RuntimeError("\(field): node \(high) is above the largest node number a kernel supports (\(maximumNodes - 1))")
            }
            nodes.append(contentsOf: low...high)
        }
        return nodes
    }
}
