import Foundation
import Testing

/// `exec`: a new process in a running container's namespaces and cgroup, with the
/// process settings runc's flags give it.
@Suite(Harness.enabled)
struct ExecTests {
    private func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
    }

    @Test("exec returns the process's exit code; a failed exec is 255 with runc's message")
    func exitCodes() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        #expect(t.runtime(["exec", id, "sh", "-c", "exit 7"]).status == 7)
        let ok = t.runtime(["exec", id, "echo", "hello"])
        #expect(ok.status == 0 && ok.out == "hello", "\(ok)")
        let missing = t.runtime(["exec", id, "no-such-program"])
        #expect(missing.status == 255, "\(missing)")
        #expect(missing.stderr.contains("executable file not found in $PATH"), "\(missing)")
        let signaled = t.runtime(["exec", id, "sh", "-c", "kill -KILL $$"])
        #expect(signaled.status == 137, "\(signaled)")
    }

    @Test("exec joins every namespace and the cgroup of the init")
    func sameNamespacesAndCgroup() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editNamespaces { $0 + [["type": "cgroup"]] }
        let id = try t.runDetached(["sleep", "100"])
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let kinds = ["pid", "mnt", "net", "ipc", "uts", "cgroup"]
        let inside = t.runtime(["exec", id, "sh", "-c", kinds.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ") + "; cat /proc/self/cgroup"])
        #expect(inside.status == 0, "\(inside)")
        let got = lines(inside.stdout)
        for (index, kind) in kinds.enumerated() {
            let expected = "\(kind):[\(Namespaces.inode("/proc/\(pid)/ns/\(kind)") ?? 0)]"
            #expect(got.count > index && got[index] == expected, "\(kind): \(got)")
        }
        // Inside a cgroup namespace the init's cgroup is the root.
        let initCgroups = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        #expect(!initCgroups.isEmpty)
        #expect(got.dropFirst(kinds.count).allSatisfy { $0.hasSuffix(":/") }, "\(got)")
    }

    @Test("exec flags: user, groups, env, cwd, capabilities, no_new_privs")
    func processFlags() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let result = t.runtime(["exec", "-u", "1000:1001", "-g", "5", "-e", "FOO=bar", "--cwd", "/tmp",
                                "--cap", "CAP_SYS_NICE", "--no-new-privs", id,
                                "sh", "-c", "id -u; id -g; id -G; echo $FOO; pwd; grep -E 'CapBnd|NoNewPrivs' /proc/self/status"])
        #expect(result.status == 0, "\(result)")
        let got = lines(result.stdout)
        try #require(got.count == 7, "\(result)")
        #expect(Array(got[0..<5]) == ["1000", "1001", "1001 5", "bar", "/tmp"])
        let hex = got[5].split(whereSeparator: { $0 == " " || $0 == "\t" }).last.map(String.init) ?? ""
        let bounding = UInt64(hex, radix: 16) ?? 0
        #expect(bounding & (1 << 23) != 0, "CAP_SYS_NICE in the bounding set: \(got[5])")
        #expect(got[6].hasSuffix("1"), "\(got[6])")
    }

    @Test("exec --process FILE runs that process")
    func processFile() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let file = t.dir + "/process.json"
        try #"{"user":{"uid":2,"gid":3},"args":["sh","-c","id -u; id -g; echo $X; pwd"],"env":["PATH=/bin","X=from-file"],"cwd":"/etc"}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = t.runtime(["exec", "--process", file, id])
        #expect(result.status == 0, "\(result)")
        #expect(lines(result.stdout) == ["2", "3", "from-file", "/etc"], "\(result)")
    }

    @Test("exec --detach --pid-file leaves the process running in the container's cgroup")
    func detached() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let initPid = try #require(try t.state(id)["pid"] as? Int)
        let pidFile = t.dir + "/exec.pid"
        let result = t.runtime(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "50"])
        #expect(result.status == 0, "\(result)")
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), "pid file: \(text)")
        #expect(Harness.processAlive(pid))
        let cgroup = { (p: Int) in (try? String(contentsOfFile: "/proc/\(p)/cgroup", encoding: .utf8)) ?? "?" }
        #expect(cgroup(pid) == cgroup(initPid))
        let ps = t.runtime(["ps", "--format", "json", id])
        #expect(ps.stdout.contains("\(pid)"), "\(ps)")
    }

    @Test("exec into a stopped or paused container is a clear error; a created one is allowed")
    func refusedStates() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let created = try t.create(["sleep", "100"])
        let inCreated = t.runtime(["exec", created, "true"])
        #expect(inCreated.status == 0, "\(inCreated)")
        #expect(t.runtime(["start", created]).status == 0)
        #expect(t.runtime(["pause", created]).status == 0)
        let paused = t.runtime(["exec", created, "true"])
        #expect(paused.status != 0 && paused.stderr.contains("paused"), "\(paused)")
        #expect(t.runtime(["resume", created]).status == 0)
        #expect(t.runtime(["kill", created, "KILL"]).status == 0)
        #expect(t.waitForStatus(created, "stopped"))
        let stopped = t.runtime(["exec", created, "true"])
        #expect(stopped.status != 0 && stopped.stderr.contains("stopped"), "\(stopped)")
        let unknown = t.runtime(["exec", t.newID("none"), "true"])
        #expect(unknown.status != 0 && unknown.stderr.contains("does not exist"), "\(unknown)")
    }

    @Test("exec into a container with a user namespace is root of that namespace")
    func userNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace()
        let id = try t.runDetached(["sleep", "100"])
        let result = t.runtime(["exec", id, "sh", "-c", "id -u; cat /proc/self/uid_map"])
        #expect(result.status == 0, "\(result)")
        #expect(lines(result.stdout) == ["0", "0 100000 65536"], "\(result)")
    }

    @Test("an exec'd process sees no host fd, its cwd is inside, and it cannot write the runtime binary (CVE-2024-21626, CVE-2019-5736 classes)")
    func escapes() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"])
        let before = try FileManager.default.attributesOfItem(atPath: Harness.binary)[.modificationDate] as? Date
        let result = t.runtime(["--log", t.dir + "/exec.log", "exec", id, "sh", "-c",
                                "ls /proc/self/fd | tr '\\n' ' '; echo; readlink /proc/self/cwd; for p in /proc/[0-9]*; do echo x 2>/dev/null >> $p/exe && echo WROTE $p; done; echo done"])
        #expect(result.status == 0, "\(result)")
        let got = lines(result.stdout)
        let fds = got.first?.split(separator: " ").compactMap { Int($0) } ?? []
        #expect(fds.filter { $0 > 3 }.isEmpty, "fds: \(fds)")
        #expect(got.count > 1 && got[1] == "/", "\(got)")
        #expect(!result.stdout.contains("WROTE"), "\(result)")
        let after = try FileManager.default.attributesOfItem(atPath: Harness.binary)[.modificationDate] as? Date
        #expect(before == after)
    }
}
