import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What CRIU must be told about the container's mounts and namespaces: anything whose source
/// lies outside the container cannot be dumped, only named, and the same name is mapped back
/// to a source on restore (specs/checkpoint.md).
enum CheckpointMounts {
    /// ext_mnt entries, at a dump a mount point -> the name the image records (at a restore
    /// CRIU maps names to sources). Named by their container path (runc's convention): every bind
    /// mount of the config (and cgroup mounts, which petrel makes as binds of the host's
    /// cgroup directories), and every masked path that is a file (a bind of /dev/null;
    /// masked directories are read-only tmpfs, which CRIU dumps itself), all named "/dev/null".
    static func external(config: Spec, initPid: Int32) throws(RuntimeError) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        for mount in config.mounts ?? [] {
            let options = mount.options ?? []
            let bind = mount.type == "bind" || options.contains("bind") || options.contains("rbind")
            guard bind || mount.type == "cgroup" || mount.type == "cgroup2" else { continue }
            result.append((mount.destination, mount.destination))
        }
        for path in config.linux?.maskedPaths ?? [] {
            var info = stat()
            // Through the init's root: what the path is inside the container.
            guard stat("/proc/\(initPid)/root" + path, &info) == 0 else {
                if errno == ENOENT { continue }
                throw RuntimeError.sys("cannot inspect a masked path", "stat", path: "/proc/\(initPid)/root" + path)
            }
            if info.st_mode & S_IFMT == S_IFDIR { continue }
            result.append((path, "/dev/null"))
        }
        return result
    }

    /// A namespace the container joined by path is not the container's to dump: CRIU records
    /// it as external ("net[inode]:extRootNetNS") and restore joins the one named again.
    /// runc does this for network and pid namespaces; CRIU supports no other kind.
    static func externalNamespaces(config: Spec) throws(RuntimeError) -> [String] {
        var result: [String] = []
        for namespace in config.linux?.namespaces ?? [] {
            guard let path = namespace.path, !path.isEmpty, let key = key(namespace.type) else { continue }
            var info = stat()
            guard stat(path, &info) == 0 else { throw RuntimeError.sys("cannot inspect a joined namespace", "stat", path: path) }
            result.append("\(key.kind)[\(info.st_ino)]:\(key.name)")
        }
        return result
    }

    static func key(_ type: LinuxNamespaceType) -> (kind: String, name: String)? {
        switch type {
        case .network: ("net", "extRootNetNS")
        case .pid: ("pid", "extRootPidNS")
        default: nil
        }
    }
}
