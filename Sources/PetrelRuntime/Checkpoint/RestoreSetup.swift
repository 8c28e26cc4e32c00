import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// The pieces of a restore request that come from the config, the images and the host.
enum RestoreSetup {
    /// descriptors.json as checkpoint wrote it; a missing one means the directory holds no
    /// (complete) checkpoint, said before anything is made.
    static func descriptors(images: String) throws(RuntimeError) -> [String] {
        let path = images + "/descriptors.json"
        guard FileSystem.exists(path) else {
            throw RuntimeError("\(images) holds no checkpoint (no descriptors.json): was it made by `checkpoint` without --pre-dump?")
        }
        let bytes = try FileSystem.readDocument(path)
        guard let value = try? OCIJSON.decode([String].self, from: bytes), value.count == 3 else {
            throw RuntimeError("corrupt checkpoint: \(path) is not a list of the three stdio descriptors")
        }
        return value
    }

    /// CRIU's options from the checkpoint flags and the config: external mounts mapped back to
    /// their sources (same keys as the dump), the init's stdio pipes handed over as CRIU's own
    /// fds 0-2 (runc: inherit_fd "pipe:[N]"), rst_sibling (the init becomes petrel's child).
    static func options(_ flags: CheckpointRequest, spec: Spec, bundle: String, rootfs: String,
                        cgroup: CgroupRecord, descriptors: [String]) -> CriuOptions {
        var options = CriuOptions()
        options.logLevel = 4
        options.logFile = "restore.log"
        options.root = rootfs
        options.restoreSibling = true
        options.notifyScripts = true
        options.manageCgroups = true
        options.manageCgroupsMode = flags.cgroupsMode
        options.tcpEstablished = flags.tcpEstablished
        options.extUnixSk = flags.extUnixSk
        options.shellJob = flags.shellJob
        options.fileLocks = flags.fileLocks
        options.emptyNamespaces = flags.emptyNamespaces == 0 ? nil : flags.emptyNamespaces
        if flags.lazyPages {
            options.lazyPages = true
            if flags.statusFd >= 0 { options.statusFd = flags.statusFd }
        }
        for mount in spec.mounts ?? [] {
            let mountOptions = mount.options ?? []
            if mount.type == "bind" || mountOptions.contains("bind") || mountOptions.contains("rbind") {
                let source = mount.source ?? ""
                options.externalMounts.append((mount.destination, source.hasPrefix("/") ? source : bundle + "/" + source))
            } else if mount.type == "cgroup" || mount.type == "cgroup2" {
                // What the container saw there: its own cgroup directory (v2, in its cgroup
                // namespace); on v1 the first of its hierarchies' directories.
                if let directory = cgroup.directories.first?.path { options.externalMounts.append((mount.destination, directory)) }
            }
        }
        // The dump named every masked file's mount "/dev/null" (ext_mnt path -> name); a
        // restore maps names to sources, so one entry serves them all (runc does the same).
        if (spec.linux?.maskedPaths ?? []).contains(where: { !FileSystem.isDirectory(rootfs + $0) }) {
            options.externalMounts.append(("/dev/null", "/dev/null"))
        }
        for (fd, description) in descriptors.enumerated() where description.hasPrefix("pipe:") {
            options.inheritFds.append((description, Int32(fd)))
        }
        return options
    }

    /// The namespaces the config joins by path that the dump named external, opened.
    static func joinedNamespaces(_ spec: Spec) throws(RuntimeError) -> [(key: String, fd: Int32)] {
        var result: [(key: String, fd: Int32)] = []
        for namespace in spec.linux?.namespaces ?? [] {
            guard let path = namespace.path, !path.isEmpty, let key = CheckpointMounts.key(namespace.type) else { continue }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                for item in result { close(item.fd) }
                throw RuntimeError.sys("cannot open a namespace to join", "open", path: path)
            }
            result.append((key.name, fd))
        }
        return result
    }

    /// cg_root entries from /proc/PID/cgroup (CRIU, already moved into the container's cgroup).
    static func cgroupRoots(pid: pid_t) throws(RuntimeError) -> [(controller: String?, path: String)] {
        let text = try FileSystem.readText("/proc/\(pid)/cgroup")
        var roots: [(controller: String?, path: String)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            roots.append((fields[1].isEmpty ? nil : String(fields[1]), String(fields[2])))
        }
        return roots
    }

    /// CRIU needs the root it restores into to be a mount point. petrel enters a mount
    /// namespace of its own (a slave of the host's) and binds the rootfs onto itself there:
    /// the bind dies with petrel, whatever happens, and the host never sees it.
    static func privateRoot(_ rootfs: String) throws(RuntimeError) {
        // CLONE_NEWNS
        guard petrel_unshare(0x0002_0000) == 0 else { throw RuntimeError.sys("cannot prepare the restore's root", "unshare(CLONE_NEWNS)") }
        guard mount(nil, "/", nil, UInt(MS_REC | MS_SLAVE), nil) == 0 else {
            throw RuntimeError.sys("cannot prepare the restore's root", "mount(MS_SLAVE)", path: "/")
        }
        guard mount(rootfs, rootfs, nil, UInt(MS_BIND | MS_REC), nil) == 0 else {
            throw RuntimeError.sys("cannot prepare the restore's root", "mount(MS_BIND)", path: rootfs)
        }
    }
}
