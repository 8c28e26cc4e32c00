import CExecutor

/// SHA-256 (FIPS 180-4): the shim's socket names and the seccomp filter cache's keys and
/// checksums. Petrel links no crypto library; this is the one implementation (the x86 SHA
/// extensions when the CPU has them, CExecutor's sha256_ni.c, else the Swift rounds below).
public struct SHA256 {
    static let hardware = petrel_sha256_ni_available() == 1
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    /// The bytes of an incomplete 64-byte block.
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    /// Whether compress uses the SHA extensions (tests compare both ways).
    private let useHardware: Bool

    public init() { useHardware = Self.hardware }

    init(portable: Bool) { useHardware = !portable && Self.hardware }

    /// Feeds bytes; whole blocks are hashed straight from `bytes` (the message is never copied).
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var index = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            index = take
            guard pending.count == 64 else { return }
            let block = pending
            block.withUnsafeBytes { compress($0) }
            pending.removeAll(keepingCapacity: true)
        }
        let whole = (bytes.count - index) / 64 * 64
        if whole > 0 { compress(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + whole)])) }
        index += whole
        if index < bytes.count { pending.append(contentsOf: bytes[index...]) }
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest (the hasher is spent afterwards).
    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        while (pending.count + tail.count) % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        tail.withUnsafeBytes { update($0) }
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] {
            for shift in stride(from: 24, through: 0, by: -8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return digest
    }

    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Hashes `blocks` (a multiple of 64 bytes) into `h`. Eight rounds per step with the
    /// working variables' roles rotated instead of moved (the seccomp cache hashes the
    /// profile and the program on every create: about 250 blocks).
    private mutating func compress(_ blocks: UnsafeRawBufferPointer) {
        if useHardware, let base = blocks.baseAddress {
            withUnsafeMutableBytes(of: &h) { state in
                petrel_sha256_ni_compress(state.baseAddress?.assumingMemoryBound(to: UInt32.self),
                                          base.assumingMemoryBound(to: UInt8.self), blocks.count / 64)
            }
            return
        }
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x &>> n | x &<< (32 &- n) }
        @inline(__always) func round(
            _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
            _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32
        ) {
            // Σ1(e) = e>>>6 ^ e>>>11 ^ e>>>25 and Σ0(a) = a>>>2 ^ a>>>13 ^ a>>>22, nested (fewer copies).
            let t1 = h &+ rotr(rotr(rotr(e, 14) ^ e, 5) ^ e, 6) &+ (g ^ (e & (f ^ g))) &+ kw
            d &+= t1
            h = t1 &+ rotr(rotr(rotr(a, 9) ^ a, 11) ^ a, 2) &+ ((a & b) | (c & (a | b)))
        }
        var (h0, h1, h2, h3, h4, h5, h6, h7) = h
        Self.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for start in stride(from: 0, to: blocks.count, by: 64) {
                    for i in 0..<16 {
                        w[i] = UInt32(bigEndian: blocks.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self))
                    }
                    for i in 16..<64 {
                        let x = w[i - 15], y = w[i - 2]
                        let s0 = rotr(rotr(x, 11) ^ x, 7) ^ (x &>> 3)  // x>>>7 ^ x>>>18 ^ x>>3
                        let s1 = rotr(rotr(y, 2) ^ y, 17) ^ (y &>> 10)  // y>>>17 ^ y>>>19 ^ y>>10
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    var (a, b, c, d, e, f, g, hh) = (h0, h1, h2, h3, h4, h5, h6, h7)
                    for i in stride(from: 0, to: 64, by: 8) {
                        round(a, b, c, &d, e, f, g, &hh, k[i] &+ w[i])
                        round(hh, a, b, &c, d, e, f, &g, k[i + 1] &+ w[i + 1])
                        round(g, hh, a, &b, c, d, e, &f, k[i + 2] &+ w[i + 2])
                        round(f, g, hh, &a, b, c, d, &e, k[i + 3] &+ w[i + 3])
                        round(e, f, g, &hh, a, b, c, &d, k[i + 4] &+ w[i + 4])
                        round(d, e, f, &g, hh, a, b, &c, k[i + 5] &+ w[i + 5])
                        round(c, d, e, &f, g, hh, a, &b, k[i + 6] &+ w[i + 6])
                        round(b, c, d, &e, f, g, hh, &a, k[i + 7] &+ w[i + 7])
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= hh
                }
            }
        }
        h = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}

/// Lower-case hex.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

public func sha256Hex(_ message: some Sequence<UInt8>) -> String { hexString(SHA256.hash(message)) }
