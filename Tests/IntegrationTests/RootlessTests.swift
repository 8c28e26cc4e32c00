import Foundation
import Testing

/// Issue 17 (specs/rootless.md): every lifecycle verb run by an ordinary user with no
/// capabilities (`petreltest`, made here when missing), through `setpriv`, with its own
/// --root in a directory it owns and the config `petrel spec --rootless` writes (its own
/// uid/gid mapped to 0, no network namespace, /sys bound read-only, no resources).
enum RootlessUser {
    static let name = "petreltest"

    /// The user's uid and gid, made (with /etc/subuid and /etc/subgid ranges, for the
    /// newuidmap work to come) when missing; or why it cannot be had.
    static let ids: Result<(uid: UInt32, gid: UInt32), HarnessError> = {
        if getpwnam(name) == nil {
            let useradd = host("/usr/sbin/useradd", ["--no-create-home", "--shell", "/bin/sh", name])
            guard useradd.succeeded, getpwnam(name) != nil else {
                return .failure(.setup("cannot create the test user \(name): \(useradd)"))
            }
        }
        if let text = try? String(contentsOfFile: "/etc/subuid", encoding: .utf8), !text.contains("\n\(name):"), !text.hasPrefix("\(name):") {
            _ = host("/usr/sbin/usermod", ["--add-subuids", "300000-365535", "--add-subgids", "300000-365535", name])
        }
        guard let entry = getpwnam(name) else { return .failure(.setup("no user \(name)")) }
        return .success((entry.pointee.pw_uid, entry.pointee.pw_gid))
    }()

    static var unavailableReason: String? {
        if Harness.which("setpriv") == nil { return "setpriv not installed (util-linux)" }
        if case .failure(let error) = ids { return error.description }
        if let text = try? String(contentsOfFile: "/proc/sys/kernel/unprivileged_userns_clone", encoding: .utf8),
           text.hasPrefix("0") {
            return "kernel.unprivileged_userns_clone is 0: an ordinary user cannot make a user namespace"
        }
        return nil
    }

    static var enabled: ConditionTrait {
        .enabled(if: Harness.available && !Harness.isRunc && unavailableReason == nil,
                 Comment(rawValue: Harness.unavailableReason ?? unavailableReason ?? "rootless available"))
    }

    /// Turns a sandbox into the user's: a private rootfs copy it owns (the sandbox's is
    /// hard-linked to the shared template, which must stay root's), the whole directory its
    /// own, the runtime a copy it can execute, every call through setpriv with no
    /// supplementary groups and a clean environment, and `spec --rootless`'s config.
    static func adopt(_ t: Sandbox, runtime binary: String = Harness.binary) throws -> (uid: UInt32, gid: UInt32) {
        let (uid, gid) = try ids.get()
        let rootfs = t.dir + "/user-rootfs"
        guard host("/bin/cp", ["-a", t.rootfs, rootfs], ioDirectory: t.dir).succeeded else {
            throw HarnessError.setup("cannot copy the rootfs to \(rootfs)")
        }
        let copy = t.dir + "/runtime"
        guard host("/bin/cp", [binary, copy], ioDirectory: t.dir).succeeded else {
            throw HarnessError.setup("cannot copy \(binary)")
        }
        let launcher = t.dir + "/as-user.sh"
        // The wrapper gets the runtime's path first: the user's copy runs instead.
        try "#!/bin/sh\nshift\nexec \(copy) \"$@\"\n".write(toFile: launcher, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: t.dir + "/xdg", withIntermediateDirectories: true)
        chmod(t.dir, 0o755)
        guard host("/bin/chown", ["-R", "\(uid):\(gid)", t.dir], ioDirectory: t.dir).succeeded else {
            throw HarnessError.setup("cannot chown \(t.dir)")
        }
        chmod(copy, 0o755)
        t.wrapper = ["/usr/bin/setpriv", "--reuid", "\(uid)", "--regid", "\(gid)", "--clear-groups",
                     "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=\(t.dir)",
                     "XDG_RUNTIME_DIR=\(t.dir)/xdg", "/bin/sh", launcher]
        try t.editConfig { config in
            config.setValue(rootfs, at: ["root", "path"])
            var linux = config["linux"] as? [String: Any] ?? [:]
            let namespaces = (linux["namespaces"] as? [[String: Any]] ?? []).filter {
                let type = $0["type"] as? String
                return type != "network" && type != "user" && type != "cgroup"
            }
            linux["namespaces"] = namespaces + [["type": "user"]]
            linux["uidMappings"] = [["containerID": 0, "hostID": Int(uid), "size": 1]]
            linux["gidMappings"] = [["containerID": 0, "hostID": Int(gid), "size": 1]]
            linux.removeValue(forKey: "resources")
            config["linux"] = linux
            let mounts = (config["mounts"] as? [[String: Any]] ?? []).map { mount -> [String: Any] in
                var mount = mount
                if mount["destination"] as? String == "/sys" {
                    return ["destination": "/sys", "type": "none", "source": "/sys",
                            "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]]
                }
                let options = (mount["options"] as? [String] ?? []).filter { !$0.hasPrefix("uid=") && !$0.hasPrefix("gid=") }
                mount["options"] = options
                return mount
            }
            config["mounts"] = mounts
        }
        return (uid, gid)
    }

    /// Nothing of the user's left in its state root (the state directories of every id).
    static func stateEntries(_ t: Sandbox) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: t.root)) ?? []).filter { !$0.hasPrefix(".") }
    }
}

