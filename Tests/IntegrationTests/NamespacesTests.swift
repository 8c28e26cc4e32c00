import Foundation
import Testing

/// linux.namespaces: new namespaces, joining one by path, sharing the host's.
@Suite(Harness.enabled)
struct Namespaces {
    /// `readlink /proc/self/ns/<kind>` for each kind, inside a container, one per line.
    static func probe(_ kinds: [String]) -> [String] {
        ["sh", "-c", kinds.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ")]
    }

    /// The inode a namespace link or bind-mounted nsfs file names.
    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    @Test("the container gets new net, uts, ipc, mnt and pid namespaces")
    func newNamespaces() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let kinds = ["net", "uts", "ipc", "mnt", "pid"]
        let lines = try t.output(Namespaces.probe(kinds)).split(separator: "\n").map(String.init)
        try #require(lines.count == kinds.count, "\(lines)")
        for (kind, inside) in zip(kinds, lines) {
            let host = Harness.hostNamespace(kind)
            #expect(inside.hasPrefix("\(kind):["), "\(inside)")
            #expect(inside != host, "\(kind) namespace is the host's: \(inside)")
        }
    }

    @Test("a namespace left out of the config is shared with the host")
    func sharedNetwork() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editNamespaces { $0.filter { $0["type"] as? String != "network" } }
        let lines = try t.output(Namespaces.probe(["net", "uts"])).split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(lines)")
        #expect(lines[0] == Harness.hostNamespace("net"), "network left out: the host netns")
        #expect(lines[1] != Harness.hostNamespace("uts"), "uts still new")
    }

    @Test("join a network namespace made with ip netns", .enabled(if: Harness.which("ip") != nil, "iproute2 (ip) not installed"))
    func joinNamedNetns() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let ip = Harness.which("ip")!
        let path = try t.joinNewNamedNetns(ip: ip)
        let expected = try #require(Namespaces.inode(path), "no \(path)")
        let inside = try t.output(Namespaces.probe(["net"]))
        #expect(inside == "net:[\(expected)]", "joined \(path)")
        // A fresh netns has only a loopback device, down.
        let links = try t.output(["sh", "-c", "ls /sys/class/net"])
        #expect(links == "lo", "\(links)")
    }

    @Test("join the network namespace of another container by /proc/<pid>/ns/net")
    func joinContainerNetns() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let first = try t.runDetached(["sleep", "100"], hint: "netns-owner")
        let pid = try #require(try t.state(first)["pid"] as? Int)
        let path = "/proc/\(pid)/ns/net"
        let expected = try #require(Namespaces.inode(path))
        #expect("net:[\(expected)]" != Harness.hostNamespace("net"))

        try t.editNamespaces { namespaces in
            namespaces.map { ns in
                var ns = ns
                if ns["type"] as? String == "network" { ns["path"] = path }
                return ns
            }
        }
        let lines = try t.output(Namespaces.probe(["net", "uts"])).split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(lines)")
        #expect(lines[0] == "net:[\(expected)]", "joined the first container's netns")
        #expect(lines[1] != "uts:[\(Namespaces.inode("/proc/\(pid)/ns/uts") ?? 0)]", "uts is still new")
    }

    @Test("the uts namespace isolates the hostname from the host")
    func utsIsolation() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let before = ProcessInfo.processInfo.hostName
        try t.editConfig { config in
            var process = config["process"] as? [String: Any] ?? [:]
            var caps = process["capabilities"] as? [String: Any] ?? [:]
            for set in ["bounding", "effective", "permitted"] {
                caps[set] = (caps[set] as? [String] ?? []) + ["CAP_SYS_ADMIN"]
            }
            process["capabilities"] = caps
            config["process"] = process
        }
        #expect(try t.output(["sh", "-c", "hostname changed-inside; hostname"]) == "changed-inside")
        let hostName = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hostName != "changed-inside" && hostName != "petrel", "host hostname unchanged (was \(before))")
    }

    @Test("the pid namespace hides host processes")
    func pidIsolation() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", "ls -d /proc/[0-9]* | wc -l"])
        // sh (1), ls, wc and the $(...) subshell at most.
        #expect((Int(out) ?? 99) <= 4, "processes visible: \(out)")
    }
}
