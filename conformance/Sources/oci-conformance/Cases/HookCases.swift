import ConformanceKit
import Glibc

/// config.md "POSIX-platform Hooks" and runtime.md "Lifecycle" steps 3-13.
///
/// Every hook writes the state it got on stdin to /oci/hooks/NAME.state, its network
/// namespace to NAME.netns and appends NAME to /oci/hooks/order (host path ROOTFS/oci/hooks,
/// the same directory). Hooks run in the runtime namespace use the host's /bin/sh and the
/// host path; startContainer resolves in the container (busybox sh, container path).
enum HookCases {
    static let hostPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

    static func hostHook(_ f: Fixture, _ name: String, extra: String = "") -> JSON {
        let dir = f.rootfs + "/oci/hooks"
        let script = "cat > \(dir)/\(name).state; readlink /proc/self/ns/net > \(dir)/\(name).netns; \(extra)echo \(name) >> \(dir)/order"
        return ["path": "/bin/sh", "args": .strings(["sh", "-c", script]), "env": .strings([hostPath])]
    }

    static func containerHook(_ name: String) -> JSON {
        let dir = "/oci/hooks"
        let script = "cat > \(dir)/\(name).state; readlink /proc/self/ns/net > \(dir)/\(name).netns; echo \(name) >> \(dir)/order"
        return ["path": "/bin/sh", "args": .strings(["sh", "-c", script]), "env": .strings([hostPath])]
    }

