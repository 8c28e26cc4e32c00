import Testing
@testable import TTRPC

@Suite struct FrameTests {
    @Test func headerIsBigEndianLengthStreamTypeFlags() throws {
        let frame = try encodeFrame(streamID: 0x01020304, type: .request, flags: 0x05, payload: [9, 8, 7])
        #expect(frame == [0, 0, 0, 3, 1, 2, 3, 4, 1, 5, 9, 8, 7])
        #expect(FrameHeader(frame, at: 0) == FrameHeader(length: 3, streamID: 0x01020304, type: 1, flags: 5))
    }

    static func sampleFrames() throws -> ([DecodedFrame], [UInt8]) {
        let payloads: [[UInt8]] = [[], [1], Array(0 ..< 200).map { UInt8($0) }]
        var wire: [UInt8] = []
        var expected: [DecodedFrame] = []
        for (i, p) in payloads.enumerated() {
            let id = UInt32(2 * i + 1)
            wire += try encodeFrame(streamID: id, type: .response, payload: p)
            expected.append(.message(FrameHeader(length: UInt32(p.count), streamID: id, type: 2), p))
        }
        return (expected, wire)
    }

    @Test func severalFramesInOneRead() throws {
        let (expected, wire) = try Self.sampleFrames()
        var decoder = FrameDecoder()
        decoder.feed(wire)
        var got: [DecodedFrame] = []
        while let f = decoder.next() { got.append(f) }
        #expect(got == expected)
        #expect(decoder.buffered == 0)
    }

    @Test func frameSplitAtEveryByte() throws {
        let (expected, wire) = try Self.sampleFrames()
        for cut in 0 ... wire.count {
            var decoder = FrameDecoder()
            var got: [DecodedFrame] = []
            decoder.feed(wire[0 ..< cut])
            while let f = decoder.next() { got.append(f) }
            decoder.feed(wire[cut...])
            while let f = decoder.next() { got.append(f) }
            #expect(got == expected, "cut at \(cut)")
        }
    }

    @Test func oneByteAtATime() throws {
        let (expected, wire) = try Self.sampleFrames()
        var decoder = FrameDecoder()
        var got: [DecodedFrame] = []
        for b in wire {
            decoder.feed([b])
            while let f = decoder.next() { got.append(f) }
        }
        #expect(got == expected)
    }

    @Test func oversizedPayloadIsSkippedAndTheNextFrameStillDecodes() throws {
        let big = FrameHeader.maxMessageLength + 1
        var wire: [UInt8] = []
        FrameHeader(length: UInt32(big), streamID: 3, type: 1).append(to: &wire)
        wire += [UInt8](repeating: 0xAB, count: big)
        wire += try encodeFrame(streamID: 5, type: .request, payload: [42])
        var decoder = FrameDecoder()
        var got: [DecodedFrame] = []
        var offset = 0
        // In socket-read sized pieces: the skipped payload is never buffered whole.
        while offset < wire.count {
            let end = min(offset + 65536, wire.count)
            decoder.feed(wire[offset ..< end])
            offset = end
            while let f = decoder.next() { got.append(f) }
            #expect(decoder.buffered <= 65536)
        }
        #expect(got == [.oversized(FrameHeader(length: UInt32(big), streamID: 3, type: 1)),
                        .message(FrameHeader(length: 1, streamID: 5, type: 1), [42])])
    }

    @Test func exactlyTheCapIsAccepted() throws {
        let payload = [UInt8](repeating: 1, count: FrameHeader.maxMessageLength)
        let frame = try encodeFrame(streamID: 1, type: .request, payload: payload)
        var decoder = FrameDecoder()
        decoder.feed(frame)
        #expect(decoder.next() == .message(FrameHeader(length: UInt32(payload.count), streamID: 1, type: 1), payload))
    }

    @Test func encodingOverTheCapFailsWithResourceExhausted() {
        let payload = [UInt8](repeating: 0, count: FrameHeader.maxMessageLength + 1)
        #expect(throws: TTRPCError(.resourceExhausted, "message length 4194305 exceed maximum message size of 4194304")) {
            _ = try encodeFrame(streamID: 1, type: .request, payload: payload)
        }
    }
}
