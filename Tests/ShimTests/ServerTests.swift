import CShim
import ShimProtocol
import SwiftProtobuf
import Testing
@testable import TTRPC
#if canImport(Glibc)
import Glibc
#endif

/// Client and server in one process on one event loop, driven step by step (single-threaded,
/// as in the shim): no threads, no timers.
@Suite struct ServerTests {
    final class Rig {
        let loop: EventLoop
        let server: Server
        let client: Client
        let rawFD: Int32  // a second client end, for hand-made frames
        var parked: [CallToken] = []

        init() throws {
            loop = try EventLoop()
            server = Server(loop: loop)
            var a: [Int32] = [0, 0], b: [Int32] = [0, 0]
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            #expect(socketpair(AF_UNIX, type, 0, &a) == 0)
            #expect(socketpair(AF_UNIX, type, 0, &b) == 0)
            try server.serve(connectedFD: a[0])
            try server.serve(connectedFD: b[0])
            client = try Client(connectedFD: a[1], loop: loop)
            rawFD = b[1]
            server.register(service: "test.Echo", methods: [
                "Echo": { call in .ok(call.payload) },
                "Fail": { _ in .error(TTRPCError(.notFound, "container c1: not found")) },
                "Big": { _ in .ok([UInt8](repeating: 1, count: FrameHeader.maxMessageLength)) },
                "Park": { [unowned self] call in self.parked.append(call.token); return .pending },
            ])
            server.register(service: "containerd.task.v2.Task", methods: [
                "Connect": unary { (req: Containerd_Task_V2_ConnectRequest, _) in
                    .success(Containerd_Task_V2_ConnectResponse.with { $0.shimPid = 7; $0.version = "2"; $0.taskPid = req.id == "c1" ? 9 : 0 })
                },
            ])
        }

        deinit { close(rawFD) }

        func call(_ service: String, _ method: String, _ payload: [UInt8] = []) throws -> Result<[UInt8], TTRPCError> {
            var answer: Result<[UInt8], TTRPCError>?
            client.call(service: service, method: method, payload: payload) { answer = $0 }
            #expect(try loop.run(until: { answer != nil }))
            return try #require(answer)
        }

