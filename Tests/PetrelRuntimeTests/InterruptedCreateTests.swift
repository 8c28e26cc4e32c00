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

    /// Writes a provisional record for `id` naming `cgroup`, as create does first.
    func writeProvisional(_ runtime: Runtime, id: String, cgroup: CgroupRecord, creator: ProcessIdentity) throws {
        let lock = try runtime.store.create(id)
        defer { withExtendedLifetime(lock) {} }
        try runtime.store.save(ContainerRecord(
            ociVersion: "1.0.2", id: id, pid: 0, bundle: "/nonexistent", rootfs: "/nonexistent/rootfs",
            created: Clock.rfc3339(nanoseconds: true), owner: "", annotations: nil, initStartTime: 0,
            ownPidNamespace: true, cgroup: cgroup, creator: creator))
    }

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
