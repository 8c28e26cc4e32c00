#if canImport(Glibc)
import Glibc
#endif

/// Making and removing cgroup directories.
enum CgroupTree {
    /// The controllers a container may need; each is enabled where the kernel offers it.
    static let wantedControllers = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma"]

    /// mkdir -p from the leaf up: one mkdir when the parent exists (the usual case), the
    /// missing ancestors only on ENOENT. Returns the directories it made, parents first.
    static func makeDirectories(_ path: String) throws(RuntimeError) -> [String] {
        if mkdir(path, 0o755) == 0 { return [path] }
        if errno == EEXIST { return [] }
        let parent = CgroupPath.parentDirectory(path)
        guard errno == ENOENT, parent != "/", parent != path else {
            throw RuntimeError.sys("cannot create cgroup", "mkdir", path: path)
        }
        var made = try makeDirectories(parent)
        if mkdir(path, 0o755) == 0 {
            made.append(path)
        } else if errno != EEXIST {
            let error = RuntimeError.sys("cannot create cgroup", "mkdir", path: path)
            removeCreated(made)
            throw error
        }
        return made
    }

    /// Enables the wanted controllers in cgroup.subtree_control of every ancestor of `leaf`,
    /// from the mount point down, so the leaf gets their files. Like runc, a refusal (an
    /// ancestor with processes of its own, a controller delegated elsewhere) is not fatal
    /// here: it is returned per controller, and a later write to that controller's files
    /// reports it.
    static func enableControllers(below mountPoint: String, for leaf: String) -> [String: String] {
        var failures: [String: String] = [:]
        var directory = mountPoint
        let components = leaf.dropFirst(mountPoint.count).split(separator: "/")
        for component in components {
            let available = Set((CgroupFile.read(directory, "cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
            let enabled = Set((CgroupFile.read(directory, "cgroup.subtree_control") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
            for controller in wantedControllers where available.contains(controller) && !enabled.contains(controller) {
                let code = CgroupFile.tryWrite(directory, "cgroup.subtree_control", "+" + controller)
                if code != 0 && failures[controller] == nil {
                    failures[controller] = "cannot set cgroup.subtree_control to \"+\(controller)\" in \(directory): \(errnoDescription(code))"
                }
            }
            directory += "/" + component
        }
        return failures
    }

    /// A new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and a process
    /// cannot join it until both are set: copy them down from the parent, as runc does.
    /// `fresh`: directories made just now, known to be empty without a read.
    static func initializeCpuset(_ leaf: String, mountPoint: String, fresh: Set<String> = []) throws(RuntimeError) {
        var parent = mountPoint
        for component in leaf.dropFirst(mountPoint.count).split(separator: "/") {
            let directory = parent + "/" + String(component)
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let current = fresh.contains(directory) ? "" : CgroupFile.trimmed(directory, file) ?? ""
                guard current.isEmpty, let inherited = CgroupFile.trimmed(parent, file), !inherited.isEmpty else { continue }
                try CgroupFile.write(directory, file, inherited)
            }
            parent = directory
        }
    }

    /// rmdir in reverse order, ignoring failures (used to undo a half-made create).
    static func removeCreated(_ directories: [String]) {
        for directory in directories.reversed() { rmdir(directory) }
    }

    /// Removes a cgroup and any child cgroups the container made inside it. cgroupfs only
    /// allows rmdir, which refuses (EBUSY) a cgroup with children or processes: the leaf is
    /// tried first and the children are looked for only then. A cgroup whose last process
    /// just exited may still read busy for a moment, so EBUSY is retried briefly.
    static func removeTree(_ directory: String) throws(RuntimeError) {
        if rmdir(directory) == 0 || errno == ENOENT || errno == ENOTDIR { return }
        guard errno == EBUSY || errno == ENOTEMPTY else { throw RuntimeError.sys("cannot remove cgroup", "rmdir", path: directory) }
        for child in CgroupFile.children(directory) { try removeTree(child) }
        var attempts = 0
        while rmdir(directory) != 0 {
            if errno == ENOENT { return }
            attempts += 1
            guard errno == EBUSY && attempts < 100 else {
                throw RuntimeError.sys("cannot remove cgroup", "rmdir", path: directory)
            }
            usleep(10_000)
        }
    }

    /// After the leaves are gone: the ancestors create() made, deepest first, but only while
    /// they are empty (another container may have been created below them since). rmdir
    /// itself refuses a cgroup with children or processes, so no listing is needed.
    static func removeCreatedAncestors(_ record: CgroupRecord) {
        let leaves = Set(record.directories.map(\.path))
        for directory in record.created.reversed() where !leaves.contains(directory) {
            rmdir(directory)
        }
    }

    /// Polls until no directory has a process left, calling `nudge` between polls (to
    /// re-send SIGKILL to stragglers that forked meanwhile). Gives up after `seconds`.
    static func waitEmpty(_ directories: [String], seconds: Int, nudge: () -> Void) throws(RuntimeError) {
        let polls = seconds * 100
        for poll in 0..<polls {
            let left = directories.flatMap(CgroupFile.allPids)
            if left.isEmpty { return }
            if poll % 10 == 9 { nudge() }
            usleep(10_000)
        }
        let left = directories.flatMap(CgroupFile.allPids)
        guard left.isEmpty else {
            throw RuntimeError("cgroup \(directories.first ?? "") still has processes \(left.map(String.init).joined(separator: ",")) after SIGKILL and \(seconds)s")
        }
    }
}
