import Foundation
import Testing

/// CVE-2019-5736: a container process reopens the runtime's own binary through
/// /proc/<pid>/exe once it is no longer busy and writes into it. Each test mounts the real
/// attack against a COPY of the runtime under test (the binary itself is never exposed) and
/// checks the copy is byte for byte unchanged and the attacker was refused.
@Suite(Harness.enabled, .enabled(if: Attack.cc != nil, "needs cc (static attacker programs)"))
struct ProtectedBinary {
    @Test("exec of /evil -> /proc/self/exe and of a #!/proc/self/exe script: the container cannot write the runtime")
    func execVectors() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let attack = try Attack(t)
        let scanner = try attack.startScanner()
        for program in ["/evil", "/script"] {
            let refused = attack.repeatUntilRefused { _ = attack.runtime(["exec", scanner, program]) }
            try #require(refused, "no refused attempt (none, or a write) on the binary run by `exec \(program)`:\n\(attack.report)")
        }
        try attack.finish(expecting: attack.anyRefusal)
    }

    @Test("create/run: the container's init (and /evil or a script it becomes) cannot be written either")
    func initVectors() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let attack = try Attack(t)
        let scanner = try attack.startScanner()
        // A second container in the scanner's pid namespace: its init is visible to the
        // scanner both while it waits for `start` and after it execve's /evil.
        let pid = try #require(try t.state(scanner)["pid"] as? Int)
        let bundle = try attack.joiningBundle(pidNamespace: "/proc/\(pid)/ns/pid")
        for program in ["/evil", "/script"] {
            try attack.setArgs(bundle, [program])
            let viaRun = attack.repeatUntilRefused {
                _ = attack.runtime(["run", "-b", bundle, t.newID("run")])
            }
            try #require(viaRun, "no refused attempt (none, or a write) on the init of `run` (\(program)):\n\(attack.report)")
            let viaCreate = attack.repeatUntilRefused {
                let id = t.newID("create")
                guard attack.runtime(["create", "-b", bundle, id]).succeeded else { return }
                usleep(50_000)  // a chance at the init waiting for start (not needed to pass)
                _ = attack.runtime(["start", id])
                _ = Harness.eventually(timeout: 20) { t.status(id) == "stopped" }
                _ = attack.runtime(["delete", "--force", id])
            }
            try #require(viaCreate, "no refused attempt (none, or a write) on the init of `create` (\(program)):\n\(attack.report)")
        }
        try attack.finish(expecting: attack.anyRefusal)
    }

    @Test("without the overlay (its lowerdir refused by seccomp) the sealed memfd copy protects exec")
    func memfdFallback() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let attack = try Attack(t)
        // fsconfig(FSCONFIG_SET_STRING): the overlay's lowerdir cannot be set, while the
        // container's own new-API mounts (masked paths: flags and create only) still work.
        try attack.deny(["431:1"])
        let scanner = try attack.startScanner()
        let refused = attack.repeatUntilRefused { _ = attack.runtime(["exec", scanner, "/evil"]) }
        try #require(refused, "no refused attempt (none, or a write) on the binary run by `exec /evil`:\n\(attack.report)")
        try attack.finish(expecting: Harness.isRunc ? attack.anyRefusal : [attack.sealedWrite])
    }

    @Test("create runs the init from the read-only overlay (from a fresh --root, on any kernel)",
          .enabled(if: !Harness.isRunc, "runc 1.1 uses a read-only bind mount or a memfd"))
    func overlayIsTheDefault() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // --root does not exist yet: create makes it first, the second layer on every kernel.
        #expect(access(t.root, F_OK) != 0)
        let id = try t.create(["true"])
        let pid = try #require(try t.state(id)["pid"] as? Int)
        let type = host("/usr/bin/stat", ["-L", "-f", "-c", "%T", "/proc/\(pid)/exe"], ioDirectory: t.dir + "/io")
        #expect(type.out == "overlayfs", "\(type)")
        var fs = statvfs()
        #expect(statvfs("/proc/\(pid)/exe", &fs) == 0 && fs.f_flag & UInt(ST_RDONLY) != 0)
    }

    @Test("run and exec, from a fresh --root, run themselves from the read-only overlay, not a memfd copy",
          .enabled(if: !Harness.isRunc, "runc 1.1 uses a read-only bind mount or a memfd"))
    func runAndExecUseTheOverlay() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(access(t.root, F_OK) != 0)
        try t.setArgs(["sleep", "30"])
        let id = t.newID("run")
        let run = t.spawn(["run", "--bundle", t.bundle, id])
        t.onCleanup { run.signal(SIGKILL); _ = run.wait() }
        #expect(t.waitForStatus(id, "running"))
        let exec = t.spawn(["exec", id, "sleep", "30"])
        t.onCleanup { exec.signal(SIGKILL); _ = exec.wait() }
        // Both stay in the foreground, re-executed in place: same pid, /proc/<pid>/exe the
        // protected file (a memfd would show up as "tmpfs" here).
        for (verb, child) in [("run", run), ("exec", exec)] {
            var type = ""
            #expect(Harness.eventually(timeout: 10) {
                type = host("/usr/bin/stat", ["-L", "-f", "-c", "%T", "/proc/\(child.pid)/exe"], ioDirectory: t.dir + "/io").out
                return type == "overlayfs"
            }, "\(verb): \(type)")
        }
        _ = t.runtime(["kill", id, "KILL"])
        _ = run.wait()
        _ = exec.wait()
    }

    @Test("neither overlay nor memfd: create fails with one error line naming each step, in the log too",
          .enabled(if: !Harness.isRunc, "petrel's own error"))
    func refusesUnprotected() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let attack = try Attack(t)
        try attack.deny(["430", "319"])  // fsopen, memfd_create
        let id = t.newID("refused")
        let log = t.dir + "/log.json"
        let result = attack.runtime(["--log", log, "--log-format", "json", "create", "-b", t.bundle, id])
        #expect(result.status == 1, "\(result)")
        let expected = "cannot run from a write-protected binary (CVE-2019-5736): overlay: fsopen: Operation not permitted (errno 1)"
        #expect(result.stderr.hasPrefix(expected) && result.stderr.contains("memfd: memfd_create: Operation not permitted (errno 1)"),
                "\(result)")
        let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(logged.hasPrefix("{\"level\":\"error\",\"msg\":\"" + expected), "\(logged)")
        #expect(!t.hasStateDir(id))
    }

    @Test("the re-exec marker never reaches the container", .enabled(if: !Harness.isRunc, "petrel's own marker"))
    func markerRemoved() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("process.env", ["PATH=/bin"])
        let result = try t.run(["sh", "-c", "env; cat /proc/1/environ | tr '\\0' '\\n'"])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("PETREL"), "\(result)")
    }
}

