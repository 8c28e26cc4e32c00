import CShim
import Shim
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

/// The long-lived shim: one thread, one epoll loop, serving ttrpc on the socket `start`
/// passed as fd 3, until Shutdown.
func serveShim(_ flags: ShimFlags) -> Int32 {
    signal(SIGPIPE, SIG_IGN)
    _ = cshim_set_subreaper()
    let listenFD: Int32 = 3
    do {
        let loop = try EventLoop()
        let server = Server(loop: loop)
        server.requiredPeerUID = getuid()
        let tasks = TaskService()
        tasks.register(on: server)
        try server.addListener(fd: listenFD)
        _ = try loop.run(until: { tasks.shutdownRequested })
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
