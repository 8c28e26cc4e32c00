import ConformanceKit
import Glibc

/// config.md "Process", "POSIX process", "Linux Process", "User"; runtime-linux.md
/// "File descriptors".
extension Checker {
    mutating func checkDescriptors() {
        report.equal("fds", "open file descriptors at start (runtime-linux.md: only stdio kept open)",
                     descriptorsAtStart, [0, 1, 2])
    }

    mutating func checkArgs() {
        report.equal("args", "argv", CommandLine.arguments, process["args"].strings)
    }

    mutating func checkEnv() {
        let environment = Set(System.environment())
        for entry in process["env"].strings {
            report.expect("env", environment.contains(entry), "environment has \(entry)")
        }
    }

    mutating func checkCwd() {
        let expected = process["cwd"].string ?? "/"
        report.equal("cwd", "working directory", System.currentDirectory() ?? "?", expected)
    }

    mutating func checkUser() {
        let user = process["user"]
        let uid = UInt32(user["uid"].int ?? 0)
        let gid = UInt32(user["gid"].int ?? 0)
        report.equal("user", "real and effective uid", [getuid(), geteuid()], [uid, uid])
        report.equal("user", "real and effective gid", [getgid(), getegid()], [gid, gid])
        let groups = Set(System.groups())
        let additional = Set(user["additionalGids"].array?.compactMap { $0.int.map { UInt32($0) } } ?? [])
        report.expect("user", additional.isSubset(of: groups),
                      "supplementary groups \(groups.sorted()) include additionalGids \(additional.sorted())")
        report.expect("user", groups.isSubset(of: additional.union([gid])),
                      "supplementary groups \(groups.sorted()) are only additionalGids \(additional.sorted()) (and gid \(gid))")
    }

    mutating func checkUmask() {
        guard let umask = process["user"]["umask"].int else {
            report.skip("umask", "process.user.umask not set")
            return
        }
        let seen = System.status("Umask").flatMap { Int($0, radix: 8) } ?? -1
        report.equal("umask", "umask (octal)", String(seen, radix: 8), String(umask, radix: 8))
    }

    /// What capabilities(7) says the sets become across the execve of the checker (a file
    /// with no capabilities and no set-id bits): root gets bounding | inheritable | ambient
    /// as permitted and effective (limited to the old permitted set under no_new_privs);
    /// any other user keeps only the ambient set as permitted and effective.
    mutating func checkCapabilities() {
        let caps = process["capabilities"]
        guard caps.object != nil else {
            report.skip("capabilities", "process.capabilities not set")
            return
        }
        let bounding = Capability.mask(caps["bounding"].strings)
        let inheritable = Capability.mask(caps["inheritable"].strings)
        let permitted = Capability.mask(caps["permitted"].strings)
        let ambient = Capability.mask(caps["ambient"].strings)
        let noNewPrivileges = process["noNewPrivileges"].bool ?? false
        var expectedPermitted = ambient
        if geteuid() == 0 {
            expectedPermitted = bounding | inheritable | ambient
            if noNewPrivileges { expectedPermitted &= permitted | ambient }
        }
        let expected: [(String, UInt64)] = [
            ("CapBnd", bounding), ("CapInh", inheritable), ("CapPrm", expectedPermitted),
            ("CapEff", expectedPermitted), ("CapAmb", ambient),
        ]
        for (field, mask) in expected {
            let seen = System.status(field).flatMap { UInt64($0, radix: 16) } ?? UInt64.max
            report.expect("capabilities", seen == mask,
                          "\(field): expected \(Capability.list(mask)), got \(Capability.list(seen))")
        }
    }

    static let rlimitNumbers: [String: UInt32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    mutating func checkRlimits() {
        let limits = process["rlimits"].array ?? []
        if limits.isEmpty { report.skip("rlimits", "process.rlimits not set") }
        for limit in limits {
            let type = limit["type"].string ?? "?"
            guard let number = Checker.rlimitNumbers[type] else {
                report.fail("rlimits", "unknown rlimit \(type) in config")
                continue
            }
            var value = rlimit()
            guard getrlimit(__rlimit_resource_t(number), &value) == 0 else {
                report.fail("rlimits", "getrlimit(\(type)): \(errnoName(errno))")
                continue
            }
            report.equal("rlimits", "\(type) soft", UInt64(value.rlim_cur), limit["soft"].uint64 ?? 0)
            report.equal("rlimits", "\(type) hard", UInt64(value.rlim_max), limit["hard"].uint64 ?? 0)
        }
    }

    mutating func checkNoNewPrivileges() {
        let expected = (process["noNewPrivileges"].bool ?? false) ? "1" : "0"
        report.equal("no-new-privileges", "NoNewPrivs", System.status("NoNewPrivs") ?? "?", expected)
    }

    /// process.terminal: stdio is the pty slave, and /dev/console is that same pty.
    mutating func checkTerminal() {
        guard process["terminal"].bool == true else {
            report.skip("terminal", "process.terminal not set")
            return
        }
        report.equal("terminal", "isatty(0), isatty(1), isatty(2)", [isatty(0), isatty(1), isatty(2)], [1, 1, 1])
        var stdin = stat()
        fstat(0, &stdin)
        guard let console = System.statOf("/dev/console") else {
            report.fail("terminal", "/dev/console missing (config-linux.md Default Devices: set up when terminal is enabled)")
            return
        }
        report.expect("terminal", console.st_mode & S_IFMT == S_IFCHR && console.st_rdev == stdin.st_rdev,
                      "/dev/console is the container's pty (\(System.major(UInt64(stdin.st_rdev))):\(System.minor(UInt64(stdin.st_rdev)))), got \(System.major(UInt64(console.st_rdev))):\(System.minor(UInt64(console.st_rdev)))")
    }

    mutating func checkOomScoreAdj() {
        let seen = readTrimmed("/proc/self/oom_score_adj").flatMap { Int($0) } ?? Int.min
        if let value = process["oomScoreAdj"].int {
            report.equal("oom-score-adj", "oom_score_adj (set)", seen, value)
        } else {
            let runtime = expect["runtimeOomScoreAdj"].int ?? 0
            report.equal("oom-score-adj", "oom_score_adj (unset: the runtime's own)", seen, runtime)
        }
    }
}
