import ConformanceKit

/// config.md "Process", "POSIX process", "Linux Process", "User"; runtime-linux.md
/// "File descriptors". Judged inside the container by oci-check.
enum ProcessCases {
    static let all: [Case] = [
        .inside("process.args-env-cwd", "args, env and cwd as configured",
                spec: "config.md Process: `cwd` \"is the working directory that will be set for the executable\"; `env`, `args` with execvp/environ semantics",
                checks: ["args", "env", "cwd"]) { f in
            f.config[path: "process.env"] = .strings([BaseConfig.path, "CONFORMANCE=1", "WITH_SPACE=a b", "EMPTY="])
            f.config[path: "process.cwd"] = "/oci/hooks"
        },
        .inside("process.args-path-lookup", "args[0] found through PATH (execvp)",
                spec: "config.md Process: args: \"that entry is used with the same semantics as `execvp`'s *file*\"",
                checks: ["args"]) { f in
            f.config[path: "process.env"] = .strings(["PATH=/usr/bin:/oci"])
            f.checkerArgv0 = "oci-check"
        },
        .inside("process.fds", "only stdin, stdout and stderr are open",
                spec: "runtime-linux.md File descriptors: \"By default, only the `stdin`, `stdout` and `stderr` file descriptors are kept open for the application by the runtime\"",
                checks: ["fds"]),
        .inside("process.user", "uid, gid and additionalGids",
                spec: "config.md POSIX-platform User: uid, gid \"in the container namespace\"; additionalGids \"to be added to the process\"",
                checks: ["user"]) { f in
            f.config[path: "process.user"] = ["uid": 1000, "gid": 1000, "additionalGids": [5, 1001, 4242]]
            f.config[path: "process.cwd"] = "/tmp"
        },
        .inside("process.umask", "process.user.umask",
                spec: "config.md POSIX-platform User: `umask` \"specifies the umask of the user\"",
                checks: ["umask"]) { f in
            f.config[path: "process.user.umask"] = 0o027
        },
        .inside("process.capabilities-root", "all five capability sets for root",
                spec: "config.md Linux Process: capabilities \"bounding/effective/inheritable/permitted/ambient ... kept for the process\" (as capabilities(7) carries them across execve)",
                checks: ["capabilities"]) { f in
            let caps = JSON.strings(["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID"])
            f.config[path: "process.capabilities"] = [
                "bounding": caps, "effective": caps, "permitted": caps, "inheritable": .strings(["CAP_KILL"]),
                "ambient": .strings(["CAP_KILL"]),
            ]
        },
        .inside("process.capabilities-user", "capability sets and ambient capabilities of a non-root user",
                spec: "config.md Linux Process: capabilities, `ambient` \"array of ambient capabilities that are kept for the process\"",
                checks: ["capabilities", "user"]) { f in
            f.config[path: "process.user"] = ["uid": 1000, "gid": 1000]
            f.config[path: "process.cwd"] = "/tmp"
            let small = JSON.strings(["CAP_KILL", "CAP_NET_BIND_SERVICE"])
            f.config[path: "process.capabilities"] = [
                "bounding": .strings(["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]),
                "effective": small, "permitted": small, "inheritable": small, "ambient": small,
            ]
        },
        .inside("process.capability-unknown", "a 1.1 config with an unknown capability: runs, the known ones applied",
                spec: "config.md 1.1 Linux Process: capabilities: \"Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail\"",
                checks: ["capabilities"]) { f in
            f.config["ociVersion"] = "1.1.0"
            let caps = JSON.strings(["CAP_CHOWN", "CAP_KILL", "CAP_BOGUS"])
            f.config[path: "process.capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps]
        },
        .inside("process.rlimits", "rlimits soft and hard values",
                spec: "config.md POSIX process: \"`rlim.rlim_cur` MUST match the configured value\", \"`rlim.rlim_max` MUST match the configured value\"",
                checks: ["rlimits"]) { f in
            f.config[path: "process.rlimits"] = [
                ["type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000],
                ["type": "RLIMIT_CORE", "soft": 0, "hard": 4096],
                ["type": "RLIMIT_MSGQUEUE", "soft": 8192, "hard": 16384],
                ["type": "RLIMIT_NICE", "soft": 0, "hard": 0],
            ]
        },
        .inside("process.no-new-privileges", "noNewPrivileges true sets no_new_privs",
                spec: "config.md Linux Process: \"setting `noNewPrivileges` to true prevents the process from gaining additional privileges\"",
                checks: ["no-new-privileges"]) { f in
            f.config[path: "process.noNewPrivileges"] = true
        },
        .inside("process.no-new-privileges-false", "noNewPrivileges false leaves no_new_privs off",
                spec: "config.md Linux Process: `noNewPrivileges` (bool, OPTIONAL)",
                checks: ["no-new-privileges"]) { f in
            f.config[path: "process.noNewPrivileges"] = false
        },
        .inside("process.oom-score-adj", "oomScoreAdj set",
                spec: "config.md Linux Process: \"If `oomScoreAdj` is set, the runtime MUST set `oom_score_adj` to the given value\"",
                checks: ["oom-score-adj"]) { f in
            f.config[path: "process.oomScoreAdj"] = 123
        },
        .inside("process.oom-score-adj-unset", "oomScoreAdj unset: unchanged",
                spec: "config.md Linux Process: \"If `oomScoreAdj` is not set, the runtime MUST NOT change the value of `oom_score_adj`\"",
                checks: ["oom-score-adj"]),
    ]
}
