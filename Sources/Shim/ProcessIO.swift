import CExecutor
import CShim
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

/// A process's stdio as containerd hands it over: FIFO paths (plain or `fifo://`), or
/// `file:///path` (both streams appended to one file), or `binary:///path?k=v` (a logging
/// program reading fd 3 and 4), or a terminal. The process never gets a host fd: it gets pipe
/// ends (or /dev/null, or a pty slave) and the shim copies, as containerd's runc shim does.
final class ProcessIO {
    struct Paths: Sendable {
        var stdin = ""
        var stdout = ""
        var stderr = ""
        var terminal = false
    }

    let paths: Paths
    private unowned let loop: EventLoop
    /// The ends the process gets as fds 0, 1, 2 (nil with a terminal); closed once it runs.
    private(set) var childStdio: [Int32]?
    /// One end of a socketpair for the runtime's console socket (terminal mode).
    private(set) var consoleSocket: Int32 = -1
    private var consoleReceiver: Int32 = -1
    private var master: Int32 = -1
    private var outputPumps: [Pump] = []
    private var stdinPump: Pump?
    /// The stdin FIFO's source end before the process exists (terminal: until the master arrives).
    private var pendingStdin: Int32 = -1
    /// A write end of the stdin FIFO held by the shim until CloseIO: the process must not read
    /// EOF because the client that wrote went away (ctr killed, containerd restarting), only
    /// once containerd says stdin is done.
    private var stdinHold: Int32 = -1
    private var outputSinks: [Int32] = []

    init(loop: EventLoop, paths: Paths, containerID: String, namespace: String) throws(ShimError) {
        self.loop = loop
        self.paths = paths
        do throws(ShimError) {
            try prepare(containerID: containerID, namespace: namespace)
        } catch {
            closeAll()
            throw error
        }
    }

    deinit { closeAll() }

    private func prepare(containerID: String, namespace: String) throws(ShimError) {
        if !paths.stdin.isEmpty {
            pendingStdin = try Self.openStdio(paths.stdin, flags: O_RDONLY)
            // Opened after the reader, so the non-blocking open cannot fail with ENXIO.
            stdinHold = try Self.openStdio(paths.stdin, flags: O_WRONLY)
        }
        if paths.terminal {
            var pair: [Int32] = [-1, -1]
            guard petrel_console_pair(&pair) == 0 else { throw ShimError.sys("socketpair", "console socket") }
            consoleReceiver = pair[0]
            consoleSocket = pair[1]
            if !paths.stdout.isEmpty { outputSinks = [try Self.openOutput(paths.stdout)] }
            return
        }
        var stdio: [Int32] = []
        // stdin
        if pendingStdin >= 0 {
            let (r, w) = try Self.pipe()
            stdio.append(r)
            stdinPump = try pump(source: pendingStdin, sink: w)
            pendingStdin = -1
        } else {
            stdio.append(try Self.devNull())
        }
        if paths.stdout.hasPrefix("binary://") {
            stdio += try startLogger(paths.stdout, containerID: containerID, namespace: namespace)
            childStdio = stdio
            return
        }
        if paths.stdout.hasPrefix("file://") {
            let file = try Self.openOutput(paths.stdout)
            for _ in 0 ..< 2 {
                let (r, w) = try Self.pipe()
                stdio.append(w)
                outputPumps.append(try pump(source: r, sink: try Self.dup(file)))
            }
            Glibc.close(file)
            childStdio = stdio
            return
        }
        for path in [paths.stdout, paths.stderr] {
            guard !path.isEmpty else {
                stdio.append(try Self.devNull())
                continue
            }
            let sink = try Self.openOutput(path)
            let (r, w) = try Self.pipe()
            stdio.append(w)
            outputPumps.append(try pump(source: r, sink: sink))
        }
        childStdio = stdio
    }

    /// After the runtime started the process: the process's ends are closed here (they live on
    /// in the process) and, with a terminal, the pty master is taken from the console socket.
    func processStarted() throws(ShimError) {
        closeChildEnds()
        guard paths.terminal else { return }
        let received = petrel_recv_fd(consoleReceiver)
        Glibc.close(consoleReceiver)
        consoleReceiver = -1
        guard received >= 0 else { throw ShimError.sys("recvmsg", "console socket (the pty master)") }
        master = received
        for sink in outputSinks {
            outputPumps.append(try pump(source: try Self.dup(master), sink: sink))
        }
        outputSinks = []
        if pendingStdin >= 0 {
            stdinPump = try pump(source: pendingStdin, sink: try Self.dup(master))
            pendingStdin = -1
        }
    }

    /// The process's ends, closed in the shim whether or not the process started.
    func closeChildEnds() {
        for fd in childStdio ?? [] { Glibc.close(fd) }
        childStdio = nil
        if consoleSocket >= 0 { Glibc.close(consoleSocket) }
        consoleSocket = -1
    }

    /// The process exited: copy everything it wrote that is still in the pipes.
    func drain() {
        for pump in outputPumps { pump.drainNow() }
    }


    /// CloseIO: containerd is done writing. The shim lets go of its own write end; the pump
    /// copies what is still in the FIFO and the process reads EOF once every writer closed.
    func closeStdin() {
        if stdinHold >= 0 { Glibc.close(stdinHold) }
        stdinHold = -1
        if stdinPump == nil && pendingStdin >= 0 {
            Glibc.close(pendingStdin)
            pendingStdin = -1
        }
    }

