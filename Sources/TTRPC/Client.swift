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

/// A ttrpc client on the event loop (Events/Forward to containerd; the tests). Stream ids are
/// odd and increase by 2, as the protocol requires of the initiating side.
public final class Client {
    public typealias Completion = (Result<[UInt8], TTRPCError>) -> Void

    private let conn: FramedConnection
    private let loop: EventLoop
    private var nextStreamID: UInt32 = 1
    private var waiting: [UInt32: Completion] = [:]

    public init(connectedFD fd: Int32, loop: EventLoop) throws(SystemError) {
        self.loop = loop
        conn = try FramedConnection(fd: fd, loop: loop)
        conn.onFrame = { [unowned self] frame in self.received(frame) }
        conn.onClose = { [unowned self] in self.failAll() }
    }

    public convenience init(path: String, loop: EventLoop) throws(SystemError) {
        let fd = cshim_unix_connect(path)
        guard fd >= 0 else { throw SystemError("connect", errno: -fd, path: path) }
        try self.init(connectedFD: fd, loop: loop)
    }

    public var isClosed: Bool { conn.isClosed }
    public var inFlight: Int { waiting.count }

    public func close() { conn.close() }

    /// Sends one request; `completion` runs from the loop when its response arrives, or with
    /// Unavailable if the connection closes first.
    public func call(service: String, method: String, payload: [UInt8], timeoutNano: Int64 = 0,
                     metadata: [Ttrpc_KeyValue] = [], completion: @escaping Completion) {
        guard !conn.isClosed else { return completion(.failure(TTRPCError(.unavailable, "ttrpc: closed"))) }
        var request = Ttrpc_Request()
        request.service = service
        request.method = method
        request.payload = Data(payload)
        request.timeoutNano = timeoutNano
        request.metadata = metadata
        let frame: [UInt8]
        do {
            let bytes: [UInt8] = try request.serializedBytes()
            frame = try encodeFrame(streamID: nextStreamID, type: .request, payload: bytes)
        } catch let e as TTRPCError {
            return completion(.failure(e))
        } catch {
            return completion(.failure(TTRPCError(.internal, "\(error)")))
        }
        waiting[nextStreamID] = completion
        nextStreamID &+= 2
        conn.enqueue(frame)
    }

    /// Typed call: encodes the request message and decodes the response message.
    public func call<Req: SwiftProtobuf.Message, Resp: SwiftProtobuf.Message>(
        service: String, method: String, _ request: Req, returning: Resp.Type,
        completion: @escaping (Result<Resp, TTRPCError>) -> Void
    ) {
        let payload: [UInt8]
        do { payload = try request.serializedBytes() } catch {
            return completion(.failure(TTRPCError(.internal, "\(error)")))
        }
        call(service: service, method: method, payload: payload) { result in
            completion(result.flatMap { bytes in
                do { return .success(try Resp(serializedBytes: bytes)) } catch {
                    return .failure(TTRPCError(.internal, "cannot decode \(Resp.protoMessageName): \(error)"))
                }
            })
        }
    }

    /// Calls and runs the loop until the answer arrives (other handlers on the loop keep running).
    public func callAndWait<Req: SwiftProtobuf.Message, Resp: SwiftProtobuf.Message>(
        service: String, method: String, _ request: Req, returning: Resp.Type
    ) throws(SystemError) -> Result<Resp, TTRPCError> {
        var answer: Result<Resp, TTRPCError>?
        call(service: service, method: method, request, returning: Resp.self) { answer = $0 }
        _ = try loop.run(until: { answer != nil })
        return answer ?? .failure(TTRPCError(.unavailable, "ttrpc: closed"))
    }

    private func received(_ frame: DecodedFrame) {
        switch frame {
        case .oversized(let header):
            waiting.removeValue(forKey: header.streamID)?(.failure(oversizedError(Int(header.length))))
        case .message(let header, let payload):
            guard header.type == MessageType.response.rawValue,
                  let completion = waiting.removeValue(forKey: header.streamID) else { return }
            guard let response = try? Ttrpc_Response(serializedBytes: payload) else {
                return completion(.failure(TTRPCError(.internal, "ttrpc: cannot decode response")))
            }
            if response.hasStatus && response.status.code != Code.ok.rawValue {
                completion(.failure(TTRPCError(Code(rawValue: response.status.code), response.status.message)))
            } else {
                completion(.success([UInt8](response.payload)))
            }
        }
    }

    private func failAll() {
        let all = waiting
        waiting.removeAll()
        for (_, completion) in all.sorted(by: { $0.key < $1.key }) {
            completion(.failure(TTRPCError(.unavailable, "ttrpc: closed")))
        }
    }
}