/// One attack: the runtime copied to <sandbox>/rt, the attacker and the malicious files in
/// the rootfs, and a scanner container whose log is <sandbox>/out/result.
final class Attack {
    static let cc = Harness.which("cc")
    let t: Sandbox
    let runtimePath: String
    private let original: Data
    private var wrapper: [String] = []
    private var seen = 0
    let readOnlyOpen = "refused open errno 30"  // EROFS: a read-only overlay
    let sealedWrite = "refused write errno 1"  // EPERM: a sealed memfd
    /// Petrel's overlay or memfd (its first call with a --root that does not exist yet takes
    /// the memfd on Linux < 6.15); runc 1.1's read-only bind mount of itself or memfd.
    var anyRefusal: [String] { [readOnlyOpen, sealedWrite] }

    init(_ t: Sandbox) throws {
        self.t = t
        let fm = FileManager.default
        try fm.createDirectory(atPath: t.dir + "/rt", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: t.dir + "/out", withIntermediateDirectories: true)
        runtimePath = t.dir + "/rt/" + URL(fileURLWithPath: Harness.binary).lastPathComponent
        try fm.copyItem(atPath: URL(fileURLWithPath: Harness.binary).resolvingSymlinksInPath().path, toPath: runtimePath)
        original = try Data(contentsOf: URL(fileURLWithPath: runtimePath))
        chmod(t.dir, 0o755)

        // A dynamically linked runtime only runs in the container with its libraries there.
        let libraries = host("/bin/sh", ["-c", """
            for f in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
                mkdir -p "$2$(dirname "$f")" && cp -L "$f" "$2$f" || exit 1
            done
            """, "sh", runtimePath, t.rootfs], ioDirectory: t.dir + "/io")
        try #require(libraries.succeeded, "\(libraries)")
        try compile(Attack.scannerSource, to: t.rootfs + "/scanner")
        try fm.createSymbolicLink(atPath: t.rootfs + "/evil", withDestinationPath: "/proc/self/exe")
        try "#!/proc/self/exe\n".write(toFile: t.rootfs + "/script", atomically: true, encoding: .utf8)
        chmod(t.rootfs + "/script", 0o755)
        try t.addBind(t.dir + "/out", at: "/out")
        // CAP_SYS_PTRACE: the scanner may even open the exe of a runtime process that is
        // not dumpable (an init waiting for start).
        try t.editConfig { config in
            var process = config["process"] as? [String: Any] ?? [:]
            var caps = process["capabilities"] as? [String: Any] ?? [:]
            for set in ["bounding", "effective", "permitted"] {
                caps[set] = (caps[set] as? [String] ?? []) + ["CAP_SYS_PTRACE"]
            }
            process["capabilities"] = caps
            config["process"] = process
        }
    }

