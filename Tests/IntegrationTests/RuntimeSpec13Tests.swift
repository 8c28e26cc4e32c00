import Foundation
import Testing

/// runtime-spec 1.3 and later 1.x minors: the version rule, unknown fields, linux.memoryPolicy,
/// linux.netDevices, linux.intelRdt. Effects are read from inside the container.
@Suite(Harness.enabled)
struct RuntimeSpec13 {
    static let ip = Harness.which("ip")
    static let resctrl = FileManager.default.fileExists(atPath: "/sys/fs/resctrl/schemata")

    @Test("ociVersion 1.3.0 and a later 1.x minor with unknown fields are accepted")
    func newerMinorsAccepted() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        for version in ["1.3.0", "1.9.0-rc.1"] {
            try t.setConfig("ociVersion", version)
            try t.setConfig("linux.futureLinuxField", ["enabled": true])
            #expect(try t.output(["echo", "ok"]) == "ok", "\(version)")
        }
    }

    @Test("a later 1.x minor: one log.json warning per unknown field, by JSON path",
          .enabled(if: !Harness.isRunc, "runc ignores unknown fields silently"))
    func unknownFieldsWarned() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.4.0")
        try t.setConfig("futureTop", 1)
        try t.setConfig("process.futureProcess", "x")
        try t.setConfig("linux.futureLinux", ["a": 1])
        try t.setConfig("hooks", ["futureHook": []])
        try t.editConfig { config in
            var mounts = config["mounts"] as? [[String: Any]] ?? []
            mounts[0]["futureMount"] = true
            config["mounts"] = mounts
        }
        let log = t.dir + "/log.json"
        try t.setArgs(["true"])
        let result = t.runtime(["--log", log, "--log-format", "json", "run", "--bundle", t.bundle, t.newID("warn")])
        #expect(result.status == 0, "\(result)")
        let lines = (try String(contentsOfFile: log, encoding: .utf8)).split(separator: "\n").map(String.init)
        let warnings = lines.filter { $0.contains(#""level":"warning""#) }
        for path in ["futureTop", "process.futureProcess", "linux.futureLinux", "hooks.futureHook", "mounts[0].futureMount"] {
            #expect(warnings.filter { $0.contains(": \(path): unknown field") }.count == 1, "\(path) in \(warnings)")
        }
        #expect(warnings.count == 5, "\(warnings)")
    }

    @Test("an unknown field of a config up to 1.3 is ignored without a warning",
          .enabled(if: !Harness.isRunc, "checks petrel's log"))
    func knownMinorsQuiet() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.2.0")
        try t.setConfig("linux.vendorExtension", 1)
        let log = t.dir + "/log.json"
        try t.setArgs(["true"])
        let result = t.runtime(["--log", log, "--log-format", "json", "run", "--bundle", t.bundle, t.newID("quiet")])
        #expect(result.status == 0, "\(result)")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!text.contains("warning"), "\(text)")
    }

    // MARK: memoryPolicy

    @Test("linux.memoryPolicy is the process's NUMA policy (numa_maps)", .enabled(if: !Harness.isRunc, "runc 1.1.5 predates runtime-spec 1.3 and ignores linux.memoryPolicy"))
    func memoryPolicyApplied() throws {
        guard FileManager.default.fileExists(atPath: "/proc/self/numa_maps") else { return }  // CONFIG_NUMA off
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.3.0")
        let cases: [([String: Any], String)] = [
            (["mode": "MPOL_INTERLEAVE", "nodes": "0"], " interleave:0 "),
            (["mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]], " bind=static:0 "),
            (["mode": "MPOL_PREFERRED", "nodes": "0"], " prefer:0 "),
            (["mode": "MPOL_LOCAL"], " local "),
        ]
        for (policy, expected) in cases {
            try t.setConfig("linux.memoryPolicy", policy)
            let out = try t.output(["head", "-n1", "/proc/self/numa_maps"])
            #expect(out.contains(expected), "\(policy): \(out)")
        }
        // exec'd processes get it too.
        try t.setConfig("linux.memoryPolicy", ["mode": "MPOL_INTERLEAVE", "nodes": "0"])
        let id = try t.runDetached(["sleep", "60"])
        let exec = t.runtime(["exec", id, "head", "-n1", "/proc/self/numa_maps"])
        #expect(exec.out.contains(" interleave:0 "), "\(exec)")
    }

    @Test("a bad linux.memoryPolicy is an error naming the field, before anything is created",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 ignores linux.memoryPolicy"))
    func memoryPolicyErrors() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.3.0")
        let cases: [([String: Any], String)] = [
            (["mode": "MPOL_FASTEST", "nodes": "0"], "linux.memoryPolicy.mode"),
            (["mode": "MPOL_BIND"], "linux.memoryPolicy.nodes"),
            (["mode": "MPOL_BIND", "nodes": "0-x"], "linux.memoryPolicy.nodes"),
            (["mode": "MPOL_DEFAULT", "nodes": "0"], "linux.memoryPolicy.nodes"),
            (["mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]], "linux.memoryPolicy.flags"),
            (["mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_SOMETIMES"]], "linux.memoryPolicy.flags[0]"),
        ]
        for (policy, field) in cases {
            try t.setConfig("linux.memoryPolicy", policy)
            let id = t.newID("mpol")
            let result = t.runtime(["create", "--bundle", t.bundle, id])
            #expect(result.status != 0, "\(policy)")
            #expect(result.stderr.contains(field), "\(policy): \(result.stderr)")
            #expect(!t.hasStateDir(id))
        }
        // A node the kernel refuses (offline or absent) is the kernel's EINVAL, reported.
        try t.setConfig("linux.memoryPolicy", ["mode": "MPOL_BIND", "nodes": "1023"])
        let result = try t.run(["true"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("set_mempolicy"), "\(result.stderr)")
    }

    // MARK: netDevices

    /// A host interface for the test: a dummy, or a veth pair where the kernel has no dummy
    /// driver (this host). Removed at cleanup if still on the host.
    static func makeInterface(_ t: Sandbox, ip: String) throws -> String {
        let name = "pit-n" + Harness.randomToken(6).lowercased()
        var made = host(ip, ["link", "add", name, "type", "dummy"], ioDirectory: t.dir + "/io")
        if !made.succeeded {
            made = host(ip, ["link", "add", name, "type", "veth", "peer", "name", name + "p"], ioDirectory: t.dir + "/io")
        }
        try #require(made.succeeded, "\(made)")
        t.onCleanup { _ = host(ip, ["link", "del", name], ioDirectory: t.dir + "/io") }
        return name
    }

    @Test("linux.netDevices moves a host interface in, renamed, with its address, up; it is gone from the host",
          .enabled(if: ip != nil && !Harness.isRunc, "needs iproute2; runc 1.1.5 predates linux.netDevices"))
    func netDeviceMoved() throws {
        let ip = try #require(Self.ip)
        let t = try Sandbox()
        defer { t.cleanup() }
        let name = try Self.makeInterface(t, ip: ip)
        try #require(host(ip, ["addr", "add", "10.213.7.1/24", "dev", name], ioDirectory: t.dir + "/io").succeeded)
        try t.setConfig("ociVersion", "1.3.0")
        try t.setConfig("linux.netDevices", [name: ["name": "ctr0"]])
        let id = try t.runDetached(["sleep", "60"])
        let inside = t.runtime(["exec", id, "ip", "addr", "show", "ctr0"])
        #expect(inside.status == 0, "\(inside)")
        #expect(inside.stdout.contains("ctr0"), "\(inside.stdout)")
        #expect(inside.stdout.contains("10.213.7.1/24"), "\(inside.stdout)")
        #expect(inside.stdout.contains(",UP"), "\(inside.stdout)")
        #expect(!host(ip, ["link", "show", name], ioDirectory: t.dir + "/io").succeeded, "still on the host")
        // The spec forbids moving it back; the namespace dies with the container and the
        // kernel destroys a virtual device (a physical one would return to the host).
        #expect(t.runtime(["delete", "--force", id]).status == 0)
        #expect(!host(ip, ["link", "show", name], ioDirectory: t.dir + "/io").succeeded)
        #expect(!host(ip, ["link", "show", "ctr0"], ioDirectory: t.dir + "/io").succeeded)
    }

    @Test("linux.netDevices errors name the device and leave nothing: no such interface, no network namespace, bad name",
          .enabled(if: ip != nil && !Harness.isRunc, "needs iproute2; runc 1.1.5 predates linux.netDevices"))
    func netDeviceErrors() throws {
        let ip = try #require(Self.ip)
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "1.3.0")
        let missing = "pit-none" + Harness.randomToken(5).lowercased()
        try t.setConfig("linux.netDevices", [missing: [String: Any]()])
        var id = t.newID("nd")
        var result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains(missing), "\(result.stderr)")
        #expect(!t.hasStateDir(id))

        let name = try Self.makeInterface(t, ip: ip)
        try t.setConfig("linux.netDevices", [name: ["name": "bad/name"]])
        id = t.newID("nd")
        result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.stderr.contains(name) && result.stderr.contains(".name: invalid interface name"), "\(result.stderr)")
        #expect(!t.hasStateDir(id))

        try t.setConfig("linux.netDevices", [name: [String: Any]()])
        try t.editNamespaces { $0.filter { $0["type"] as? String != "network" } }
        id = t.newID("nd")
        result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("linux.netDevices"), "\(result.stderr)")
        #expect(!t.hasStateDir(id))
        // Refused before anything moved: the interface is still on the host.
        #expect(host(ip, ["link", "show", name], ioDirectory: t.dir + "/io").succeeded)
    }

    // MARK: intelRdt

    @Test("linux.intelRdt without resctrl is an error naming it, not ignored",
          .enabled(if: !resctrl, "this host has resctrl mounted"))
    func intelRdtWithoutResctrl() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.intelRdt", ["closID": "pit", "l3CacheSchema": "L3:0=ff"])
        let id = t.newID("rdt")
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("intelRdt") || result.stderr.contains("Intel RDT"), "\(result.stderr)")
        #expect(!t.hasStateDir(id))
    }
}

extension RuntimeSpec13 {
    @Test("features reports 1.3: ociVersionMax, memoryPolicy modes and flags, netDevices, intelRdt",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 reports runtime-spec 1.1"))
    func featuresReportOneThree() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = t.runtime(["features"])
        #expect(result.status == 0, "\(result)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["ociVersionMax"] as? String == "1.3.0")
        let linux = try #require(report["linux"] as? [String: Any])
        let policy = try #require(linux["memoryPolicy"] as? [String: Any])
        #expect(Set(policy["modes"] as? [String] ?? []) == [
            "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
            "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
        ])
        #expect(Set(policy["flags"] as? [String] ?? []) == ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"])
        #expect((linux["netDevices"] as? [String: Any])?["enabled"] as? Bool == true)
        let rdt = linux["intelRdt"] as? [String: Any]
        #expect(rdt?["enabled"] as? Bool == true && rdt?["schemata"] as? Bool == true && rdt?["monitoring"] as? Bool == true, "\(rdt ?? [:])")
    }
}
