import OCI
import Testing
@testable import PetrelRuntime

@Suite struct MemoryPolicyTests {
    @Test func modesFlagsAndNodesBecomeTheSyscallArguments() throws {
        let bind = try MemoryPolicy.plan(LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0-3,7", flags: ["MPOL_F_STATIC_NODES"]))
        #expect(bind.mode == 2 | 1 << 15)
        #expect(bind.nodemask == [0b1000_1111])
        #expect(bind.maxnode == 65)
        let high = try MemoryPolicy.plan(LinuxMemoryPolicy(mode: "MPOL_INTERLEAVE", nodes: " 1 , 64-65 "))
        #expect(high.mode == 3)
        #expect(high.nodemask == [0b10, 0b11])
        #expect(high.maxnode == 129)
        let local = try MemoryPolicy.plan(LinuxMemoryPolicy(mode: "MPOL_LOCAL"))
        #expect(local.mode == 4 && local.nodemask.isEmpty && local.maxnode == 0)
        #expect(try MemoryPolicy.plan(LinuxMemoryPolicy(mode: "MPOL_DEFAULT", nodes: "")).mode == 0)
        #expect(try MemoryPolicy.plan(LinuxMemoryPolicy(mode: "MPOL_PREFERRED")).mode == 1)
        #expect(try MemoryPolicy.plan(LinuxMemoryPolicy(mode: "MPOL_WEIGHTED_INTERLEAVE", nodes: "0")).mode == 6)
        let balancing = try MemoryPolicy.plan(LinuxMemoryPolicy(mode: "MPOL_PREFERRED_MANY", nodes: "0", flags: ["MPOL_F_NUMA_BALANCING"]))
        #expect(balancing.mode == 5 | 1 << 13)
    }

    @Test(arguments: [
        (LinuxMemoryPolicy(mode: "MPOL_NOPE", nodes: "0"), "linux.memoryPolicy.mode: unknown mode \"MPOL_NOPE\""),
        (LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_X"]), "linux.memoryPolicy.flags[0]: unknown flag \"MPOL_F_X\""),
        (LinuxMemoryPolicy(mode: "MPOL_BIND"), "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node"),
        (LinuxMemoryPolicy(mode: "MPOL_INTERLEAVE", nodes: " "), "linux.memoryPolicy.nodes: MPOL_INTERLEAVE needs at least one node"),
        (LinuxMemoryPolicy(mode: "MPOL_DEFAULT", nodes: "1"), "linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes"),
        (LinuxMemoryPolicy(mode: "MPOL_LOCAL", nodes: "1"), "linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes"),
        (LinuxMemoryPolicy(mode: "MPOL_LOCAL", flags: ["MPOL_F_STATIC_NODES"]), "linux.memoryPolicy.flags: MPOL_LOCAL takes no static or relative nodes flag"),
        (LinuxMemoryPolicy(mode: "MPOL_PREFERRED", flags: ["MPOL_F_RELATIVE_NODES"]), "linux.memoryPolicy.flags: MPOL_PREFERRED without nodes"),
        (LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]), "exclude each other"),
        (LinuxMemoryPolicy(mode: "MPOL_INTERLEAVE", nodes: "0", flags: ["MPOL_F_NUMA_BALANCING"]), "MPOL_F_NUMA_BALANCING needs mode MPOL_BIND or MPOL_PREFERRED_MANY"),
        (LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "3-1"), "linux.memoryPolicy.nodes: invalid node list \"3-1\""),
        (LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0,,1"), "invalid node list"),
        (LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "a"), "invalid node list"),
        (LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "1-2-3"), "invalid node list"),
        (LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "1024"), "node 1024 is above"),
    ])
    func invalidPoliciesNameTheField(policy: LinuxMemoryPolicy, message: String) {
        do {
            _ = try MemoryPolicy.plan(policy)
            Issue.record("accepted \(policy)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}

@Suite struct NetDevicesPlanTests {
    let newNetwork = [LinuxNamespace(type: .mount), LinuxNamespace(type: .network)]

    @Test func namesAndTargets() throws {
        let plan = try NetDevices.plan(["eth1": LinuxNetDevice(name: "ctr0"), "eth0": LinuxNetDevice()], namespaces: newNetwork)
        #expect(plan.moves == [NetDevices.Move(hostName: "eth0", containerName: "eth0"),
                               NetDevices.Move(hostName: "eth1", containerName: "ctr0")])
        #expect(plan.namespacePath == nil)
        #expect(try NetDevices.plan(["eth1": LinuxNetDevice(name: "net%d")], namespaces: newNetwork).moves.count == 1)
        #expect(try NetDevices.plan(nil, namespaces: []).moves.isEmpty)
    }

    @Test(arguments: [
        (["eth0": LinuxNetDevice(name: "a/b")], "linux.netDevices[\"eth0\"].name: invalid interface name"),
        (["eth0": LinuxNetDevice(name: "sixteen-chars-xx")], "linux.netDevices[\"eth0\"].name: invalid interface name"),
        (["e th0": LinuxNetDevice()], "linux.netDevices[\"e th0\"]: invalid interface name"),
        (["eth%d": LinuxNetDevice()], "only one %d template"),
        (["eth0": LinuxNetDevice(name: "x"), "eth1": LinuxNetDevice(name: "x")], "is given to two devices"),
    ])
    func invalidNames(devices: [String: LinuxNetDevice], message: String) {
        do {
            _ = try NetDevices.plan(devices, namespaces: newNetwork)
            Issue.record("accepted \(devices)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func theHostNamespaceIsRefused() {
        #expect(throws: RuntimeError.self) { try NetDevices.plan(["eth0": LinuxNetDevice()], namespaces: [LinuxNamespace(type: .mount)]) }
        #expect(throws: RuntimeError.self) {
            try NetDevices.plan(["eth0": LinuxNetDevice()], namespaces: [LinuxNamespace(type: .network, path: "/proc/self/ns/net")])
        }
    }
}
