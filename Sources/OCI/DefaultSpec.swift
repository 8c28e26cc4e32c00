#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Spec {
    /// What `runc spec` (runc 1.1.5) writes, with hostname "petrel": an interactive `sh` in
    /// `rootfs`, the minimal capability set, and the masked and read-only /proc paths.
    ///
    /// `rootless` applies runc's ToRootless: no network namespace, a user namespace mapping
    /// container root to `hostUID`/`hostGID` (default: the caller's effective ids, as runc
    /// does), /sys bind-mounted from the host, no devpts gid option and no cgroup device rules.
    public static func runcDefault(rootless: Bool, hostUID: UInt32? = nil, hostGID: UInt32? = nil) -> Spec {
        let capabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let process = Process(
            terminal: true,
            user: User(uid: 0, gid: 0),
            args: ["sh"],
            env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            cwd: "/",
            capabilities: LinuxCapabilities(
                bounding: capabilities, effective: capabilities, permitted: capabilities, ambient: capabilities),
            rlimits: [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)],
            noNewPrivileges: true
        )
        var ptsOptions = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
        if !rootless { ptsOptions.append("gid=5") }
        let mounts = [
            Mount(destination: "/proc", type: "proc", source: "proc"),
            Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount(destination: "/dev/pts", type: "devpts", source: "devpts", options: ptsOptions),
            Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            rootless
                ? Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
                : Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
            Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
        var linux = Linux(
            maskedPaths: [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
            ],
            readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        )
        if rootless {
            linux.namespaces = [.pid, .ipc, .uts, .mount, .user].map { LinuxNamespace(type: $0) }
            linux.uidMappings = [LinuxIDMapping(containerID: 0, hostID: hostUID ?? effectiveUID(), size: 1)]
            linux.gidMappings = [LinuxIDMapping(containerID: 0, hostID: hostGID ?? effectiveGID(), size: 1)]
        } else {
            linux.namespaces = [.pid, .network, .ipc, .uts, .mount].map { LinuxNamespace(type: $0) }
            linux.resources = LinuxResources(devices: [LinuxDeviceCgroup(allow: false, access: "rwm")])
        }
        return Spec(
            ociVersion: "1.0.2-dev", process: process, root: Root(path: "rootfs", readonly: true),
            hostname: "petrel", mounts: mounts, linux: linux)
    }
}

private func effectiveUID() -> UInt32 {
    #if canImport(Glibc) || canImport(Musl)
    return UInt32(geteuid())
    #else
    return 0
    #endif
}

private func effectiveGID() -> UInt32 {
    #if canImport(Glibc) || canImport(Musl)
    return UInt32(getegid())
    #else
    return 0
    #endif
}
