import ConformanceKit
import Glibc

/// config.md "Extensibility" and the runtime-spec 1.3 additions (config-linux.md "Memory
/// policy" and "Network Devices").
enum Spec13Cases {
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { (path: String) in access(path, X_OK) == 0 }

    static let all: [Case] = [
        .inside("config.unknown-properties", "unknown properties are ignored, not an error",
                spec: "config.md Extensibility: \"Runtimes that are reading or processing this configuration file MUST NOT generate an error if they encounter an unknown property. Instead they MUST ignore unknown properties.\"",
                checks: ["args"]) { f in
            f.config["conformanceUnknownTop"] = ["nested": true]
            f.config[path: "process.conformanceUnknown"] = "x"
            f.config[path: "linux.conformanceUnknown"] = 1
        },
        .inside("config.version-1.3-patch", "a 1.3.x config (a later patch release) runs",
                spec: "config.md Specification version: ociVersion \"MUST be in SemVer v2.0.0 format\"; the specification \"follows semantic versioning and retains forward and backward compatibility within major versions\"",
                checks: ["args"]) { f in
            f.config["ociVersion"] = "1.3.9"
        },
        .inside("config.version-later-minor", "a later 1.x config (1.9.0) runs",
                spec: "config.md Specification version: the specification \"follows semantic versioning and retains forward and backward compatibility within major versions\"; Extensibility: unknown properties MUST be ignored",
                checks: ["args"]) { f in
            f.config["ociVersion"] = "1.9.0"
        },
        .inside("linux.memory-policy", "linux.memoryPolicy is the container process's NUMA policy",
                spec: "config-linux.md Memory policy (1.3): `mode` \"the memory policy mode\" (MPOL_INTERLEAVE), `nodes` \"the set of nodes\", set with set_mempolicy(2)",
                checks: ["memory-policy"]) { f in
            guard fileExists("/proc/self/numa_maps") else { throw Outcome.skip("this kernel has no NUMA support") }
            f.config["ociVersion"] = "1.3.0"
            f.config[path: "linux.memoryPolicy"] = ["mode": "MPOL_INTERLEAVE", "nodes": "0"]
        },
        Case("linux.net-devices", "linux.netDevices moves a host interface in: renamed, up, with its permanent address; not moved back",
             spec: "config-linux.md Network Devices (1.3): \"A set of network devices that MUST be made available in the container\"; `name` \"the name of the network device inside the container namespace\"; \"The runtime MUST preserve ... all permanent IP addresses ... with global scope\"; \"MUST set the network device state to \\\"up\\\"\"; \"MUST NOT attempt to move the interface out of the namespace before deletion\"") { f in
            guard let ip else { throw Outcome.skip("no iproute2 on the host to make an interface") }
            let name = "ocict\(getpid() % 100_000)"
            var made = f.suite.commands.run([ip, "link", "add", name, "type", "dummy"])
            if !made.succeeded { made = f.suite.commands.run([ip, "link", "add", name, "type", "veth", "peer", "name", name + "p"]) }
            guard made.succeeded else { throw Outcome.skip("cannot make a dummy or veth interface: \(made.summary)") }
            defer { _ = f.suite.commands.run([ip, "link", "del", name]) }
            try f.requireSuccess(f.suite.commands.run([ip, "-6", "addr", "add", "fd00:213:9::1/64", "dev", name, "nodad"]), "ip addr add")
            f.config["ociVersion"] = "1.3.0"
            f.config[path: "linux.netDevices"] = [name: ["name": "ocinet0"]]
            f.config[path: "annotations"] = ["org.opencontainers.conformance.netdev": "ocinet0 fd000213000900000000000000000001 40"]
            try f.runChecker(["net-devices"])
            // run deleted the container and its network namespace: a virtual device is then
            // destroyed by the kernel; had the runtime moved it back, it would be on the host.
            let after = f.suite.commands.run([ip, "link", "show", name])
            try f.require(!after.succeeded, "\(name) is back on the host after delete")
        },
    ]
}
