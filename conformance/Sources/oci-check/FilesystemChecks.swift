import ConformanceKit
import Glibc

/// config.md "Root", "Mounts"; config-linux.md "Rootfs Mount Propagation", "Masked Paths",
/// "Readonly Paths"; runtime-linux.md "Dev symbolic links".
extension Checker {
    /// A mount option that shows up as a per-mount flag in mountinfo.
    static let flagOptions: [String: (present: String?, absent: [String])] = [
        "ro": ("ro", []), "rro": ("ro", []), "rw": ("rw", []),
        "nosuid": ("nosuid", []), "suid": (nil, ["nosuid"]),
        "nodev": ("nodev", []), "dev": (nil, ["nodev"]),
        "noexec": ("noexec", []), "exec": (nil, ["noexec"]),
        "noatime": ("noatime", []), "relatime": ("relatime", []),
        "strictatime": (nil, ["noatime", "relatime"]),
        "nodiratime": ("nodiratime", []), "nosymfollow": ("nosymfollow", []),
    ]

    mutating func checkMounts() {
        let list = config["mounts"].array ?? []
        if list.isEmpty { report.skip("mounts", "no mounts in config") }
        // A case may name the mounts it is about (expect.checkMounts); the others are the base config's.
        let only = Set(expect["checkMounts"].strings)
        for mount in list {
            guard let destination = mount["destination"].string else { continue }
            if !only.isEmpty && !only.contains(destination) { continue }
            let options = mount["options"].strings
            let type = mount["type"].string ?? ""
            guard let entry = MountInfo.top(at: destination, in: mounts) else {
                report.fail("mounts", "\(destination): nothing mounted there")
                continue
            }
            let isBind = type == "bind" || options.contains("bind") || options.contains("rbind")
            if type == "cgroup" {
                // cgroup v1 hosts get a tmpfs with one mount per hierarchy below it.
                report.expect("mounts", ["cgroup", "cgroup2", "tmpfs"].contains(entry.fsType),
                              "\(destination): cgroup file system, got \(entry.fsType)")
            } else if !isBind && !type.isEmpty {
                report.equal("mounts", "\(destination) type", entry.fsType, type)
            }
            if isBind, let source = expect["bindSources"][destination].string, let st = System.statOf(destination) {
                report.equal("mounts", "\(destination) is a bind of its source (dev:ino)", "\(st.st_dev):\(st.st_ino)", source)
            }
            for option in options {
                if type == "cgroup" && option == "ro" {
                    // A cgroup v1 "cgroup" mount is a tmpfs holding one mount per hierarchy:
                    // read-only when the tmpfs is, or when every hierarchy below it is.
                    let below = mounts.filter { $0.mountPoint.hasPrefix(MountInfo.normalize(destination) + "/") }
                    let readonly = entry.options.contains("ro") || (!below.isEmpty && below.allSatisfy { $0.options.contains("ro") })
                    report.expect("mounts", readonly, "\(destination) ro: the cgroup mount (and every hierarchy below it) is read-only")
                    continue
                }
                checkMountOption(option, destination, entry)
            }
        }
    }

    private mutating func checkMountOption(_ option: String, _ destination: String, _ entry: MountEntry) {
        if let flag = Checker.flagOptions[option] {
            if let present = flag.present {
                report.expect("mounts", entry.options.contains(present),
                              "\(destination) \(option): mount flags \(entry.options.sorted().joined(separator: ","))")
            }
            for absent in flag.absent {
                report.expect("mounts", !entry.options.contains(absent),
                              "\(destination) \(option): no \(absent) in \(entry.options.sorted().joined(separator: ","))")
            }
            return
        }
        switch option {
        case "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable":
            checkPropagation("mounts", "\(destination) \(option)", String(option.trimmingPrefix("r")), entry,
                             hostGroup: expect["peerGroups"][destination].int)
        default:
            if option.hasPrefix("mode="), entry.fsType == "tmpfs", let mode = UInt32(option.dropFirst(5), radix: 8),
               let st = System.statOf(destination) {
                report.equal("mounts", "\(destination) \(option): directory mode", String(st.st_mode & 0o7777, radix: 8),
                             String(mode, radix: 8))
            } else if option.hasPrefix("size=") {
                report.expect("mounts", entry.superOptions.contains(option),
                              "\(destination) \(option): super options \(entry.superOptions.joined(separator: ","))")
            }
        }
    }

