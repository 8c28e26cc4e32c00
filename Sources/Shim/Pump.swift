import CShim
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

/// Copies one source (a process's pipe, a pty master, containerd's stdin FIFO) into one sink
/// (a FIFO, a file, a pipe, a pty master) from the event loop, never blocking it. When the
/// sink is full the source is not read (back-pressure reaches the writer) instead of buffering
/// without bound. At the source's end the buffer is flushed and the sink closed, which is the
/// EOF containerd waits for.
final class Pump {
    private unowned let loop: EventLoop
    private let source: Int32
    private let sink: Int32
    private var buffer: [UInt8] = []
    private var sent = 0
    private var sourceEnded = false
    private var sinkBroken = false
    private var waitingForSink = false
    private(set) var finished = false

    /// Takes ownership of both fds (the sink is a dup of its own: two pumps may share a file).
    init(loop: EventLoop, source: Int32, sink: Int32) throws(SystemError) {
        self.loop = loop
        self.source = source
        self.sink = sink
        _ = fcntl(source, F_SETFL, fcntl(source, F_GETFL) | O_NONBLOCK)
        _ = fcntl(sink, F_SETFL, fcntl(sink, F_GETFL) | O_NONBLOCK)
        try loop.register(source, .readable) { [unowned self] _ in self.pump() }
    }

    deinit { finish() }

    /// Copies whatever is readable now (a process just exited: everything it wrote), without
    /// waiting for a full sink.
    func drainNow() {
        guard !finished else { return }
        pump()
    }

    private func pump() {
        readAvailable()
        flush()
        if sourceEnded && (pendingBytes == 0 || sinkBroken) { finish() }
    }

    private var pendingBytes: Int { buffer.count - sent }

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        // Bounded per turn so that one busy process cannot starve the loop.
        while !sourceEnded && pendingBytes < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if n > 0 {
                if !sinkBroken { buffer += chunk[0 ..< n] }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return }
            // 0: EOF; EIO: a pty whose last slave closed; anything else ends the stream too.
            sourceEnded = true
        }
    }

    private func flush() {
        while pendingBytes > 0 && !sinkBroken {
            let n = buffer[sent...].withUnsafeBytes { write(sink, $0.baseAddress, $0.count) }
            if n > 0 {
                sent += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                waitForSink()
                return
            }
            // The reader is gone for good (EPIPE): drop the output rather than block the process.
            sinkBroken = true
        }
        buffer.removeAll(keepingCapacity: buffer.count <= 65536)
        sent = 0
        if waitingForSink { resumeSource() }
    }

    private func waitForSink() {
        guard !waitingForSink else { return }
        waitingForSink = true
        loop.unregister(source)
        do {
            try loop.register(sink, .writable) { [unowned self] _ in
                self.flush()
                if self.sourceEnded && (self.pendingBytes == 0 || self.sinkBroken) { self.finish() }
            }
        } catch {
            // A sink epoll cannot watch (a regular file never says EAGAIN): give up on it.
            sinkBroken = true
            resumeSource()
        }
    }

    private func resumeSource() {
        waitingForSink = false
        loop.unregister(sink)
        guard !sourceEnded else { return }
        do {
            try loop.register(source, .readable) { [unowned self] _ in self.pump() }
        } catch {
            sourceEnded = true
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        loop.unregister(source)
        loop.unregister(sink)
        Glibc.close(source)
        Glibc.close(sink)
        buffer = []
    }
}
