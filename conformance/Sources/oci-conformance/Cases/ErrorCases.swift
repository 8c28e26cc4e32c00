import ConformanceKit
import Glibc

/// runtime.md "Operations" and "Errors", config.md "Valid values" and "Extensibility":
/// what must fail, and that a failed create leaves nothing behind.
enum ErrorCases {
    /// create must fail for this config, leave no container and no cgroup behind, and say
    /// which field is wrong (`field`, its JSON path) on stderr or in the `--log` file; `words`
    /// also count as naming it (a feature's common name, such as "RDT" for linux.intelRdt).
    static func refusedCreate(_ f: inout Fixture, _ what: String, field: String, words: [String] = []) throws {
        let id = f.newID()
        let cgroup = try f.useOwnCgroupsPath(id)
        let (result, log) = f.createLogged(id)
        let leftovers = f.leftoverCgroups(cgroup)
        try f.requireFailure(result, "create with \(what)")
        let state = f.runtime(["state", id])
        try f.require(!state.succeeded, "a failed create left a container behind: \(state.stdout.trimmed)")
        try f.require(leftovers.isEmpty, "a failed create left its cgroup behind: \(leftovers.joined(separator: ", "))")
        try f.requireNamed(field, in: result, log: log, words: words)
    }

    /// The index the next element appended to the array at `path` will have.
    static func nextIndex(_ f: Fixture, _ path: String) -> Int {
        f.config[path: path].array?.count ?? 0
    }

    /// The index of the first element of the array at `path` that satisfies `match`.
    static func index(_ f: Fixture, _ path: String, where match: (JSON) -> Bool) -> Int {
        f.config[path: path].array?.firstIndex(where: match) ?? 0
    }

