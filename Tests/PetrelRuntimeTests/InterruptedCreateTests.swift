#if canImport(Glibc)
import Glibc
#endif
import OCI
import Testing
@testable import PetrelRuntime

/// The remains of a create killed before its init was ready: a provisional record (no init
/// pid, the cgroup it was making). Built by hand here, with real cgroups (as root), to pin
/// what `delete` does with them whatever the kill left running.
@Suite(.serialized) struct InterruptedCreateTests {
    static let isRoot = getuid() == 0
    let layout = CgroupLayout.detect()

    func name(_ tag: String) -> String { "petrel-test-interrupted-\(tag)-\(getpid())" }

    /// A state root in a fresh temporary directory.
    func runtime() throws -> (Runtime, String) {
        var template = Array("/tmp/petrel-interrupted-XXXXXX".utf8CString)
        let made = try #require(template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap(mkdtemp) })
        let dir = String(cString: made)
        return (Runtime(root: dir + "/state"), dir)
    }

    /// Writes a provisional record for `id` naming `cgroup`, as create does first (into the
    /// draft, unpublished).
    func writeProvisional(_ runtime: Runtime, id: String, cgroup: CgroupRecord?, creator: ProcessIdentity) throws {
        let lock = try runtime.store.create(id)
        defer { withExtendedLifetime(lock) {} }
        _ = try runtime.store.beginRecord(provisional(id: id, cgroup: cgroup, creator: creator))
    }

    func provisional(id: String, cgroup: CgroupRecord?, creator: ProcessIdentity) -> ContainerRecord {
        ContainerRecord(
            ociVersion: "1.0.2", id: id, pid: 0, bundle: "/nonexistent", rootfs: "/nonexistent/rootfs",
            created: Clock.rfc3339(nanoseconds: true), owner: "", annotations: nil, initStartTime: 0,
            ownPidNamespace: true, cgroup: cgroup, creator: creator)
    }

    func contents(_ path: String) throws -> [UInt8] { try FileSystem.readFile(path) }

    /// This process under a start time it never had: a creator that is gone.
    var deadCreator: ProcessIdentity { ProcessIdentity(pid: getpid(), startTime: 1) }

