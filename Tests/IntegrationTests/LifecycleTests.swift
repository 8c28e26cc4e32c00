import Foundation
import Testing

/// create / start / state / kill / delete / run, and the state JSON.
@Suite(Harness.enabled)
struct Lifecycle {
    static let stateKeys: Set<String> = ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"]

    @Test("create -> created (blocked), start -> running, kill TERM -> stopped, delete -> gone")
    func fullLifecycle() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let shared = try t.hostDir("shared")
        let marker = shared + "/marker"
        try t.addBind(shared, at: "/shared")
        // The user program leaves a marker, then waits for SIGTERM (pid 1 has no default action).
        try t.setArgs(["sh", "-c", "echo started > /shared/marker; trap 'exit 0' TERM; sleep 100 & wait"])
        let pidFile = t.dir + "/container.pid"

        let id = t.newID("life")
        let created = t.runtime(["create", "--bundle", t.bundle, "--pid-file", pidFile, id])
        try #require(created.status == 0, "\(created)")
        #expect(created.stdout.isEmpty, "create prints nothing on stdout: \(created)")

        let state = try t.state(id)
        #expect(Set(state.keys) == Lifecycle.stateKeys, "state keys: \(state.keys.sorted())")
        #expect(state["status"] as? String == "created")
        #expect(state["id"] as? String == id)
        // runc reports its own spec version (1.0.2-dev) whatever the config says.
        let version = state["ociVersion"] as? String ?? ""
        #expect(version.first?.isNumber == true && version.split(separator: ".").count >= 3, "ociVersion: \(version)")
        #expect(state["bundle"] as? String == t.bundle)
        #expect(state["rootfs"] as? String == t.rootfs)
        #expect(state["owner"] is String)
        let createdAt = state["created"] as? String ?? ""
        #expect(createdAt.count >= 20 && createdAt.contains("T"), "created is an RFC 3339 time: \(createdAt)")
        let pid = state["pid"] as? Int ?? 0
        try #require(pid > 0, "state pid: \(String(describing: state["pid"]))")

        let pidText = try String(contentsOfFile: pidFile, encoding: .utf8)
        #expect(pidText.trimmingCharacters(in: .whitespacesAndNewlines) == String(pid), "pid file: \(pidText.debugDescription)")
        #expect(Harness.processAlive(pid), "the container process exists after create")
        #expect(t.hasStateDir(id))

        // Blocked: the user program has not run yet.
        usleep(200_000)
        #expect(!FileManager.default.fileExists(atPath: marker), "the user program must not run before start")
        #expect(t.status(id) == "created")

        let started = t.runtime(["start", id])
        #expect(started.status == 0, "\(started)")
        #expect(Harness.eventually { FileManager.default.fileExists(atPath: marker) }, "the user program runs after start")
        #expect(t.status(id) == "running")
        #expect((try t.state(id))["pid"] as? Int == pid, "the pid does not change on start")

        let killed = t.runtime(["kill", id, "TERM"])
        #expect(killed.status == 0, "\(killed)")
        #expect(t.waitForStatus(id, "stopped"), "stopped within 5 s after TERM")

