import CExecutor
#if canImport(Glibc)
import Glibc
#endif
import OCI

/// A container's cgroup on a unified (cgroup v2) host: one directory.
struct CgroupV2Manager: CgroupManager {
    let record: CgroupRecord
    /// Controllers create() could not enable, with why: the hint for a later ENOENT.
    var enableFailures: [String: String] = [:]

    init(record: CgroupRecord) {
        self.record = record
    }

    var path: String { record.directories.first?.path ?? "" }

    func apply(_ resources: LinuxResources, devices: [DeviceRule]?) throws(RuntimeError) {
        // Only the facts the resources at hand depend on.
        var facts = CgroupFacts()
        if resources.blockIO != nil { facts.bfqWeight = CgroupFile.exists(path, "io.bfq.weight") }
        if resources.memory != nil { facts.memoryUsage = CgroupFile.number(path, "memory.current") }
        let plan = try CgroupSettings.v2(resources, facts: facts)
        // runc skips these silently; they are warnings here, so that nobody thinks they hold.
        for note in plan.ignored { Logger.shared.warning("cgroup v2: ignoring \(note)") }
        // The raw unified map comes last in the plan: its failures name the config field.
        let firstUnified = plan.writes.count - (resources.unified?.count ?? 0)
        for (index, write) in plan.writes.enumerated() {
            try perform(write, field: index >= firstUnified ? "linux.resources.unified" : nil)
        }
        if let devices { try DeviceFilterLoader.install(DeviceFilter.program(devices), in: path) }
    }

    var controllers: Set<String> {
        Set((CgroupFile.read(path, "cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
    }

    private func perform(_ write: CgroupWrite, field: String?) throws(RuntimeError) {
        let code = CgroupFile.tryWrite(path, write.file, write.value)
        if code == 0 { return }
        if write.tolerated.contains(code) {
            if let field = write.field {
                Logger.shared.warning("cgroup v2: ignoring \(field) (this kernel cannot set \(write.file): \(errnoDescription(code)))")
            } else {
                Logger.shared.debug("cgroup v2: skipped \(write) in \(path): \(errnoDescription(code))")
            }
            return
        }
        var detail = ""
        let controller = String(write.file.prefix { $0 != "." })
        if code == ENOENT && controller != "cgroup" && !controllers.contains(controller) {
            detail = " (the \(controller) controller is not enabled for this cgroup"
                + (enableFailures[controller].map { ": " + $0 } ?? "") + ")"
        }
        let prefix = field.map { "\($0): " } ?? ""
        throw RuntimeError("\(prefix)cannot set \(write.file) to \(JSONText.quote(write.value)) in \(path)\(detail)", errno: code)
    }

    func addProcess(_ pid: Int32) throws(RuntimeError) {
        try CgroupFile.write(path, "cgroup.procs", String(pid))
    }

    func openDirectoryForClone() throws(RuntimeError) -> Int32? {
        let fd = petrel_open_cgroup_directory(path)
        guard fd >= 0 else { throw RuntimeError.sys("cannot open cgroup", "open", path: path) }
        return fd
    }

    /// cgroup.freeze asks; cgroup.events' "frozen 1" says it is done (tasks in the middle of
    /// a syscall take a moment). runc waits up to 10 s the same way.
    func freeze() throws(RuntimeError) {
        try CgroupFile.write(path, "cgroup.freeze", "1")
        for _ in 0..<1000 {
            if CgroupFile.keyed(CgroupFile.read(path, "cgroup.events") ?? "")["frozen"] == 1 { return }
            usleep(10_000)
        }
        _ = CgroupFile.tryWrite(path, "cgroup.freeze", "0")
        throw RuntimeError("cannot freeze cgroup \(path): cgroup.events did not show \"frozen 1\" within 10s")
    }

    func thaw() throws(RuntimeError) {
        try CgroupFile.write(path, "cgroup.freeze", "0")
        guard CgroupFile.trimmed(path, "cgroup.freeze") == "0" else {
            throw RuntimeError("cannot thaw cgroup \(path): cgroup.freeze still reads 1")
        }
    }

    var isFrozen: Bool { CgroupFile.trimmed(path, "cgroup.freeze") == "1" }

    func processes() -> [Int32] { CgroupFile.allPids(path) }

    func stats() -> CgroupStats { CgroupStatsReader.v2(path) }

    func oomKillCount() -> UInt64? {
        CgroupFile.read(path, "memory.events").flatMap { CgroupFile.keyed($0)["oom_kill"] }
    }

    /// cgroup.kill (Linux 5.14+) kills the whole subtree atomically, even processes forking
    /// right now; older kernels get SIGKILL per pid, repeated until the cgroup is empty.
    /// SIGKILL reaches frozen tasks on v2, so no thaw is needed first. cgroup.events'
    /// "populated 0" says the whole subtree is empty in one read: the usual case goes
    /// straight to rmdir.
    func destroy() throws(RuntimeError) {
        // An empty leaf (the usual case: the init and its pid namespace are gone) goes with
        // one rmdir; cgroup.events is read only when rmdir refuses (EBUSY).
        if rmdir(path) == 0 || errno == ENOENT || errno == ENOTDIR {
            CgroupTree.removeCreatedAncestors(record)
            return
        }
        if let events = CgroupFile.read(path, "cgroup.events") {
            if !CgroupFile.hasLine(events, "populated 0") {
                let killFile = CgroupFile.exists(path, "cgroup.kill")
                let killAll = {
                    if killFile && CgroupFile.tryWrite(path, "cgroup.kill", "1") == 0 { return }
                    for pid in CgroupFile.allPids(path) { kill(pid, SIGKILL) }
                }
                if !CgroupFile.allPids(path).isEmpty { killAll() }
                try CgroupTree.waitEmpty([path], seconds: 10, nudge: killAll)
            }
            try CgroupTree.removeTree(path)
        }
        CgroupTree.removeCreatedAncestors(record)
    }
}