    @Test(.enabled(if: isRoot, "needs root"))
    func deleteKillsWhatRunsInTheCgroupItMadeWithoutAPid() throws {
        let (runtime, dir) = try runtime()
        defer { try? FileSystem.removeTree(dir) }
        let planned = try Cgroups.plan(cgroupsPath: nil, id: name("made"), driver: .cgroupfs, layout: layout)
        let manager = try Cgroups.create(planned, layout: layout)
        let sleeper = try #require(spawnProcess(["/bin/sleep", "100"]))
        var reaped = false
        defer {
            if !reaped { kill(sleeper, SIGKILL); _ = reap(sleeper) }
            try? manager.destroy()
        }
        try manager.addProcess(sleeper)
        try writeProvisional(runtime, id: "c", cgroup: planned, creator: deadCreator)

        #expect(try runtime.state("c").status == .stopped)
        #expect(runtime.list().map(\.record.id) == ["c"])
        // Without --force: it is stopped; what runs in its cgroup is what it left.
        try runtime.delete("c", force: false)
        let status = reap(sleeper)
        reaped = true
        #expect(status & 0x7f == SIGKILL, "the process in the cgroup the create made is killed")
        for directory in planned.directories { #expect(!FileSystem.exists(directory.path), "\(directory.path) removed") }
        #expect(!FileSystem.exists(runtime.store.directory("c")))
    }

    @Test(.enabled(if: isRoot, "needs root"))
    func aCgroupThatExistedWithProcessesIsLeftAlone() throws {
        let (runtime, dir) = try runtime()
        defer { try? FileSystem.removeTree(dir) }
        // Someone else's cgroup, busy: create refuses to share it; the kill came before that check.
        let foreign = try Cgroups.create(cgroupsPath: nil, id: name("foreign"), driver: .cgroupfs, layout: layout)
        let sleeper = try #require(spawnProcess(["/bin/sleep", "100"]))
        defer {
            kill(sleeper, SIGKILL)
            _ = reap(sleeper)
            try? foreign.destroy()
        }
        try foreign.addProcess(sleeper)
        let planned = try Cgroups.plan(cgroupsPath: nil, id: name("foreign"), driver: .cgroupfs, layout: layout)
        #expect(planned.directories.allSatisfy { !planned.created.contains($0.path) }, "the leaves exist already")
        try writeProvisional(runtime, id: "c", cgroup: planned, creator: deadCreator)

        try runtime.delete("c", force: true)
        #expect(kill(sleeper, 0) == 0 && ProcessStat.read(pid: sleeper)?.isDead == false, "a foreign process is not killed")
        for directory in planned.directories { #expect(FileSystem.isDirectory(directory.path)) }
        #expect(!FileSystem.exists(runtime.store.directory("c")))
    }

    @Test(.enabled(if: isRoot, "needs root"))
    func aLiveCreatorMeansCreating() throws {
        let (runtime, dir) = try runtime()
        defer { try? FileSystem.removeTree(dir) }
        let planned = try Cgroups.plan(cgroupsPath: nil, id: name("live"), driver: .cgroupfs, layout: layout)
        try writeProvisional(runtime, id: "c", cgroup: planned, creator: try #require(ProcessIdentity.current()))
        #expect(try runtime.state("c").status == .creating)
        #expect(try runtime.state("c").pid == 0)
        #expect(throws: RuntimeError.self) { try runtime.kill("c", signal: SIGTERM, all: false) }
        #expect(throws: RuntimeError.self) { try runtime.start("c") }
        let error = #expect(throws: RuntimeError.self) { try runtime.delete("c", force: true) }
        #expect(error?.message.contains("still being created") == true)
    }

    @Test("the draft reads as creating, and publishing it makes state.json of the complete record, padded to cover the provisional one",
          .enabled(if: isRoot, "needs root"), arguments: [0, 600])
    func aDraftIsPublishedWhole(annotationBytes: Int) throws {
        let (runtime, dir) = try runtime()
        defer { try? FileSystem.removeTree(dir) }
        let lock = try runtime.store.create("c")
        var record = provisional(id: "c", cgroup: nil, creator: try #require(ProcessIdentity.current()))
        let draft = try runtime.store.beginRecord(record)
        #expect(!FileSystem.exists(runtime.store.statePath("c")))
        #expect(try runtime.state("c").status == .creating)
        #expect(runtime.list().map(\.record.id) == ["c"])
        // Shorter than the provisional record (no creator), or longer (annotations).
        record.creator = nil
        record.pid = getpid()
        record.initStartTime = try #require(ProcessStat.read(pid: getpid())).startTime
        if annotationBytes > 0 { record.annotations = ["a": String(repeating: "x", count: annotationBytes)] }
        let provisionalLength = try contents(runtime.store.draftPath("c")).count
        try draft.publish(record)
        withExtendedLifetime(lock) {}
        #expect(!FileSystem.exists(runtime.store.draftPath("c")), "the draft is renamed")
        let published = try contents(runtime.store.statePath("c"))
        #expect(published.count == max(record.encoded().count, provisionalLength))
        #expect(try runtime.store.load("c") == record)
        #expect(try runtime.state("c").status == .running)
    }

    @Test("a complete record its create did not publish (killed before the rename) is an interrupted create",
          .enabled(if: isRoot, "needs root"))
    func anUnpublishedCompleteRecordIsInterrupted() throws {
        let (runtime, dir) = try runtime()
        defer { try? FileSystem.removeTree(dir) }
        let planned = try Cgroups.plan(cgroupsPath: nil, id: name("unpublished"), driver: .cgroupfs, layout: layout)
        let manager = try Cgroups.create(planned, layout: layout)
        defer { try? manager.destroy() }
        try writeProvisional(runtime, id: "c", cgroup: planned, creator: try #require(ProcessIdentity.current()))
        // What the rewrite leaves when the rename never comes: the complete record, under the draft's name.
        var complete = provisional(id: "c", cgroup: manager.record, creator: deadCreator)
        complete.creator = nil
        complete.pid = getpid()
        complete.initStartTime = try #require(ProcessStat.read(pid: getpid())).startTime
        let fd = open(runtime.store.draftPath("c"), O_WRONLY | O_TRUNC | O_CLOEXEC)
        try #require(fd >= 0)
        try FileSystem.writeAll(fd, complete.encoded(), at: 0, path: runtime.store.draftPath("c"))
        close(fd)

        let state = try runtime.state("c")
        #expect(state.status == .stopped && state.pid == 0, "not published: its init died with its creator")
        #expect(state.record.isProvisional)
        #expect(runtime.list().map(\.status) == [.stopped])
        let start = #expect(throws: RuntimeError.self) { try runtime.start("c") }
        #expect(start?.message.contains("interrupted") == true)
        #expect(throws: RuntimeError.self) { try runtime.kill("c", signal: SIGTERM, all: false) }
        #expect(kill(getpid(), 0) == 0, "the pid in the unpublished record is not signalled")
        try runtime.delete("c", force: false)
        for directory in manager.record.directories { #expect(!FileSystem.exists(directory.path), "\(directory.path) removed") }
        #expect(!FileSystem.exists(runtime.store.directory("c")))
    }

    @Test("an empty draft (a create killed between its open and its first write) is no record: reclaimed, deleted",
          .enabled(if: isRoot, "needs root"))
    func anEmptyDraftIsNoRecord() throws {
        let (runtime, dir) = try runtime()
        defer { try? FileSystem.removeTree(dir) }
        for reclaim in [true, false] {
            do {
                let lock = try runtime.store.create("c")
                let fd = open(runtime.store.draftPath("c"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                try #require(fd >= 0)
                close(fd)
                withExtendedLifetime(lock) {}
            }
            let error = #expect(throws: RuntimeError.self) { try runtime.state("c") }
            #expect(error?.message.contains("does not exist") == true)
            #expect(runtime.list().isEmpty)
            if reclaim {
                let again = try runtime.store.create("c")
                withExtendedLifetime(again) {}
                try runtime.store.remove("c")
            } else {
                try runtime.delete("c", force: true)
                #expect(!FileSystem.exists(runtime.store.directory("c")))
            }
        }
    }

    @Test(.enabled(if: isRoot, "needs root"))
    func aStateDirectoryWithoutStateIsReclaimedByCreate() throws {
        let (runtime, dir) = try runtime()
        defer { try? FileSystem.removeTree(dir) }
        // What a create killed between its mkdir and its first record leaves.
        do {
            let first = try runtime.store.create("c")
            #expect(throws: RuntimeError.self) { _ = try runtime.store.create("c") }  // held: a create in progress
            withExtendedLifetime(first) {}
        }
        let second = try runtime.store.create("c")
        withExtendedLifetime(second) {}
    }
}
