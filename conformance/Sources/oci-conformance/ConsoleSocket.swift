import ConformanceKit
import Glibc

/// The receiving end of `create --console-socket`: the runtime connects and sends the
/// pty master with SCM_RIGHTS (runc's protocol, runtime-tools command-line-interface.md).
struct ConsoleSocket {
    let path: String
    let listener: Int32

    init(path: String) throws {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if listener < 0 { throw IOFailure("socket", path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw IOFailure("bind", path, ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound != 0 || listen(listener, 1) != 0 {
            Glibc.close(listener)
            throw IOFailure("bind", path)
        }
    }

    /// Waits for the runtime's connection and returns the pty master it sends, or nil.
    func receiveMaster(timeout: Double) -> Int32? {
        receive(timeout: timeout)?.fd
    }

    /// Waits for one connection; the bytes of its first message and the first fd sent with it.
    func receive(timeout: Double) -> (data: [UInt8], fd: Int32)? {
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        let connection = accept(listener, nil, nil)
        if connection < 0 { return nil }
        defer { Glibc.close(connection) }
        var data = [UInt8](repeating: 0, count: 4096)
        // struct cmsghdr { size_t len; int level; int type; } then the fds, 8-byte aligned.
        var control = [UInt64](repeating: 0, count: 8)
        var received = 0
        let fd = data.withUnsafeMutableBytes { dataBytes in
            control.withUnsafeMutableBytes { controlBytes -> Int32? in
                var vector = iovec(iov_base: dataBytes.baseAddress, iov_len: dataBytes.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int32? in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let count = recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
                    guard count >= 0, message.msg_controllen >= 20 else { return nil }
                    received = count
                    let level = controlBytes.load(fromByteOffset: 8, as: Int32.self)
                    let type = controlBytes.load(fromByteOffset: 12, as: Int32.self)
                    guard level == SOL_SOCKET, type == Int32(SCM_RIGHTS) else { return nil }
                    return controlBytes.load(fromByteOffset: 16, as: Int32.self)
                }
            }
        }
        guard let fd else { return nil }
        return (Array(data.prefix(received)), fd)
    }

    func close() {
        Glibc.close(listener)
        unlink(path)
    }
}

/// Everything the container writes to its terminal until it closes (EIO on the master) or
/// `timeout` passes; carriage returns removed.
func drainTerminal(_ master: Int32, timeout: Double) -> String {
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = Clock.now + timeout
    while Clock.now < deadline {
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, 100)
        if ready < 0 && errno != EINTR { break }
        if ready <= 0 { continue }
        let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    return String(decoding: output.filter { $0 != 13 }, as: UTF8.self)
}