    /// "The runtime MUST mount entries in the listed order": a later mount below an earlier
    /// one sits on it; a later mount above an earlier one hides it.
    mutating func checkMountOrder() {
        let list = (config["mounts"].array ?? []).compactMap { $0["destination"].string }.map(MountInfo.normalize)
        for (i, first) in list.enumerated() {
            for second in list[(i + 1)...] {
                guard let upper = MountInfo.top(at: first, in: mounts) else { continue }
                if second.hasPrefix(first + "/") {
                    let child = mounts.last { $0.mountPoint == second }
                    report.expect("mount-order", child?.parent == upper.id,
                                  "\(second) (listed after \(first)) is mounted on it")
                } else if first.hasPrefix(second + "/") {
                    report.expect("mount-order", System.lstatOf(first) == nil,
                                  "\(first) is hidden by \(second), mounted after it")
                }
            }
        }
    }

    mutating func checkRootReadonly() {
        let readonly = config["root"]["readonly"].bool ?? false
        guard let root = MountInfo.top(at: "/", in: mounts) else {
            report.fail("root-readonly", "no mount at / in mountinfo")
            return
        }
        report.expect("root-readonly", root.options.contains(readonly ? "ro" : "rw"),
                      "/ is \(readonly ? "ro" : "rw"): flags \(root.options.sorted().joined(separator: ","))")
        let probe = "/oci-write-probe"
        let result = mkdir(probe, 0o755)
        let code = result == 0 ? 0 : errno
        if result == 0 { rmdir(probe) }
        if readonly {
            report.equal("root-readonly", "mkdir on a readonly root", errnoName(code), errnoName(EROFS))
        } else {
            report.equal("root-readonly", "mkdir on a writable root", errnoName(code), errnoName(0))
        }
    }

    mutating func checkRootfsPropagation() {
        guard let propagation = linux["rootfsPropagation"].string else {
            report.skip("rootfs-propagation", "linux.rootfsPropagation not set")
            return
        }
        guard let root = MountInfo.top(at: "/", in: mounts) else {
            report.fail("rootfs-propagation", "no mount at / in mountinfo")
            return
        }
        // The entry judged must be the container's root: the bind of the bundle's rootfs.
        if let st = System.statOf("/") {
            report.equal("rootfs-propagation", "the mount at / is the file system of / (major:minor)", root.device,
                         "\(System.major(UInt64(st.st_dev))):\(System.minor(UInt64(st.st_dev)))")
            if let rootfs = expect["rootfsDevIno"].string {
                report.equal("rootfs-propagation", "/ is the bundle's rootfs (dev:ino)", "\(st.st_dev):\(st.st_ino)", rootfs)
            }
        }
        checkPropagation("rootfs-propagation", "/ (rootfsPropagation \(propagation))", propagation, root,
                         hostGroup: expect["rootfsPeerGroup"].int)
    }

    /// Judges a mount's propagation (mount_namespaces(7), the optional fields of mountinfo):
    /// - shared: a member of a peer group (`shared:N`; `master:M` may follow, shared and slave);
    /// - slave: `master:N` without `shared:`, and N is the peer group of the host's mount when
    ///   the runner recorded it (`hostGroup`): a slave of its source, receiving the host's mounts;
    /// - private: no optional field at all; unbindable: only `unbindable`.
    /// The runner puts bind sources and the rootfs on a shared mount of its own, so a runtime that
    /// leaves the copy alone fails `private`, and one that makes it private fails `slave`.
    mutating func checkPropagation(_ name: String, _ what: String, _ kind: String, _ entry: MountEntry, hostGroup: Int?) {
        let seen = "propagation \(entry.propagationText)"
        switch kind {
        case "shared":
            report.expect(name, entry.isShared, "\(what): shared:N expected, \(seen)")
        case "slave":
            report.expect(name, entry.isSlave && !entry.isShared && !entry.isUnbindable,
                          "\(what): master:N without shared:N expected, \(seen)")
            if let hostGroup {
                report.expect(name, entry.masterGroup == hostGroup,
                              "\(what): a slave of the host's peer group \(hostGroup) (master:\(hostGroup)) expected, \(seen)")
            } else {
                report.skip(name, "\(what): the runner recorded no host peer group, so the master cannot be checked")
            }
        case "private":
            report.expect(name, entry.propagation.isEmpty, "\(what): no shared:, master: or unbindable expected, \(seen)")
        case "unbindable":
            report.expect(name, entry.propagation == ["unbindable"], "\(what): unbindable only expected, \(seen)")
        default:
            report.fail(name, "\(what): unknown propagation \(kind)")
        }
    }

    mutating func checkMaskedPaths() {
        for path in linux["maskedPaths"].strings {
            guard let st = System.lstatOf(path) else {
                report.expect("masked-paths", true, "\(path) absent, nothing to mask")
                continue
            }
            if System.isDirectory(st) {
                let entries = System.listDirectory(path)
                report.expect("masked-paths", entries == nil || entries == [],
                              "\(path) (directory) shows nothing, got \(entries ?? [])")
            } else {
                let content = try? readFile(path)
                report.expect("masked-paths", content == nil || content == [],
                              "\(path) cannot be read, got \(content?.count ?? 0) bytes")
            }
        }
    }

