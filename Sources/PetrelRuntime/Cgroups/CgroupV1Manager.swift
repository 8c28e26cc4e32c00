#if canImport(Glibc)
import Glibc
#endif
import OCI

/// A container's cgroup on a legacy or hybrid host: one directory per v1 hierarchy, plus
/// one in the cgroup2 hierarchy of a hybrid host.
struct CgroupV1Manager: CgroupManager {
    let record: CgroupRecord

    func directory(_ controller: String) -> String? { record.directory(for: controller) }

    func apply(_ resources: LinuxResources, devices: [DeviceRule]?) throws(RuntimeError) {
        // Only the facts the resources at hand depend on: a config without memory or blkio
        // settings reads nothing.
        var facts = CgroupFacts()
        if resources.memory != nil, let memory = directory("memory") {
            facts.memoryLimit = CgroupFile.number(memory, "memory.limit_in_bytes")
            facts.memoryUsage = CgroupFile.number(memory, "memory.usage_in_bytes")
            facts.swapAccounting = CgroupFile.exists(memory, "memory.memsw.limit_in_bytes")
        }
        if resources.blockIO != nil, let blkio = directory("blkio") { facts.blkioWeightFile = CgroupFile.exists(blkio, "blkio.weight") }
        let needsUnified = !(resources.hugepageLimits ?? []).isEmpty || !(resources.unified ?? [:]).isEmpty
        if needsUnified {
            facts.v1Controllers = Set(record.directories.filter { $0.hierarchy != CgroupDirectory.unified }.flatMap(\.controllers))
        }
        if needsUnified, let unified = directory(CgroupDirectory.unified) {
            facts.unifiedControllers = Set((CgroupFile.read(unified, "cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        }
        let plan = try CgroupSettings.v1(resources, facts: facts)
        // runc skips these silently; they are warnings here, so that nobody thinks they hold.
        for note in plan.ignored { Logger.shared.warning("cgroup v1: ignoring \(note)") }
        // Devices first, like runc's subsystem order (cpuset, devices, memory, ...); a host
        // without the devices hierarchy cannot confine devices, which is refused, not skipped.
        if let devices {
            guard directory("devices") != nil else {
                throw RuntimeError("no devices cgroup hierarchy on this host: cannot confine the container's device access")
            }
            let writer = CgroupFile.Writer()
            for write in CgroupSettings.v1Devices(devices) { try perform(write, with: writer) }
        }
        let writer = CgroupFile.Writer()
        for write in plan.writes { try perform(write, with: writer) }
    }

    private func perform(_ write: CgroupWrite, with writer: CgroupFile.Writer) throws(RuntimeError) {
        guard let path = directory(write.controller) else {
            throw RuntimeError("cannot set \(write.file) to \(JSONText.quote(write.value)): no \(write.controller) cgroup hierarchy on this host")
        }
        let code = writer.write(path, write.file, write.value)
        if code == 0 { return }
        if write.tolerated.contains(code) {
            if let field = write.field {
                Logger.shared.warning("cgroup v1: ignoring \(field) (this kernel cannot set \(write.file): \(errnoDescription(code)))")
            } else {
                Logger.shared.debug("cgroup v1: skipped \(write) in \(path): \(errnoDescription(code))")
            }
            return
        }
        var detail = ""
        if code == EBUSY && write.file == "memory.limit_in_bytes" {
            // runc's hint: the limit is below what the cgroup already uses.
            detail = " (current usage: \(CgroupFile.number(path, "memory.usage_in_bytes") ?? 0), peak usage: \(CgroupFile.number(path, "memory.max_usage_in_bytes") ?? 0))"
        }
        throw RuntimeError("cannot set \(write.file) to \(JSONText.quote(write.value)) in \(path)\(detail)", errno: code)
    }

    func addProcess(_ pid: Int32) throws(RuntimeError) {
        for directory in record.directories { try CgroupFile.write(directory.path, "cgroup.procs", String(pid)) }
    }

    func openDirectoryForClone() throws(RuntimeError) -> Int32? { nil }

    /// freezer.state reads FREEZING until every task stopped; a task that forks meanwhile
    /// can hold that up, so FROZEN is re-requested now and then (runc does the same dance).
    func freeze() throws(RuntimeError) {
        guard let freezer = directory("freezer") else { throw RuntimeError("cannot freeze: no freezer cgroup hierarchy on this host") }
        for attempt in 0..<1000 {
            if attempt % 50 == 0 { try CgroupFile.write(freezer, "freezer.state", "FROZEN") }
            if CgroupFile.trimmed(freezer, "freezer.state") == "FROZEN" { return }
            usleep(10_000)
        }
        _ = CgroupFile.tryWrite(freezer, "freezer.state", "THAWED")
        throw RuntimeError("cannot freeze cgroup \(freezer): freezer.state did not reach FROZEN within 10s")
    }

    func thaw() throws(RuntimeError) {
        guard let freezer = directory("freezer") else { throw RuntimeError("cannot thaw: no freezer cgroup hierarchy on this host") }
        try CgroupFile.write(freezer, "freezer.state", "THAWED")
        for _ in 0..<1000 {
            if CgroupFile.trimmed(freezer, "freezer.state") == "THAWED" { return }
            usleep(10_000)
        }
        throw RuntimeError("cannot thaw cgroup \(freezer): freezer.state did not reach THAWED within 10s")
    }

    var isFrozen: Bool { directory("freezer").flatMap { CgroupFile.trimmed($0, "freezer.state") } == "FROZEN" }

    /// Every hierarchy holds the same processes; runc reads the devices one.
    func processes() -> [Int32] {
        let source = ["devices", "freezer", "pids", "memory"].lazy.compactMap(directory).first ?? record.directories.first?.path
        return source.map(CgroupFile.allPids) ?? []
    }

    func stats() -> CgroupStats { CgroupStatsReader.v1(record) }

    func oomKillCount() -> UInt64? {
        directory("memory").flatMap { CgroupFile.read($0, "memory.oom_control") }.flatMap { CgroupFile.keyed($0)["oom_kill"] }
    }

    /// v1 SIGKILL does not take a frozen task down until it thaws, and a task forking while
    /// we signal could escape: freeze, signal everything, thaw. The usual case, a container
    /// whose init took everything with it, reads each hierarchy's processes once and goes
    /// straight to rmdir.
    func destroy() throws(RuntimeError) {
        // Usually every leaf is empty by now (the init is gone, and its pid namespace with
        // it): rmdir succeeds and nothing needs reading. Only the directories rmdir refuses
        // (EBUSY: processes or child cgroups left) are looked into below.
        var busy: [CgroupDirectory] = []
        for directory in record.directories where rmdir(directory.path) != 0 {
            if errno == ENOENT || errno == ENOTDIR { continue }
            busy.append(directory)
        }
        if !busy.isEmpty { try destroy(busy) }
        CgroupTree.removeCreatedAncestors(record)
    }

    private func destroy(_ directories: [CgroupDirectory]) throws(RuntimeError) {
        var paths: [String] = []
        var occupied = false
        for directory in directories {
            // A directory that is gone (or was never made) is skipped. A cgroupfs directory's
            // link count is 2 plus its child cgroups: only with children is the tree listed.
            var info = stat()
            guard stat(directory.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            paths.append(directory.path)
            if !occupied {
                occupied = info.st_nlink == 2 ? !CgroupFile.pids(directory.path).isEmpty : !CgroupFile.allPids(directory.path).isEmpty
            }
        }
        if occupied {
            let killAll = {
                var seen = Set<Int32>()
                for pid in paths.flatMap(CgroupFile.allPids) where seen.insert(pid).inserted { kill(pid, SIGKILL) }
            }
            let frozen = (try? freeze()) != nil
            killAll()
            if frozen || isFrozen { try thaw() }
            try CgroupTree.waitEmpty(paths, seconds: 10, nudge: killAll)
        }
        for path in paths { try CgroupTree.removeTree(path) }
    }
}