    var resultPath: String { t.dir + "/out/result" }
    var report: String { (try? String(contentsOfFile: resultPath, encoding: .utf8)) ?? "(no scanner output)" }

    func compile(_ source: String, to output: String, static isStatic: Bool = true) throws {
        let file = t.dir + "/" + URL(fileURLWithPath: output).lastPathComponent + ".c"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let built = host(try #require(Attack.cc), (isStatic ? ["-static"] : []) + ["-O2", "-o", output, file],
                         ioDirectory: t.dir + "/io")
        try #require(built.succeeded, "\(built)")
    }

    /// Runs the copied runtime (with --root), through the seccomp wrapper when set.
    @discardableResult
    func runtime(_ args: [String]) -> Output {
        let command = wrapper + [runtimePath, "--root", t.root] + args
        return Child(command[0], Array(command.dropFirst()), ioDirectory: t.dir + "/io").wait()
    }

    /// Every later runtime call runs with these syscalls failing with EPERM.
    func deny(_ syscalls: [String]) throws {
        let path = t.dir + "/rt/deny"
        try compile(Attack.denySource, to: path, static: false)
        wrapper = [path, syscalls.joined(separator: ",")]
    }

    /// `run -d` of the scanner; returns the container id.
    func startScanner() throws -> String {
        try t.setArgs(["/scanner", "/out/result", "/out/stop", "/bin/busybox", "/scanner"])
        let id = t.newID("scanner")
        let result = runtime(["run", "-d", "-b", t.bundle, id])
        try #require(result.succeeded, "\(result)")
        return id
    }

    /// Runs `body` until the scanner logs a new attempt, refused or not (at most 15 times);
    /// true when the scanner's latest attempt was refused.
    func repeatUntilRefused(_ body: () -> Void) -> Bool {
        for _ in 0..<15 {
            body()
            if Harness.eventually(timeout: 5, { self.attempts().count > self.seen }) {
                let all = attempts()
                seen = all.count
                return all.last?.hasPrefix("refused ") == true
            }
        }
        return false
    }

    private func attempts() -> [Substring] {
        report.split(separator: "\n").filter { $0.hasPrefix("refused ") || $0.hasPrefix("WROTE") }
    }

    /// A bundle for a second container sharing the rootfs and joining a pid namespace.
    func joiningBundle(pidNamespace: String) throws -> String {
        let bundle = t.dir + "/joiner"
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        let data = try Data(contentsOf: URL(fileURLWithPath: t.configPath))
        var config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var root = config["root"] as? [String: Any] ?? [:]
        root["path"] = t.rootfs
        config["root"] = root
        var linux = config["linux"] as? [String: Any] ?? [:]
        let namespaces = (linux["namespaces"] as? [[String: Any]] ?? []).map { ns -> [String: Any] in
            ns["type"] as? String == "pid" ? ["type": "pid", "path": pidNamespace] : ns
        }
        linux["namespaces"] = namespaces
        config["linux"] = linux
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        return bundle
    }