    mutating func checkReadonlyPaths() {
        for path in linux["readonlyPaths"].strings {
            guard System.lstatOf(path) != nil else {
                report.expect("readonly-paths", true, "\(path) absent")
                continue
            }
            guard let entry = MountInfo.top(at: path, in: mounts) else {
                report.fail("readonly-paths", "\(path): not a mount point (not remounted read-only)")
                continue
            }
            report.expect("readonly-paths", entry.options.contains("ro"),
                          "\(path) is read-only: flags \(entry.options.sorted().joined(separator: ","))")
        }
    }

    mutating func checkDevices() {
        let list = linux["devices"].array ?? []
        if list.isEmpty { report.skip("devices", "linux.devices not set") }
        for device in list {
            let path = device["path"].string ?? "?"
            guard let st = System.lstatOf(path) else {
                report.fail("devices", "\(path): missing (\(errnoName(errno)))")
                continue
            }
            let format = st.st_mode & S_IFMT
            let type = device["type"].string ?? "?"
            let expectedFormat: mode_t = type == "b" ? S_IFBLK : type == "p" ? S_IFIFO : S_IFCHR
            report.equal("devices", "\(path) file type (\(type))", String(format, radix: 8), String(expectedFormat, radix: 8))
            if type != "p" {
                let seen = "\(System.major(UInt64(st.st_rdev))):\(System.minor(UInt64(st.st_rdev)))"
                report.equal("devices", "\(path) major:minor", seen, "\(device["major"].int ?? -1):\(device["minor"].int ?? -1)")
            }
            if let mode = device["fileMode"].int {
                report.equal("devices", "\(path) permissions", String(st.st_mode & 0o777, radix: 8), String(mode & 0o777, radix: 8))
            }
            if let uid = device["uid"].int { report.equal("devices", "\(path) uid", Int(st.st_uid), uid) }
            if let gid = device["gid"].int { report.equal("devices", "\(path) gid", Int(st.st_gid), gid) }
        }
    }

    static let defaultDevices: [(path: String, major: UInt64, minor: UInt64)] = [
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ]

    mutating func checkDefaultDevices() {
        for device in Checker.defaultDevices {
            guard let st = System.statOf(device.path) else {
                report.fail("default-devices", "\(device.path) missing")
                continue
            }
            let seen = "\(System.major(UInt64(st.st_rdev))):\(System.minor(UInt64(st.st_rdev)))"
            report.expect("default-devices", st.st_mode & S_IFMT == S_IFCHR && seen == "\(device.major):\(device.minor)",
                          "\(device.path) is the character device \(device.major):\(device.minor), got \(seen)")
        }
        if let target = System.readLink("/dev/ptmx") {
            report.expect("default-devices", ["pts/ptmx", "/dev/pts/ptmx"].contains(target),
                          "/dev/ptmx links to the container's pts/ptmx, got \(target)")
        } else if let st = System.statOf("/dev/ptmx") {
            let seen = "\(System.major(UInt64(st.st_rdev))):\(System.minor(UInt64(st.st_rdev)))"
            report.expect("default-devices", seen == "5:2", "/dev/ptmx is 5:2 (bind of pts/ptmx), got \(seen)")
        } else {
            report.fail("default-devices", "/dev/ptmx missing")
        }
        // They work: /dev/full refuses writes with ENOSPC, /dev/zero reads zeros.
        let full = open("/dev/full", O_WRONLY | O_CLOEXEC)
        var byte: UInt8 = 1
        let wrote = full >= 0 ? write(full, &byte, 1) : -1
        let code = errno
        if full >= 0 { close(full) }
        report.expect("default-devices", full >= 0 && wrote < 0 && code == ENOSPC, "writing /dev/full fails with ENOSPC")
        let zero = try? readFileLimited("/dev/zero", 16)
        report.expect("default-devices", zero == [UInt8](repeating: 0, count: 16), "/dev/zero reads zeros")
    }

    mutating func checkDevSymlinks() {
        let links = [("/dev/fd", "/proc/self/fd"), ("/dev/stdin", "/proc/self/fd/0"),
                     ("/dev/stdout", "/proc/self/fd/1"), ("/dev/stderr", "/proc/self/fd/2")]
        for (path, target) in links {
            report.equal("dev-symlinks", path, System.readLink(path) ?? "(not a symlink)", target)
        }
    }
}

/// Reads at most `limit` bytes (for endless files such as /dev/zero).
func readFileLimited(_ path: String, _ limit: Int) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw IOFailure("open", path) }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 1, count: limit)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, limit) }
    if count < 0 { throw IOFailure("read", path) }
    return Array(buffer.prefix(count))
}
