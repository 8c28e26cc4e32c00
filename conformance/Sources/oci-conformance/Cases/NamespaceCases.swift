import ConformanceKit
import Glibc

/// config-linux.md "Namespaces", "User namespace mappings", "Offset for Time Namespace",
/// "Sysctl", "Personality"; config.md "Hostname", "Domainname".
enum NamespaceCases {
    static func removeNamespaces(_ f: inout Fixture, except kept: [String]) {
        f.config[path: "linux.namespaces"] = .array((f.config[path: "linux.namespaces"].array ?? []).filter {
            kept.contains($0["type"].string ?? "")
        })
    }

    /// A host process holding new network, ipc and uts namespaces for the container to join.
    static func namespaceHolder(_ f: inout Fixture) throws -> pid_t {
        guard let pid = f.suite.commands.start(["unshare", "--net", "--ipc", "--uts", "sleep", "1000"]) else {
            throw Outcome.fail("cannot start `unshare --net --ipc --uts sleep` for namespaces to join")
        }
        f.helpers.append(pid)
        let hostNet = f.suite.host.namespaces["net"]
        let deadline = Clock.now + 5
        while Clock.now < deadline {
            if let link = readLinkText("/proc/\(pid)/ns/net"), link != hostNet,
               readLinkText("/proc/\(pid)/exe")?.hasSuffix("sleep") == true {
                return pid
            }
            Clock.sleep(0.02)
        }
        throw Outcome.fail("the namespace holder \(pid) did not enter its namespaces")
    }

