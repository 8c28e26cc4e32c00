// ttrpc framing: a 10-byte header (length u32 BE, stream id u32 BE, type u8, flags u8), then
// `length` bytes of protobuf. Messages over 4 MiB are refused as containerd/ttrpc does.
public enum MessageType: UInt8, Sendable {
    case request = 1
    case response = 2
    case data = 3
}

public struct FrameHeader: Equatable, Sendable {
    public static let size = 10
    public static let maxMessageLength = 4 << 20

    public var length: UInt32
    public var streamID: UInt32
    public var type: UInt8
    public var flags: UInt8

    public init(length: UInt32, streamID: UInt32, type: UInt8, flags: UInt8 = 0) {
        self.length = length
        self.streamID = streamID
        self.type = type
        self.flags = flags
    }

    public func append(to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: streamID >> UInt32(shift))) }
        out.append(type)
        out.append(flags)
    }

    /// Decodes the header at `bytes[offset ..< offset + 10]`; the caller checks the length.
    public init(_ bytes: [UInt8], at offset: Int) {
        func u32(_ i: Int) -> UInt32 {
            UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
        }
        self.init(length: u32(offset), streamID: u32(offset + 4), type: bytes[offset + 8], flags: bytes[offset + 9])
    }
}

/// ttrpc's wording for a message over the cap (ResourceExhausted).
public func oversizedError(_ length: Int) -> TTRPCError {
    TTRPCError(.resourceExhausted, "message length \(length) exceed maximum message size of \(FrameHeader.maxMessageLength)")
}

/// One whole frame, header and payload, ready to write.
public func encodeFrame(streamID: UInt32, type: MessageType, flags: UInt8 = 0, payload: [UInt8]) throws(TTRPCError) -> [UInt8] {
    guard payload.count <= FrameHeader.maxMessageLength else { throw oversizedError(payload.count) }
    var out: [UInt8] = []
    out.reserveCapacity(FrameHeader.size + payload.count)
    FrameHeader(length: UInt32(payload.count), streamID: streamID, type: type.rawValue, flags: flags).append(to: &out)
    out.append(contentsOf: payload)
    return out
}

public enum DecodedFrame: Equatable, Sendable {
    case message(FrameHeader, [UInt8])
    /// The header announced more than 4 MiB; its payload is skipped as it arrives, never buffered.
    case oversized(FrameHeader)
}

/// Incremental decoder: feed whatever a non-blocking read returned, take frames while there are.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private var discarding = 0

    public init() {}

    public var buffered: Int { buffer.count - start }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var rest = bytes[...]
        if discarding > 0 {
            let skip = min(discarding, rest.count)
            discarding -= skip
            rest = rest.dropFirst(skip)
        }
        buffer.append(contentsOf: rest)
    }

    public mutating func next() -> DecodedFrame? {
        guard buffer.count - start >= FrameHeader.size else { compact(); return nil }
        let header = FrameHeader(buffer, at: start)
        let length = Int(header.length)
        if length > FrameHeader.maxMessageLength {
            start += FrameHeader.size
            let skip = min(length, buffer.count - start)
            start += skip
            discarding = length - skip
            compact()
            return .oversized(header)
        }
        guard buffer.count - start - FrameHeader.size >= length else { compact(); return nil }
        let from = start + FrameHeader.size
        let payload = Array(buffer[from ..< from + length])
        start = from + length
        compact()
        return .message(header, payload)
    }

    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
            start = 0
        } else if start > 1 << 16 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
