import CShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The shim's only loop: epoll, one thread, callbacks. No Dispatch, no Swift Concurrency, no
/// thread pool, so the process stays single-threaded and the executor may clone3 from it.
public final class EventLoop {
    public struct Events: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: EPOLLIN.rawValue)
        public static let writable = Events(rawValue: EPOLLOUT.rawValue)
        public static let hangup = Events(rawValue: EPOLLHUP.rawValue | EPOLLRDHUP.rawValue)
        public static let error = Events(rawValue: EPOLLERR.rawValue)
    }

    public typealias Handler = (Events) -> Void

    private let epfd: Int32
    // Tokens, not fds, key the handlers: a closed fd number may be reused within one batch.
    private var handlers: [UInt64: (fd: Int32, handler: Handler)] = [:]
    private var tokenOfFD: [Int32: UInt64] = [:]
    private var nextToken: UInt64 = 1

    public init() throws(SystemError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SystemError("epoll_create1", errno: errno) }
        epfd = fd
    }

    deinit { close(epfd) }

    public var registeredCount: Int { handlers.count }

    public func register(_ fd: Int32, _ events: Events, handler: @escaping Handler) throws(SystemError) {
        let token = nextToken
        nextToken += 1
        var ev = epoll_event()
        ev.events = events.rawValue | EPOLLRDHUP.rawValue
        ev.data.u64 = token
        guard epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 else { throw SystemError("epoll_ctl add", errno: errno) }
        handlers[token] = (fd, handler)
        tokenOfFD[fd] = token
    }

    public func modify(_ fd: Int32, _ events: Events) throws(SystemError) {
        guard let token = tokenOfFD[fd] else { return }
        var ev = epoll_event()
        ev.events = events.rawValue | EPOLLRDHUP.rawValue
        ev.data.u64 = token
        guard epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0 else { throw SystemError("epoll_ctl mod", errno: errno) }
    }

    /// Call before closing the fd.
    public func unregister(_ fd: Int32) {
        guard let token = tokenOfFD.removeValue(forKey: fd) else { return }
        handlers[token] = nil
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
    }

    /// Runs `handler` once, `ms` milliseconds from now, from the loop (a one-shot timerfd).
    public func after(ms: Int, _ handler: @escaping () -> Void) throws(SystemError) {
        let fd = cshim_timer_fd(ms)
        guard fd >= 0 else { throw SystemError("timerfd_create", errno: -fd) }
        try register(fd, .readable) { [unowned self] _ in
            self.unregister(fd)
            close(fd)
            handler()
        }
    }

    /// Waits up to `timeoutMs` (-1: for ever, 0: poll) and runs the handlers of the ready fds.
    /// Returns how many ran.
    @discardableResult
    public func runOnce(timeoutMs: Int32) throws(SystemError) -> Int {
        var ready = [epoll_event](repeating: epoll_event(), count: 64)
        let n = ready.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, Int32($0.count), timeoutMs) }
        if n < 0 {
            if errno == EINTR { return 0 }
            throw SystemError("epoll_wait", errno: errno)
        }
        var ran = 0
        for i in 0 ..< Int(n) {
            // A handler earlier in this batch may have unregistered this one.
            guard let entry = handlers[ready[i].data.u64] else { continue }
            entry.handler(Events(rawValue: ready[i].events))
            ran += 1
        }
        return ran
    }

    /// Runs until `done()` holds; false if nothing is registered any more to make progress.
    public func run(until done: () -> Bool) throws(SystemError) -> Bool {
        while !done() {
            if handlers.isEmpty { return false }
            try runOnce(timeoutMs: -1)
        }
        return true
    }
}
