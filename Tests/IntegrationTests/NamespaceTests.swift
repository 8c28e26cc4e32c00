import Foundation
import Testing

func namespaceLink(_ name: String) -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(name)")) ?? ""
}

@Suite(.enabled(if: Runtime.available, "needs root and a built runtime (PETREL_BIN)"))
struct NamespaceTests {
    @Test func containerNamespacesDifferFromTheHost() throws {
        let names = ["net", "uts", "ipc", "mnt", "pid"]
        let box = try Sandbox(["sh", "-c", names.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ")])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.count == names.count)
        for (name, inside) in zip(names, result.lines) {
            #expect(inside != namespaceLink(name), "\(name) is shared with the host")
        }
    }

    @Test func withoutANetworkEntryTheHostNetworkIsShared() throws {
        let box = try Sandbox(["readlink", "/proc/self/ns/net"])
        try box.edit { config in
            var namespaces = config[path: "linux", "namespaces"] as? [[String: Any]] ?? []
            namespaces.removeAll { $0["type"] as? String == "network" }
            config[path: "linux", "namespaces"] = namespaces
        }
        #expect(box.run().stdout == namespaceLink("net") + "\n")
    }

    @Test func joinsAnExistingNetworkNamespaceByPath() throws {
        // A long-lived container provides the namespace to join.
        let owner = try Sandbox(["sleep", "60"])
        let ownerID = owner.id()
        #expect(owner.runtime(["run", "-d", "-b", owner.bundle, ownerID]).status == 0)
        let pid = try #require(owner.state(ownerID)?["pid"] as? Int)
        let path = "/proc/\(pid)/ns/net"
        let expected = try FileManager.default.destinationOfSymbolicLink(atPath: path)

        let box = try Sandbox(["readlink", "/proc/self/ns/net"])
        try box.edit { config in
            var namespaces = config[path: "linux", "namespaces"] as? [[String: Any]] ?? []
            namespaces = namespaces.map { entry in
                var entry = entry
                if entry["type"] as? String == "network" { entry["path"] = path }
                return entry
            }
            config[path: "linux", "namespaces"] = namespaces
        }
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected + "\n")
    }

    @Test(.enabled(if: !Runtime.isRunc, "runc 1.1 has no time namespaces"))
    func newCgroupAndTimeNamespaces() throws {
        let box = try Sandbox(["sh", "-c", "readlink /proc/self/ns/cgroup; readlink /proc/self/ns/time"])
        try box.edit { config in
            var namespaces = config[path: "linux", "namespaces"] as? [[String: Any]] ?? []
            namespaces.append(["type": "cgroup"])
            namespaces.append(["type": "time"])
            config[path: "linux", "namespaces"] = namespaces
        }
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.first != namespaceLink("cgroup"))
        #expect(result.lines.last != namespaceLink("time"))
    }

    @Test(.enabled(if: !Runtime.isRunc, "runc 1.1 ignores domainname"))
    func domainname() throws {
        let box = try Sandbox(["cat", "/proc/sys/kernel/domainname"])
        try box.edit { config in config["domainname"] = "example.org" }
        #expect(box.run().stdout == "example.org\n")
    }
}