    static let all: [Case] = [
        Case("errors.state-unknown", "state of an unknown id: error",
             spec: "runtime.md Query State: \"Attempting to query a container that does not exist MUST generate an error\"") { f in
            try f.requireFailure(f.runtime(["state", "no-such-container-\(getpid())"]), "state of an unknown id")
        },
        Case("errors.start-unknown", "start of an unknown id: error",
             spec: "runtime.md Start: \"Attempting to `start` a container that does not exist MUST generate an error\"") { f in
            try f.requireFailure(f.runtime(["start", "no-such-container-\(getpid())"]), "start of an unknown id")
        },
        Case("errors.kill-unknown", "kill of an unknown id: error",
             spec: "runtime.md Kill: \"Attempting to send a signal to a container that does not exist MUST generate an error\"") { f in
            try f.requireFailure(f.runtime(["kill", "no-such-container-\(getpid())", "KILL"]), "kill of an unknown id")
        },
        Case("errors.delete-unknown", "delete of an unknown id: error",
             spec: "runtime.md Delete: \"Attempting to `delete` a container that does not exist MUST generate an error\"") { f in
            try f.requireFailure(f.runtime(["delete", "no-such-container-\(getpid())"]), "delete of an unknown id")
        },
        Case("errors.create-no-bundle", "create of a directory without config.json: error, nothing left",
             spec: "runtime.md Create: \"This operation MUST generate an error if it is not provided a path to the bundle\"; Errors: \"generating an error MUST leave the state of the environment as if the operation were never attempted\"") { f in
            let id = f.newID()
            let empty = f.dir + "/empty"
            mkdir(empty, 0o755)
            try f.requireFailure(f.runtime(["create", "--bundle", empty, id]), "create of a bundle without config.json")
            try f.requireFailure(f.runtime(["state", id]), "state after the failed create")
        },
        Case("errors.duplicate-namespace", "two namespaces of one type: error",
             spec: "config-linux.md Namespaces: \"If a `namespaces` field contains duplicated namespaces with same `type`, the runtime MUST generate an error\"") { f in
            let field = "linux.namespaces[\(nextIndex(f, "linux.namespaces"))].type"
            f.config.append(path: "linux.namespaces", ["type": "uts"])
            try refusedCreate(&f, "a duplicated uts namespace", field: field)
        },
        Case("errors.namespace-path-type", "a namespace path of another type: error",
             spec: "config-linux.md Namespaces: \"The runtime MUST generate an error if `path` is not associated with a namespace of type `type`\"") { f in
            f.config[path: "linux.namespaces"] = .array((f.config[path: "linux.namespaces"].array ?? []).map { ns in
                ns["type"].string == "ipc" ? ["type": "ipc", "path": "/proc/self/ns/net"] : ns
            })
            let field = "linux.namespaces[\(index(f, "linux.namespaces") { $0["type"].string == "ipc" })].path"
            try refusedCreate(&f, "an ipc namespace path that is a network namespace", field: field)
        },
        Case("errors.rlimit-duplicate", "a duplicated rlimit type: error",
             spec: "config.md POSIX process: \"If `rlimits` contains duplicated entries with same `type`, the runtime MUST generate an error\"") { f in
            let field = "process.rlimits[\(nextIndex(f, "process.rlimits"))].type"
            f.config.append(path: "process.rlimits", ["type": "RLIMIT_NOFILE", "hard": 512, "soft": 512])
            try refusedCreate(&f, "RLIMIT_NOFILE twice", field: field)
        },
        Case("errors.rlimit-unknown", "an unknown rlimit type: error",
             spec: "config.md POSIX process: \"The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface\"") { f in
            let field = "process.rlimits[\(nextIndex(f, "process.rlimits"))].type"
            f.config.append(path: "process.rlimits", ["type": "RLIMIT_BOGUS", "hard": 1, "soft": 1])
            try refusedCreate(&f, "RLIMIT_BOGUS", field: field)
        },
        Case("errors.capability-unknown", "a 1.0 config with an unknown capability: error",
             spec: "config.md 1.0 Linux Process: capabilities: \"Any value which cannot be mapped to a relevant kernel interface MUST cause an error\" (1.1 on: a warning)") { f in
            f.config["ociVersion"] = "1.0.2"
            let field = "process.capabilities.bounding[\(nextIndex(f, "process.capabilities.bounding"))]"
            f.config.append(path: "process.capabilities.bounding", "CAP_BOGUS")
            try refusedCreate(&f, "CAP_BOGUS", field: field)
        },
        Case("errors.namespace-type-unknown", "an unknown namespace type: error",
             spec: "config.md Valid values: \"Runtimes ... MUST generate an error when invalid or unsupported values are encountered\"") { f in
            let field = "linux.namespaces[\(nextIndex(f, "linux.namespaces"))].type"
            f.config.append(path: "linux.namespaces", ["type": "bogus"])
            try refusedCreate(&f, "namespace type bogus", field: field)
        },
        Case("errors.root-missing", "root.path that does not exist: error",
             spec: "config.md Root: \"A directory MUST exist at the path declared by the field\"; runtime.md Lifecycle: \"If the runtime is unable to create the environment ... it MUST generate an error\"") { f in
            f.config[path: "root.path"] = "no-such-rootfs"
            try refusedCreate(&f, "a missing root.path", field: "root.path")
        },
        Case("errors.mount-destination-relative", "a relative mount destination in a 1.0 config: error",
             spec: "config.md 1.0 Mounts: destination \"This value MUST be an absolute path\"; Valid values: \"MUST generate an error when invalid or unsupported values are encountered\" (1.2 allows a relative one, deprecated, below /)") { f in
            f.config["ociVersion"] = "1.0.2"
            let field = "mounts[\(nextIndex(f, "mounts"))].destination"
            FilesystemCases.addMount(&f, "relative/dir", type: "tmpfs", source: "tmpfs", options: [])
            try refusedCreate(&f, "mount destination \"relative/dir\"", field: field)
        },
        Case("errors.cwd-relative", "a relative process.cwd: error",
             spec: "config.md Process: cwd \"This value MUST be an absolute path\"; Valid values: \"MUST generate an error when invalid or unsupported values are encountered\"") { f in
            f.config[path: "process.cwd"] = "tmp"
            try refusedCreate(&f, "process.cwd \"tmp\"", field: "process.cwd")
        },
        Case("errors.unified-unknown-controller", "linux.resources.unified naming a controller that does not exist: error",
             spec: "config-linux.md Unified: \"The runtime MUST generate an error when the configuration refers to a cgroup controller that is not present or that cannot be enabled\"") { f in
            f.config[path: "linux.resources.unified"] = ["nosuchcontroller.max": "1"]
            try refusedCreate(&f, "unified nosuchcontroller.max", field: "linux.resources.unified")
        },
        Case("errors.seccomp-errno-on-kill", "errnoRet on an action without an errno: error",
             spec: "config-linux.md Seccomp: errnoRet: \"When the action doesn't support an errno, the runtime MUST print and error and fail\"") { f in
            f.config[path: "linux.seccomp"] = SeccompCases.profile([
                ["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL", "errnoRet": 5],
            ])
            try refusedCreate(&f, "SCMP_ACT_KILL with errnoRet", field: "linux.seccomp.syscalls[0].errnoRet")
        },
        Case("errors.device-path-occupied", "a device path taken by a file that is not that device: error",
             spec: "config-linux.md Devices: path: \"If a file already exists at `path` that does not match the requested device, the runtime MUST generate an error\"") { f in
            try writeFile(f.rootfs + "/occupied", "a regular file")
            f.config[path: "linux.devices"] = [["path": "/occupied", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666]]
            try refusedCreate(&f, "a device at /occupied, a regular file", field: "linux.devices[0].path")
            try f.require((try? readText(f.rootfs + "/occupied")) == "a regular file", "the file at the device path was replaced")
        },
        Case("errors.unknown-properties", "unknown properties and annotations are ignored",
             spec: "config.md Extensibility: \"Runtimes ... MUST NOT generate an error if they encounter an unknown property. Instead they MUST ignore unknown properties\"") { f in
            f.config["exampleUnknownTopLevel"] = ["nested": true]
            f.config[path: "process.exampleUnknown"] = 1
            f.config[path: "linux.exampleUnknown"] = "x"
            f.config[path: "annotations"] = ["org.example.anything": "value"]
            try f.runChecker(["args"])
        },
    ]
}