    func resize(width: UInt32, height: UInt32) throws(ShimError) {
        // No terminal (yet): nothing to size, and no error (as the runc shim answers).
        guard master >= 0 else { return }
        let rc = cshim_set_winsize(master, UInt16(clamping: height), UInt16(clamping: width))
        guard rc == 0 else { throw ShimError.sys("ioctl(TIOCSWINSZ)", "pty", errno: -rc) }
    }

    /// Everything closed: the process is deleted (output already drained or abandoned).
    func closeAll() {
        closeChildEnds()
        if consoleReceiver >= 0 { Glibc.close(consoleReceiver) }
        consoleReceiver = -1
        for pump in outputPumps {
            pump.drainNow()
        }
        outputPumps = []
        stdinPump = nil
        if pendingStdin >= 0 { Glibc.close(pendingStdin) }
        pendingStdin = -1
        if stdinHold >= 0 { Glibc.close(stdinHold) }
        stdinHold = -1
        for fd in outputSinks { Glibc.close(fd) }
        outputSinks = []
        if master >= 0 { Glibc.close(master) }
        master = -1
    }

    private func pump(source: Int32, sink: Int32) throws(ShimError) -> Pump {
        do {
            return try Pump(loop: loop, source: source, sink: sink)
        } catch {
            Glibc.close(source)
            Glibc.close(sink)
            throw ShimError.sys(error.syscall, "stdio", errno: error.errno)
        }
    }

    /// binary://PATH?k=v: the logger gets the process's stdout and stderr pipes as fds 3 and
    /// 4 and a ready pipe as fd 5, which it closes once it is ready (containerd's contract).
    private func startLogger(_ uri: String, containerID: String, namespace: String) throws(ShimError) -> [Int32] {
        let parsed = LogURI.parseBinary(uri)
        guard !parsed.path.isEmpty else { throw ShimError(.invalidArgument, "stdout \(uri): no logger path") }
        let (outR, outW) = try Self.pipe()
        let (errR, errW) = try Self.pipe()
        let (readyR, readyW) = try Self.pipe()
        defer {
            Glibc.close(outR)
            Glibc.close(errR)
            Glibc.close(readyR)
        }
        var argv = [parsed.path] + parsed.arguments
        var env = ["CONTAINER_ID=\(containerID)", "CONTAINER_NAMESPACE=\(namespace)"]
        let pid = withCStringArray(&argv) { cargv in
            withCStringArray(&env) { cenv in cshim_spawn_logger(parsed.path, cargv, cenv, outR, errR, readyW) }
        }
        Glibc.close(readyW)
        guard pid > 0 else {
            Glibc.close(outW)
            Glibc.close(errW)
            throw ShimError.sys("posix_spawn", parsed.path, errno: -pid)
        }
        // Bounded: a logger that never says ready must not hang the shim.
        var ready = pollfd(fd: readyR, events: Int16(POLLIN), revents: 0)
        _ = poll(&ready, 1, 10_000)
        return [outW, errW]
    }

    // MARK: fds

    static func openStdio(_ uri: String, flags: Int32) throws(ShimError) -> Int32 {
        let path = LogURI.fifoPath(uri)
        let fd = cshim_open(path, flags, 0)
        guard fd >= 0 else { throw ShimError.sys("open", path, errno: -fd) }
        return fd
    }

    /// A FIFO is opened read-write: the open never blocks, and the process never gets EPIPE
    /// while containerd is away (restarting); containerd still sees EOF once the pump closes it.
    static func openOutput(_ uri: String) throws(ShimError) -> Int32 {
        if uri.hasPrefix("file://") {
            let path = LogURI.filePath(uri)
            let fd = cshim_open(path, O_WRONLY | O_APPEND | O_CREAT, 0o640)
            guard fd >= 0 else { throw ShimError.sys("open", path, errno: -fd) }
            return fd
        }
        return try openStdio(uri, flags: O_RDWR)
    }

    static func pipe() throws(ShimError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let rc = cshim_pipe(&fds)
        guard rc == 0 else { throw ShimError.sys("pipe2", "stdio", errno: -rc) }
        return (fds[0], fds[1])
    }

    static func devNull() throws(ShimError) -> Int32 {
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw ShimError.sys("open", "/dev/null") }
        return fd
    }

    static func dup(_ fd: Int32) throws(ShimError) -> Int32 {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else { throw ShimError.sys("fcntl(F_DUPFD_CLOEXEC)", "stdio") }
        return copy
    }
}

/// containerd's stdio URIs.
enum LogURI {
    static func fifoPath(_ uri: String) -> String {
        uri.hasPrefix("fifo://") ? String(uri.dropFirst("fifo://".count)) : uri
    }

    static func filePath(_ uri: String) -> String {
        percentDecoded(String(uri.dropFirst("file://".count).prefix { $0 != "?" }))
    }

    /// binary:///path?k1=v1&k2 -> path, [k1, v1, k2] (the runc shim's argument order, with
    /// the query's own order instead of Go's random map order).
    static func parseBinary(_ uri: String) -> (path: String, arguments: [String]) {
        let rest = uri.dropFirst("binary://".count)
        let path = percentDecoded(String(rest.prefix { $0 != "?" }))
        var arguments: [String] = []
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                arguments.append(percentDecoded(String(parts[0])))
                if parts.count == 2 { arguments.append(percentDecoded(String(parts[1]))) }
            }
        }
        return (path, arguments)
    }

    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == UInt8(ascii: "%"), bytes.count >= 2,
               let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(value)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A NULL-terminated C string array for posix_spawn, valid during `body`.
public func withCStringArray<R>(_ strings: inout [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { fatalError("empty argument array") }
        return body(base)
    }
}
