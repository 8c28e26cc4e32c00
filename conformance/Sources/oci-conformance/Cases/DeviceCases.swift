import ConformanceKit

/// config-linux.md "Devices", "Default Devices", "Allowed Device list".
enum DeviceCases {
    static let all: [Case] = [
        .inside("devices.default", "null, zero, full, random, urandom, tty and ptmx are supplied",
                spec: "config-linux.md Default Devices: \"In addition to any devices configured with this setting, the runtime MUST also supply\" /dev/null ... /dev/ptmx",
                checks: ["default-devices"]),
        .inside("devices.create", "character, block and fifo devices with mode, uid and gid",
                spec: "config-linux.md Devices: `devices` \"lists devices that MUST be available in the container\" (type, major, minor, fileMode, uid, gid)",
                checks: ["devices"]) { f in
            f.config[path: "linux.devices"] = [
                ["path": "/dev/conf-char", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1, "gid": 2],
                ["path": "/dev/conf-block", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600, "uid": 0, "gid": 6],
                ["path": "/dev/conf-fifo", "type": "p", "fileMode": 0o620],
                ["path": "/conf-outside-dev", "type": "c", "major": 1, "minor": 5, "fileMode": 0o666],
            ]
        },
        .inside("devices.cgroup-rules", "the allowed device list, applied in the listed order",
                spec: "config-linux.md Allowed Device list: \"The runtime MUST apply entries in the listed order\"",
                checks: ["device-cgroup"]) { f in
            // Major 250 has no driver here: an allowed open fails with ENXIO, a denied one with EPERM.
            f.config[path: "linux.devices"] = [
                ["path": "/dev/conf-denied", "type": "c", "major": 250, "minor": 250, "fileMode": 0o666],
                ["path": "/dev/conf-allowed", "type": "c", "major": 250, "minor": 251, "fileMode": 0o666],
                ["path": "/dev/conf-readonly", "type": "c", "major": 250, "minor": 252, "fileMode": 0o666],
            ]
            f.config[path: "linux.resources.devices"] = [
                ["allow": false, "access": "rwm"],
                ["allow": true, "type": "c", "major": 250, "minor": 251, "access": "rw"],
                ["allow": true, "type": "c", "major": 250, "minor": 252, "access": "rw"],
                ["allow": false, "type": "c", "major": 250, "minor": 252, "access": "w"],
            ]
        },
    ]
}
