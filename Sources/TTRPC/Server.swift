import CShim
import ShimProtocol
import SwiftProtobuf
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Identifies one in-flight request, so that a handler may answer later (Wait).
public struct CallToken: Hashable, Sendable {
    public let connection: Int
    public let streamID: UInt32
}

public struct Call {
    public let service: String
    public let method: String
    public let payload: [UInt8]
    public let metadata: [Ttrpc_KeyValue]
    public let timeoutNano: Int64
    public let token: CallToken
}

public enum Reply {
    case ok([UInt8])
    case error(TTRPCError)
    /// The handler keeps the token and answers through `Server.complete` (a blocking Wait).
    case pending
}

public typealias MethodHandler = (Call) -> Reply

/// Typed handler: decodes the request message and encodes the response message.
public func unary<Req: SwiftProtobuf.Message, Resp: SwiftProtobuf.Message>(
    _ body: @escaping (Req, Call) -> Result<Resp, TTRPCError>?
) -> MethodHandler {
    { call in
        let request: Req
        do {
            request = try Req(serializedBytes: call.payload)
        } catch {
            // ttrpc answers an undecodable payload with the error text as code Unknown.
            return .error(TTRPCError(.unknown, "proto: cannot parse invalid wire-format data"))
        }
        switch body(request, call) {
        case nil: return .pending
        case .failure(let e): return .error(e)
        case .success(let response):
            do { return .ok(try response.serializedBytes()) } catch { return .error(TTRPCError(.internal, "\(error)")) }
        }
    }
}

/// A ttrpc server on the event loop. Requests on one connection are served as they arrive and
/// may complete out of order: a pending Wait never blocks a later Start.
public final class Server {
    private let loop: EventLoop
    private var services: [String: [String: MethodHandler]] = [:]
    private var listeners: [Int32] = []
    private var connections: [Int: ServerConnection] = [:]
    private var nextConnection = 1
    /// Refuse peers of another uid (containerd runs as the shim's uid).
    public var requiredPeerUID: UInt32?

    public init(loop: EventLoop) { self.loop = loop }

    public func register(service: String, methods: [String: MethodHandler]) {
        services[service, default: [:]].merge(methods) { _, new in new }
    }

    public var connectionCount: Int { connections.count }

    /// Some answer is still queued for a peer that has not read it yet.
    public var hasPendingOutput: Bool { connections.values.contains { $0.pendingOutput > 0 } }

    /// Listens on a unix socket path (an existing file there is an error: the caller decides).
    public func listen(path: String) throws(SystemError) {
        let fd = cshim_unix_listen(path, 128)
        guard fd >= 0 else { throw SystemError("listen", errno: -fd, path: path) }
        try addListener(fd: fd)
    }

    /// Serves on a listening socket created elsewhere (inherited from `start`).
    public func addListener(fd: Int32) throws(SystemError) {
        try loop.register(fd, .readable) { [unowned self] _ in self.acceptAll(fd) }
        listeners.append(fd)
    }

    /// Serves one already connected socket (tests: one end of a socketpair).
    @discardableResult
    public func serve(connectedFD fd: Int32) throws(SystemError) -> Int {
        let id = nextConnection
        nextConnection += 1
        let conn = try ServerConnection(id: id, fd: fd, loop: loop, server: self)
        connections[id] = conn
        return id
    }

    /// Answers a request whose handler returned `.pending`. A closed connection drops it.
    public func complete(_ token: CallToken, _ result: Result<[UInt8], TTRPCError>) {
        connections[token.connection]?.respond(token.streamID, result)
    }

    public func closeListeners() {
        for fd in listeners {
            loop.unregister(fd)
            close(fd)
        }
        listeners.removeAll()
    }

    public func closeAll() {
        closeListeners()
        for conn in connections.values { conn.close() }
        connections.removeAll()
    }

