import Foundation
import Testing

/// A runtime call killed (SIGKILL) at any moment leaves nothing `delete --force ID` cannot
/// remove: no process, no cgroup directory (any hierarchy), no mount, no state; and the id
/// can be created again. The kill is strace's `inject=SYSCALL:signal=KILL:when=N` on the
/// runtime process (the call dies on entry to that syscall).
@Suite(FaultInjector.enabled)
struct FaultInjection {
    static let runcLeaksCgroups = "runc 1.1.5 leaks cgroups here: a killed `runc create` leaves its cgroup directories and `delete --force` of the unrecorded id does not remove them"

    /// A sandbox whose containers sleep, each in its own cgroup below a prefix of this test.
    final class Bench {
        let t: Sandbox
        let prefix = "/petrel-fault-\(Harness.randomToken())"

        init() throws {
            t = try Sandbox(args: ["sleep", "1000"])
            // The state root exists before the traced probe: petrel makes a missing one first
            // thing (the protected re-exec's overlay layer), which would shift the probe's
            // system-call counts against the killed runs that follow.
            try FileManager.default.createDirectory(atPath: t.root, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }

        /// A new id, its cgroup below the prefix.
        func newID(_ hint: String) throws -> String {
            let id = t.newID(hint)
            try t.setConfig("linux.cgroupsPath", prefix + "/" + id)
            return id
        }

        /// The sandbox's cleanup, then what runc leaks: the (empty) cgroup directories below
        /// the prefix, deepest first (rmdir refuses a cgroup that still has processes).
        func cleanup() {
            t.cleanup()
            for mountPoint in LeakSnapshot.cgroupMountPoints() {
                for directory in LeakSnapshot.directories(below: mountPoint + prefix).reversed() { rmdir(directory) }
            }
        }

        func snapshot(_ ids: [String]) -> LeakSnapshot {
            LeakSnapshot.take(ids: ids, sandbox: t.dir, root: t.root, cgroupPrefix: prefix)
        }

        /// After `delete --force`: nothing new names the container (processes get a moment
        /// to finish dying: SIGKILL is asynchronous).
        func leaks(_ id: String, since before: LeakSnapshot) -> LeakSnapshot {
            var leaked = snapshot([id]).leaked(since: before)
            if !leaked.processes.isEmpty {
                Harness.eventually(timeout: 10) { self.snapshot([id]).leaked(since: before).processes.isEmpty }
                leaked = snapshot([id]).leaked(since: before)
            }
            if Harness.isRunc { leaked.cgroups = [] }
            return leaked
        }
    }

    @Test("create killed right after it cloned the init: list/state show it, delete --force cleans everything, the id works again")
    func createKilledAfterClone() throws {
        let b = try Bench()
        defer { b.cleanup() }
        let t = b.t
        let probe = try b.newID("probe")
        let trace = try t.traceRuntime(["create", "--bundle", t.bundle, probe])
        #expect(t.runtime(["delete", "--force", probe]).succeeded)
        let clone = try #require(trace.firstIndex { $0.name == "clone3" || $0.name == "clone" }, "no clone in the trace of create")
        let after = try #require(trace.indices.contains(clone + 1) ? trace[clone + 1] : nil)

        let id = try b.newID("killed")
        let before = b.snapshot([id])
        let killed = t.runtimeKilled(at: after, ["create", "--bundle", t.bundle, id])
        #expect(killed.status == 128 + SIGKILL, "create must die of the injected SIGKILL at \(after): \(killed)")

        if !Harness.isRunc {
            #expect(t.listedIDs().contains(id), "list shows the interrupted container")
            let state = try t.state(id)
            #expect(state["status"] as? String == "stopped", "an interrupted create whose process died reads stopped: \(state)")
            #expect(state["pid"] as? Int == 0)
            // Nothing of it runs: the init died with its creator.
            let alive = b.snapshot([id]).leaked(since: before).processes
            Harness.eventually(timeout: 10) { b.snapshot([id]).leaked(since: before).processes.isEmpty }
            #expect(b.snapshot([id]).leaked(since: before).processes.isEmpty, "the init outlived its killed creator: \(alive)")
        }

        let deleted = t.runtime(["delete", "--force", id])
        #expect(deleted.succeeded, "\(deleted)")
        let leaked = b.leaks(id, since: before)
        #expect(leaked.isEmpty, "after delete --force of a create killed at \(after): leaked \(leaked)")

        let again = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(again.succeeded, "the same id can be created again: \(again)")
        #expect(t.status(id) == "created")
        #expect(t.runtime(["delete", "--force", id]).succeeded)
        #expect(b.leaks(id, since: before).isEmpty)
    }

