import OCI
import Testing
@testable import PetrelRuntime

/// Runs compiled filters in a small classic-BPF interpreter (the subset libseccomp emits
/// for argument-free rules) on a (arch, nr) pair.
struct BPFMachine {
    let program: [UInt8]

    func run(arch: UInt32, nr: UInt32) -> UInt32? {
        var a: UInt32 = 0
        var pc = 0
        var steps = 0
        while pc * 8 + 8 <= program.count, steps < 10_000 {
            steps += 1
            let base = pc * 8
            let code = UInt16(program[base]) | UInt16(program[base + 1]) << 8
            let jt = Int(program[base + 2]), jf = Int(program[base + 3])
            let k = (0..<4).reduce(UInt32(0)) { $0 | UInt32(program[base + 4 + $1]) << (8 * UInt32($1)) }
            pc += 1
            switch code {
            case 0x20:  // ld [k]
                switch k {
                case 0: a = nr
                case 4: a = arch
                default: a = 0  // instruction pointer and arguments: zero here
                }
            case 0x00: a = k  // ld #k
            case 0x54: a &= k  // and #k
            case 0x05: pc += Int(k)
            case 0x15: pc += a == k ? jt : jf
            case 0x25: pc += a > k ? jt : jf
            case 0x35: pc += a >= k ? jt : jf
            case 0x45: pc += a & k != 0 ? jt : jf
            case 0x06: return k
            default: return nil
            }
        }
        return nil
    }
}

@Suite struct SeccompEnosysStubTests {
    static let x86_64: UInt32 = 0xC000_003E
    static let i386: UInt32 = 0x4000_0003
    static let aarch64: UInt32 = 0xC000_00B7
    static let x32Bit: UInt32 = 0x4000_0000
    static let allow: UInt32 = 0x7FFF_0000
    static let eperm: UInt32 = 0x0005_0001
    static let enosys: UInt32 = 0x0005_0026

    func machine(_ seccomp: LinuxSeccomp) throws -> BPFMachine {
        BPFMachine(program: try SeccompCompiler.compile(seccomp).program)
    }

    func denyByDefault(_ names: [String], errnoRet: UInt? = nil) -> LinuxSeccomp {
        LinuxSeccomp(defaultAction: .errno, defaultErrnoRet: errnoRet, architectures: [.x86_64, .x86, .x32],
                     syscalls: [LinuxSyscall(names: names, action: .allow)])
    }

    @Test func newerThanTheProfileIsEnosysOnEveryArchitecture() throws {
        // faccessat is x86_64 269 / i386 307, the largest named; faccessat2 (439) is newer.
        let vm = try machine(denyByDefault(["read", "faccessat"]))
        #expect(vm.run(arch: Self.x86_64, nr: 0) == Self.allow)
        #expect(vm.run(arch: Self.x86_64, nr: 39) == Self.eperm)  // getpid: older, unlisted
        #expect(vm.run(arch: Self.x86_64, nr: 269) == Self.allow)
        #expect(vm.run(arch: Self.x86_64, nr: 270) == Self.enosys)
        #expect(vm.run(arch: Self.x86_64, nr: 439) == Self.enosys)
        #expect(vm.run(arch: Self.x86_64, nr: 1000) == Self.enosys)
        #expect(vm.run(arch: Self.x86_64, nr: Self.x32Bit | 0) == Self.allow)
        #expect(vm.run(arch: Self.x86_64, nr: Self.x32Bit | 39) == Self.eperm)
        #expect(vm.run(arch: Self.x86_64, nr: Self.x32Bit | 1000) == Self.enosys)
        #expect(vm.run(arch: Self.i386, nr: 3) == Self.allow)
        #expect(vm.run(arch: Self.i386, nr: 20) == Self.eperm)
        #expect(vm.run(arch: Self.i386, nr: 307) == Self.allow)
        #expect(vm.run(arch: Self.i386, nr: 1000) == Self.enosys)
        // Not in the filter: libseccomp's bad-architecture action, never the stub's ENOSYS.
        #expect(vm.run(arch: Self.aarch64, nr: 1000) != Self.enosys)
    }

    @Test func x32IsCheckedOnlyWhenListed() throws {
        let seccomp = LinuxSeccomp(defaultAction: .errno, architectures: [.x86_64],
                                   syscalls: [LinuxSyscall(names: ["read"], action: .allow)])
        let vm = try machine(seccomp)
        #expect(vm.run(arch: Self.x86_64, nr: 1000) == Self.enosys)
        #expect(vm.run(arch: Self.x86_64, nr: Self.x32Bit | 1000) != Self.enosys)
    }

    @Test func killDefaultsGetTheStubToo() throws {
        let seccomp = LinuxSeccomp(defaultAction: .killProcess, architectures: [.x86_64],
                                   syscalls: [LinuxSyscall(names: ["read", "close"], action: .allow)])
        let vm = try machine(seccomp)
        #expect(vm.run(arch: Self.x86_64, nr: 1000) == Self.enosys)
        #expect(vm.run(arch: Self.x86_64, nr: 1) == 0x8000_0000)
    }

    @Test func noStubForPermissiveDefaultsOrAnEnosysDefault() throws {
        let allowing = LinuxSeccomp(defaultAction: .allow, architectures: [.x86_64],
                                    syscalls: [LinuxSyscall(names: ["getpid"], action: .errno)])
        #expect(try machine(allowing).run(arch: Self.x86_64, nr: 1000) == Self.allow)
        let enosysDefault = denyByDefault(["read"], errnoRet: 38)
        let compiled = try SeccompCompiler.compile(enosysDefault)
        #expect(BPFMachine(program: compiled.program).run(arch: Self.x86_64, nr: 39) == Self.enosys)
        #expect(SeccompEnosysStub.applies(defaultAction: 0x0005_0026) == false)
        #expect(SeccompEnosysStub.applies(defaultAction: 0x7FFC_0000) == false)  // LOG
        #expect(SeccompEnosysStub.applies(defaultAction: 0x7FF0_0001) == false)  // TRACE
        #expect(SeccompEnosysStub.applies(defaultAction: 0x0003_0000) == true)  // TRAP
    }

    @Test func withoutArchitecturesTheNativeOneIsCovered() throws {
        let seccomp = LinuxSeccomp(defaultAction: .errno, syscalls: [LinuxSyscall(names: ["read"], action: .allow)])
        #expect(try machine(seccomp).run(arch: Self.x86_64, nr: 1000) == Self.enosys)
    }

    @Test func theStubFallsThroughToTheFilter() throws {
        let stub = try SeccompEnosysStub.stub([0xC000_003E: 10])
        // Appending a lone "ret ALLOW" as the filter: numbers up to 10 reach it.
        var program = stub
        program += [0x06, 0, 0, 0, 0x00, 0x00, 0xFF, 0x7F]
        let vm = BPFMachine(program: program)
        #expect(vm.run(arch: Self.x86_64, nr: 10) == Self.allow)
        #expect(vm.run(arch: Self.x86_64, nr: 11) == Self.enosys)
        #expect(vm.run(arch: Self.x86_64, nr: Self.x32Bit | 11) == Self.allow)
        #expect(vm.run(arch: Self.i386, nr: 11) == Self.allow)
        #expect(try SeccompEnosysStub.stub([:]).isEmpty)
    }
}
