import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// NOTIFY_SOCKET (sd_notify) passed through as runc does. When the runtime runs with
/// NOTIFY_SOCKET set (a systemd unit of Type=notify), the container gets a socket of its
/// own: `ROOT/ID/notify/notify.sock`, bind-mounted read-only at /run/notify, with
/// NOTIFY_SOCKET=/run/notify/notify.sock in its env. `start` listens on it and forwards
/// the container's READY=1 (plus MAINPID=<init>) to the runtime's socket, returning once
/// that happened or the init exited.
struct NotifySocket {
    static let containerDirectory = "/run/notify"
    static let socketName = "notify.sock"

    /// The runtime's own NOTIFY_SOCKET.
    let host: String
    /// ROOT/ID/notify on the host.
    let directory: String
    var socketPath: String { directory + "/" + Self.socketName }

    static func fromEnvironment(stateDirectory: String) -> NotifySocket? {
        guard let value = getenv("NOTIFY_SOCKET") else { return nil }
        let host = String(cString: value)
        guard !host.isEmpty else { return nil }
        return NotifySocket(host: host, directory: stateDirectory + "/notify")
    }

    /// The mount and env the container needs (config.json is not changed on disk).
    func configure(_ spec: inout Spec) {
        var mounts = spec.mounts ?? []
        mounts.append(Mount(destination: Self.containerDirectory, type: "bind", source: directory,
                            options: ["bind", "nosuid", "noexec", "nodev", "ro"]))
        spec.mounts = mounts
        let env = spec.process?.env ?? []
        spec.process?.env = env + ["NOTIFY_SOCKET=\(Self.containerDirectory)/\(Self.socketName)"]
    }

    func makeDirectory() throws(RuntimeError) {
        try FileSystem.makeDirectories(directory, mode: 0o755)
    }

    /// Bound before the program starts, so its first message is not lost; any user may send.
    func bind() throws(RuntimeError) -> Int32 {
        let fd = petrel_unixgram_bind(socketPath)
        guard fd >= 0 else { throw RuntimeError.sys("cannot listen on the notify socket", "bind", path: socketPath) }
        chmod(socketPath, 0o777)
        return fd
    }

    /// Waits for READY= from the container and forwards it with MAINPID, like runc; for at
    /// most the setup timeout (runc waits forever), then fails naming the wait.
    func forwardReady(_ fd: Int32, initPid: Int32, isAlive: () -> Bool) throws(RuntimeError) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        SetupTimeout.configure()
        let deadline = Clock.monotonicSeconds() + Double(SetupTimeout.seconds)
        while true {
            let ready = petrel_wait_readable(fd, 100)
            if ready == 0 {
                if !isAlive() { return }
                if Clock.monotonicSeconds() >= deadline {
                    throw RuntimeError("cannot start container: " + SetupTimeout.message(waitingFor: "READY= on the notify socket \(socketPath)"))
                }
                continue
            }
            if ready < 0 { throw RuntimeError.sys("cannot wait on the notify socket", "poll", path: socketPath) }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("READY=") }) else { continue }
            for message in [String(line) + "\n", "MAINPID=\(initPid)"] {
                let bytes = Array(message.utf8)
                guard petrel_unixgram_send(host, bytes, bytes.count) == 0 else {
                    throw RuntimeError.sys("cannot notify the runtime's NOTIFY_SOCKET", "sendto", path: host)
                }
            }
            return
        }
    }
}
