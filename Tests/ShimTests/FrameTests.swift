import Testing
@testable import TTRPC

@Suite struct FrameTests {
    @Test func headerRoundTrip() throws {
        let frame = try encodeFrame(streamID: 0x01020304, type: .request, flags: 0x05, payload: [9, 8, 7])
        #expect(frame == [0, 0, 0, 3, 1, 2, 3, 4, 1, 5, 9, 8, 7])
    }
}