    /// Reads the state first: a hook that exits before reading races the runtime's write
    /// (crun 1.8.1 then dies of SIGPIPE), which is not what these cases test.
    static func failingHook() -> JSON {
        ["path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/null; exit 3"], "env": .strings([hostPath])]
    }

    /// poststart also records the command line of the container process it was told about.
    static func poststartHook(_ f: Fixture) -> JSON {
        let dir = f.rootfs + "/oci/hooks"
        let cmdline = "pid=$(sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p' \(dir)/poststart.state | head -n 1); "
            + "tr '\\000' ' ' < /proc/$pid/cmdline > \(dir)/poststart.cmdline; "
        return hostHook(f, "poststart", extra: cmdline)
    }

    /// All six hook kinds, one each, around a container running `sleep 1000`.
    static func allHooks(_ f: inout Fixture) {
        f.config["hooks"] = [
            "prestart": [hostHook(f, "prestart")],
            "createRuntime": [hostHook(f, "createRuntime")],
            "createContainer": [hostHook(f, "createContainer")],
            "startContainer": [containerHook("startContainer")],
            "poststart": [poststartHook(f)],
            "poststop": [hostHook(f, "poststop")],
        ]
        f.config[path: "process.args"] = .strings(["sleep", "1000"])
    }

    static func order(_ f: Fixture) -> [String] {
        ((try? readText(f.rootfs + "/oci/hooks/order")) ?? "").lines
    }

    static func hookState(_ f: Fixture, _ name: String) -> JSON? {
        try? JSON.load(f.rootfs + "/oci/hooks/\(name).state")
    }

    static func netns(_ f: Fixture, _ name: String) -> String {
        readTrimmed(f.rootfs + "/oci/hooks/\(name).netns") ?? "(none)"
    }

    static func createWithHooks(_ f: inout Fixture) throws -> String {
        try f.writeBundle()
        let id = f.newID()
        try f.requireSuccess(f.create(id), "create with hooks")
        return id
    }

    /// create fails, the user program never runs, no container is left.
    /// A `field` (JSON path) is a config error: the runtime's error must name it.
    static func refusedByHook(_ f: inout Fixture, _ what: String, field: String? = nil) throws {
        f.config[path: "process.args"] = .strings(["sh", "-c", "touch /started; sleep 1000"])
        let id = f.newID()
        let cgroup = try f.useOwnCgroupsPath(id)
        let (result, log) = f.createLogged(id)
        let leftovers = f.leftoverCgroups(cgroup)
        try f.requireFailure(result, "create with a failing \(what) hook")
        try f.require(leftovers.isEmpty, "the failed create left its cgroup behind: \(leftovers.joined(separator: ", "))")
        let left = f.state(id)
        try f.require(left == nil, "the container was not destroyed after the failing \(what) hook: \(left?.text ?? "")")
        try f.require(!fileExists(f.rootfs + "/started"), "the user program ran despite the failing \(what) hook")
        if let field { try f.requireNamed(field, in: result, log: log) }
    }

    static let all: [Case] = [
        Case("hooks.create-order", "prestart, createRuntime, createContainer run during create, in that order",
             spec: "runtime.md Lifecycle steps 3-5: the `prestart`, `createRuntime`, `createContainer` hooks \"MUST be invoked by the runtime\" before `start` (step 6)") { f in
            allHooks(&f)
            _ = try createWithHooks(&f)
            try f.require(order(f) == ["prestart", "createRuntime", "createContainer"],
                          "hooks run by create: \(order(f)), want [prestart, createRuntime, createContainer]")
        },
        Case("hooks.start-order", "startContainer then poststart run during start",
             spec: "runtime.md Lifecycle steps 7-9: `startContainer` hooks, then the user program, then `poststart` hooks; config.md: poststart \"before the `start` operation returns\"") { f in
            allHooks(&f)
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start")
            let want = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart"]
            try f.require(order(f) == want, "hooks after start: \(order(f)), want \(want)")
        },
        Case("hooks.poststop", "poststop runs at delete, not before",
             spec: "config.md Poststop: \"The poststop hooks MUST be called after the container is deleted but before the delete operation returns\"") { f in
            allHooks(&f)
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start")
            try f.requireSuccess(f.runtime(["kill", id, "KILL"]), "kill")
            try f.require(f.waitStatus(id, "stopped"), "status \(f.status(id)) after kill, want stopped")
            try f.require(!order(f).contains("poststop"), "poststop ran before delete: \(order(f))")
            try f.requireSuccess(f.runtime(["delete", id]), "delete")
            try f.require(order(f).last == "poststop", "hooks after delete: \(order(f)), want poststop last")
        },
        Case("hooks.state-stdin", "every hook gets the container state on stdin",
             spec: "config.md Hooks: \"The state of the container MUST be passed to hooks over stdin\"; runtime.md State: ociVersion, id, status, bundle, pid") { f in
            allHooks(&f)
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start")
            try f.requireSuccess(f.runtime(["delete", "--force", id]), "delete --force")
            for name in ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] {
                guard let state = hookState(f, name) else { throw Outcome.fail("\(name) got no state JSON on stdin") }
                try f.require(state["id"].string == id && state["bundle"].string == f.bundle
                              && !(state["ociVersion"].string ?? "").isEmpty && state["status"].string != nil,
                              "\(name) state \(state.text): want id \(id), bundle \(f.bundle), ociVersion, status")
                if name != "poststop" {
                    try f.require((state["pid"].int ?? 0) > 0, "\(name) state has no pid: \(state.text)")
                }
            }
        },
        Case("hooks.state-status", "the status each hook sees",
             spec: "runtime.md State: `creating` \"the container is being created\", `created` \"the runtime has finished the create operation\", `running` \"executed the user-specified program\", `stopped` \"the container process has exited\"") { f in
            allHooks(&f)
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start")
            try f.requireSuccess(f.runtime(["delete", "--force", id]), "delete --force")
            let wanted: [(String, [String])] = [
                ("prestart", ["creating", "created"]), ("createRuntime", ["creating", "created"]),
                ("createContainer", ["creating", "created"]), ("startContainer", ["created"]),
                ("poststart", ["running"]), ("poststop", ["stopped"]),
            ]
            var wrong: [String] = []
            for (name, statuses) in wanted {
                let seen = hookState(f, name)?["status"].string ?? "(no state)"
                if !statuses.contains(seen) { wrong.append("\(name) saw \(seen), want \(statuses.joined(separator: " or "))") }
            }
            try f.require(wrong.isEmpty, wrong.joined(separator: "; "))
        },
        Case("hooks.namespaces", "runtime-namespace hooks and container-namespace hooks",
             spec: "config.md Hooks: createRuntime, poststart, poststop \"MUST be executed in the runtime namespace\"; createContainer, startContainer \"MUST be executed in the container namespace\"") { f in
            allHooks(&f)
            let id = try createWithHooks(&f)
            let pid = f.state(id)?["pid"].int ?? -1
            let container = readLinkText("/proc/\(pid)/ns/net") ?? "?"
            try f.requireSuccess(f.runtime(["start", id]), "start")
            let runtimeNet = f.suite.host.namespaces["net"] ?? "?"
            var wrong: [String] = []
            for name in ["prestart", "createRuntime", "poststart"] where netns(f, name) != runtimeNet {
                wrong.append("\(name) ran in \(netns(f, name)), not the runtime's \(runtimeNet)")
            }
            for name in ["createContainer", "startContainer"] where netns(f, name) != container {
                wrong.append("\(name) ran in \(netns(f, name)), not the container's \(container)")
            }
            try f.require(wrong.isEmpty, wrong.joined(separator: "; "))
        },
        Case("hooks.poststart-after-exec", "poststart runs after the user program was executed",
             spec: "config.md Poststart: \"The post-start hooks MUST be called after the user-specified process is executed\"") { f in
            allHooks(&f)
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start")
            let cmdline = readTrimmed(f.rootfs + "/oci/hooks/poststart.cmdline") ?? "(none)"
            try f.require(cmdline == "sleep 1000", "the container process ran \(cmdline.debugDescription) when poststart ran, want \"sleep 1000\"")
        },
        Case("hooks.create-container-path", "a createContainer hook's path resolves in the runtime namespace",
             spec: "config.md Hooks: createContainer: \"The value of `path` MUST resolve in the runtime namespace\"") { f in
            // A script only the host has (outside the rootfs).
            let script = f.dir + "/create-container-hook"
            try writeFile(script, "#!/bin/sh\ncat >/dev/null\necho ran > \(f.rootfs)/oci/hooks/create-container-path\n")
            chmod(script, 0o755)
            f.config["hooks"] = ["createContainer": [["path": .string(script), "args": ["create-container-hook"], "env": .strings([hostPath])]]]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            _ = try createWithHooks(&f)
            try f.require(readTrimmed(f.rootfs + "/oci/hooks/create-container-path") == "ran", "the hook \(script) did not run")
        },
        Case("hooks.start-container-path", "a startContainer hook's path resolves in the container namespace",
             spec: "config.md Hooks: startContainer: \"The value of `path` MUST resolve in the container namespace\"") { f in
            // A script only the container has: /oci/start-container-hook in the rootfs.
            guard !fileExists("/oci/start-container-hook") else { throw Outcome.skip("the host has /oci/start-container-hook") }
            try writeFile(f.rootfs + "/oci/start-container-hook", "#!/bin/sh\ncat >/dev/null\necho ran > /oci/hooks/start-container-path\n")
            chmod(f.rootfs + "/oci/start-container-hook", 0o755)
            f.config["hooks"] = ["startContainer": [["path": "/oci/start-container-hook", "args": ["start-container-hook"], "env": .strings([hostPath])]]]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start with a startContainer hook in the rootfs")
            // runc and crun run startContainer hooks in the init after `start` returned
            // (hooks.start-container-fails): this case is about where the path resolves.
            _ = f.waitFile(f.rootfs + "/oci/hooks/start-container-path", timeout: 30)
            try f.require(readTrimmed(f.rootfs + "/oci/hooks/start-container-path") == "ran", "the hook /oci/start-container-hook did not run")
        },
        Case("hooks.listed-order", "hooks of one kind run in the listed order",
             spec: "config.md Hooks: \"Hooks MUST be called in the listed order\"") { f in
            f.config["hooks"] = [
                "prestart": [hostHook(f, "first"), hostHook(f, "second"), hostHook(f, "third")],
            ]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            _ = try createWithHooks(&f)
            try f.require(order(f) == ["first", "second", "third"], "order \(order(f)), want [first, second, third]")
        },
        Case("hooks.args-env", "a hook gets its args (argv[0] included) and env",
             spec: "config.md Hooks: `args` \"with the same semantics as IEEE Std 1003.1-2008 `execv`'s argv\"; `env` \"with the same semantics as ... `environ`\"") { f in
            let out = f.rootfs + "/oci/hooks/argsenv"
            f.config["hooks"] = [
                "createRuntime": [[
                    "path": "/bin/sh",
                    "args": .strings(["sh", "-c", "cat >/dev/null; echo \"$0 $1 $HOOK_VAR\" > \(out)", "zero", "one"]),
                    "env": .strings(["HOOK_VAR=value", hostPath]),
                ]],
            ]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            _ = try createWithHooks(&f)
            let seen = readTrimmed(out) ?? "(not run)"
            try f.require(seen == "zero one value", "the hook printed \(seen.debugDescription), want \"zero one value\"")
        },
        Case("hooks.prestart-fails", "a failing prestart hook fails create and destroys the container",
             spec: "runtime.md Lifecycle step 3: \"If any `prestart` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12\"") { f in
            f.config["hooks"] = ["prestart": [failingHook()]]
            try refusedByHook(&f, "prestart")
        },
        Case("hooks.create-runtime-fails", "a failing createRuntime hook fails create and destroys the container",
             spec: "runtime.md Lifecycle step 4: \"If any `createRuntime` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12\"") { f in
            f.config["hooks"] = ["createRuntime": [failingHook()]]
            try refusedByHook(&f, "createRuntime")
        },
        Case("hooks.create-container-fails", "a failing createContainer hook fails create and destroys the container",
             spec: "runtime.md Lifecycle step 5: \"If any `createContainer` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12\"") { f in
            f.config["hooks"] = ["createContainer": [failingHook()]]
            try refusedByHook(&f, "createContainer")
        },
        Case("hooks.start-container-fails", "a failing startContainer hook fails start; the program never runs",
             spec: "runtime.md Lifecycle step 7: \"If any `startContainer` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12\"") { f in
            f.config["hooks"] = ["startContainer": [failingHook()]]
            f.config[path: "process.args"] = .strings(["sh", "-c", "touch /started; sleep 1000"])
            let id = try createWithHooks(&f)
            let pid = f.state(id)?["pid"].int ?? -1
            try f.requireFailure(f.runtime(["start", id]), "start with a failing startContainer hook")
            let deadline = Clock.now + 5
            while isLiveProcess(pid) && Clock.now < deadline { Clock.sleep(0.02) }
            try f.require(!isLiveProcess(pid), "the container process \(pid) still runs after the failing startContainer hook")
            try f.require(!fileExists(f.rootfs + "/started"), "the user program ran despite the failing startContainer hook")
        },
        Case("hooks.path-relative", "a relative hook path: error",
             spec: "config.md Hooks: path: \"This specification extends the IEEE standard in that **`path`** MUST be absolute\"") { f in
            f.config["hooks"] = ["createRuntime": [["path": "bin/sh", "args": ["sh", "-c", "true"]]]]
            try refusedByHook(&f, "relative path", field: "hooks.createRuntime[0].path")
        },
        Case("hooks.timeout-zero", "a hook timeout of 0: error",
             spec: "config.md Hooks: timeout: \"If set, `timeout` MUST be greater than zero\"") { f in
            f.config["hooks"] = ["createRuntime": [["path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/null"], "timeout": 0]]]
            try refusedByHook(&f, "timeout 0", field: "hooks.createRuntime[0].timeout")
        },
        Case("hooks.poststart-fails-1.0", "a 1.0 config: a failing poststart hook is a warning, start succeeds",
             spec: "runtime.md 1.0 Lifecycle: \"If any `poststart` hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded\"") { f in
            f.config["ociVersion"] = "1.0.2"
            f.config["hooks"] = ["poststart": [failingHook(), hostHook(f, "after-failure")]]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start with a failing poststart hook (1.0 config)")
            try f.require(order(f) == ["after-failure"], "hooks after the failing one: \(order(f)), want [after-failure]")
            try f.require(f.status(id) == "running", "status \(f.status(id)), want running")
        },
        Case("hooks.poststart-fails-1.2", "a 1.2 config: a failing poststart hook is a warning, start succeeds",
             spec: "runtime.md 1.2 Lifecycle step 9: \"If any `poststart` hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded\"") { f in
            f.config["ociVersion"] = "1.2.0"
            f.config["hooks"] = ["poststart": [failingHook(), hostHook(f, "after-failure")]]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start with a failing poststart hook (1.2 config)")
            try f.require(order(f) == ["after-failure"], "hooks after the failing one: \(order(f)), want [after-failure]")
            try f.require(f.status(id) == "running", "status \(f.status(id)), want running")
        },
        Case("hooks.poststart-fails", "a 1.3 config: a failing poststart hook fails start and stops the container",
             spec: "runtime.md 1.3 Lifecycle step 9: \"If any `poststart` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12\"") { f in
            f.config["ociVersion"] = "1.3.0"
            f.config["hooks"] = ["poststart": [failingHook()]]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            let id = try createWithHooks(&f)
            let pid = f.state(id)?["pid"].int ?? -1
            try f.requireFailure(f.runtime(["start", id]), "start with a failing poststart hook")
            let deadline = Clock.now + 5
            while isLiveProcess(pid) && Clock.now < deadline { Clock.sleep(0.02) }
            try f.require(!isLiveProcess(pid), "the container process \(pid) still runs after the failing poststart hook (status \(f.status(id)))")
        },
        Case("hooks.poststop-fails", "a failing poststop hook: delete succeeds, later hooks still run",
             spec: "runtime.md Lifecycle step 13: \"If any `poststop` hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded\"") { f in
            f.config["hooks"] = ["poststop": [failingHook(), hostHook(f, "after-failure")]]
            f.config[path: "process.args"] = .strings(["true"])
            let id = try createWithHooks(&f)
            try f.requireSuccess(f.runtime(["start", id]), "start")
            try f.require(f.waitStatus(id, "stopped"), "status \(f.status(id)), want stopped")
            try f.requireSuccess(f.runtime(["delete", id]), "delete with a failing poststop hook")
            try f.require(order(f) == ["after-failure"], "hooks after the failing one: \(order(f)), want [after-failure]")
            try f.require(f.state(id) == nil, "the container is still there after delete")
        },
        Case("hooks.timeout", "a hook running past its timeout is aborted and fails create",
             spec: "config.md Hooks: `timeout` \"is the number of seconds before aborting the hook\"") { f in
            f.config["hooks"] = ["createRuntime": [[
                "path": "/bin/sh", "args": ["sh", "-c", "exec sleep 30"], "env": .strings([hostPath]), "timeout": 1,
            ]]]
            f.config[path: "process.args"] = .strings(["sleep", "1000"])
            try f.writeBundle()
            let id = f.newID()
            let started = Clock.now
            let result = f.runtime(["create", "--bundle", f.bundle, id], timeout: 25)
            let took = Clock.now - started
            try f.requireFailure(result, "create with a hook past its timeout")
            try f.require(took < 15, "create took \(Int(took)) s with a 1 s hook timeout")
        },
    ]
}
