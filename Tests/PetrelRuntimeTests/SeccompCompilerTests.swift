import OCI
import Testing
@testable import PetrelRuntime

@Suite struct SeccompCompilerTests {
    @Test func compilesAnAllowListWithErrno() throws {
        let seccomp = LinuxSeccomp(
            defaultAction: .allow, architectures: [.x86_64, .x86, .x32],
            syscalls: [LinuxSyscall(names: ["mkdir", "mkdirat"], action: .errno, errnoRet: 13)])
        let compiled = try SeccompCompiler.compile(seccomp)
        #expect(compiled.instructionCount > 4)
        #expect(compiled.program.count == compiled.instructionCount * 8)
        #expect(!compiled.usesNotify)
        #expect(compiled.flags == 0)
    }

    @Test func actionValuesCarryTheErrno() throws {
        #expect(try SeccompCompiler.action("SCMP_ACT_ERRNO", errnoRet: nil, field: "f") == 0x0005_0001)
        #expect(try SeccompCompiler.action("SCMP_ACT_ERRNO", errnoRet: 38, field: "f") == 0x0005_0026)
        #expect(try SeccompCompiler.action("SCMP_ACT_TRACE", errnoRet: 2, field: "f") == 0x7FF0_0002)
        #expect(try SeccompCompiler.action("SCMP_ACT_KILL_PROCESS", errnoRet: nil, field: "f") == 0x8000_0000)
    }

    @Test func anErrnoOnAnActionWithoutOneIsRefused() {
        #expect(throws: RuntimeError("f: SCMP_ACT_KILL takes no errno, got errnoRet 5")) {
            try SeccompCompiler.action("SCMP_ACT_KILL", errnoRet: 5, field: "f")
        }
    }

    @Test func unknownSyscallNamesAreSkipped() throws {
        let seccomp = LinuxSeccomp(
            defaultAction: .allow,
            syscalls: [LinuxSyscall(names: ["no_such_syscall_at_all", "getpid"], action: .errno)])
        #expect(try SeccompCompiler.compile(seccomp).instructionCount > 0)
    }

    @Test func unknownActionNamesTheField() {
        let seccomp = LinuxSeccomp(
            defaultAction: .allow, syscalls: [LinuxSyscall(names: ["getpid"], action: "SCMP_ACT_EXPLODE")])
        #expect(throws: RuntimeError("linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_EXPLODE\"")) {
            try SeccompCompiler.compile(seccomp)
        }
    }

    @Test func unknownFlagAndArchAreErrors() {
        #expect(throws: RuntimeError.self) {
            try SeccompCompiler.compile(LinuxSeccomp(defaultAction: .allow, flags: ["SECCOMP_FILTER_FLAG_BOGUS"]))
        }
        #expect(throws: RuntimeError.self) {
            try SeccompCompiler.compile(LinuxSeccomp(defaultAction: .allow, architectures: ["SCMP_ARCH_Z80"]))
        }
    }

    @Test func notifyIsDetectedAndFlagsMapped() throws {
        let seccomp = LinuxSeccomp(
            defaultAction: .allow, flags: [.log, .specAllow],
            syscalls: [LinuxSyscall(names: ["mkdir"], action: .notify)])
        let compiled = try SeccompCompiler.compile(seccomp)
        #expect(compiled.usesNotify)
        #expect(compiled.flags == 6)
    }

    @Test func repeatedArgumentIndexesSplitIntoRules() throws {
        let args = [
            LinuxSeccompArg(index: 0, value: 1, op: .equalTo),
            LinuxSeccompArg(index: 0, value: 2, op: .equalTo),
        ]
        #expect(try SeccompCompiler.conditions(args, field: "f").count == 2)
        let distinct = [
            LinuxSeccompArg(index: 0, value: 1, op: .equalTo),
            LinuxSeccompArg(index: 1, value: 0xFF, valueTwo: 3, op: .maskedEqual),
        ]
        let grouped = try SeccompCompiler.conditions(distinct, field: "f")
        #expect(grouped.count == 1 && grouped[0].count == 2)
        #expect(throws: RuntimeError.self) {
            try SeccompCompiler.conditions([LinuxSeccompArg(index: 7, value: 0, op: .equalTo)], field: "f")
        }
    }
}
