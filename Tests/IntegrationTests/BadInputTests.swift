import Foundation
import Testing

/// Every bad input: a non-zero exit, an error naming the problem, and nothing left.
@Suite(.enabled(if: Runtime.available, "needs root and a built runtime (PETREL_BIN)"))
struct BadInputTests {
    func expectNothingLeft(_ box: Sandbox, _ id: String) {
        #expect(!box.leftovers(id))
        #expect(!box.runtime(["list", "-q"]).stdout.contains(id))
    }

    @Test func missingBundle() throws {
        let box = try Sandbox()
        let id = box.id()
        let result = box.runtime(["create", "-b", box.dir + "/no-such-bundle", id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no-such-bundle"))
        expectNothingLeft(box, id)
    }

    @Test func missingConfig() throws {
        let box = try Sandbox()
        try FileManager.default.removeItem(atPath: box.configPath)
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("config.json"))
        expectNothingLeft(box, id)
    }

    @Test func invalidJSON() throws {
        let box = try Sandbox()
        try "{\"ociVersion\": ".write(toFile: box.configPath, atomically: true, encoding: .utf8)
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(!result.stderr.isEmpty)
        expectNothingLeft(box, id)
    }

    @Test(.enabled(if: !Runtime.isRunc, "runc's message does not name the field"))
    func wrongTypeNamesTheField() throws {
        let box = try Sandbox()
        try box.edit { config in config[path: "process", "user"] = ["uid": "root", "gid": 0] }
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("process.user.uid"))
        expectNothingLeft(box, id)
    }

    @Test func duplicateIdKeepsTheFirst() throws {
        let box = try Sandbox(["sleep", "60"])
        let id = box.id()
        #expect(box.runtime(["create", "-b", box.bundle, id]).status == 0)
        let again = box.runtime(["create", "-b", box.bundle, id])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"))
        #expect(box.status(id) == "created")
    }

    @Test(arguments: [["state"], ["start"], ["kill"], ["delete"]])
    func unknownId(_ verb: [String]) throws {
        let box = try Sandbox()
        let result = box.runtime(verb + ["no-such-container"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("does not exist"))
    }

    @Test(.enabled(if: !Runtime.isRunc, "runc 1.1 accepts any ociVersion"))
    func unsupportedOCIVersion() throws {
        let box = try Sandbox()
        try box.edit { config in config["ociVersion"] = "9.9.9" }
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("ociVersion"))
        expectNothingLeft(box, id)
    }

    @Test func missingRootfs() throws {
        let box = try Sandbox()
        try box.edit { config in config[path: "root", "path"] = "no-such-rootfs" }
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no-such-rootfs"))
        expectNothingLeft(box, id)
    }

    @Test func aMountFailingHalfwayLeavesNoProcess() throws {
        let box = try Sandbox(["sleep", "60"])
        try box.edit { config in
            var mounts = config["mounts"] as? [[String: Any]] ?? []
            mounts.append(["destination": "/mnt", "type": "bind", "source": box.dir + "/absent", "options": ["bind"]])
            config["mounts"] = mounts
        }
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/mnt") || result.stderr.contains("absent"))
        expectNothingLeft(box, id)
        // No process of ours runs with the bundle's rootfs as its root.
        let rootfs = box.bundle + "/rootfs"
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in processes.compactMap(Int.init) {
            let root = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root")) ?? ""
            #expect(root != rootfs, "process \(pid) still runs in the failed container")
        }
    }

    @Test(.enabled(if: !Runtime.isRunc, "runc allows host-wide sysctls"))
    func aHostWideSysctlIsRefused() throws {
        let box = try Sandbox()
        try box.edit { config in config[path: "linux", "sysctl"] = ["kernel.pid_max": "100000"] }
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("kernel.pid_max"))
        expectNothingLeft(box, id)
    }

    @Test func invalidIds() throws {
        let box = try Sandbox()
        for id in ["../escape", "a/b", ""] {
            let result = box.runtime(["create", "-b", box.bundle, id])
            #expect(result.status != 0, "id \(id) accepted")
        }
    }
}