    static let all: [Case] = [
        .inside("namespaces.new", "each listed namespace is new; unlisted ones are the runtime's",
                spec: "config-linux.md Namespaces: \"If `path` is not specified, the runtime MUST create a new container namespace of type `type`\"; \"If a namespace type is not specified ... the container MUST inherit the runtime namespace of that type\"",
                checks: ["namespaces"]),
        .inside("namespaces.inherit", "namespaces not listed are inherited from the runtime",
                spec: "config-linux.md Namespaces: \"If a namespace type is not specified in the `namespaces` array, the container MUST inherit the runtime namespace of that type\"",
                checks: ["namespaces"]) { f in
            removeNamespaces(&f, except: ["mount", "pid"])
            f.config.remove(path: "hostname")
        },
        Case("namespaces.inherit-mount", "no mount namespace in the config: the container stays in the runtime's",
             spec: "config-linux.md Namespaces: \"If a namespace type is not specified in the `namespaces` array, the container MUST inherit the runtime namespace of that type\"; config.md: createRuntime hooks \"MUST be executed in the runtime namespace\"") { f in
            // The runtime's mount namespace is what its createRuntime hook sees (crun on a
            // hybrid host runs behind a wrapper with a namespace of its own). The runtime runs in
            // a private copy of the host's: whatever it mounts stays out of the host's.
            let record = f.rootfs + "/oci/hooks/runtime.mnt"
            removeNamespaces(&f, except: ["pid", "network", "ipc", "uts", "cgroup"])
            // Only /proc (runc closes fds through /proc/self/fd) and a /dev tmpfs for the device
            // nodes (the bundle may be on a nodev file system); runc and crun make them in the
            // runtime's namespace when there is no mount namespace.
            f.config["mounts"] = [
                ["destination": "/proc", "type": "proc", "source": "proc"],
                ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
            ]
            f.config.remove(path: "linux.maskedPaths")
            f.config.remove(path: "linux.readonlyPaths")
            f.config["hooks"] = ["createRuntime": [[
                "path": "/bin/sh", "args": .strings(["sh", "-c", "cat >/dev/null; readlink /proc/self/ns/mnt > \(record)"]),
                "env": .strings([HookCases.hostPath]),
            ]]]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            try f.writeBundle()
            let id = f.newID()
            try f.requireSuccess(f.suite.commands.run(
                ["unshare", "--mount", "--propagation", "private", f.suite.runtime, "--root", f.suite.stateRoot,
                 "create", "--bundle", f.bundle, id], stdoutPath: "\(f.dir)/\(id).out"), "create without a mount namespace")
            let runtimeMnt = readTrimmed(record) ?? "(no createRuntime record)"
            let pid = f.state(id)?["pid"].int ?? -1
            try f.require(readLinkText("/proc/\(pid)/ns/mnt") == runtimeMnt,
                          "after create the container process \(pid) is in mnt \(readLinkText("/proc/\(pid)/ns/mnt") ?? "?"), the runtime in \(runtimeMnt)")
            try f.requireSuccess(f.runtime(["start", id]), "start")
            try f.require(readLinkText("/proc/\(pid)/ns/mnt") == runtimeMnt,
                          "after start the container process \(pid) is in mnt \(readLinkText("/proc/\(pid)/ns/mnt") ?? "?"), the runtime in \(runtimeMnt)")
        },
        .inside("namespaces.join-path", "namespaces given by path are joined",
                spec: "config-linux.md Namespaces: path: \"The runtime MUST place the container process in the namespace associated with that `path`\"",
                checks: ["namespaces"]) { f in
            let holder = try namespaceHolder(&f)
            var joined: [String: JSON] = [:]
            f.config[path: "linux.namespaces"] = .array((f.config[path: "linux.namespaces"].array ?? []).map { ns in
                let type = ns["type"].string ?? ""
                let link = ["network": "net", "ipc": "ipc", "uts": "uts"][type]
                guard let link else { return ns }
                joined[link] = .string(readLinkText("/proc/\(holder)/ns/\(link)") ?? "?")
                return ["type": .string(type), "path": .string("/proc/\(holder)/ns/\(link)")]
            })
            f.expect["joinedNamespaces"] = .object(joined)
            f.config.remove(path: "hostname")
        },
        .inside("namespaces.user", "a new user namespace with uid and gid mappings",
                spec: "config-linux.md User namespace mappings: uidMappings/gidMappings \"describes the user namespace uid/gid mappings from the host to the container\"",
                checks: ["namespaces", "id-mappings", "user"]) { f in
            try f.requireNamespace("user")
            f.config.append(path: "linux.namespaces", ["type": "user"])
            f.config[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            f.config[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            f.config[path: "mounts"] = BaseConfig.userNamespaceMounts(f.config)
        },
        Case("namespaces.user-no-chown", "the rootfs keeps its owners when a user namespace maps ids",
             spec: "config-linux.md User namespace mappings: \"The runtime SHOULD NOT modify the ownership of referenced filesystems to realize the mapping\"") { f in
            try f.requireNamespace("user")
            f.config.append(path: "linux.namespaces", ["type": "user"])
            f.config[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            f.config[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            f.config[path: "mounts"] = BaseConfig.userNamespaceMounts(f.config)
            try f.runChecker(["user"])
            var changed: [String] = []
            for path in ["", "/bin", "/bin/busybox", "/etc/passwd", "/oci/oci-check"] {
                var st = stat()
                if lstat(f.rootfs + path, &st) == 0 && (st.st_uid != 0 || st.st_gid != 0) {
                    changed.append("\(path.isEmpty ? "/" : path) is \(st.st_uid):\(st.st_gid)")
                }
            }
            try f.require(changed.isEmpty, "ownership changed on the host: \(changed.joined(separator: ", "))")
        },
        .inside("namespaces.time", "a new time namespace with clock offsets",
                spec: "config-linux.md Offset for Time Namespace: `timeOffsets` \"sets the offset for Time Namespace\"",
                checks: ["namespaces", "time-offsets"]) { f in
            try f.requireNamespace("time")
            f.config.append(path: "linux.namespaces", ["type": "time"])
            f.config[path: "linux.timeOffsets"] = [
                "monotonic": ["secs": 86400, "nanosecs": 0], "boottime": ["secs": 3600, "nanosecs": 500],
            ]
        },
        .inside("namespaces.hostname", "hostname in the new uts namespace",
                spec: "config.md Hostname: \"specifies the container's hostname as seen by processes running inside the container\"",
                checks: ["hostname"]) { f in
            f.config["hostname"] = "oci-conformance-host"
        },
        .inside("namespaces.domainname", "domainname in the new uts namespace",
                spec: "config.md Domainname (runtime-spec 1.2): \"specifies the container's domainname as seen by processes running inside the container\"",
                checks: ["domainname", "hostname"]) { f in
            f.config["domainname"] = "conformance.example"
        },
        .inside("namespaces.sysctl", "sysctl values in the container's namespaces",
                spec: "config-linux.md Sysctl: \"allows kernel parameters to be modified at runtime for the container\"",
                checks: ["sysctl"]) { f in
            f.config[path: "linux.sysctl"] = [
                "net.ipv4.ip_forward": "1", "net.ipv4.conf.all.forwarding": "1", "kernel.msgmax": "4096",
            ]
        },
        .inside("namespaces.personality", "personality LINUX32",
                spec: "config-linux.md Personality: \"`LINUX32` will set the `uname` system call to show a 32 bit CPU type\"",
                checks: ["personality"]) { f in
            f.config[path: "linux.personality"] = ["domain": "LINUX32"]
        },
    ]
}

func readLinkText(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink(path, &buffer, 4095)
    if count < 0 { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
