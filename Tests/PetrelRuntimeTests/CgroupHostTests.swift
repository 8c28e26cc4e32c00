#if canImport(Glibc)
import Glibc
#endif
import OCI
import Testing
@testable import PetrelRuntime

/// Starts a program with posix_spawn (safe in this multi-threaded test process) and returns its pid.
func spawnProcess(_ arguments: [String]) -> pid_t? {
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let result = posix_spawn(&pid, arguments[0], nil, nil, &argv, environ)
    return result == 0 ? pid : nil
}

/// waitpid's raw status.
func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// Real cgroups on this machine, as root: the hybrid host (v1 controllers) and the pure
/// cgroup v2 guest (vm-run) take the same test. Every cgroup made is named petrel-test-*
/// and removed again.
@Suite(.serialized) struct CgroupHostTests {
    static let isRoot = getuid() == 0
    let layout = CgroupLayout.detect()
    var v2: Bool { layout.mode == .unified }

    func name(_ tag: String) -> String { "petrel-test-\(tag)-\(getpid())" }

    func read(_ manager: any CgroupManager, _ controller: String, _ file: String) -> String? {
        manager.record.directory(for: controller).flatMap { CgroupFile.trimmed($0, file) }
    }

    @Test(.enabled(if: isRoot, "needs root"))
    func lifecycle() throws {
        let manager = try Cgroups.create(cgroupsPath: nil, id: name("life"), driver: .cgroupfs, layout: layout)
        var sleeper: pid_t?
        defer {
            if let sleeper { kill(sleeper, SIGKILL); _ = reap(sleeper) }
            try? manager.destroy()
        }
        #expect(manager.record.version == (v2 ? 2 : 1))
        #expect(manager.record.directories.allSatisfy { $0.path.hasSuffix("/" + name("life")) && FileSystem.isDirectory($0.path) })

        let resources = LinuxResources(
            memory: LinuxMemory(limit: 64 << 20), cpu: LinuxCPU(quota: 50_000, period: 100_000), pids: LinuxPids(limit: 32))
        let rules = try DeviceRules.rules(resources: [LinuxDeviceCgroup(allow: false, access: "rwm")], devices: nil)
        try manager.apply(resources, devices: rules)
        if v2 {
            #expect(read(manager, "memory", "memory.max") == "67108864")
            #expect(read(manager, "pids", "pids.max") == "32")
            #expect(read(manager, "cpu", "cpu.max") == "50000 100000")
        } else {
            #expect(read(manager, "memory", "memory.limit_in_bytes") == "67108864")
            #expect(read(manager, "pids", "pids.max") == "32")
            #expect(read(manager, "cpu", "cpu.cfs_quota_us") == "50000")
            #expect(read(manager, "cpu", "cpu.cfs_period_us") == "100000")
            #expect(read(manager, "devices", "devices.list")?.contains("c 1:3 rwm") == true)
        }

        let pid = try #require(spawnProcess(["/bin/sleep", "100"]))
        sleeper = pid
        try manager.addProcess(pid)
        #expect(manager.processes() == [pid])

        try manager.freeze()
        #expect(manager.isFrozen)
        if v2 {
            #expect(CgroupFile.keyed(CgroupFile.read(manager.record.directories[0].path, "cgroup.events") ?? "")["frozen"] == 1)
        } else {
            #expect(read(manager, "freezer", "freezer.state") == "FROZEN")
        }
        try manager.thaw()
        #expect(!manager.isFrozen)

        let stats = manager.stats()
        #expect(stats.pids == CgroupStats.Pids(current: 1, limit: 32))
        #expect(stats.memory.usage.limit == 64 << 20)
        #expect(manager.oomKillCount() == 0)
        #expect(stats.json.hasPrefix("{\"cpu\":{\"usage\":{"))

        // The device rules hold for processes in the cgroup: /dev/null yes, /dev/kmsg no.
        let devices = try #require(manager.record.directory(for: v2 ? "unified" : "devices"))
        let join = "echo $$ > \(devices)/cgroup.procs || exit 9; "
        let allowed = try #require(spawnProcess(["/bin/sh", "-c", join + ": </dev/null"]))
        #expect(reap(allowed) == 0)
        let denied = try #require(spawnProcess(["/bin/sh", "-c", join + "exec 3</dev/kmsg"]))
        let deniedStatus = reap(denied)
        #expect(deniedStatus != 0 && (deniedStatus >> 8) != 9)

        try manager.destroy()
        let status = reap(pid)
        sleeper = nil
        #expect(status & 0x7f == SIGKILL)
        for directory in manager.record.directories { #expect(!FileSystem.exists(directory.path)) }
    }

    @Test(.enabled(if: isRoot, "needs root"))
    func nestedAbsolutePathRemovesOnlyWhatItMade() throws {
        let parent = "/" + name("parent")
        let manager = try Cgroups.create(cgroupsPath: parent + "/child", id: "x", driver: .cgroupfs, layout: layout)
        defer { try? manager.destroy() }
        #expect(manager.record.created.contains { $0.hasSuffix(parent) })
        try manager.apply(LinuxResources(pids: LinuxPids(limit: 10)), devices: nil)
        #expect(read(manager, "pids", "pids.max") == "10")
        try manager.destroy()
        for path in manager.record.created { #expect(!FileSystem.exists(path)) }

        // A parent that already existed stays.
        let existing = try Cgroups.create(cgroupsPath: parent, id: "x", driver: .cgroupfs, layout: layout)
        defer { try? existing.destroy() }
        let child = try Cgroups.create(cgroupsPath: parent + "/child", id: "x", driver: .cgroupfs, layout: layout)
        #expect(!child.record.created.contains { $0.hasSuffix(parent) })
        try child.destroy()
        for directory in existing.record.directories { #expect(FileSystem.isDirectory(directory.path)) }
        try existing.destroy()
        for directory in existing.record.directories { #expect(!FileSystem.exists(directory.path)) }
    }

    @Test(.enabled(if: isRoot, "needs root"))
    func writeErrorsNameFileValueAndDirectory() throws {
        let manager = try Cgroups.create(cgroupsPath: nil, id: name("errors"), driver: .cgroupfs, layout: layout)
        defer { try? manager.destroy() }
        let error = #expect(throws: RuntimeError.self) {
            try manager.apply(LinuxResources(cpu: LinuxCPU(cpus: "999999")), devices: nil)
        }
        let directory = try #require(manager.record.directory(for: "cpuset"))
        #expect(error?.description.hasPrefix("cannot set cpuset.cpus to \"999999\" in \(directory): ") == true)
        try manager.destroy()
    }

    @Test(.enabled(if: isRoot, "needs root"))
    func busyCgroupIsRefused() throws {
        let manager = try Cgroups.create(cgroupsPath: nil, id: name("busy"), driver: .cgroupfs, layout: layout)
        let pid = try #require(spawnProcess(["/bin/sleep", "100"]))
        defer {
            kill(pid, SIGKILL)
            _ = reap(pid)
            try? manager.destroy()
        }
        try manager.addProcess(pid)
        #expect(throws: RuntimeError.self) {
            try Cgroups.create(cgroupsPath: nil, id: name("busy"), driver: .cgroupfs, layout: layout)
        }
        for directory in manager.record.directories { #expect(FileSystem.isDirectory(directory.path)) }
    }
}
