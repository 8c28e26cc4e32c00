#if canImport(Glibc)
import Glibc
#endif
import OCI

/// One container's cgroup, whatever the cgroup version. Made by `Cgroups.create` (which
/// makes the directories) or rebuilt from the state record by `Cgroups.manager(for:)`.
public protocol CgroupManager {
    var record: CgroupRecord { get }

    /// Writes the resources. `devices` nil leaves the device rules alone (update does).
    func apply(_ resources: LinuxResources, devices: [DeviceRule]?) throws(RuntimeError)

    /// Moves a process in (v1: into every hierarchy).
    func addProcess(_ pid: Int32) throws(RuntimeError)

    /// v2: an O_PATH directory fd for clone3's CLONE_INTO_CGROUP (the caller closes it);
    /// v1: nil, the caller adds the child with `addProcess` instead.
    func openDirectoryForClone() throws(RuntimeError) -> Int32?

    /// Freezes every process and returns once the kernel reports them frozen.
    func freeze() throws(RuntimeError)
    func thaw() throws(RuntimeError)
    var isFrozen: Bool { get }

    /// Host pids in the cgroup and its descendants.
    func processes() -> [Int32]
    /// The data of `events --stats`.
    func stats() -> CgroupStats
    /// How many processes the OOM killer killed in the cgroup so far; nil without memory control.
    func oomKillCount() -> UInt64?

    /// Kills whatever is left, waits for the cgroup to empty and removes its directories
    /// (plus the ancestors create() made, when nothing else lives in them).
    func destroy() throws(RuntimeError)
}

public enum Cgroups {
    /// Resolves linux.cgroupsPath on this host and makes the directories (v2: with the
    /// controllers enabled on the way down). Nothing is written to them yet: see `apply`.
    public static func create(
        cgroupsPath: String?, id: String, driver: CgroupDriver, layout: CgroupLayout = CgroupLayout.detect(),
        procSelfCgroup: String? = nil
    ) throws(RuntimeError) -> any CgroupManager {
        let planned = try plan(cgroupsPath: cgroupsPath, id: id, driver: driver, layout: layout, procSelfCgroup: procSelfCgroup)
        return try create(planned, layout: layout)
    }

    /// Where the cgroup will be, before anything is made. `created` lists the directories
    /// missing now (parents first), which `create` is about to make: `create` records this in
    /// its provisional state first, so a kill while the directories are made leaves them
    /// named in a record.
    public static func plan(
        cgroupsPath: String?, id: String, driver: CgroupDriver, layout: CgroupLayout = CgroupLayout.detect(),
        procSelfCgroup: String? = nil
    ) throws(RuntimeError) -> CgroupRecord {
        let inner = try CgroupPath.inner(cgroupsPath: cgroupsPath, id: id, driver: driver)
        var own = procSelfCgroup ?? ""
        if procSelfCgroup == nil { own = try FileSystem.readText("/proc/self/cgroup") }
        let directories = try CgroupPath.directories(for: inner, layout: layout, procSelfCgroup: own)
        guard !directories.isEmpty else { throw RuntimeError("no cgroup hierarchy is mounted under \(CgroupLayout.root)") }
        // Walked up from each leaf until a directory exists (a hierarchy's mount point does):
        // one lstat per hierarchy when only the leaf is new.
        let mountPoints = Set(layout.v1.map(\.mountPoint) + (layout.unifiedMountPoint.map { [$0] } ?? []))
        var missing: [String] = []
        for directory in directories {
            var chain: [String] = []
            var current = directory.path
            while current != "/" && !mountPoints.contains(current) && !missing.contains(current) && !FileSystem.exists(current) {
                chain.append(current)
                current = CgroupPath.parentDirectory(current)
            }
            missing += chain.reversed()
        }
        return CgroupRecord(version: layout.mode == .unified ? 2 : 1, directories: directories, created: missing)
    }

    /// Makes the planned directories; the manager's record lists the ones actually made.
    public static func create(_ planned: CgroupRecord, layout: CgroupLayout) throws(RuntimeError) -> any CgroupManager {
        if planned.directories.isEmpty { return NoCgroupManager(record: planned) }
        let directories = planned.directories
        var created: [String] = []
        do throws(RuntimeError) {
            for directory in directories {
                let made = try CgroupTree.makeDirectories(directory.path)
                created += made
                // A directory made just now is empty; only an existing one may be shared.
                let pids = made.last == directory.path ? [] : CgroupFile.pids(directory.path)
                guard pids.isEmpty else {
                    throw RuntimeError(
                        "cgroup \(directory.path) already has \(pids.count) process(es): is linux.cgroupsPath shared with another container?")
                }
                // An init cloned into a frozen cgroup never reports back: say so instead of waiting.
                if isFrozen(directory) {
                    throw RuntimeError("container's cgroup unexpectedly frozen: \(directory.path) (thaw it or choose another linux.cgroupsPath)")
                }
            }
            let record = CgroupRecord(version: planned.version, directories: directories, created: created)
            if record.version == 2 {
                var manager = CgroupV2Manager(record: record)
                manager.enableFailures = CgroupTree.enableControllers(below: layout.unifiedMountPoint ?? CgroupLayout.root, for: manager.path)
                return manager
            }
            if let cpuset = record.directory(for: "cpuset"), let mount = layout.v1.first(where: { $0.controllers.contains("cpuset") }) {
                try CgroupTree.initializeCpuset(cpuset, mountPoint: mount.mountPoint, fresh: Set(created))
            }
            return CgroupV1Manager(record: record)
        } catch {
            CgroupTree.removeCreated(created)
            throw error
        }
    }

    /// v2: cgroup.events "frozen 1" (an ancestor's freeze shows here too); v1: the freezer
    /// hierarchy's state is not THAWED (FROZEN or FREEZING, own or inherited).
    static func isFrozen(_ directory: CgroupDirectory) -> Bool {
        if directory.hierarchy == CgroupDirectory.unified {
            return CgroupFile.hasLine(CgroupFile.read(directory.path, "cgroup.events") ?? "", "frozen 1")
        }
        guard directory.carries("freezer"), let state = CgroupFile.read(directory.path, "freezer.state") else {
            return false
        }
        return state != "THAWED\n" && state != "THAWED"
    }

    /// The part of an interrupted create's cgroup that is safe to clean up: the directories
    /// it made, and pre-existing ones only while empty. A cgroup that existed before and
    /// holds processes belongs to someone else (create refuses to share it), so nothing in
    /// it is killed.
    public static func abandoned(_ record: CgroupRecord) -> CgroupRecord {
        let made = Set(record.created)
        var kept = record
        kept.directories = record.directories.filter { made.contains($0.path) || CgroupFile.allPids($0.path).isEmpty }
        for skipped in record.directories where !kept.directories.contains(skipped) {
            Logger.shared.warning("cgroup \(skipped.path) existed before the interrupted create and holds processes: left alone")
        }
        return kept
    }

    public static func manager(for record: CgroupRecord) -> any CgroupManager {
        if record.directories.isEmpty { return NoCgroupManager(record: record) }
        return record.version == 2 ? CgroupV2Manager(record: record) : CgroupV1Manager(record: record)
    }
}