    private func acceptAll(_ listenFD: Int32) {
        while true {
            let fd = cshim_accept(listenFD)
            if fd == -EINTR { continue }
            guard fd >= 0 else { return }  // EAGAIN, or a transient error: wait for the next readiness
            if let uid = requiredPeerUID, cshim_peer_uid(fd) != Int(uid) {
                close(fd)
                continue
            }
            if (try? serve(connectedFD: fd)) == nil { close(fd) }
        }
    }

    fileprivate func connectionClosed(_ id: Int) { connections[id] = nil }

    fileprivate func dispatch(_ request: Ttrpc_Request, streamID: UInt32, connection: Int) -> Reply {
        guard let methods = services[request.service] else {
            return .error(TTRPCError(.unimplemented, "service \(request.service)"))
        }
        guard let handler = methods[request.method] else {
            return .error(TTRPCError(.unimplemented, "method \(request.method)"))
        }
        let call = Call(service: request.service, method: request.method, payload: [UInt8](request.payload),
                        metadata: request.metadata, timeoutNano: request.timeoutNano,
                        token: CallToken(connection: connection, streamID: streamID))
        return handler(call)
    }
}

/// Server side of one connection: the checks containerd/ttrpc's server makes, in its order.
private final class ServerConnection {
    let id: Int
    private let conn: FramedConnection
    private unowned let server: Server
    private var lastStreamID: UInt32 = 0
    private var pending: Set<UInt32> = []

    init(id: Int, fd: Int32, loop: EventLoop, server: Server) throws(SystemError) {
        self.id = id
        self.server = server
        conn = try FramedConnection(fd: fd, loop: loop)
        conn.onFrame = { [unowned self] frame in self.received(frame) }
        conn.onClose = { [unowned self] in self.server.connectionClosed(self.id) }
    }

    func close() { conn.close() }

    var pendingOutput: Int { conn.pendingOutput }

    private func received(_ frame: DecodedFrame) {
        switch frame {
        case .oversized(let header):
            respond(header.streamID, .failure(oversizedError(Int(header.length))))
        case .message(let header, let payload):
            // Data frames belong to streaming RPCs, which no shim method uses: ignored, as older
            // ttrpc servers ignore every non-request frame for compatibility.
            guard header.type == MessageType.request.rawValue else { return }
            let request: Ttrpc_Request
            do {
                request = try Ttrpc_Request(serializedBytes: payload)
            } catch {
                respond(header.streamID, .failure(TTRPCError(.invalidArgument, "unmarshal request error: \(error)")))
                return
            }
            guard header.streamID % 2 == 1 else {
                respond(header.streamID, .failure(TTRPCError(.invalidArgument, "StreamID must be odd for client initiated streams")))
                return
            }
            guard header.streamID > lastStreamID else {
                respond(header.streamID, .failure(TTRPCError(.invalidArgument, "StreamID cannot be re-used and must increment")))
                return
            }
            lastStreamID = header.streamID
            pending.insert(header.streamID)
            switch server.dispatch(request, streamID: header.streamID, connection: id) {
            case .ok(let bytes): respond(header.streamID, .success(bytes))
            case .error(let e): respond(header.streamID, .failure(e))
            case .pending: break
            }
        }
    }

    func respond(_ streamID: UInt32, _ result: Result<[UInt8], TTRPCError>) {
        pending.remove(streamID)
        var response = Ttrpc_Response()
        switch result {
        case .success(let payload):
            response.status = Google_Rpc_Status()
            response.payload = Data(payload)
        case .failure(let e):
            response.status = .with { $0.code = e.code.rawValue; $0.message = e.message }
        }
        guard var bytes: [UInt8] = try? response.serializedBytes() else { return }
        if bytes.count > FrameHeader.maxMessageLength {
            // Too big to send: the caller gets ResourceExhausted instead, as from ttrpc.
            let e = oversizedError(bytes.count)
            response = Ttrpc_Response()
            response.status = .with { $0.code = e.code.rawValue; $0.message = e.message }
            guard let small: [UInt8] = try? response.serializedBytes() else { return }
            bytes = small
        }
        guard let frame = try? encodeFrame(streamID: streamID, type: .response, payload: bytes) else { return }
        conn.enqueue(frame)
    }
}