        /// Writes raw bytes on the second connection and collects the response frames.
        func raw(_ bytes: [UInt8], expecting count: Int) throws -> [(UInt32, Ttrpc_Response)] {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(rawFD, $0.baseAddress, $0.count) }
                if n > 0 { offset += n } else { try loop.runOnce(timeoutMs: 0) }  // let the server drain
            }
            var decoder = FrameDecoder()
            var out: [(UInt32, Ttrpc_Response)] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while out.count < count {
                try loop.runOnce(timeoutMs: -1)
                let n = buf.withUnsafeMutableBytes { read(rawFD, $0.baseAddress, $0.count) }
                if n > 0 { decoder.feed(buf[0 ..< n]) }
                while let frame = decoder.next() {
                    guard case .message(let header, let payload) = frame else { continue }
                    #expect(header.type == MessageType.response.rawValue)
                    out.append((header.streamID, try Ttrpc_Response(serializedBytes: payload)))
                }
            }
            return out
        }
    }

    static func requestFrame(_ id: UInt32, _ service: String, _ method: String) throws -> [UInt8] {
        let req: [UInt8] = try Ttrpc_Request.with { $0.service = service; $0.method = method }.serializedBytes()
        return try encodeFrame(streamID: id, type: .request, payload: req)
    }

    @Test func unaryCallReturnsThePayload() throws {
        let rig = try Rig()
        #expect(try rig.call("test.Echo", "Echo", [1, 2, 3]) == .success([1, 2, 3]))
        #expect(try rig.call("test.Echo", "Echo", []) == .success([]))
    }

    @Test func handlerErrorsCarryCodeAndMessage() throws {
        let rig = try Rig()
        #expect(try rig.call("test.Echo", "Fail") == .failure(TTRPCError(.notFound, "container c1: not found")))
    }

    @Test func unknownServiceAndMethodAreUnimplemented() throws {
        let rig = try Rig()
        #expect(try rig.call("nope.Svc", "X") == .failure(TTRPCError(.unimplemented, "service nope.Svc")))
        #expect(try rig.call("test.Echo", "Nope") == .failure(TTRPCError(.unimplemented, "method Nope")))
    }

    @Test func typedTaskMethod() throws {
        let rig = try Rig()
        let result = try rig.client.callAndWait(service: "containerd.task.v2.Task", method: "Connect",
                                                Containerd_Task_V2_ConnectRequest.with { $0.id = "c1" },
                                                returning: Containerd_Task_V2_ConnectResponse.self)
        #expect(result == .success(.with { $0.shimPid = 7; $0.taskPid = 9; $0.version = "2" }))
        // An undecodable payload is an error, not a crash.
        if case .failure(let e) = try rig.call("containerd.task.v2.Task", "Connect", [0xFF, 0xFF]) { #expect(e.code == .unknown) } else { Issue.record("decoded garbage") }
    }

    /// A pending call (Wait) does not hold up later calls on the same connection; answers may
    /// go out in any order and each reaches its own caller.
    @Test func concurrentStreamsCompleteOutOfOrder() throws {
        let rig = try Rig()
        var first: Result<[UInt8], TTRPCError>?, second: Result<[UInt8], TTRPCError>?
        rig.client.call(service: "test.Echo", method: "Park", payload: []) { first = $0 }
        rig.client.call(service: "test.Echo", method: "Park", payload: []) { second = $0 }
        #expect(try rig.loop.run(until: { rig.parked.count == 2 }))
        #expect(rig.parked.map(\.streamID) == [1, 3])
        #expect(try rig.call("test.Echo", "Echo", [5]) == .success([5]))
        rig.server.complete(rig.parked[1], .success([2]))
        #expect(try rig.loop.run(until: { second != nil }))
        #expect(first == nil)
        rig.server.complete(rig.parked[0], .failure(TTRPCError(.failedPrecondition, "late")))
        #expect(try rig.loop.run(until: { first != nil }))
        #expect(first == .failure(TTRPCError(.failedPrecondition, "late")))
        #expect(second == .success([2]))
    }

    @Test func evenAndReusedStreamIDsAreRejectedAsTtrpcDoes() throws {
        let rig = try Rig()
        let frames = try Self.requestFrame(2, "test.Echo", "Echo") + Self.requestFrame(5, "test.Echo", "Echo")
            + Self.requestFrame(3, "test.Echo", "Echo")
        let got = try rig.raw(frames, expecting: 3)
        #expect(got.map(\.0) == [2, 5, 3])
        #expect(got[0].1.status.code == Code.invalidArgument.rawValue)
        #expect(got[0].1.status.message == "StreamID must be odd for client initiated streams")
        #expect(got[1].1.status.code == 0)
        #expect(got[2].1.status.message == "StreamID cannot be re-used and must increment")
    }

    /// Over 4 MiB: ResourceExhausted on that stream, the payload skipped, the connection kept.
    @Test func oversizedRequestGetsResourceExhaustedAndTheConnectionLives() throws {
        let rig = try Rig()
        let big = FrameHeader.maxMessageLength + 10
        var wire: [UInt8] = []
        FrameHeader(length: UInt32(big), streamID: 1, type: 1).append(to: &wire)
        wire += [UInt8](repeating: 0, count: big)
        wire += try Self.requestFrame(3, "test.Echo", "Echo")
        let got = try rig.raw(wire, expecting: 2)
        #expect(got[0].0 == 1)
        #expect(got[0].1.status.code == Code.resourceExhausted.rawValue)
        #expect(got[0].1.status.message == "message length 4194314 exceed maximum message size of 4194304")
        #expect(got[1].0 == 3 && got[1].1.status.code == 0)
    }

    @Test func responseOverTheCapBecomesResourceExhausted() throws {
        let rig = try Rig()
        let result = try rig.call("test.Echo", "Big")
        if case .failure(let e) = result { #expect(e.code == .resourceExhausted) } else { Issue.record("oversized response sent") }
    }

    @Test func closedConnectionFailsPendingCalls() throws {
        let rig = try Rig()
        var answer: Result<[UInt8], TTRPCError>?
        rig.client.call(service: "test.Echo", method: "Park", payload: []) { answer = $0 }
        #expect(try rig.loop.run(until: { rig.parked.count == 1 }))
        rig.server.closeAll()
        #expect(try rig.loop.run(until: { answer != nil }))
        #expect(answer == .failure(TTRPCError(.unavailable, "ttrpc: closed")))
        #expect(rig.server.connectionCount == 0)
    }

    @Test func overAUnixSocketPath() throws {
        let dir = "/tmp/petrel-ttrpc-\(getpid())"
        mkdir(dir, 0o700)
        defer { rmdir(dir) }
        let path = dir + "/s"
        let loop = try EventLoop()
        let server = Server(loop: loop)
        server.requiredPeerUID = getuid()
        server.register(service: "s", methods: ["m": { .ok($0.payload + [0]) }])
        try server.listen(path: path)
        defer { server.closeAll(); unlink(path) }
        let client = try Client(path: path, loop: loop)
        var answer: Result<[UInt8], TTRPCError>?
        client.call(service: "s", method: "m", payload: [4]) { answer = $0 }
        #expect(try loop.run(until: { answer != nil }))
        #expect(answer == .success([4, 0]))
        client.close()
        #expect(try loop.run(until: { server.connectionCount == 0 }))
    }
}
