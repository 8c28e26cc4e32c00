import ConformanceKit
import FoundationEssentials
import Glibc

/// The result of a finished command.
struct CommandResult {
    var argv: [String]
    /// Exit status, 128+N when killed by signal N, -1 when it timed out (and was killed).
    var status: Int32
    var stdout: String
    var stderr: String

    var succeeded: Bool { status == 0 }
    var timedOut: Bool { status == -1 }

    /// A one-line account for TAP diagnostics.
    var summary: String {
        let err = stderr.lines.last.map { ": \($0)" } ?? ""
        let shown = argv.count > 6 ? argv.prefix(6).joined(separator: " ") + " ..." : argv.joined(separator: " ")
        return "`\(shown)` exited \(timedOut ? "by timeout" : String(status))\(err)"
    }
}

/// Runs child processes with stdin from /dev/null and stdout/stderr to files: a detached
/// container keeps the runtime's stdio open, so pipes would never reach end of file.
struct CommandRunner {
    var scratch: String
    var timeout: Double
    var environment: [String]
    private var counter = 0

    init(scratch: String, timeout: Double, environment: [String]) {
        self.scratch = scratch
        self.timeout = timeout
        self.environment = environment
    }

    mutating func run(_ argv: [String], stdoutPath: String? = nil, timeout: Double? = nil) -> CommandResult {
        counter += 1
        let outPath = stdoutPath ?? "\(scratch)/cmd-\(counter).out"
        let errPath = "\(scratch)/cmd-\(counter).err"
        guard let pid = spawn(argv, stdout: outPath, stderr: errPath) else {
            return CommandResult(argv: argv, status: 127, stdout: "", stderr: "spawn \(argv[0]): \(errnoName(errno))")
        }
        let status = wait(pid, timeout: timeout ?? self.timeout)
        let result = CommandResult(
            argv: argv, status: status, stdout: (try? readText(outPath)) ?? "", stderr: (try? readText(errPath)) ?? "")
        if stdoutPath == nil { unlink(outPath) }
        unlink(errPath)
        return result
    }

    /// Starts a process that outlives this call (a namespace holder); the caller kills it by pid.
    mutating func start(_ argv: [String], stderr: String? = nil) -> pid_t? {
        counter += 1
        return spawn(argv, stdout: "/dev/null", stderr: stderr ?? "\(scratch)/bg-\(counter).err")
    }

    private func spawn(_ argv: [String], stdout: String, stderr: String) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with default signal handling and an empty mask, as from a shell.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let code = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        if code != 0 {
            errno = code
            return nil
        }
        return pid
    }

    /// Waits for a process from `start` (killed after `timeout`); its status as `run` gives it.
    func finish(_ pid: pid_t, timeout: Double) -> Int32 {
        wait(pid, timeout: timeout)
    }

    /// Waits for `pid`, killing it after `timeout` seconds.
    private func wait(_ pid: pid_t, timeout: Double) -> Int32 {
        let deadline = Clock.now + timeout
        var status: Int32 = 0
        var delay: UInt32 = 1000
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { return 127 }
            if Clock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return -1
            }
            usleep(delay)
            delay = min(delay * 2, 20_000)
        }
        let low = status & 0x7f
        if low == 0 { return (status >> 8) & 0xff }
        return 128 + low
    }
}

enum Clock {
    /// Monotonic seconds.
    static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func sleep(_ seconds: Double) {
        usleep(UInt32(seconds * 1_000_000))
    }
}