    @Test("an interrupted create: plain delete cleans it up, start says what happened",
          .disabled(if: Harness.isRunc, "runc does not record a container before its init is ready"))
    func interruptedCreateWithoutForce() throws {
        let b = try Bench()
        defer { b.cleanup() }
        let t = b.t
        let probe = try b.newID("probe")
        let trace = try t.traceRuntime(["create", "--bundle", t.bundle, probe])
        #expect(t.runtime(["delete", "--force", probe]).succeeded)
        // The first cgroup directory made: the cgroup exists, the init does not yet.
        let mkdir = try #require(trace.first { $0.name == "mkdir" && $0.line.contains(b.prefix) }, "no cgroup mkdir in the trace")
        let next = trace[mkdir.index + 1]

        let id = try b.newID("plain")
        let before = b.snapshot([id])
        let killed = t.runtimeKilled(at: next, ["create", "--bundle", t.bundle, id])
        #expect(killed.status == 128 + SIGKILL, "\(killed)")
        #expect(t.status(id) == "stopped")
        let start = t.runtime(["start", id])
        #expect(start.status != 0 && start.stderr.contains("interrupted"), "start of an interrupted create: \(start)")
        let deleted = t.runtime(["delete", id])
        #expect(deleted.succeeded, "a plain delete removes an interrupted create: \(deleted)")
        #expect(b.leaks(id, since: before).isEmpty, "leaked \(b.leaks(id, since: before))")
    }

    @Test("create through the first stage (new user namespace joining a host netns) killed at each step after the clone",
          .enabled(if: Harness.which("ip") != nil, "iproute2 (ip) not installed"),
          .enabled(if: !Harness.isRunc, "runc 1.1 fails to mount sysfs in this configuration (EPERM)"))
    func firstStageCreateKilledAfterClone() throws {
        let b = try Bench()
        defer { b.cleanup() }
        let t = b.t
        let ip = try #require(Harness.which("ip"))
        try t.useUserNamespace()
        try t.joinNewNamedNetns(ip: ip)
        let probe = try b.newID("probe")
        let trace = try t.traceRuntime(["create", "--bundle", t.bundle, probe])
        #expect(t.runtime(["delete", "--force", probe]).succeeded)
        let clone = try #require(trace.firstIndex { $0.name == "clone3" }, "no clone3 in the trace of create")
        // Right after the clone of the first stage, after each message (the hand-off of the
        // init, READY, RECORDED), and at each state write.
        let stages = trace[(clone + 1)...].filter { stage in
            stage.index == clone + 1 || ["recvmsg", "sendto", "rename", "wait4", "waitid"].contains(stage.name)
        }
        try #require(stages.contains { $0.name == "recvmsg" }, "the first stage hands the init over")
        var failures: [String] = []
        for stage in stages {
            let id = try b.newID("fs")
            let before = b.snapshot([id])
            let killed = t.runtimeKilled(at: stage, ["create", "--bundle", t.bundle, id])
            if killed.status != 128 + SIGKILL { failures.append("\(stage): not killed: \(killed)") }
            let deleted = t.runtime(["delete", "--force", id])
            if !deleted.succeeded { failures.append("\(stage): delete --force failed: \(deleted)") }
            let leaked = b.leaks(id, since: before)
            if !leaked.isEmpty { failures.append("\(stage): leaked \(leaked)") }
        }
        #expect(failures.isEmpty, Comment(rawValue: failures.joined(separator: "\n")))
    }