@Suite(RootlessUser.enabled, .serialized)
struct Rootless {
    @Test("run as an ordinary user: root in the container mapped to the user's uid, the exit status passed on")
    func runExitStatus() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let (uid, _) = try RootlessUser.adopt(t)
        let result = try t.run(["sh", "-c", "id -u; cat /proc/self/uid_map; ls /dev/null /dev/zero /dev/urandom; exit 3"])
        #expect(result.status == 3, "\(result)")
        let lines = result.lines
        #expect(lines.first == "0", "\(result)")
        #expect(lines.dropFirst().first?.split(separator: " ").map(String.init) == ["0", "\(uid)", "1"], "\(result)")
        #expect(result.stdout.contains("/dev/urandom"), "\(result)")
        #expect(RootlessUser.stateEntries(t).isEmpty, "\(RootlessUser.stateEntries(t))")
    }

    @Test("create, start, state, exec, kill, delete as an ordinary user")
    func lifecycle() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        _ = try RootlessUser.adopt(t)
        let id = try t.create(["sleep", "600"])
        let created = try t.state(id)
        #expect(created["status"] as? String == "created")
        let pid = created["pid"] as? Int ?? 0
        #expect(pid > 0 && Harness.processAlive(pid))
        // The init runs as the user on the host.
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }.map(String.init) ?? ""
        let (uid, _) = try RootlessUser.ids.get()
        #expect(uidLine.split(whereSeparator: \.isWhitespace).dropFirst().allSatisfy { $0 == "\(uid)" }, "\(uidLine)")

        #expect(t.runtime(["start", id]).succeeded)
        #expect(t.status(id) == "running")
        let exec = t.runtime(["exec", id, "sh", "-c", "id -u; cat /proc/1/cmdline | tr '\\0' ' '; exit 7"])
        #expect(exec.status == 7, "\(exec)")
        #expect(exec.lines.first == "0" && exec.stdout.contains("sleep 600"), "\(exec)")

        #expect(t.runtime(["kill", id, "KILL"]).succeeded)
        #expect(t.waitForStatus(id, "stopped"))
        let deleted = t.runtime(["delete", id])
        #expect(deleted.succeeded, "\(deleted)")
        #expect(!Harness.processAlive(pid))
        #expect(RootlessUser.stateEntries(t).isEmpty, "\(RootlessUser.stateEntries(t))")
    }

    @Test("delete --force of a running rootless container")
    func deleteForce() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        _ = try RootlessUser.adopt(t)
        let id = try t.runDetached(["sleep", "600"])
        let pid = try t.state(id)["pid"] as? Int ?? 0
        let deleted = t.runtime(["delete", "--force", id])
        #expect(deleted.succeeded, "\(deleted)")
        #expect(Harness.eventually { !Harness.processAlive(pid) })
        #expect(RootlessUser.stateEntries(t).isEmpty)
    }

    @Test("/sys is the host's, read-only all the way down: no writable host /sys/fs/cgroup (CVE-2023-25809)")
    func sysReadOnly() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        _ = try RootlessUser.adopt(t)
        let script = """
            for f in /sys/fs/cgroup /sys/fs/cgroup/* /sys/kernel; do
              [ -d "$f" ] && (touch "$f/petrel-probe" 2>/dev/null || mkdir "$f/petrel-probe" 2>/dev/null) && echo "WRITABLE $f"
            done
            awk '$2 == "/sys" || $2 ~ "^/sys/" { print $2, $4 }' /proc/mounts
            exit 0
            """
        let result = try t.run(["sh", "-c", script])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("WRITABLE"), "\(result)")
        for line in result.lines {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            #expect(fields[1].split(separator: ",").contains("ro"), "\(line) is writable")
        }
    }

    @Test("the default state root of a non-root user is $XDG_RUNTIME_DIR/petrel")
    func defaultRoot() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        _ = try RootlessUser.adopt(t)
        try t.setArgs(["true"])
        let id = t.newID("xdg")
        let run = t.runtimeRaw(["run", "--bundle", t.bundle, id])
        #expect(run.succeeded, "\(run)")
        let root = t.dir + "/xdg/petrel"
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }.isEmpty)
    }

    @Test("what cannot work rootless is refused with the field named, and leaves nothing",
          arguments: [
            ("limit", "linux.resources.memory.limit"),
            ("mapping", "linux.uidMappings"),
            ("rlimit", "process.rlimits[0]"),
            ("nouserns", "linux.namespaces"),
            ("hostnetns", "linux.namespaces[5].path"),
            ("device", "linux.devices[0].path"),
          ])
    func refused(_ kind: String, _ field: String) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let (uid, _) = try RootlessUser.adopt(t)
        switch kind {
        case "limit":
            // No subtree is delegated to the user here (and cgroup v1 never is).
            try t.setConfig("linux.resources", ["memory": ["limit": 64 << 20]])
        case "mapping":
            try t.setConfig("linux.uidMappings", [["containerID": 0, "hostID": Int(uid), "size": 1],
                                                 ["containerID": 1, "hostID": 5000, "size": 10]])
        case "rlimit":
            try t.setConfig("process.rlimits", [["type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1 << 30]])
        case "hostnetns":
            // The host's network namespace belongs to the initial user namespace (uid 0).
            try t.editNamespaces { namespaces in
                var kept = namespaces.filter { $0["type"] as? String != "network" }
                kept.insert(["type": "network", "path": "/proc/1/ns/net"], at: 5)
                return kept
            }
        case "device":
            // A root-only (0600) node of the host: the user cannot open it, so binding it is refused.
            var info = stat()
            let candidates: [String] = ["/dev/loop-control", "/dev/cpu_dma_latency", "/dev/tty1", "/dev/console"]
            guard let node = candidates.first(where: { (path: String) -> Bool in
                stat(path, &info) == 0 && info.st_mode & 0o170000 == 0o020000 && info.st_mode & 0o077 == 0
            }) else { return }
            let rdev = UInt64(info.st_rdev)
            let major = Int(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff))
            let minor = Int((rdev & 0xff) | ((rdev >> 12) & ~0xff))
            try t.setConfig("linux.devices", [["path": node, "type": "c", "major": major, "minor": minor]])
        default:
            try t.editNamespaces { $0.filter { $0["type"] as? String != "user" } }
            try t.removeConfig("linux.uidMappings")
            try t.removeConfig("linux.gidMappings")
        }
        let result = try t.run(["true"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains(field), "\(result)")
        #expect(RootlessUser.stateEntries(t).isEmpty, "\(RootlessUser.stateEntries(t))")
    }

    @Test("runc --rootless true agrees: the same identity and exit status for the same bundle")
    func matchesRunc() throws {
        guard let runc = Harness.which("runc") else { return }
        let t = try Sandbox()
        defer { t.cleanup() }
        _ = try RootlessUser.adopt(t)
        let args = ["sh", "-c", "id; cat /proc/self/uid_map /proc/self/gid_map; exit 5"]
        let ours = try t.run(args)
        let r = try Sandbox()
        defer { r.cleanup() }
        _ = try RootlessUser.adopt(r, runtime: runc)
        let theirs = r.runtime(["--rootless", "true", "run", "--bundle", t.bundle, r.newID("runc")])
        #expect(ours.status == 5 && theirs.status == 5, "\(ours)\n\(theirs)")
        #expect(ours.stdout == theirs.stdout, "\(ours)\n\(theirs)")
    }

    @Test("a terminal: run -d with --console-socket hands the user the pty master; exec --tty too")
    func terminal() throws {
        guard let python = TerminalTools.python else { return }
        let t = try Sandbox()
        defer { t.cleanup() }
        _ = try RootlessUser.adopt(t)
        func receiver(_ name: String) throws -> (Child, String, String) {
            let socket = t.dir + "/\(name).sock"
            let output = t.dir + "/\(name).out"
            let code = """
                import socket, sys, os
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(1)
                open(sys.argv[1] + ".ready", "w").close()
                c, _ = s.accept()
                msg, fds, flags, addr = socket.recv_fds(c, 1024, 1)
                out = open(sys.argv[2], "wb")
                while True:
                    try:
                        data = os.read(fds[0], 4096)
                    except OSError:
                        break
                    if not data:
                        break
                    out.write(data); out.flush()
                """
            let child = Child(python, ["-c", code, socket, output], ioDirectory: t.dir + "/io")
            #expect(Harness.eventually(timeout: 90) { FileManager.default.fileExists(atPath: socket + ".ready") })
            return (child, socket, output)
        }
        let (listener, socket, output) = try receiver("run")
        try t.setConfig("process.terminal", true)
        try t.setArgs(["sh", "-c", "tty; id -u; sleep 600"])
        let id = t.newID("tty")
        let run = t.runtime(["run", "--detach", "--console-socket", socket, "--bundle", t.bundle, id])
        #expect(run.status == 0, "\(run)")
        let (execListener, execSocket, execOutput) = try receiver("exec")
        let exec = t.runtime(["exec", "--tty", "--console-socket", execSocket, "--detach", id, "sh", "-c", "tty; echo exec-end"])
        #expect(exec.status == 0, "\(exec)")
        _ = execListener.wait(timeout: 90)
        let execText = (try? String(contentsOfFile: execOutput, encoding: .utf8)) ?? ""
        #expect(execText.contains("/dev/pts/") && execText.contains("exec-end"), "\(execText)")
        #expect(t.runtime(["delete", "--force", id]).succeeded)
        _ = listener.wait(timeout: 90)
        let text = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").replacingOccurrences(of: "\r", with: "")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("/dev/pts/") == true && lines.dropFirst().first == "0", "\(text)")
    }

    @Test("filesystem: a bind mount of the user's directory is writable as the user's uid; a read-only rootfs stays read-only; /dev/pts and /dev/shm work")
    func filesystem() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let (uid, _) = try RootlessUser.adopt(t)
        let shared = t.dir + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        _ = host("/bin/chown", ["\(uid)", shared])
        try t.addBind(shared, at: "/shared")
        try t.setConfig("root.readonly", true)
        let result = try t.run(["sh", "-c", """
            echo data > /shared/file && echo bind-ok
            touch /probe 2>/dev/null && echo ROOT-WRITABLE
            echo x > /dev/shm/x && echo shm-ok
            ls /dev/pts/ptmx >/dev/null && echo pts-ok
            echo x > /dev/null && head -c 4 /dev/urandom | wc -c
            """])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["bind-ok", "shm-ok", "pts-ok", "4"], "\(result)")
        var info = stat()
        #expect(stat(shared + "/file", &info) == 0 && info.st_uid == uid, "owned by \(info.st_uid)")
    }

    @Test("cgroup v2 with a subtree delegated to the user: the container gets its cgroup there, with the memory limit")
    func delegatedCgroup() throws {
        let root = "/sys/fs/cgroup"
        let controllers = (try? String(contentsOfFile: root + "/cgroup.subtree_control", encoding: .utf8)) ?? ""
        // Only on a pure cgroup v2 host (the guest) whose root delegates memory below it.
        guard FileManager.default.fileExists(atPath: root + "/cgroup.controllers"), controllers.contains("memory") else { return }
        let t = try Sandbox()
        defer { t.cleanup() }
        let (uid, gid) = try RootlessUser.adopt(t)
        let delegated = root + "/petrel-rootless-" + Harness.randomToken()
        try FileManager.default.createDirectory(atPath: delegated + "/session", withIntermediateDirectories: true)
        defer {
            // The session's processes are gone once the runtime calls returned.
            _ = rmdir(delegated + "/c1")
            _ = rmdir(delegated + "/session")
            _ = rmdir(delegated)
        }
        try "+memory +pids".write(toFile: delegated + "/cgroup.subtree_control", atomically: false, encoding: .utf8)
        // systemd's Delegate=yes: the directory and its control files become the user's.
        for file in ["", "/cgroup.procs", "/cgroup.subtree_control", "/cgroup.threads", "/session", "/session/cgroup.procs"] {
            #expect(chown(delegated + file, uid, gid) == 0, "chown \(file)")
        }
        // Like a login session: the user's processes start inside the delegated subtree (a
        // move needs write access to the common ancestor's cgroup.procs).
        t.wrapper = ["/bin/sh", "-c", "echo $$ > \(delegated)/session/cgroup.procs && exec \"$@\"", "sh"] + t.wrapper
        let name = (delegated as NSString).lastPathComponent
        try t.setConfig("linux.cgroupsPath", "/\(name)/c1")
        try t.setConfig("linux.resources", ["memory": ["limit": 64 << 20]])
        let result = try t.run(["sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max"])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.last == "\(64 << 20)", "\(result)")
        #expect(!FileManager.default.fileExists(atPath: delegated + "/c1"), "the container's cgroup is removed")
    }

    @Test("multi-range maps through newuidmap/newgidmap: the user's /etc/subuid range backs container ids 1..65536")
    func subordinateRanges() throws {
        guard Harness.which("newuidmap") != nil, Harness.which("newgidmap") != nil else { return }
        let t = try Sandbox()
        defer { t.cleanup() }
        let (uid, gid) = try RootlessUser.adopt(t)
        func range(_ file: String) -> Int? {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix(RootlessUser.name + ":") || $0.hasPrefix("\(uid):") }
            guard let fields = line?.split(separator: ":"), fields.count == 3, let count = Int(fields[2]), count >= 1000 else { return nil }
            return Int(fields[1])
        }
        guard let subuid = range("/etc/subuid"), let subgid = range("/etc/subgid") else { return }
        try t.setConfig("linux.uidMappings", [["containerID": 0, "hostID": Int(uid), "size": 1],
                                              ["containerID": 1, "hostID": subuid, "size": 1000]])
        try t.setConfig("linux.gidMappings", [["containerID": 0, "hostID": Int(gid), "size": 1],
                                              ["containerID": 1, "hostID": subgid, "size": 1000]])
        let shared = t.dir + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        _ = host("/bin/chown", ["\(uid):\(gid)", shared])
        try t.addBind(shared, at: "/shared")
        // runc's default capabilities have no CAP_CHOWN.
        try t.setConfig("process.capabilities", ["bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]])
        let result = try t.run(["sh", "-c", """
            cat /proc/self/uid_map /proc/self/gid_map | wc -l
            touch /shared/f && chown 100:200 /shared/f && echo chown-ok
            """])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["4", "chown-ok"], "\(result)")
        var info = stat()
        #expect(stat(shared + "/f", &info) == 0 && Int(info.st_uid) == subuid + 99 && Int(info.st_gid) == subgid + 199,
                "owned by \(info.st_uid):\(info.st_gid)")

        // Outside the ranges: refused before anything is made, naming the field.
        try t.setConfig("linux.uidMappings", [["containerID": 0, "hostID": Int(uid), "size": 1],
                                              ["containerID": 1, "hostID": 5000, "size": 10]])
        let refused = try t.run(["true"])
        #expect(refused.status == 1 && refused.stderr.contains("linux.uidMappings") && refused.stderr.contains("/etc/subuid"), "\(refused)")
        #expect(RootlessUser.stateEntries(t).isEmpty)
    }
}
