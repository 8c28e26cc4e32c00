import Foundation
import Testing

/// Hardening of the processes the runtime starts (issue 11, items 3, 4, 6, 7, 8), each
/// checked by doing the real thing: capabilities seen from inside, a `kill(0)` from the
/// container at the caller's process group, hostile config.json files, host fds and a
/// kernel without close_range, programs that fail after the init reported READY.
@Suite(Harness.enabled)
struct ProcessHardening {
    static let cc = Harness.which("cc")

    /// Compiles a static C program (as real exploits are) to `output`.
    static func compile(_ t: Sandbox, _ name: String, _ source: String, to output: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = t.dir + "/\(name).c"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let built = host(try #require(cc, sourceLocation: sourceLocation), ["-static", "-O2", "-o", output, file],
                         ioDirectory: t.dir + "/io", sourceLocation: sourceLocation)
        try #require(built.succeeded, "\(built)", sourceLocation: sourceLocation)
    }

    /// A host launcher for the runtime: `launcher [-n] [-f FD:PATH]... [-s] -- PROGRAM ARGS`.
    /// -f leaves PATH open at FD (no CLOEXEC), as a careless caller would; -n installs a
    /// seccomp filter making close_range fail with ENOSYS (a kernel before 5.9) for the
    /// runtime and everything it starts; -s makes a new process group holding a sentinel
    /// process and the runtime, waits for the runtime, then prints "sentinel alive" or
    /// "sentinel dead" and exits with the runtime's status.
    static let launcherSource = #"""
        #include <fcntl.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>
        #include <signal.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/prctl.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>
        #include <unistd.h>
        #include <errno.h>
        static void no_close_range(void) {
            struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
            if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) { perror("seccomp"); exit(99); }
            if (syscall(SYS_close_range, 100, 200, 0) != -1 || errno != ENOSYS) { fprintf(stderr, "filter inactive\n"); exit(99); }
        }
        int main(int argc, char **argv) {
            int i = 1, sentinel_mode = 0;
            for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (!strcmp(argv[i], "-n")) no_close_range();
                else if (!strcmp(argv[i], "-s")) sentinel_mode = 1;
                else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
                    int fd = atoi(argv[++i]);
                    const char *path = strchr(argv[i], ':') + 1;
                    int opened = open(path, O_RDONLY);
                    if (opened < 0 || dup2(opened, fd) != fd) { perror(path); return 99; }
                    if (opened != fd) close(opened);
                }
            }
            if (i + 1 >= argc) return 98;
            char **program = argv + i + 1;
            if (!sentinel_mode) { execv(program[0], program); perror("execv"); return 97; }
            if (setpgid(0, 0) != 0) { perror("setpgid"); return 96; }
            pid_t sentinel = fork();
            if (sentinel == 0) { for (;;) pause(); }
            pid_t runtime = fork();
            if (runtime == 0) { execv(program[0], program); _exit(97); }
            int status;
            while (waitpid(runtime, &status, 0) < 0) {}
            int dead = waitpid(sentinel, &(int){0}, WNOHANG) == sentinel;
            printf("sentinel %s\n", dead ? "dead" : "alive");
            kill(sentinel, SIGKILL);
            waitpid(sentinel, &(int){0}, 0);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        """#

    static func launcher(_ t: Sandbox) throws -> String {
        let path = t.dir + "/launcher"
        try compile(t, "launcher", launcherSource, to: path)
        return path
    }

    // MARK: 3. exec --cap (CVE-2022-29162)

    @Test("exec --cap adds to bounding, effective and permitted, never to inheritable or (without it) ambient")
    func execCapNotInheritable() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"], hint: "cap")
        let bit: UInt64 = 1 << 18  // CAP_SYS_CHROOT
        func caps(_ extra: [String]) throws -> [String: UInt64] {
            let result = t.runtime(["exec", "--cap", "CAP_SYS_CHROOT"] + extra + [id, "grep", "^Cap", "/proc/self/status"])
            try #require(result.status == 0, "\(result)")
            var sets: [String: UInt64] = [:]
            for line in result.lines {
                let parts = line.split(separator: ":")
                if parts.count == 2 { sets[String(parts[0])] = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16) }
            }
            return sets
        }
        let root = try caps([])
        #expect(root["CapInh"].map { $0 & bit } == 0, "never inheritable: \(root)")
        #expect(root["CapAmb"].map { $0 & bit } == 0, "not ambient (not inheritable): \(root)")
        for set in ["CapBnd", "CapEff", "CapPrm"] {
            #expect(root[set].map { $0 & bit } == bit, "\(set) has it: \(root)")
        }
        // A non-root user keeps nothing across its execve without inheritable/ambient: the
        // capability cannot pass on to a program with file capabilities (the CVE).
        let user = try caps(["--user", "1000:1000"])
        #expect(user["CapInh"] == 0 && user["CapAmb"] == 0 && user["CapPrm"] == 0, "\(user)")
        #expect(user["CapBnd"].map { $0 & bit } == bit, "\(user)")
    }

    // MARK: 4. sessions

    static let groupKillerSource = #"""
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <fcntl.h>
        #include <unistd.h>
        int main(void) {
            char buf[1024] = {0};
            int fd = open("/proc/self/stat", O_RDONLY);
            read(fd, buf, sizeof(buf) - 1);
            long pid, ppid, pgrp, session;
            char *p = strrchr(buf, ')');
            sscanf(p + 2, "%*c %ld %ld %ld", &ppid, &pgrp, &session);
            pid = getpid();
            printf("pid=%ld pgid=%ld sid=%ld\n", pid, pgrp, session);
            fflush(stdout);
            signal(SIGTERM, SIG_IGN);
            kill(0, SIGTERM);
            if (pgrp > 0) kill(-pgrp, SIGTERM);
            return 0;
        }
        """#

    /// The config without a pid namespace, so the caller's process group has a number the
    /// container can name (and kill(0) is not limited by a namespace either way).
    static func hostPidNamespace(_ t: Sandbox) throws {
        try t.editNamespaces { $0.filter { $0["type"] as? String != "pid" } }
    }

    @Test("exec without a terminal: the process is in its own session; kill(0) and kill(-pgid) from it spare the caller's process group",
          .enabled(if: cc != nil, "needs cc (static attacker and launcher programs)"))
    func execOwnSession() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.compile(t, "groupkill", Self.groupKillerSource, to: t.rootfs + "/bin/groupkill")
        try Self.hostPidNamespace(t)
        let id = try t.runDetached(["sleep", "100"], hint: "sess")
        let launcher = try Self.launcher(t)
        let result = host(launcher, ["-s", "--", Harness.binary, "--root", t.root, "exec", id, "/bin/groupkill"],
                          ioDirectory: t.dir + "/io")
        #expect(result.stdout.contains("sentinel alive"), "\(result)")
        #expect(result.status == 0, "the caller survived too: \(result)")
        let ids = result.lines.first { $0.hasPrefix("pid=") }.map { line in
            line.split(separator: " ").compactMap { $0.split(separator: "=").last.flatMap { Int($0) } }
        } ?? []
        #expect(ids.count == 3 && ids[0] == ids[1] && ids[0] == ids[2], "session and group leader: \(result)")
    }

    @Test("run in the foreground: the init is in its own session; kill(0) from it spares the caller's group",
          .enabled(if: cc != nil, "needs cc (static attacker and launcher programs)"))
    func runOwnSession() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.compile(t, "groupkill", Self.groupKillerSource, to: t.rootfs + "/bin/groupkill")
        try Self.hostPidNamespace(t)
        try t.setArgs(["/bin/groupkill"])
        let launcher = try Self.launcher(t)
        let result = host(launcher, ["-s", "--", Harness.binary, "--root", t.root, "run", "-b", t.bundle, t.newID("sess")],
                          ioDirectory: t.dir + "/io")
        #expect(result.stdout.contains("sentinel alive"), "\(result)")
        #expect(result.status == 0, "\(result)")
    }

    // MARK: 6. config.json read safely

    /// Replaces config.json by `make` and expects one clear error naming it, and no state.
    static func expectUnreadable(_ t: Sandbox, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                                 _ make: (String) throws -> Void) throws {
        try? FileManager.default.removeItem(atPath: t.configPath)
        try make(t.configPath)
        let id = t.newID("cfg")
        let result = t.runtime(["create", "--bundle", t.bundle, id], timeout: 30, sourceLocation: sourceLocation)
        #expect(!result.timedOut && result.status != 0 && result.status < 128, "\(what): fails, no crash: \(result)",
                sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && result.stderr.contains(t.configPath), "\(what): one line naming the path: \(result)",
                sourceLocation: sourceLocation)
        #expect(!t.hasStateDir(id), "\(what): no state left", sourceLocation: sourceLocation)
    }

    @Test("config.json that is /dev/zero, a FIFO, a directory or a 100 MB sparse file: one error line naming it, at once",
          .disabled(if: Harness.isRunc, "runc 1.1.5 waits forever on a FIFO config.json and names no path for /dev/zero or a sparse file (\"invalid character '\\x00'\")"))
    func configNotRegularOrHuge() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.expectUnreadable(t, "symlink to /dev/zero") { try FileManager.default.createSymbolicLink(atPath: $0, withDestinationPath: "/dev/zero") }
        // Nobody ever writes to it: a reader that waits would hang (the harness kills it).
        try Self.expectUnreadable(t, "FIFO") { path in
            guard mkfifo(path, 0o644) == 0 else { throw HarnessError.setup("mkfifo: \(errno)") }
        }
        try Self.expectUnreadable(t, "directory") { try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: false) }
        try Self.expectUnreadable(t, "100 MB sparse file", { path in
            guard FileManager.default.createFile(atPath: path, contents: nil), truncate(path, 100 << 20) == 0 else {
                throw HarnessError.setup("truncate: \(errno)")
            }
        })
        try? FileManager.default.removeItem(atPath: t.configPath)
        #expect(t.listedIDs().isEmpty)
    }

    @Test("exec --process and update -r refuse a FIFO or /dev/zero with one line naming it",
          .disabled(if: Harness.isRunc, "runc 1.1.5 waits forever on a FIFO --process or -r file and names no path for /dev/zero"))
    func processAndResourcesFiles() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let id = try t.runDetached(["sleep", "100"], hint: "doc")
        let fifo = t.dir + "/fifo.json"
        guard mkfifo(fifo, 0o644) == 0 else { throw HarnessError.setup("mkfifo: \(errno)") }
        let zero = t.dir + "/zero.json"
        try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
        for file in [fifo, zero] {
            for args in [["exec", "--process", file, id], ["update", "-r", file, id]] {
                let result = t.runtime(args, timeout: 30)
                #expect(!result.timedOut && result.status != 0 && !(129...192).contains(result.status), "fails, no signal death: \(result)")
                #expect(result.stderr.contains(file), "names the file: \(result)")
            }
        }
    }

    @Test("the rootfs's /etc/passwd (read for HOME) is resolved inside the rootfs and must be a regular file",
          .disabled(if: Harness.isRunc, "runc 1.1.5 reads it in the container's init: it fails the container on the dangling link and blocks forever on a FIFO"))
    func passwdInRootfs() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let hostPasswd = t.dir + "/host-passwd"
        try "user:x:1000:1000::/host-secret-home:/bin/sh\n".write(toFile: hostPasswd, atomically: true, encoding: .utf8)
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000])
        try t.removeConfig("process.env")
        try FileManager.default.removeItem(atPath: t.rootfs + "/etc/passwd")
        // An absolute symlink: followed on the host it would name the host's file.
        try FileManager.default.createSymbolicLink(atPath: t.rootfs + "/etc/passwd", withDestinationPath: hostPasswd)
        let home = try t.run(["sh", "-c", "echo HOME=$HOME"])
        #expect(home.status == 0 && !home.stdout.contains("host-secret-home"), "\(home)")
        try FileManager.default.removeItem(atPath: t.rootfs + "/etc/passwd")
        let fifo = t.rootfs + "/etc/passwd"
        guard mkfifo(fifo, 0o644) == 0 else { throw HarnessError.setup("mkfifo: \(errno)") }
        let blocked = try t.run(["sh", "-c", "echo HOME=$HOME"])
        #expect(!blocked.timedOut && blocked.status == 0 && blocked.stdout.contains("HOME=/"), "a FIFO does not block: \(blocked)")
    }

    // MARK: 7. host fds

    static func fdListing(_ lines: [String], secret: String) -> [String] {
        lines.filter { $0.contains(secret) }
    }

    @Test("no host fd reaches the container, with close_range and without it (seccomp ENOSYS, as before 5.9)",
          .enabled(if: cc != nil, "needs cc (static attacker and launcher programs)"))
    func noHostFdInContainer() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let secret = t.dir + "/host-secret"
        try "secret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let passed = t.dir + "/passed"
        try "passed\n".write(toFile: passed, atomically: true, encoding: .utf8)
        let launcher = try Self.launcher(t)
        try t.setArgs(["ls", "-l", "/proc/self/fd/"])
        for forceFallback in [false, true] {
            let flags = (forceFallback ? ["-n"] : []) + ["-f", "3:\(passed)", "-f", "7:\(secret)", "-f", "19:\(secret)", "-f", "1000:\(secret)"]
            let run = host(launcher, flags + ["--", Harness.binary, "--root", t.root, "run", "--preserve-fds", "1",
                                              "-b", t.bundle, t.newID("fds")], ioDirectory: t.dir + "/io")
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("passed"), "the preserved fd 3 is there: \(run)")
            #expect(Self.fdListing(run.lines, secret: "host-secret").isEmpty, "fallback \(forceFallback): \(run)")
        }
        let id = try t.runDetached(["sleep", "100"], hint: "fdx")
        for forceFallback in [false, true] {
            let flags = (forceFallback ? ["-n"] : []) + ["-f", "9:\(secret)", "-f", "300:\(secret)"]
            let exec = host(launcher, flags + ["--", Harness.binary, "--root", t.root, "exec", id, "ls", "-l", "/proc/self/fd/"],
                            ioDirectory: t.dir + "/io")
            #expect(exec.status == 0, "\(exec)")
            #expect(Self.fdListing(exec.lines, secret: "host-secret").isEmpty, "exec, fallback \(forceFallback): \(exec)")
        }
    }

    /// Writes the numbers of its open fds (without the one listing them) to argv[1].
    static let fdListSource = #"""
        #include <dirent.h>
        #include <stdio.h>
        #include <string.h>
        int main(int argc, char **argv) {
            DIR *d = opendir("/proc/self/fd");
            if (!d || argc < 2) return 2;
            char out[4096] = "";
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                int fd;
                if (sscanf(e->d_name, "%d", &fd) != 1 || fd == dirfd(d)) continue;
                if (out[0]) strcat(out, " ");
                strncat(out, e->d_name, 16);
            }
            FILE *f = fopen(argv[1], "we");
            if (!f) return 3;
            fputs(out, f);
            return fclose(f) == 0 ? 0 : 4;
        }
        """#

    @Test("hooks get the state on stdin, stdout and stderr, and no other fd (caller's, preserved, console, sync)",
          .enabled(if: cc != nil, "needs cc (static attacker and launcher programs)"))
    func hooksGetNoHostFds() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let secret = t.dir + "/host-secret"
        try "secret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let launcher = try Self.launcher(t)
        let out = t.dir + "/hook-fds"
        let fdlist = t.dir + "/fdlist"
        try Self.compile(t, "fdlist", Self.fdListSource, to: fdlist)
        func hook(_ name: String) -> [String: Any] { ["path": fdlist, "args": ["fdlist", "\(out)-\(name)"]] }
        try t.setConfig("hooks", ["prestart": [hook("prestart")], "createRuntime": [hook("createRuntime")],
                                  "createContainer": [hook("createContainer")],
                                  "poststart": [hook("poststart")], "poststop": [hook("poststop")]])
        try t.setArgs(["true"])
        for forceFallback in [false, true] {
            let flags = (forceFallback ? ["-n"] : []) + ["-f", "3:\(secret)", "-f", "8:\(secret)", "-f", "500:\(secret)"]
            let run = host(launcher, flags + ["--", Harness.binary, "--root", t.root, "run", "--preserve-fds", "1",
                                              "-b", t.bundle, t.newID("hookfd")], ioDirectory: t.dir + "/io")
            #expect(run.status == 0, "\(run)")
            // runc 1.1.5 is not protected for createContainer: its init runs those hooks
            // with its own fds (the preserved ones, the init pipe, the fifo), "0 1 2 3 4 5 6".
            let phases = ["prestart", "createRuntime", "poststart", "poststop"] + (Harness.isRunc ? [] : ["createContainer"])
            for name in phases {
                let listed = (try? String(contentsOfFile: "\(out)-\(name)", encoding: .utf8)) ?? "(missing)"
                #expect(listed.trimmingCharacters(in: .whitespaces) == "0 1 2", "\(name), fallback \(forceFallback): \(listed)")
                try? FileManager.default.removeItem(atPath: "\(out)-\(name)")
            }
        }
    }

    // MARK: 8. errors after READY

    static func writeScripts(_ t: Sandbox) throws {
        try "#!/nonexistent\necho never\n".write(toFile: t.rootfs + "/noint.sh", atomically: true, encoding: .utf8)
        chmod(t.rootfs + "/noint.sh", 0o755)
        // An interpreter that exists but may not be executed: execve fails with EACCES.
        try "#!/bin/sh\n".write(toFile: t.rootfs + "/noexec-interp", atomically: true, encoding: .utf8)
        chmod(t.rootfs + "/noexec-interp", 0o644)
        try "#!/noexec-interp\necho never\n".write(toFile: t.rootfs + "/badint.sh", atomically: true, encoding: .utf8)
        chmod(t.rootfs + "/badint.sh", 0o755)
    }

    @Test("run: a script whose interpreter is missing (or not executable) says so on the container's stderr; 127 (126)")
    func runMissingInterpreter() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.writeScripts(t)
        for (script, text, code) in [("/noint.sh", "no such file or directory", Int32(127)), ("/badint.sh", "permission denied", 126)] {
            let result = try t.run([script])
            #expect(result.stderr.contains("exec \(script): \(text)"), "\(result)")
            // runc 1.1.5's init exits 1 here; Petrel exits like a shell (127, 126).
            #expect(Harness.isRunc ? result.status != 0 : result.status == code, "\(result)")
        }
    }

    @Test("create + start: the exec failure after the fifo reaches the container's stderr, and start reports it")
    func startMissingInterpreter() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.writeScripts(t)
        try t.setArgs(["/noint.sh"])
        let id = t.newID("late")
        let containerErr = t.dir + "/container.err"
        // The init keeps create's stderr: a file that outlives the create command.
        let create = host("/bin/sh", ["-c", "exec \"$0\" --root \"$1\" create -b \"$2\" \"$3\" 2>\"$4\"",
                                      Harness.binary, t.root, t.bundle, id, containerErr], ioDirectory: t.dir + "/io")
        try #require(create.succeeded, "\(create)")
        let start = t.runtime(["start", id])
        #expect(t.waitForStatus(id, "stopped"))
        let written = (try? String(contentsOfFile: containerErr, encoding: .utf8)) ?? ""
        #expect(written.contains("exec /noint.sh: no such file or directory"), "container stderr: \(written.debugDescription)")
        if !Harness.isRunc {
            // runc 1.1.5's start returns 0 before the init's execve.
            #expect(start.status != 0 && start.stderr.contains("exec /noint.sh: no such file or directory"), "\(start)")
        }
    }

    @Test("exec of a script whose interpreter is missing: the message names it; 127 in the foreground, an error detached")
    func execMissingInterpreter() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.writeScripts(t)
        let id = try t.runDetached(["sleep", "100"], hint: "xl")
        for (script, text, code) in [("/noint.sh", "no such file or directory", Int32(127)), ("/badint.sh", "permission denied", 126)] {
            let result = t.runtime(["exec", id, script])
            #expect(result.stderr.contains("exec \(script): \(text)"), "\(result)")
            // runc 1.1.5 exits 1 when the exec'd process fails to execve.
            #expect(Harness.isRunc ? result.status != 0 : result.status == code, "\(result)")
            let detached = t.runtime(["exec", "-d", id, script])
            #expect(detached.stderr.contains("exec \(script): \(text)"), "\(detached)")
            if !Harness.isRunc {
                // runc 1.1.5 prints it but exits 0.
                #expect(detached.status != 0, "\(detached)")
            }
        }
        #expect(t.status(id) == "running")
    }
}
