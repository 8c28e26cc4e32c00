import Foundation
import Testing

/// Errors: exit status non-zero, the error line names the problem, nothing left behind.
/// Only messages runc also prints are asserted, except for marked Petrel deviations.
@Suite(Harness.enabled)
struct BadInput {
    /// `create` must fail, mention every string in `mentions` on stderr, and leave no state.
    static func expectCreateFails(_ t: Sandbox, bundle: String? = nil, mentions: [String],
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        let id = t.newID("bad")
        let result = t.runtime(["create", "--bundle", bundle ?? t.bundle, id])
        #expect(result.status != 0, "\(result)", sourceLocation: sourceLocation)
        #expect(!result.stderr.isEmpty, "an error message: \(result)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(result.stderr.contains(text), "stderr mentions \(text.debugDescription): \(result)",
                    sourceLocation: sourceLocation)
        }
        #expect(!t.hasStateDir(id), "no state dir left for \(id)", sourceLocation: sourceLocation)
        #expect(!t.listedIDs().contains(id), "list does not show \(id)", sourceLocation: sourceLocation)
        #expect(t.status(id) == nil, "state fails for \(id)", sourceLocation: sourceLocation)
    }

    @Test("missing bundle directory")
    func missingBundle() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let path = t.dir + "/no-such-bundle"
        BadInput.expectCreateFails(t, bundle: path, mentions: [path])
    }

    @Test("missing config.json")
    func missingConfig() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try FileManager.default.removeItem(atPath: t.configPath)
        BadInput.expectCreateFails(t, mentions: ["config.json"])
    }

    @Test("config.json is not valid JSON")
    func invalidJSON() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try "{\"ociVersion\": \"1.0.2\", bad".write(toFile: t.configPath, atomically: false, encoding: .utf8)
        BadInput.expectCreateFails(t, mentions: [])
    }

    @Test("a field of the wrong type")
    func wrongType() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.args", "sh")
        BadInput.expectCreateFails(t, mentions: ["args"])
    }

    @Test("a duplicate id fails; the first container still works")
    func duplicateID() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.create(["sleep", "100"])
        let pid = try t.state(id)["pid"] as? Int
        let again = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(again.status != 0, "\(again)")
        #expect(again.stderr.contains("exists"), "\(again)")
        let state = try t.state(id)
        #expect(state["status"] as? String == "created")
        #expect(state["pid"] as? Int == pid, "the first container is untouched")
        #expect(t.runtime(["start", id]).status == 0)
        #expect(t.status(id) == "running")
        #expect(t.listedIDs() == [id])
    }

    @Test("an unknown id", arguments: [["state"], ["start"], ["kill"], ["kill", "KILL"], ["delete"]])
    func unknownID(verb: [String]) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = t.newID("unknown")
        let args = verb.count > 1 ? [verb[0], id] + verb.dropFirst() : verb + [id]
        let result = t.runtime(args)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("does not exist"), "\(result)")
        #expect(!t.hasStateDir(id))
    }

    @Test("delete --force of an unknown id succeeds (runc behaviour)")
    func forceDeleteUnknownID() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = t.runtime(["delete", "--force", t.newID("unknown")])
        #expect(result.status == 0, "\(result)")
    }

    @Test("an invalid id", arguments: ["../escape", "a/b", "..", "."])
    func invalidID(id: String) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["sleep", "100"])
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("invalid"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: t.dir + "/escape"))
        #expect(t.listedIDs().isEmpty)
        // Nor is it a path out of the state root for the verbs that only read.
        for verb in [["state", id], ["kill", id, "KILL"], ["ps", id]] {
            let read = t.runtime(verb)
            #expect(read.status != 0, "\(read)")
            if !Harness.isRunc { #expect(read.stderr.contains("invalid container id"), "\(read)") }
        }
    }

    @Test("an unknown signal")
    func unknownSignal() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let result = t.runtime(["kill", id, "NOSUCHSIG"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("NOSUCHSIG"), "\(result)")
        #expect(t.status(id) == "running")
    }

    @Test("a missing container id argument", arguments: ["create", "start", "state", "kill", "delete", "run"])
    func missingIDArgument(verb: String) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = t.runtime([verb], currentDirectory: t.bundle)
        #expect(result.status != 0, "\(result)")
        #expect(t.listedIDs().isEmpty)
    }

    @Test("an unsupported ociVersion", .disabled(if: Harness.isRunc, "Petrel deviation: runc accepts any ociVersion"))
    func unsupportedVersion() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("ociVersion", "9.9.9")
        BadInput.expectCreateFails(t, mentions: ["9.9.9"])
    }

    @Test("root.path does not exist")
    func missingRootfs() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("root.path", "no-such-rootfs")
        BadInput.expectCreateFails(t, mentions: ["no-such-rootfs"])
    }

    @Test("a bind mount of a missing host path fails halfway and leaves nothing")
    func badMountSource() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = t.dir + "/no-such-source"
        try t.setArgs(["sleep", "100"])
        try t.addBind(source, at: "/mnt")
        BadInput.expectCreateFails(t, mentions: [source])
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: t.root)) ?? []
        #expect(leftovers.isEmpty, "nothing in \(t.root): \(leftovers)")
        #expect(BadInput.processesUsing(t.rootfs).isEmpty, "no process left in the rootfs")
    }

    @Test("run with a failing mount leaves nothing")
    func runBadMount() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.addBind(t.dir + "/no-such-source", at: "/mnt")
        let result = try t.run(["true"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains(t.dir + "/no-such-source"), "\(result)")
        #expect(t.listedIDs().isEmpty)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: t.root)) ?? []
        #expect(leftovers.isEmpty, "nothing in \(t.root): \(leftovers)")
    }

    /// Host pids whose cwd or root is inside `path` (as seen from the host).
    static func processesUsing(_ path: String) -> [Int] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int.init).filter { pid in
            for link in ["cwd", "root"] {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/\(link)"),
                   target.hasPrefix(path) { return true }
            }
            return false
        }
    }
}
