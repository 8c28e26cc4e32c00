/// One eBPF instruction (struct bpf_insn).
public struct BPFInstruction: Equatable, Sendable, CustomStringConvertible {
    public var code: UInt8
    public var dst: UInt8
    public var src: UInt8
    public var offset: Int16
    public var imm: Int32

    public init(code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, offset: Int16 = 0, imm: Int32 = 0) {
        self.code = code
        self.dst = dst
        self.src = src
        self.offset = offset
        self.imm = imm
    }

    // The opcodes the filter uses (classes | operation | source), from linux/bpf.h.
    static let loadWord: UInt8 = 0x61  // BPF_LDX | BPF_MEM | BPF_W
    static let and32Imm: UInt8 = 0x54  // BPF_ALU | BPF_AND | BPF_K
    static let rsh32Imm: UInt8 = 0x74  // BPF_ALU | BPF_RSH | BPF_K
    static let mov32Imm: UInt8 = 0xb4  // BPF_ALU | BPF_MOV | BPF_K
    static let mov32Reg: UInt8 = 0xbc  // BPF_ALU | BPF_MOV | BPF_X
    static let jneImm: UInt8 = 0x55  // BPF_JMP | BPF_JNE | BPF_K
    static let jneReg: UInt8 = 0x5d  // BPF_JMP | BPF_JNE | BPF_X
    static let exit: UInt8 = 0x95  // BPF_JMP | BPF_EXIT

    public var description: String {
        "code=0x\(String(code, radix: 16)) dst=r\(dst) src=r\(src) off=\(offset) imm=\(imm)"
    }
}

/// The cgroup v2 device controller is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) that
/// returns 1 to allow an access and 0 to refuse it. The generator follows runc's
/// devicefilter (itself from crun): load the request into registers, then one block per
/// rule that either returns its verdict or falls through to the next block.
///
/// Rules are emitted last to first, so the first block that matches is the last rule in
/// the list: "last match wins", the v1 semantics. Nothing matching means deny.
public enum DeviceFilter {
    /// The license string the kernel records with the program (runc uses the same).
    public static let license = "Apache"

    // bpf_cgroup_dev_ctx: u32 access_type (type in the low 16 bits, access in the high 16),
    // u32 major, u32 minor.
    static let typeBlock: Int32 = 1  // BPF_DEVCG_DEV_BLOCK
    static let typeChar: Int32 = 2  // BPF_DEVCG_DEV_CHAR
    static let accessMknod: Int32 = 1  // BPF_DEVCG_ACC_MKNOD
    static let accessRead: Int32 = 2  // BPF_DEVCG_ACC_READ
    static let accessWrite: Int32 = 4  // BPF_DEVCG_ACC_WRITE

    public static func program(_ rules: [DeviceRule]) -> [BPFInstruction] {
        typealias I = BPFInstruction
        var program: [I] = [
            I(code: I.loadWord, dst: 2, src: 1, offset: 0),  // r2 = access_type
            I(code: I.and32Imm, dst: 2, imm: 0xFFFF),  // r2 = device type
            I(code: I.loadWord, dst: 3, src: 1, offset: 0),  // r3 = access_type
            I(code: I.rsh32Imm, dst: 3, imm: 16),  // r3 = requested access bits
            I(code: I.loadWord, dst: 4, src: 1, offset: 4),  // r4 = major
            I(code: I.loadWord, dst: 5, src: 1, offset: 8),  // r5 = minor
        ]
        for rule in rules.reversed() {
            let block = self.block(for: rule)
            program += block
            // A block without conditions always returns: anything after it would be dead
            // code, which the verifier rejects.
            if block.count == 2 { return program }
        }
        program += verdict(false)
        return program
    }

    /// The instructions of one rule. Each condition jumps to the end of the block (the
    /// next rule) when the request does not match.
    static func block(for rule: DeviceRule) -> [BPFInstruction] {
        typealias I = BPFInstruction
        var checks: [I] = []
        if rule.kind != .all {
            checks.append(I(code: I.jneImm, dst: 2, imm: rule.kind == .block ? typeBlock : typeChar))
            let bits = accessBits(rule.access)
            if bits != accessMknod | accessRead | accessWrite {
                // Every requested bit must be granted: r1 = r3 & bits; if r1 != r3 skip.
                checks += [
                    I(code: I.mov32Reg, dst: 1, src: 3),
                    I(code: I.and32Imm, dst: 1, imm: bits),
                    I(code: I.jneReg, dst: 1, src: 3),
                ]
            }
            if let major = rule.major { checks.append(I(code: I.jneImm, dst: 4, imm: Int32(truncatingIfNeeded: major))) }
            if let minor = rule.minor { checks.append(I(code: I.jneImm, dst: 5, imm: Int32(truncatingIfNeeded: minor))) }
        }
        let block = checks + verdict(rule.allow)
        return block.enumerated().map { index, instruction in
            var instruction = instruction
            if instruction.code == I.jneImm || instruction.code == I.jneReg {
                instruction.offset = Int16(block.count - index - 1)
            }
            return instruction
        }
    }

    static func verdict(_ allow: Bool) -> [BPFInstruction] {
        [BPFInstruction(code: BPFInstruction.mov32Imm, dst: 0, imm: allow ? 1 : 0), BPFInstruction(code: BPFInstruction.exit)]
    }

    static func accessBits(_ access: String) -> Int32 {
        var bits: Int32 = 0
        if access.contains("r") { bits |= accessRead }
        if access.contains("w") { bits |= accessWrite }
        if access.contains("m") { bits |= accessMknod }
        return bits
    }
}
