import CShim
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
        _ = try loop.run(until: { tasks.finished })
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
