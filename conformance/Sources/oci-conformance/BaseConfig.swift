import ConformanceKit

/// The config.json every case starts from: a busybox container much like `runc spec`
/// makes, plus a cgroup namespace (cgroup v2 hosts need one to show the container's own
/// cgroup files) and a tmpfs /tmp for the checker's probes.
enum BaseConfig {
    static let capabilities: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT",
        "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
    ]

    static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    static func make() -> JSON {
        let caps = JSON.strings(capabilities)
        return [
            "ociVersion": "1.0.2",  // crun 1.8 refuses 1.2.0; every runtime here takes 1.0.2
            "process": [
                "terminal": false,
                "user": ["uid": 0, "gid": 0],
                "args": ["/bin/true"],
                "env": [JSON.string(path), "TERM=xterm"],
                "cwd": "/",
                "capabilities": [
                    "bounding": caps, "effective": caps, "permitted": caps,
                ],
                "rlimits": [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]],
                "noNewPrivileges": true,
            ],
            "root": ["path": "rootfs", "readonly": false],
            "hostname": "conformance",
            "mounts": [
                ["destination": "/proc", "type": "proc", "source": "proc"],
                ["destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
                ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
                 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
                ["destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
                ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                 "options": ["nosuid", "noexec", "nodev"]],
                ["destination": "/sys", "type": "sysfs", "source": "sysfs",
                 "options": ["nosuid", "noexec", "nodev", "ro"]],
                ["destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                 "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]],
                ["destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "mode=1777"]],
            ],
            "linux": [
                "namespaces": [
                    ["type": "pid"], ["type": "network"], ["type": "ipc"], ["type": "uts"],
                    ["type": "mount"], ["type": "cgroup"],
                ],
                "resources": ["devices": [["allow": false, "access": "rwm"]]],
                "maskedPaths": [
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                    "/proc/scsi",
                ],
                "readonlyPaths": [
                    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                ],
            ],
        ]
    }

    /// The mounts a container in a new user namespace can make (no sysfs, no cgroup file
    /// system: the runtimes would have to bind them from the host).
    static func userNamespaceMounts(_ config: JSON) -> JSON {
        .array((config["mounts"].array ?? []).filter { mount in
            !["/sys", "/sys/fs/cgroup", "/dev/mqueue"].contains(mount["destination"].string ?? "")
        })
    }
}
