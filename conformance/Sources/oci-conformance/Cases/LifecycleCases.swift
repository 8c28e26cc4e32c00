import ConformanceKit
import Glibc

/// runtime.md "State", "Lifecycle" and "Operations", driven through the runc command line.
enum LifecycleCases {
    /// A container process that marks /started, records SIGUSR1 in /got-usr1 and runs until killed.
    static func longRunning(_ f: inout Fixture) {
        f.config[path: "process.args"] = .strings([
            "sh", "-c", "trap 'touch /got-usr1' USR1; touch /started; while true; do sleep 0.1; done",
        ])
    }

    /// Creates a container running `longRunning` and returns its id.
    static func created(_ f: inout Fixture) throws -> String {
        longRunning(&f)
        try f.writeBundle()
        let id = f.newID()
        try f.requireSuccess(f.create(id), "create")
        return id
    }

    static func running(_ f: inout Fixture) throws -> String {
        let id = try created(&f)
        try f.requireSuccess(f.runtime(["start", id]), "start")
        try f.require(f.waitFile(f.rootfs + "/started"), "the container process never ran (no /started)")
        return id
    }

    static func stopped(_ f: inout Fixture) throws -> String {
        f.config[path: "process.args"] = .strings(["true"])
        try f.writeBundle()
        let id = f.newID()
        try f.requireSuccess(f.create(id), "create")
        try f.requireSuccess(f.runtime(["start", id]), "start")
        try f.require(f.waitStatus(id, "stopped"), "status after the process exited: \(f.status(id)), want stopped")
        return id
    }