    func setArgs(_ bundle: String, _ args: [String]) throws {
        let url = URL(fileURLWithPath: bundle + "/config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var process = config["process"] as? [String: Any] ?? [:]
        process["args"] = args
        config["process"] = process
        try JSONSerialization.data(withJSONObject: config).write(to: url)
    }

    /// Stops the scanner and checks: targets found, only refusals of the expected kinds, no
    /// write, the runtime's bytes unchanged.
    func finish(expecting kinds: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = FileManager.default.createFile(atPath: t.dir + "/out/stop", contents: Data())
        #expect(Harness.eventually(timeout: 30) { self.report.contains("DONE") }, "\(report)", sourceLocation: sourceLocation)
        let lines = report.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("found ") }, "\(report)", sourceLocation: sourceLocation)
        #expect(!lines.contains { $0.hasPrefix("WROTE") }, "the container wrote into the runtime binary:\n\(report)",
                sourceLocation: sourceLocation)
        let refusals = lines.filter { $0.hasPrefix("refused ") }
        #expect(!refusals.isEmpty && refusals.allSatisfy { kinds.contains($0) }, "\(report)", sourceLocation: sourceLocation)
        let now = try Data(contentsOf: URL(fileURLWithPath: runtimePath))
        #expect(now == original, "the runtime binary changed", sourceLocation: sourceLocation)
    }

    /// The attacker: scans /proc/*/exe for executables other than its own and the ignored
    /// files, keeps an O_PATH fd of each (per process), and as soon as one is no longer busy (ETXTBSY)
    /// reopens it for writing through /proc/self/fd/N and writes into it. It logs `found`,
    /// `refused open|write errno N` or `WROTE`, and `DONE` when the stop file appears.
    static let scannerSource = #"""
        #define _GNU_SOURCE
        #include <dirent.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/stat.h>
        #include <time.h>
        #include <unistd.h>
        struct target { int pid; dev_t dev; ino_t ino; int fd; int done; };
        static struct target targets[512];
        static int count;
        int main(int argc, char **argv) {
            if (argc < 3) return 2;
            int log = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            struct stat ignored[8];
            int nignored = 0;
            for (int i = 3; i < argc && nignored < 8; i++)
                if (stat(argv[i], &ignored[nignored]) == 0) nignored++;
            time_t end = time(NULL) + 600;
            while (time(NULL) < end && access(argv[2], F_OK) != 0) {
                DIR *proc = opendir("/proc");
                struct dirent *e;
                while (proc && (e = readdir(proc))) {
                    int pid = atoi(e->d_name);
                    if (pid <= 0 || pid == getpid()) continue;
                    char path[64];
                    snprintf(path, sizeof(path), "/proc/%d/exe", pid);
                    int fd = open(path, O_PATH | O_CLOEXEC);
                    if (fd < 0) continue;
                    struct stat st;
                    int known = fstat(fd, &st) != 0 || count >= 512;
                    for (int i = 0; i < nignored; i++)
                        if (ignored[i].st_dev == st.st_dev && ignored[i].st_ino == st.st_ino) known = 1;
                    for (int i = 0; i < count; i++)
                        if (targets[i].pid == pid && targets[i].dev == st.st_dev && targets[i].ino == st.st_ino) known = 1;
                    if (known) { close(fd); continue; }
                    char name[256] = "";
                    ssize_t n = readlink(path, name, sizeof(name) - 1);
                    if (n > 0) name[n] = 0;
                    dprintf(log, "found pid %d dev %lx ino %lu %s\n", pid, (unsigned long)st.st_dev, (unsigned long)st.st_ino, name);
                    targets[count++] = (struct target){pid, st.st_dev, st.st_ino, fd, 0};
                }
                if (proc) closedir(proc);
                usleep(1000);  // leave the CPU to the runtime (the v2 guest is emulated)
                for (int i = 0; i < count; i++) {
                    if (targets[i].done) continue;
                    char path[64];
                    snprintf(path, sizeof(path), "/proc/self/fd/%d", targets[i].fd);
                    int w = open(path, O_WRONLY | O_CLOEXEC);
                    if (w < 0) {
                        if (errno == ETXTBSY) continue;
                        dprintf(log, "refused open errno %d\n", errno);
                    } else {
                        ssize_t r = pwrite(w, "CVE-2019-5736", 13, 0);
                        if (r < 0) dprintf(log, "refused write errno %d\n", errno);
                        else dprintf(log, "WROTE %zd bytes\n", r);
                        close(w);
                    }
                    targets[i].done = 1;
                }
            }
            dprintf(log, "DONE %d targets\n", count);
            return 0;
        }
        """#

    /// `deny NR[,NR...] PROGRAM ARGS...`: runs PROGRAM with those syscalls failing with
    /// EPERM (fsopen is 430, as under Docker's default seccomp profile; memfd_create 319).
    static let denySource = #"""
        #include <errno.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/prctl.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            struct sock_filter filter[40];
            unsigned short n = 0;
            filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
            // "NR" denies the syscall; "NR:V" only when its second argument is V.
            for (char *p = argc > 1 ? argv[1] : ""; *p && n < 34; ) {
                long nr = strtol(p, &p, 10);
                if (*p == ':') {
                    long value = strtol(p + 1, &p, 10);
                    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 4);
                    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]));
                    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)value, 0, 1);
                    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
                    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
                } else {
                    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
                    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
                }
                if (*p == ',') p++;
            }
            filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
            struct sock_fprog program = {n, filter};
            if (argc < 3 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program)) {
                perror("deny");
                return 125;
            }
            execv(argv[2], argv + 2);
            perror("execv");
            return 127;
        }
        """#
}
