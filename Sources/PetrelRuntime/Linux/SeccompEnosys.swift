import CLibseccomp
import OCI

/// runc's "ENOSYS stub": libc falls back from a syscall the kernel lacks (clone3 to clone,
/// faccessat2 to faccessat, openat2 to openat) only when it gets ENOSYS, but a profile
/// written before the syscall existed sends it to the default action (EPERM, or a kill).
/// So, when the default action denies, a few instructions go in front of libseccomp's
/// program: for each architecture of the filter, a syscall number above the largest the
/// profile names for that architecture returns ENOSYS. Our own layout; runc's
/// libcontainer/seccomp/patchbpf does the same for the same reason.
public enum SeccompEnosysStub {
    static let enosys: UInt32 = 38
    static let x32Bit: UInt32 = 0x4000_0000
    static let auditArchX86_64: UInt32 = 0xC000_003E
    /// libseccomp's SCMP_ARCH_X32 token (x32 syscalls arrive as x86_64 with bit 30 set).
    static let scmpArchX32: UInt32 = 0x4000_003E
    static let maxInstructions = 4096

    /// Whether the stub applies: not for permissive defaults (a tracer handles ENOSYS
    /// itself, runc's rule too) nor when the default already is ENOSYS.
    static func applies(defaultAction: UInt32) -> Bool {
        switch defaultAction & 0xFFFF_0000 {
        case 0x7FFF_0000, 0x7FFC_0000, 0x7FF0_0000: return false  // ALLOW, LOG, TRACE
        case 0x0005_0000: return defaultAction & 0xFFFF != enosys
        default: return true
        }
    }

    /// The largest syscall number the profile names, per libseccomp architecture token.
    /// Names this libseccomp does not know, and its negative pseudo-numbers, do not count.
    /// SeccompCompiler computes the same in its rule pass; this is the tests' reference.
    static func largestSyscalls(_ seccomp: LinuxSeccomp, architectures: [UInt32]) -> [UInt32: UInt32] {
        var largest: [UInt32: UInt32] = [:]
        let names = Set((seccomp.syscalls ?? []).flatMap(\.names))
        for arch in architectures {
            for name in names {
                let number = seccomp_syscall_resolve_name_arch(arch, name)
                guard number >= 0 else { continue }
                largest[arch] = max(largest[arch] ?? 0, UInt32(number))
            }
        }
        return largest
    }

    /// The stub's instructions (8 bytes each, host order) for `largest`, or [] when there
    /// is nothing to check. Its last instruction falls through to the original program.
    static func stub(_ largest: [UInt32: UInt32]) throws(RuntimeError) -> [UInt8] {
        // x86_64 and x32 share AUDIT_ARCH_X86_64; bit 30 of the number tells them apart.
        var groups: [UInt32: (native: UInt32?, x32: UInt32?)] = [:]
        for (arch, number) in largest {
            if arch == scmpArchX32 {
                groups[auditArchX86_64, default: (nil, nil)].x32 = number
            } else {
                groups[arch, default: (nil, nil)].native = number
            }
        }
        guard !groups.isEmpty else { return [] }
        var code = BPFAssembler()
        code.load(offset: 4)  // seccomp_data.arch
        let archs = groups.keys.sorted()
        for arch in archs { code.jump(ifEqual: arch, to: "arch\(arch)") }
        code.jump(to: "filter")
        for arch in archs {
            guard let group = groups[arch] else { continue }
            code.label("arch\(arch)")
            code.load(offset: 0)  // seccomp_data.nr
            if arch == auditArchX86_64 {
                code.jump(ifBitsSet: x32Bit, to: "x32", orElse: "x86_64")
                code.label("x86_64")
                checkLargest(group.native, in: &code)
                code.label("x32")
                checkLargest(group.x32, in: &code)
            } else {
                checkLargest(group.native, in: &code)
            }
        }
        code.label("enosys")
        code.ret(0x0005_0000 | enosys)
        code.label("filter")
        return try code.assemble()
    }

    private static func checkLargest(_ number: UInt32?, in code: inout BPFAssembler) {
        if let number {
            code.jump(ifGreater: number, to: "enosys", orElse: "filter")
        } else {
            code.jump(to: "filter")
        }
    }

    /// The program with the stub in front, for a default action the stub applies to;
    /// `largest` is largestSyscalls' result (SeccompCompiler computes it while it adds the rules).
    static func patch(_ program: [UInt8], largest: [UInt32: UInt32]) throws(RuntimeError) -> [UInt8] {
        let stub = try stub(largest)
        guard (stub.count + program.count) / 8 <= maxInstructions else {
            throw RuntimeError("linux.seccomp: the filter needs more than \(maxInstructions) BPF instructions")
        }
        return stub + program
    }
}

/// A tiny classic-BPF assembler with forward labels (the stub only jumps forward).
struct BPFAssembler {
    private enum Target { case none, label(String) }
    private struct Instruction {
        var code: UInt16
        var k: UInt32
        var jt: Target = .none
        var jf: Target = .none
        var ja: Target = .none
    }
    private var instructions: [Instruction] = []
    private var labels: [String: Int] = [:]

    mutating func label(_ name: String) { labels[name] = instructions.count }
    mutating func load(offset: UInt32) { instructions.append(Instruction(code: 0x20, k: offset)) }  // ld [k]
    mutating func ret(_ value: UInt32) { instructions.append(Instruction(code: 0x06, k: value)) }
    mutating func jump(to target: String) { instructions.append(Instruction(code: 0x05, k: 0, ja: .label(target))) }
    /// jeq k: to `target`, else the next instruction.
    mutating func jump(ifEqual value: UInt32, to target: String) {
        instructions.append(Instruction(code: 0x15, k: value, jt: .label(target)))
    }
    mutating func jump(ifGreater value: UInt32, to target: String, orElse other: String) {
        instructions.append(Instruction(code: 0x25, k: value, jt: .label(target), jf: .label(other)))
    }
    mutating func jump(ifBitsSet value: UInt32, to target: String, orElse other: String) {
        instructions.append(Instruction(code: 0x45, k: value, jt: .label(target), jf: .label(other)))
    }

    func assemble() throws(RuntimeError) -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, instruction) in instructions.enumerated() {
            func offset(_ target: Target) throws(RuntimeError) -> Int {
                guard case .label(let name) = target else { return 0 }
                guard let position = labels[name], position > index else {
                    throw RuntimeError("linux.seccomp: internal error assembling the ENOSYS stub (label \(name))")
                }
                return position - index - 1
            }
            let jt = try offset(instruction.jt)
            let jf = try offset(instruction.jf)
            var k = instruction.k
            if case .label = instruction.ja { k = UInt32(try offset(instruction.ja)) }
            guard jt <= 255, jf <= 255 else { throw RuntimeError("linux.seccomp: the ENOSYS stub's jumps are too long") }
            withUnsafeBytes(of: instruction.code.littleEndian) { bytes += $0 }
            bytes += [UInt8(jt), UInt8(jf)]
            withUnsafeBytes(of: k.littleEndian) { bytes += $0 }
        }
        return bytes
    }
}