    static let all: [Case] = [
        Case("lifecycle.create-status", "create leaves the container created, its program not run",
             spec: "runtime.md Create: \"Upon successful completion of this operation the `status` property of this container MUST be `created`\"; \"the user-specified program MUST NOT be run at this time\"") { f in
            let id = try created(&f)
            let state = f.state(id)
            try f.require(state?["status"].string == "created", "status \(state?["status"].string ?? "(none)"), want created")
            try f.require((state?["pid"].int ?? 0) > 0, "state pid \(state?["pid"].int ?? 0), want > 0 (REQUIRED when created)")
            Clock.sleep(0.3)
            try f.require(!fileExists(f.rootfs + "/started"), "the user program ran before start")
        },
        Case("lifecycle.create-resources", "after create, before start: namespaces and cgroup limits are in place",
             spec: "runtime.md Create: \"all of the resources associated with the container MUST be created, however, the user-specified program MUST NOT be run at this time\"") { f in
            let path = "/oci-conformance-\(getpid())/res-\(f.ids.count)"
            f.config[path: "linux.cgroupsPath"] = .string(path)
            f.config[path: "linux.resources.pids"] = ["limit": 57]
            let id = try created(&f)
            let pid = f.state(id)?["pid"].int ?? -1
            let net = readLinkText("/proc/\(pid)/ns/net")
            let pidsMax = f.suite.host.cgroup2 ? "/sys/fs/cgroup\(path)/pids.max" : "/sys/fs/cgroup/pids\(path)/pids.max"
            let limit = readTrimmed(pidsMax)
            try f.requireSuccess(f.runtime(["delete", "--force", id]), "delete --force")
            CgroupCases.removeCgroupParent("oci-conformance-\(getpid())")
            try f.require(net != nil && net != f.suite.host.namespaces["net"], "the created container's network namespace is \(net ?? "missing")")
            try f.require(limit == "57", "\(pidsMax) is \(limit ?? "missing") before start, want 57")
        },
        Case("lifecycle.state-fields", "state JSON: ociVersion, id, status, pid, bundle, annotations",
             spec: "runtime.md State: ociVersion, id, status, pid, bundle REQUIRED; \"annotations ... associated with the container\"") { f in
            f.config[path: "annotations"] = ["org.example.conformance": "yes", "org.example.empty": ""]
            let id = try created(&f)
            guard let state = f.state(id) else { throw Outcome.fail("state \(id) failed") }
            try f.require(!(state["ociVersion"].string ?? "").isEmpty, "ociVersion missing: \(state.text)")
            try f.require(state["id"].string == id, "id \(state["id"].text), want \(id)")
            try f.require(state["bundle"].string == f.bundle, "bundle \(state["bundle"].text), want the absolute \(f.bundle)")
            try f.require(state["annotations"] == f.config["annotations"],
                          "annotations \(state["annotations"].text), want \(f.config["annotations"].text)")
        },
        Case("lifecycle.start-runs-program", "start runs the program; status running",
             spec: "runtime.md Start: \"This operation MUST run the user-specified program\"; status \"MUST be `running`\"") { f in
            let id = try running(&f)
            try f.require(f.status(id) == "running", "status \(f.status(id)), want running")
        },
        Case("lifecycle.exit-stopped", "the process exits: status stopped",
             spec: "runtime.md Kill: \"When the process in the container is stopped ... the `status` property of this container MUST be `stopped`\"") { f in
            _ = try stopped(&f)
        },
        Case("lifecycle.pid-file", "create --pid-file holds the container process pid",
             spec: "runc CLI `create --pid-file` (the engines read it); runtime.md State: pid \"as seen by the host\"") { f in
            longRunning(&f)
            try f.writeBundle()
            let id = f.newID()
            let pidFile = f.dir + "/init.pid"
            try f.requireSuccess(f.create(id, extra: ["--pid-file", pidFile]), "create --pid-file")
            let content = (try? readText(pidFile)) ?? "(missing)"
            let pid = f.state(id)?["pid"].int ?? -1
            try f.require(content == String(pid) || content.trimmed == String(pid),
                          "pid file holds \(content.debugDescription), state pid \(pid)")
            try f.require(fileExists("/proc/\(pid)"), "pid \(pid) is not a live process on the host")
        },
        Case("lifecycle.config-change-after-create", "editing config.json after create changes nothing",
             spec: "runtime.md Lifecycle step 2: \"Any updates to `config.json` after this step MUST NOT affect the container\"") { f in
            let id = try created(&f)
            var edited = f.config
            edited[path: "process.args"] = .strings(["sh", "-c", "touch /edited; sleep 1000"])
            try writeFile(f.bundle + "/config.json", edited.pretty)
            try f.requireSuccess(f.runtime(["start", id]), "start")
            try f.require(f.waitFile(f.rootfs + "/started"), "the original program did not run")
            try f.require(!fileExists(f.rootfs + "/edited"), "start ran the edited config.json's program")
        },
        Case("lifecycle.kill-signal", "kill delivers the named signal to the container process",
             spec: "runtime.md Kill: \"This operation MUST send the specified signal to the container process\"") { f in
            let id = try running(&f)
            try f.requireSuccess(f.runtime(["kill", id, "USR1"]), "kill USR1")
            try f.require(f.waitFile(f.rootfs + "/got-usr1"), "the process did not get SIGUSR1")
        },
        Case("lifecycle.kill-created", "kill of a created container stops it",
             spec: "runtime.md Kill: signals are refused only for a container \"neither `created` nor `running`\"; stopped process: status \"MUST be `stopped`\"") { f in
            let id = try created(&f)
            try f.requireSuccess(f.runtime(["kill", id, "KILL"]), "kill KILL of a created container")
            try f.require(f.waitStatus(id, "stopped"), "status \(f.status(id)) after kill, want stopped")
            try f.require(!fileExists(f.rootfs + "/started"), "the user program ran after kill of a created container")
        },
        Case("lifecycle.kill-stopped", "kill of a stopped container: error, no effect",
             spec: "runtime.md Kill: \"Attempting to send a signal to a container that is neither `created` nor `running` MUST have no effect on the container and MUST generate an error\"") { f in
            let id = try stopped(&f)
            try f.requireFailure(f.runtime(["kill", id, "KILL"]), "kill of a stopped container")
            try f.require(f.status(id) == "stopped", "status \(f.status(id)) after the refused kill, want stopped")
        },
        Case("lifecycle.start-twice", "start of a running container: error, no effect",
             spec: "runtime.md Start: \"Attempting to `start` a container that is not `created` MUST have no effect on the container and MUST generate an error\"") { f in
            let id = try running(&f)
            let pid = f.state(id)?["pid"].int
            try f.requireFailure(f.runtime(["start", id]), "second start")
            try f.require(f.status(id) == "running" && f.state(id)?["pid"].int == pid,
                          "after the refused start: status \(f.status(id)), pid \(f.state(id)?["pid"].int ?? -1) (was \(pid ?? -1))")
        },
        Case("lifecycle.start-stopped", "start of a stopped container: error",
             spec: "runtime.md Start: \"Attempting to `start` a container that is not `created` MUST have no effect on the container and MUST generate an error\"") { f in
            let id = try stopped(&f)
            try f.requireFailure(f.runtime(["start", id]), "start of a stopped container")
            try f.require(f.status(id) == "stopped", "status \(f.status(id)), want stopped")
        },
        Case("lifecycle.create-existing-id", "create with an id in use: error, the first container untouched",
             spec: "runtime.md Create: \"If the ID provided is not unique ... the implementation MUST generate an error and a new container MUST NOT be created\"") { f in
            let id = try created(&f)
            let before = f.state(id)
            try f.requireFailure(f.create(id), "second create with the same id")
            let after = f.state(id)
            try f.require(after?["status"].string == "created" && after?["pid"] == before?["pid"],
                          "first container after the refused create: \(after?.text ?? "(no state)")")
        },
        Case("lifecycle.delete-running", "delete of a running container: error, still running",
             spec: "runtime.md Delete: \"Attempting to `delete` a container that is not `stopped` MUST have no effect on the container and MUST generate an error\"") { f in
            let id = try running(&f)
            try f.requireFailure(f.runtime(["delete", id]), "delete of a running container")
            try f.require(f.status(id) == "running", "status \(f.status(id)), want running")
        },
        Case("lifecycle.delete-created", "delete of a created container: error, still created",
             spec: "runtime.md Delete: \"Attempting to `delete` a container that is not `stopped` MUST have no effect on the container and MUST generate an error\"") { f in
            let id = try created(&f)
            try f.requireFailure(f.runtime(["delete", id]), "delete (no --force) of a created container")
            try f.require(f.status(id) == "created", "status \(f.status(id)), want created")
        },
        Case("lifecycle.delete-force", "delete --force of a running container removes it",
             spec: "runc CLI `delete --force` (kills, then deletes); runtime.md Delete: \"Deleting a container MUST delete the resources that were created during the `create` step\"") { f in
            let id = try running(&f)
            let pid = f.state(id)?["pid"].int ?? -1
            try f.requireSuccess(f.runtime(["delete", "--force", id]), "delete --force")
            try f.require(f.state(id) == nil, "state still answers after delete --force")
            let deadline = Clock.now + 5
            while isLiveProcess(pid) && Clock.now < deadline { Clock.sleep(0.02) }
            try f.require(!isLiveProcess(pid), "the container process \(pid) is still alive")
        },
        Case("lifecycle.delete-stopped", "delete of a stopped container; the id can be used again",
             spec: "runtime.md Delete: \"Once a container is deleted its ID MAY be used by a subsequent container\"; Query State: \"Attempting to query a container that does not exist MUST generate an error\"") { f in
            let id = try stopped(&f)
            try f.requireSuccess(f.runtime(["delete", id]), "delete of a stopped container")
            try f.requireFailure(f.runtime(["state", id]), "state after delete")
            try f.requireSuccess(f.create(id), "create again with the deleted id")
        },
        Case("lifecycle.delete-removes-cgroup", "delete removes the cgroup create made",
             spec: "runtime.md Delete: \"Deleting a container MUST delete the resources that were created during the `create` step\"") { f in
            let parent = "oci-conformance-\(getpid())"
            let path = "/\(parent)/del-\(f.ids.count)"
            f.config[path: "linux.cgroupsPath"] = .string(path)
            let id = try stopped(&f)
            let dirs = CgroupCases.cgroupDirectories(path)
            let existed = dirs.filter { fileExists($0) }
            try f.requireSuccess(f.runtime(["delete", id]), "delete")
            let left = dirs.filter { fileExists($0) }
            CgroupCases.removeCgroupParent(parent)
            try f.require(!existed.isEmpty, "no cgroup directory for \(path) existed before delete")
            try f.require(left.isEmpty, "cgroup directories left after delete: \(left)")
        },
        Case("lifecycle.delete-keeps-foreign", "delete leaves what the container did not create (a joined namespace, a bind source)",
             spec: "runtime.md Delete: \"Note that resources associated with the container, but not created by this container, MUST NOT be deleted\"") { f in
            let holder = try NamespaceCases.namespaceHolder(&f)
            f.config[path: "linux.namespaces"] = .array((f.config[path: "linux.namespaces"].array ?? []).map { ns in
                ns["type"].string == "network" ? ["type": "network", "path": .string("/proc/\(holder)/ns/net")] : ns
            })
            let source = try FilesystemCases.bindSource(&f, "foreign", destination: "/mnt/foreign")
            FilesystemCases.addMount(&f, "/mnt/foreign", type: "bind", source: source, options: ["rbind"])
            let id = try stopped(&f)
            try f.requireSuccess(f.runtime(["delete", id]), "delete")
            try f.require(isLiveProcess(Int(holder)), "the process holding the joined network namespace is gone")
            try f.require((try? readText(source + "/marker")) == "foreign", "the bind mount source lost its content")
        },
        Case("lifecycle.run-exit-code", "run returns the container's exit status",
             spec: "runc CLI `run` (foreground): the exit status of the container process") { f in
            f.config[path: "process.args"] = .strings(["sh", "-c", "exit 7"])
            try f.writeBundle()
            let result = f.runtime(["run", "--bundle", f.bundle, f.newID()])
            try f.require(result.status == 7, "run exited \(result.status), want 7: \(result.summary)")
        },
        Case("lifecycle.run-signal-exit-code", "run of a process killed by SIGKILL returns 137",
             spec: "runc CLI `run` (foreground): 128+N for a process killed by signal N") { f in
            // Not pid 1 of a pid namespace: init cannot get SIGKILL from inside its namespace.
            f.config[path: "linux.namespaces"] = .array((f.config[path: "linux.namespaces"].array ?? []).filter {
                $0["type"].string != "pid"
            })
            f.config[path: "process.args"] = .strings(["sh", "-c", "kill -KILL $$"])
            try f.writeBundle()
            let result = f.runtime(["run", "--bundle", f.bundle, f.newID()])
            try f.require(result.status == 137, "run exited \(result.status), want 137: \(result.summary)")
        },
    ]
}

func isLiveProcess(_ pid: Int) -> Bool {
    guard pid > 0, let text = try? readText("/proc/\(pid)/stat"), let end = text.lastIndex(of: ")") else {
        return false
    }
    let rest = String(text[text.index(after: end)...]).trimmed
    return !(rest.hasPrefix("Z") || rest.hasPrefix("X"))
}
