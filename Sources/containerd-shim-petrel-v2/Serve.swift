import CShim
import PetrelRuntime
import Shim
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

/// The long-lived shim: one thread, one epoll loop, serving ttrpc on the socket `start`
/// passed as fd 3, until Shutdown was asked and no container is left.
func serveShim(_ flags: ShimFlags) -> Int32 {
    signal(SIGPIPE, SIG_IGN)
    _ = cshim_set_subreaper()
    attachLog(debug: flags.debug)
    let listenFD: Int32 = 3
    do {
        let loop = try EventLoop()
        let server = Server(loop: loop)
        server.requiredPeerUID = getuid()
        let context = ShimContext(
            namespace: flags.namespace,
            eventsAddress: getenv("TTRPC_ADDRESS").map { String(cString: $0) } ?? "",
            stateRoot: ShimContext.stateRoot(namespace: flags.namespace))
        let tasks = TaskService(loop: loop, context: context)
        try tasks.startReaping()
        tasks.register(on: server)
        try server.addListener(fd: listenFD)
        // Once quiet for a second, the pages of code and constants that start-up and the last
        // requests touched are dropped from the shim's page tables (they stay in the page cache):
        // an idle shim holds its own memory only, about 1 MiB, not ~9 MiB of binary.
        var quiet = false
        while !tasks.finished {
            if try loop.runOnce(timeoutMs: quiet ? -1 : 1000) > 0 {
                quiet = false
            } else if !quiet {
                _ = cshim_release_clean_file_pages()
                quiet = true
            }
        }
        // Let the Shutdown answer reach containerd before the socket goes.
        server.closeListeners()
        if !flags.socket.isEmpty { unlink(flags.socket) }
        while server.hasPendingOutput, try loop.runOnce(timeoutMs: 100) > 0 {}
        return 0
    } catch {
        if !flags.socket.isEmpty { unlink(flags.socket) }
        return 1
    }
}

/// The runtime's warnings and errors (and its step log with `-debug`, which containerd passes
/// at its debug level) go to the `log` FIFO containerd reads in the bundle, the shim's cwd:
/// they show up in containerd's own log. Non-blocking: a line containerd does not take is lost
/// rather than stalling the shim. Without a reader (no containerd), stderr stays /dev/null.
private func attachLog(debug: Bool) {
    let fd = cshim_open("log", O_WRONLY, 0)
    if fd >= 0 {
        dup2(fd, 2)
        close(fd)
    }
    try? Logger.shared.configure(path: nil, format: .text, debug: debug)
}
