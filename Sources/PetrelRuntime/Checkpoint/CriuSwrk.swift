import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// One conversation with `criu swrk`: CRIU as a child process serving RPC requests on one end
/// of a SOCK_SEQPACKET socketpair (each message one packet), as runc drives it. No output is
/// parsed: requests and answers are criu_req/criu_resp, and failures are read from the log
/// CRIU writes into the work directory.
struct CriuSwrk {
    /// `criu` looked up in PATH (CRIU_PATH would be runc's --criu; petrel has one place).
    static func executable() throws(RuntimeError) -> String {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = String(directory) + "/criu"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw RuntimeError("criu not found in PATH (\(path)): checkpoint/restore needs CRIU (Debian: apt-get install criu)")
    }

    /// A notify message: the script name CRIU runs at that point ("setup-namespaces",
    /// "post-restore", "orphan-pts-master", ...), the pid it concerns and the fd it carries.
    struct Notification {
        var script: String
        var pid: Int32?
        /// Owned by the handler (closed after it returns).
        var fd: Int32
    }

    /// How CRIU is started besides the socket.
    struct Launch {
        /// Our stdio instead of /dev/null (restore: the restored init's pipes are inherited
        /// through CRIU's own fds 0-2, named in inherit_fd).
        var stdio = false
        /// Passed as CRIU's fds 4, 5, ... (inherit_fd entries name those numbers).
        var extraFds: [Int32] = []
        /// Runs after CRIU started and before the request is sent (restore: CRIU into the
        /// container's cgroup, whose paths then go into the request).
        var prepare: ((pid_t, inout CriuRequest) throws(RuntimeError) -> Void)?
    }

    /// Sends `request` to a new `criu swrk`, answers every notify message with
    /// `handleNotify` (then notify_success), and returns CRIU's final response.
    /// CRIU exits after answering; it is reaped before this returns.
    static func call(
        _ request: CriuRequest, launch: Launch = Launch(),
        handleNotify: (Notification) throws(RuntimeError) -> Void = { _ throws(RuntimeError) in }
    ) throws(RuntimeError) -> CriuResponse {
        let criu = try executable()
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw RuntimeError.sys("cannot talk to criu", "socketpair")
        }
        let ours = pair[0]
        let theirs = pair[1]
        let pid: pid_t
        do {
            pid = try spawn(criu, socket: theirs, launch: launch)
        } catch {
            close(ours)
            close(theirs)
            throw error
        }
        close(theirs)
        // Closed before the wait: after a PRE_DUMP CRIU waits for the next request until the
        // socket closes.
        defer {
            close(ours)
            reap(pid)
        }
        var message = request
        if let prepare = launch.prepare { try prepare(pid, &message) }
        while true {
            try send(ours, message.encoded())
            let (response, fd) = try receive(ours, criu: criu)
            guard response.type == CriuRequestType.notify.rawValue else {
                if fd >= 0 { close(fd) }
                return response
            }
            defer { if fd >= 0 { close(fd) } }
            try handleNotify(Notification(script: response.notifyScript ?? "", pid: response.notifyPid, fd: fd))
            message = CriuRequest(type: .notify, notifySuccess: true)
        }
    }

    /// posix_spawn (no fork of this process): the socket becomes CRIU's fd 3, everything else
    /// is closed, stdio is /dev/null (as runc's dump: what CRIU has to say is in its log, and
    /// it complains on stderr when a PRE_DUMP's socket closes without a next request).
    private static func spawn(_ criu: String, socket: Int32, launch: Launch) throws(RuntimeError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Every fd moved above the targets first (dup2 onto itself would keep FD_CLOEXEC, and
        // a source could be another one's target).
        var sources: [Int32] = []
        defer { for fd in sources { close(fd) } }
        for fd in [socket] + launch.extraFds {
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 100)
            guard moved >= 0 else { throw RuntimeError.sys("cannot run \(criu)", "fcntl(F_DUPFD_CLOEXEC)") }
            sources.append(moved)
        }
        if !launch.stdio {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        for (index, fd) in sources.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, Int32(3 + index))
        }
        let closing = petrel_spawn_actions_closefrom(&actions, Int32(3 + sources.count))
        guard closing == 0 else { throw RuntimeError("cannot run \(criu)", syscall: "posix_spawn_file_actions_addclosefrom_np", errno: closing) }
        let arguments = [criu, "swrk", "3"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, criu, &actions, nil, &argv, environ)
        guard spawned == 0 else { throw RuntimeError("cannot run \(criu)", syscall: "posix_spawn", path: criu, errno: spawned) }
        return pid
    }

    private static func send(_ socket: Int32, _ bytes: [UInt8]) throws(RuntimeError) {
        while true {
            let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent == bytes.count { return }
            if sent < 0 && errno == EINTR { continue }
            throw RuntimeError.sys("cannot send a request to criu swrk", "send")
        }
    }

    /// One answer and the fd it carries (-1: none).
    private static func receive(_ socket: Int32, criu: String) throws(RuntimeError) -> (CriuResponse, Int32) {
        // CRIU's responses are small; a larger packet is an error (EMSGSIZE), not cut short.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fd: Int32 = -1
        let count = buffer.withUnsafeMutableBytes { petrel_recv_packet(socket, $0.baseAddress, $0.count, &fd) }
        guard count >= 0 else { throw RuntimeError.sys("cannot read criu swrk's answer", "recvmsg") }
        guard count > 0 else { throw RuntimeError("\(criu) swrk exited without answering") }
        do {
            return (try CriuResponse(decoding: buffer[0..<count]), fd)
        } catch {
            if fd >= 0 { close(fd) }
            throw RuntimeError("criu swrk's answer is not a criu_resp message (\(count) bytes)")
        }
    }

    private static func reap(_ pid: pid_t) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
