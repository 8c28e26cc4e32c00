#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One non-blocking stream socket carrying ttrpc frames, in both directions: reads until
/// EAGAIN and decodes, queues writes and flushes them as the socket accepts them.
final class FramedConnection {
    let fd: Int32
    private let loop: EventLoop
    private var decoder = FrameDecoder()
    private var outbound: [UInt8] = []
    private var outStart = 0
    private var wantsWrite = false
    private(set) var isClosed = false
    var onFrame: (DecodedFrame) -> Void = { _ in }
    var onClose: () -> Void = {}

    init(fd: Int32, loop: EventLoop) throws(SystemError) {
        self.fd = fd
        self.loop = loop
        try loop.register(fd, .readable) { [unowned self] events in self.handle(events) }
    }

    func enqueue(_ frame: [UInt8]) {
        guard !isClosed else { return }
        outbound.append(contentsOf: frame)
        flush()
    }

    var pendingOutput: Int { outbound.count - outStart }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.unregister(fd)
        Glibc.close(fd)
        onClose()
    }

    private func handle(_ events: EventLoop.Events) {
        if events.contains(.writable) { flush() }
        if !isClosed, !events.isDisjoint(with: [.readable, .hangup, .error]) { readAvailable() }
    }

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while !isClosed {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                decoder.feed(chunk[0 ..< n])
                while !isClosed, let frame = decoder.next() { onFrame(frame) }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            close()  // EOF or a hard error
        }
    }

    private func flush() {
        while outStart < outbound.count {
            let n = outbound.withUnsafeBytes { buf in
                // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE.
                send(fd, buf.baseAddress.map { $0 + outStart }, buf.count - outStart, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { outStart += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                setWantsWrite(true)
                return
            }
            close()
            return
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 16)
        outStart = 0
        setWantsWrite(false)
    }

    private func setWantsWrite(_ on: Bool) {
        guard on != wantsWrite, !isClosed else { return }
        wantsWrite = on
        try? loop.modify(fd, on ? [.readable, .writable] : .readable)
    }
}