        let deleted = t.runtime(["delete", id])
        #expect(deleted.status == 0, "\(deleted)")
        let gone = t.runtime(["state", id])
        #expect(gone.status != 0, "\(gone)")
        #expect(gone.stderr.contains("does not exist"), "\(gone)")
        #expect(!t.hasStateDir(id), "<root>/<id> is removed by delete")
        #expect(!t.listedIDs().contains(id))
    }

    @Test("the state directory: the record and the config, plus the exec fifo while created; run makes no fifo, nothing temporary is left",
          .disabled(if: Harness.isRunc, "runc's state directory holds its own files"))
    func stateDirectoryFiles() throws {
        let t = try Sandbox(args: ["sleep", "1000"])
        defer { t.cleanup() }
        func files(_ id: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: t.root + "/" + id)) ?? []).sorted()
        }
        let created = t.newID("files")
        try #require(t.runtime(["create", "--bundle", t.bundle, created]).succeeded)
        #expect(files(created) == ["config.json", "exec.fifo", "state.json"])
        try #require(t.runtime(["start", created]).succeeded)
        #expect(files(created) == ["config.json", "state.json"])
        let run = t.newID("files-run")
        try #require(t.runtime(["run", "-d", "--bundle", t.bundle, run]).succeeded)
        #expect(files(run) == ["config.json", "state.json"])
        #expect(t.status(run) == "running")
        for id in [created, run] { #expect(t.runtime(["delete", "--force", id]).succeeded) }
    }

    @Test("state has annotations when the config has them")
    func stateAnnotations() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("annotations", ["org.example.key": "value", "other": "x y"])
        let id = try t.create(["sleep", "100"])
        let state = try t.state(id)
        #expect(Set(state.keys) == Lifecycle.stateKeys.union(["annotations"]), "state keys: \(state.keys.sorted())")
        let annotations = state["annotations"] as? [String: String]
        #expect(annotations == ["org.example.key": "value", "other": "x y"])
    }

    @Test("a second start fails")
    func startTwice() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.create(["sleep", "100"])
        let first = t.runtime(["start", id])
        #expect(first.status == 0, "\(first)")
        let second = t.runtime(["start", id])
        #expect(second.status != 0, "\(second)")
        #expect(!second.stderr.isEmpty)
        #expect(t.status(id) == "running", "the container keeps running")
    }

    @Test("kill with a signal name or number", arguments: ["KILL", "SIGKILL", "9"])
    func killSignal(signal: String) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        #expect(t.status(id) == "running")
        let killed = t.runtime(["kill", id, signal])
        #expect(killed.status == 0, "\(killed)")
        #expect(t.waitForStatus(id, "stopped"), "stopped after kill \(signal)")
        let deleted = t.runtime(["delete", id])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(!t.hasStateDir(id))
    }

    @Test("kill without a signal sends TERM")
    func killDefaultSignal() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sh", "-c", "trap 'exit 0' TERM; sleep 100 & wait"])
        let killed = t.runtime(["kill", id])
        #expect(killed.status == 0, "\(killed)")
        #expect(t.waitForStatus(id, "stopped"))
    }

    @Test("kill --all signals every process of the container")
    func killAll() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sh", "-c", "sleep 100 & sleep 100 & wait"])
        let killed = t.runtime(["kill", "--all", id, "KILL"])
        #expect(killed.status == 0, "\(killed)")
        #expect(t.waitForStatus(id, "stopped"))
    }

    @Test("kill of a stopped container fails")
    func killStopped() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        #expect(t.runtime(["kill", id, "KILL"]).status == 0)
        try #require(t.waitForStatus(id, "stopped"))
        let again = t.runtime(["kill", id, "KILL"])
        #expect(again.status != 0, "\(again)")
        #expect(again.stderr.contains("not running"), "\(again)")
    }

    @Test("delete of a running container needs --force")
    func deleteRunning() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let pid = try t.state(id)["pid"] as? Int ?? 0
        let refused = t.runtime(["delete", id])
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("not stopped"), "\(refused)")
        #expect(t.status(id) == "running", "the container keeps running")
        #expect(Harness.processAlive(pid))

        let forced = t.runtime(["delete", "--force", id])
        #expect(forced.status == 0, "\(forced)")
        #expect(t.status(id) == nil)
        #expect(!t.hasStateDir(id))
        #expect(Harness.eventually { !Harness.processAlive(pid) }, "the container process is killed")
    }

    @Test("delete of a stopped container", arguments: ["", "--force"])
    func deleteStopped(flag: String) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["true"])
        #expect(t.waitForStatus(id, "stopped"))
        let deleted = t.runtime(["delete"] + (flag.isEmpty ? [] : [flag]) + [id])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(!t.hasStateDir(id))
    }

    @Test("delete of a created container", .disabled(if: Harness.isRunc, "Petrel deviation: runc deletes a created container without --force; the runtime spec says delete MUST fail when the container is not stopped"))
    func deleteCreated() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.create(["sleep", "100"])
        let pid = try t.state(id)["pid"] as? Int ?? 0
        let refused = t.runtime(["delete", id])
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("not stopped"), "\(refused)")
        #expect(t.status(id) == "created")

        let forced = t.runtime(["delete", "--force", id])
        #expect(forced.status == 0, "\(forced)")
        #expect(t.status(id) == nil)
        #expect(!t.hasStateDir(id))
        #expect(Harness.eventually { !Harness.processAlive(pid) })
    }

    @Test("run: exit status, stdout and stderr relayed, container gone afterwards")
    func runForeground() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = try t.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout == "out\n", "\(result)")
        #expect(result.stderr.contains("err"), "\(result)")
        #expect(t.listedIDs().isEmpty, "run removes the container when it exits")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: t.root)) ?? []
        #expect(leftovers.isEmpty, "no state left in \(t.root): \(leftovers)")
    }

    @Test("run: exit status 0")
    func runSuccess() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = try t.run(["true"])
        #expect(result.status == 0, "\(result)")
    }

    @Test("run: stdin is passed to the container")
    func runStdin() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["sh", "-c", "read line; echo \"got $line\""])
        let id = t.newID("stdin")
        let result = t.runtime(["run", "--bundle", t.bundle, id], stdin: "hello\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.out == "got hello")
    }

    @Test("run: a container killed by signal N exits with 128+N")
    func runKilledBySignal() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["sleep", "100"])
        let id = t.newID("sig")
        let child = t.spawn(["run", "--bundle", t.bundle, id])
        let running = t.waitForStatus(id, "running")
        #expect(running, "run starts the container")
        if running {
            let killed = t.runtime(["kill", id, "KILL"])
            #expect(killed.status == 0, "\(killed)")
        }
        let result = child.wait()
        #expect(result.status == 128 + 9, "\(result)")
        #expect(Harness.eventually { t.status(id) == nil }, "run deletes the container after it exits")
    }

    @Test("run --detach: running, then kill and delete")
    func runDetach() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setArgs(["sleep", "100"])
        let id = t.newID("det")
        let result = t.runtime(["run", "--detach", "--bundle", t.bundle, id])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(t.status(id) == "running")
        #expect(t.listedIDs() == [id])
        #expect(t.runtime(["kill", id, "KILL"]).status == 0)
        #expect(t.waitForStatus(id, "stopped"))
        #expect(t.runtime(["delete", id]).status == 0)
        #expect(t.listedIDs().isEmpty)
    }
}
