import CExecutor
import CLibseccomp
import Glibc
import OCI
import Testing
@testable import PetrelRuntime

/// SeccompCompiler's program, byte for byte, against the straightforward compile it replaced
/// (main before the single-pass name resolution): rules added name by name with
/// seccomp_syscall_resolve_name, the ENOSYS stub's largest numbers from largestSyscalls,
/// stub in front of seccomp_export_bpf's program. Speed work must not change the filter.
@Suite struct SeccompProgramEquivalenceTests {
    static let dockerBlocked: Set<String> = [
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "clone", "clone3", "create_module",
        "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms",
        "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
        "keyctl", "lookup_dcookie", "mbind", "mount", "mount_setattr", "move_mount", "move_pages",
        "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
        "personality", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
        "query_module", "quotactl", "quotactl_fd", "reboot", "request_key", "set_mempolicy",
        "setdomainname", "sethostname", "settimeofday", "setns", "swapon", "swapoff", "sysfs",
        "_sysctl", "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86",
        "vm86old", "afs_syscall", "tuxcall", "security", "getpmsg", "putpmsg", "vserver",
    ]

    /// bench/docker-like-seccomp.py's profile, with the x86_64 names libseccomp knows.
    static var dockerLike: LinuxSeccomp {
        var names: [String] = []
        for number in Int32(0)..<Int32(600) {
            guard let name = seccomp_syscall_resolve_num_arch(SeccompEnosysStub.auditArchX86_64, number) else { continue }
            names.append(String(cString: name))
            free(name)
        }
        let allowed = Set(names).subtracting(dockerBlocked).sorted()
        let personality = [UInt64(0), 8, 131072, 131080, 4294967295].map { value in
            LinuxSyscall(names: ["personality"], action: .allow, args: [LinuxSeccompArg(index: 0, value: value, op: .equalTo)])
        }
        return LinuxSeccomp(
            defaultAction: .errno, defaultErrnoRet: 1, architectures: [.x86_64, .x86, .x32],
            syscalls: [LinuxSyscall(names: allowed, action: .allow)] + personality + [
                LinuxSyscall(names: ["clone"], action: .allow,
                             args: [LinuxSeccompArg(index: 0, value: 0x7E02_0000, valueTwo: 0, op: .maskedEqual)]),
                LinuxSyscall(names: ["clone3"], action: .errno, errnoRet: 38),
            ])
    }

    static var profiles: [(String, LinuxSeccomp)] {
        let args = [
            LinuxSeccompArg(index: 0, value: 1, op: .equalTo), LinuxSeccompArg(index: 0, value: 2, op: .equalTo),
            LinuxSeccompArg(index: 1, value: 0xFF, valueTwo: 0x10, op: .maskedEqual),
        ]
        return [
            ("docker-like", dockerLike),
            ("allow default, errno rule", LinuxSeccomp(
                defaultAction: .allow, architectures: [.x86_64, .x86, .x32],
                syscalls: [LinuxSyscall(names: ["mkdir", "mkdirat"], action: .errno, errnoRet: 13)])),
            ("kill default, args, unknown names, a rule repeating the default", LinuxSeccomp(
                defaultAction: .killProcess, architectures: [.x86],
                syscalls: [
                    LinuxSyscall(names: ["read", "write", "no_such_syscall", "socket", "exit_group"], action: .allow),
                    LinuxSyscall(names: ["openat"], action: .errno, errnoRet: 2, args: args),
                    LinuxSyscall(names: ["faccessat2", "io_uring_setup"], action: .killProcess),
                    LinuxSyscall(names: ["kill"], action: .trap, args: [LinuxSeccompArg(index: 1, value: 9, op: .greaterEqual)]),
                ])),
            ("errno ENOSYS default (no stub)", LinuxSeccomp(
                defaultAction: .errno, defaultErrnoRet: 38,
                syscalls: [LinuxSyscall(names: ["getpid", "gettid"], action: .allow)])),
            ("trap default, x32 only names", LinuxSeccomp(
                defaultAction: .trap, architectures: [.x32, .x86_64],
                syscalls: [LinuxSyscall(names: ["getpid", "x32_no_such", "uname"], action: .log)])),
            ("no rules", LinuxSeccomp(defaultAction: .errno)),
        ]
    }

    /// The compile as main had it before the single pass.
    static func reference(_ seccomp: LinuxSeccomp) throws -> [UInt8] {
        let defaultAction = try SeccompCompiler.defaultAction(seccomp)
        let context = try #require(seccomp_init(defaultAction))
        defer { seccomp_release(context) }
        var architectures: [UInt32] = [seccomp_arch_native()]
        for arch in seccomp.architectures ?? [] {
            let value = try #require(SeccompCompiler.libseccompArch(arch))
            if !architectures.contains(value) { architectures.append(value) }
            let result = seccomp_arch_add(context, value)
            #expect(result == 0 || result == -EEXIST)
        }
        for (index, syscall) in (seccomp.syscalls ?? []).enumerated() {
            let ruleAction = try SeccompCompiler.action(syscall.action.rawValue, errnoRet: syscall.errnoRet, field: "f")
            if ruleAction == defaultAction { continue }
            let conditions = try SeccompCompiler.conditions(syscall.args ?? [], field: "linux.seccomp.syscalls[\(index)]")
            for name in syscall.names {
                let number = seccomp_syscall_resolve_name(name)
                guard number != __NR_SCMP_ERROR else { continue }
                for group in conditions {
                    let result = group.withUnsafeBufferPointer {
                        seccomp_rule_add_array(context, ruleAction, number, UInt32($0.count), $0.baseAddress)
                    }
                    #expect(result == 0)
                }
            }
        }
        let fd = petrel_memfd_create("reference")
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(seccomp_export_bpf(context, fd) == 0)
        let size = Int(lseek(fd, 0, SEEK_END))
        var program = [UInt8](repeating: 0, count: size)
        #expect(program.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) } == size)
        guard SeccompEnosysStub.applies(defaultAction: defaultAction) else { return program }
        return try SeccompEnosysStub.stub(SeccompEnosysStub.largestSyscalls(seccomp, architectures: architectures)) + program
    }

    @Test(arguments: profiles.map(\.0)) func sameProgramAsTheReference(_ name: String) throws {
        let seccomp = try #require(Self.profiles.first { $0.0 == name }?.1)
        let compiled = try SeccompCompiler.compile(seccomp)
        let reference = try Self.reference(seccomp)
        #expect(compiled.program == reference, "\(name): \(compiled.instructionCount) instructions, reference \(reference.count / 8)")
    }

    /// The Docker-like program's checksum as main's compiler exported it, with the
    /// libseccomp it was recorded with (another version may order the BPF differently).
    @Test func dockerLikeChecksumAsRecorded() throws {
        let program = try SeccompCompiler.compile(Self.dockerLike).program
        let digest = sha256Hex(program)
        // Recorded on x86_64 with Debian 12's libseccomp 2.5.4 (984 instructions); other hosts
        // have sameProgramAsTheReference only.
        guard SeccompCompiler.libseccompVersion == "2.5.4", seccomp_arch_native() == SeccompEnosysStub.auditArchX86_64 else { return }
        #expect(digest == "84f6beb936960a6be3fa7f2f1a838b0ef1ee49cd20f2ffadc3845cf905a4da2d", "\(program.count / 8) instructions")
    }
}
