import Foundation
import Testing

/// linux.resources and the cgroup verbs, read from inside the container (with a cgroup
/// namespace) and from outside (the directories state.json records). Runs on hybrid/v1
/// hosts and pure cgroup v2 hosts alike; each check picks its files by host kind.
@Suite(Harness.enabled)
struct Cgroups {
    static let v2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")

    func sandbox(_ resources: [String: Any]) throws -> Sandbox {
        let t = try Sandbox()
        try t.editNamespaces { $0 + [["type": "cgroup"]] }
        try t.setConfig("linux.resources", resources)
        return t
    }

    /// The host directory of the init's cgroup carrying `controller`, from /proc/PID/cgroup
    /// (works for any runtime under test).
    func directory(_ t: Sandbox, _ id: String, _ controller: String) throws -> String {
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let text = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if Self.v2 && fields[0] == "0" { return "/sys/fs/cgroup" + fields[2] }
            if !Self.v2 && fields[1].split(separator: ",").contains(Substring(controller)) {
                return "/sys/fs/cgroup/\(fields[1])\(fields[2])"
            }
        }
        throw HarnessError.setup("no \(controller) cgroup for pid \(pid) in \(text)")
    }

    func read(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("memory, pids and cpu limits are visible inside the container")
    func limitsInside() throws {
        let t = try sandbox(["memory": ["limit": 67_108_864], "pids": ["limit": 32], "cpu": ["quota": 50_000, "period": 100_000]])
        defer { t.cleanup() }
        let files = Self.v2
            ? "/sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max"
            : "/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us"
        let out = try t.output(["sh", "-c", "cat \(files)"])
        #expect(out == (Self.v2 ? "67108864\n32\n50000 100000" : "67108864\n32\n50000"), "\(out)")
    }

    @Test("without a cgroup namespace the v1 cgroup mount shows the container's own cgroups (as runc)",
          .enabled(if: !v2, "cgroup v2 host: without a cgroup namespace cgroup2 shows the whole tree, as with runc"))
    func ownCgroupsWithoutNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.resources", ["memory": ["limit": 67_108_864], "pids": ["limit": 32]])
        let out = try t.output(["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup/cpu/ | grep -c cgroup.procs"])
        #expect(out == "67108864\n32\n1", "\(out)")
    }

    @Test("cpuset cpus are applied", .enabled(if: ProcessInfo.processInfo.activeProcessorCount > 0))
    func cpuset() throws {
        let t = try sandbox(["cpu": ["cpus": "0"]])
        defer { t.cleanup() }
        let file = Self.v2 ? "/sys/fs/cgroup/cpuset.cpus.effective" : "/sys/fs/cgroup/cpuset/cpuset.effective_cpus"
        #expect(try t.output(["cat", file]) == "0")
    }

    @Test("an allocation over the memory limit is OOM-killed")
    func oomKill() throws {
        let t = try sandbox(["memory": ["limit": 33_554_432, "swap": 33_554_432]])
        defer { t.cleanup() }
        let result = try t.run(["sh", "-c", "tail /dev/zero"])
        #expect(result.status == 137, "\(result)")
    }

    @Test("the device cgroup refuses a device the config does not allow")
    func deviceDenied() throws {
        let t = try sandbox([:])
        defer { t.cleanup() }
        try t.addMount(destination: "/dev/kmsg", type: "bind", source: "/dev/kmsg", options: ["bind"])
        let out = try t.output(["sh", "-c", "cat /dev/kmsg 2>&1 | head -1; echo x > /dev/null && echo null-ok"])
        #expect(out.contains("Operation not permitted"), "\(out)")
        #expect(out.hasSuffix("null-ok"))
    }

    @Test("pause freezes and resume thaws, visible in state and the cgroup")
    func pauseResume() throws {
        let t = try sandbox(["pids": ["limit": 100]])
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "60"])
        #expect(t.runtime(["pause", id]).status == 0)
        #expect(t.status(id) == "paused")
        let dir = try directory(t, id, "freezer")
        #expect(read(dir + (Self.v2 ? "/cgroup.freeze" : "/freezer.state")) == (Self.v2 ? "1" : "FROZEN"))
        #expect(t.runtime(["pause", id]).status != 0)
        #expect(t.runtime(["resume", id]).status == 0)
        #expect(t.status(id) == "running")
        #expect(t.runtime(["resume", id]).status != 0)
        // A paused container is killed and removed by delete --force, cgroup included.
        #expect(t.runtime(["pause", id]).status == 0)
        #expect(t.runtime(["delete", "--force", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test("update changes limits immediately")
    func update() throws {
        let t = try sandbox(["memory": ["limit": 67_108_864], "pids": ["limit": 32]])
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "60"])
        let result = t.runtime(["update", "--memory", "100m", "--pids-limit", "20", id])
        #expect(result.status == 0, "\(result)")
        let memory = try directory(t, id, "memory")
        let pids = try directory(t, id, "pids")
        #expect(read(memory + (Self.v2 ? "/memory.max" : "/memory.limit_in_bytes")) == "104857600")
        #expect(read(pids + "/pids.max") == "20")
        let stdin = t.runtime(["update", "-r", "-", id], stdin: "{\"pids\":{\"limit\":7}}")
        #expect(stdin.status == 0, "\(stdin)")
        #expect(read(pids + "/pids.max") == "7")
        // -r FILE; swap equal to the limit means no swap at all (v2: memory.swap.max 0).
        let file = t.dir + "/resources.json"
        try "{\"memory\":{\"limit\":67108864,\"swap\":67108864}}".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = t.runtime(["update", "-r", file, id])
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(read(memory + (Self.v2 ? "/memory.max" : "/memory.limit_in_bytes")) == "67108864")
        if Self.v2 { #expect(read(memory + "/memory.swap.max") == "0") }
    }

    @Test("ps lists the init and delete removes the cgroup")
    func psAndDelete() throws {
        let t = try sandbox([:])
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "60"])
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let ps = t.runtime(["ps", "--format", "json", id])
        let pids = try JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [Int]
        #expect(pids?.contains(pid) == true, "\(ps)")
        let dir = try directory(t, id, "pids")
        #expect(FileManager.default.fileExists(atPath: dir))
        #expect(t.runtime(["delete", "--force", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test("without a pid namespace, what the init leaves behind in its cgroup is killed by delete and the cgroup removed (run too)")
    func deleteKillsLeftovers() throws {
        let t = try sandbox([:])
        defer { t.cleanup() }
        try t.editNamespaces { $0.filter { $0["type"] as? String != "pid" } }
        let out = try t.hostDir("leftover")
        try t.addBind(out, at: "/out")
        let pidFile = out + "/leftover.pid"
        let id = try t.runDetached(["sh", "-c", "sleep 1000 & echo $! > /out/leftover.pid"])
        #expect(t.waitForStatus(id, "stopped"))
        let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        let pid = try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), "no pid: \(text)")
        t.onCleanup { kill(Int32(pid), SIGKILL) }
        let cgroups = ((try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                guard fields.count == 3, fields[2].hasSuffix(id) else { return nil }
                if Self.v2 { return "/sys/fs/cgroup" + fields[2] }
                let hierarchy = fields[1].isEmpty ? "unified" : fields[1].replacingOccurrences(of: "name=", with: "")
                return "/sys/fs/cgroup/" + hierarchy + fields[2]
            }
        #expect(!cgroups.isEmpty)
        #expect(t.runtime(["delete", id]).status == 0)
        #expect(Harness.eventually(timeout: 10) { !Harness.processAlive(pid) }, "the background sleep \(pid) survived delete")
        for directory in cgroups { #expect(!FileManager.default.fileExists(atPath: directory), "\(directory)") }

        // run: the same through its own delete.
        try FileManager.default.removeItem(atPath: pidFile)
        let result = try t.run(["sh", "-c", "sleep 1000 & echo $! > /out/leftover.pid"])
        #expect(result.status == 0, "\(result)")
        let again = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        let second = try #require(Int(again.trimmingCharacters(in: .whitespacesAndNewlines)), "no pid: \(again)")
        t.onCleanup { kill(Int32(second), SIGKILL) }
        #expect(Harness.eventually(timeout: 10) { !Harness.processAlive(second) }, "the background sleep \(second) survived run")
        #expect(t.listedIDs().isEmpty)
    }

    @Test("events --stats reports the memory limit")
    func eventsStats() throws {
        let t = try sandbox(["memory": ["limit": 67_108_864]])
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "60"])
        let result = t.runtime(["events", "--stats", id])
        #expect(result.status == 0, "\(result)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["type"] as? String == "stats")
        let limit = (((object?["data"] as? [String: Any])?["memory"] as? [String: Any])?["usage"] as? [String: Any])?["limit"] as? Int
        #expect(limit == 67_108_864)
    }

    @Test("events streams an oom event when a process in the container is OOM-killed")
    func eventsOOM() throws {
        let t = try sandbox(["memory": ["limit": 33_554_432, "swap": 33_554_432]])
        defer { t.cleanup() }
        // The init survives: only the allocating child is killed.
        let id = try t.runDetached(["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; tail /dev/zero; sleep 100"])
        let events = t.spawn(["events", "--interval", "1s", id])
        defer {
            events.signal(SIGKILL)
            _ = events.wait()
        }
        // Give events time to arm its OOM watch before the OOM happens.
        _ = Harness.eventually(timeout: 30) { events.stdoutSoFar.contains("\"type\":\"stats\"") }
        FileManager.default.createFile(atPath: t.rootfs + "/tmp/go", contents: nil)
        let seen = Harness.eventually(timeout: 60) { events.stdoutSoFar.contains("\"type\":\"oom\"") }
        #expect(seen, "no oom event in: \(events.stdoutSoFar)")
        let line = events.stdoutSoFar.split(separator: "\n").first { $0.contains("\"type\":\"oom\"") }
        let object = try line.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(object?["id"] as? String == id)
        #expect(t.status(id) == "running", "the init survives the OOM kill of its child")
    }

    @Test("--systemd-cgroup places the container at slice/prefix-name.scope (cgroupfs emulation)",
          .enabled(if: !Harness.isRunc, "runc's systemd driver needs a running systemd"))
    func systemdCgroupPath() throws {
        let t = try sandbox(["pids": ["limit": 9]])
        defer { t.cleanup() }
        let name = "it\(Harness.randomToken())"
        try t.setConfig("linux.cgroupsPath", "petrel-test.slice:petrel:\(name)")
        try t.setArgs(["sleep", "60"])
        let id = t.newID("sd")
        let run = t.runtime(["--systemd-cgroup", "run", "--detach", "--bundle", t.bundle, id])
        try #require(run.succeeded, "\(run)")
        let dir = try directory(t, id, "pids")
        #expect(dir.hasSuffix("/petrel-test.slice/petrel-\(name).scope"), "\(dir)")
        #expect(read(dir + "/pids.max") == "9")
        #expect(t.runtime(["--systemd-cgroup", "delete", "--force", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(!FileManager.default.fileExists(atPath: (dir as NSString).deletingLastPathComponent), "the slice it made is gone too")
    }

    @Test("--systemd-cgroup refuses a cgroupsPath that is not slice:prefix:name",
          .enabled(if: !Harness.isRunc, "runc's systemd driver needs a running systemd"))
    func systemdCgroupBadPath() throws {
        let t = try sandbox([:])
        defer { t.cleanup() }
        try t.setConfig("linux.cgroupsPath", "/plain/path")
        let id = t.newID()
        let result = t.runtime(["--systemd-cgroup", "create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("slice:prefix:name"), "\(result.stderr)")
        #expect(!t.hasStateDir(id))
    }

    @Test("a limit the kernel rejects names the file and leaves nothing", .enabled(if: !Harness.isRunc, "runc's wording differs"))
    func rejectedLimit() throws {
        let t = try sandbox(["cpu": ["cpus": "99999"]])
        defer { t.cleanup() }
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cpuset.cpus"), "\(result.stderr)")
        #expect(!t.hasStateDir(id))
    }

    /// The hierarchies the runtime places a container in (runc's fs driver's set, plus the
    /// cgroup2 one), as /proc/self/cgroup names them.
    static let managed: Set<Substring> = [
        "cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb", "net_cls",
        "net_prio", "perf_event", "freezer", "rdma", "name=systemd", "",
    ]

    /// /proc/self/cgroup lines of the managed hierarchies as (controllers, path).
    func managedLines(_ text: String) -> [(Substring, Substring)] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let keys = fields[1].isEmpty ? [Substring("")] : fields[1].split(separator: ",")
            return keys.contains(where: Self.managed.contains) ? (fields[1], fields[2]) : nil
        }
    }

    // On a v1 or hybrid host the parent moves the init into each hierarchy after the clone;
    // the init must be in all of them before the container's first instruction.
    @Test("the container's first action finds itself in every cgroup of the container")
    func inEveryCgroupFromTheStart() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let inner = "pit-first-\(Harness.randomToken())"
        try t.setConfig("linux.cgroupsPath", inner)
        let out = try t.output(["cat", "/proc/self/cgroup"])
        let lines = managedLines(out)
        #expect(!lines.isEmpty, "\(out)")
        for (controllers, path) in lines {
            #expect(path.hasSuffix("/" + inner), "hierarchy \(controllers): \(path)\n\(out)")
        }
    }

    @Test("with a cgroup namespace the container's first action sees the container's cgroups as its root")
    func namespaceRootIsTheContainersCgroup() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editNamespaces { $0 + [["type": "cgroup"]] }
        let out = try t.output(["cat", "/proc/self/cgroup"])
        let lines = managedLines(out)
        #expect(!lines.isEmpty, "\(out)")
        for (controllers, path) in lines {
            #expect(path == "/", "hierarchy \(controllers): \(path)\n\(out)")
        }
    }
}
