#if canImport(Glibc)
import Glibc
#endif

/// `exec --cgroup [CONTROLLER[,CONTROLLER]:]PATH`: the exec'd process goes into an existing
/// sub-cgroup of the container's cgroup instead of the container's own (runc's rules: one
/// plain PATH for every controller, or controller-prefixed paths, each controller once).
struct ExecSubCgroups: Equatable {
    /// Controller (or "" for all) to the relative path below the container's cgroup.
    var paths: [String: String] = [:]

    init(_ arguments: [String]) throws(RuntimeError) {
        for argument in arguments {
            let parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2 else { throw RuntimeError("invalid --cgroup argument: \(argument)") }
            let path = parts.count == 1 ? parts[0] : parts[1]
            guard !path.isEmpty, !path.split(separator: "/").contains("..") else {
                throw RuntimeError("invalid --cgroup argument: \(argument) (the path must name a cgroup below the container's)")
            }
            if parts.count == 1 {
                guard arguments.count == 1 else { throw RuntimeError("invalid --cgroup argument: \(argument) (missing <controller>: prefix)") }
                paths[""] = path
                continue
            }
            for controller in parts[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard !controller.isEmpty else { throw RuntimeError("invalid --cgroup argument: \(argument) (empty <controller> prefix)") }
                guard paths[controller] == nil else {
                    throw RuntimeError("invalid --cgroup argument(s): controller \(controller) specified multiple times")
                }
                paths[controller] = path
            }
        }
    }

    var isEmpty: Bool { paths.isEmpty }

    /// The relative path for a v1 hierarchy ("cpu,cpuacct"), or nil to use the container's own.
    func path(forHierarchy hierarchy: String) -> String? {
        if let all = paths[""] { return all }
        return hierarchy.split(separator: ",").lazy.compactMap { paths[String($0)] }.first
    }

    /// On v2 there is one tree: a plain path, or the same path under every prefix given.
    func unifiedPath() throws(RuntimeError) -> String {
        if let all = paths[""] { return all }
        let distinct = Set(paths.values)
        guard distinct.count == 1, let only = distinct.first else {
            throw RuntimeError("invalid --cgroup argument(s): cgroup v2 has one hierarchy, so every controller must name the same path")
        }
        return only
    }

    /// The container's cgroup directories with the sub-cgroups applied; each must exist.
    func directories(of record: CgroupRecord) throws(RuntimeError) -> CgroupRecord {
        var result = record
        let unified = record.version == 2 ? try unifiedPath() : nil
        for index in result.directories.indices {
            let directory = result.directories[index]
            guard let sub = unified ?? path(forHierarchy: directory.hierarchy) else { continue }
            let path = directory.path + "/" + sub
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw RuntimeError.sys("exec --cgroup: no such sub-cgroup", "stat", path: path)
            }
            result.directories[index].path = path
        }
        return result
    }
}