    @Test("start killed after releasing the init, before removing the fifo: a second start does not hang",
          .disabled(if: Harness.isRunc, "runc (Go) makes this syscall on any of its threads: a kill aimed at its main thread misses it"))
    func startKilledAfterRelease() throws {
        let b = try Bench()
        defer { b.cleanup() }
        let t = b.t
        let probe = try b.newID("probe")
        try #require(t.runtime(["create", "--bundle", t.bundle, probe]).succeeded)
        let trace = try t.traceRuntime(["start", probe])
        #expect(t.runtime(["delete", "--force", probe]).succeeded)
        let unlink = try #require(trace.first { $0.name.hasPrefix("unlink") && $0.line.contains("exec.fifo") }, "no unlink of the fifo")

        let id = try b.newID("start")
        let before = b.snapshot([id])
        try #require(t.runtime(["create", "--bundle", t.bundle, id]).succeeded)
        let killed = t.runtimeKilled(at: unlink, ["start", id])
        #expect(killed.status == 128 + SIGKILL, "\(killed)")
        let again = t.runtime(["start", id])
        #expect(again.status != 0 && again.stderr.contains("already running"), "\(again)")
        #expect(t.status(id) == "running")
        #expect(t.runtime(["delete", "--force", id]).succeeded)
        #expect(b.leaks(id, since: before).isEmpty)
    }

    // MARK: - The suite: every verb killed at each of a representative set of syscalls

    /// A verb under test: what exists before it runs, and its arguments.
    struct Verb: CustomStringConvertible, Sendable {
        var name: String
        /// Brings the container to where the verb starts (nothing for create/run).
        var setup: @Sendable (Sandbox, String) -> Output?
        var args: @Sendable (Sandbox, String) -> [String]

        var description: String { name }

        static let create = Verb(name: "create", setup: { _, _ in nil }, args: { t, id in ["create", "--bundle", t.bundle, id] })
        static let runDetached = Verb(name: "run -d", setup: { _, _ in nil }, args: { t, id in ["run", "-d", "--bundle", t.bundle, id] })
        static let start = Verb(name: "start", setup: { t, id in t.runtime(["create", "--bundle", t.bundle, id]) }, args: { _, id in ["start", id] })
        static let exec = Verb(name: "exec", setup: { t, id in t.runtime(["run", "-d", "--bundle", t.bundle, id]) },
                               args: { _, id in ["exec", "-d", id, "sleep", "1000"] })
        static let delete = Verb(name: "delete", setup: { t, id in t.runtime(["run", "-d", "--bundle", t.bundle, id]) },
                                 args: { _, id in ["delete", "--force", id] })
        static let all = [create, runDetached, start, exec, delete]
    }

    @Test("killed at each stage, then delete --force: nothing leaks", arguments: Verb.all)
    func killedAtEachStage(_ verb: Verb) throws {
        let b = try Bench()
        defer { b.cleanup() }
        let t = b.t
        let probe = try b.newID("probe")
        if let setup = verb.setup(t, probe) { try #require(setup.succeeded, "setup: \(setup)") }
        let trace = try t.traceRuntime(verb.args(t, probe))
        #expect(t.runtime(["delete", "--force", probe]).succeeded)
        let stages = FaultInjector.stages(trace, marker: t.root, budget: FaultInjector.stageBudget)
        try #require(!stages.isEmpty, "no stage found in the trace of \(verb) (\(trace.count) syscalls)")

        var failures: [String] = []
        for stage in stages {
            let id = try b.newID("f")
            let before = b.snapshot([id])
            if let setup = verb.setup(t, id), !setup.succeeded {
                failures.append("\(verb) \(stage): setup failed: \(setup)")
                continue
            }
            let killed = t.runtimeKilled(at: stage, verb.args(t, id))
            // The injected kill, or (a syscall this run did not reach) a normal end.
            if killed.status != 128 + SIGKILL && killed.status != 0 {
                failures.append("\(verb) \(stage): neither killed nor successful: \(killed)")
            }
            let deleted = t.runtime(["delete", "--force", id])
            if !deleted.succeeded { failures.append("\(verb) \(stage): delete --force failed: \(deleted)") }
            let leaked = b.leaks(id, since: before)
            if !leaked.isEmpty { failures.append("\(verb) \(stage): leaked \(leaked)") }
        }
        let report = "\(failures.count) of \(stages.count) stages failed:\n" + failures.joined(separator: "\n")
        #expect(failures.isEmpty, Comment(rawValue: report))
    }
}
