import CExecutor
import CLibseccomp
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// linux.seccomp compiled to a classic BPF program in the parent (libseccomp is not
/// fork-safe and allocates); the executor only hands it to seccomp(2) just before exec.
public struct CompiledSeccomp: Sendable, Equatable {
    /// struct sock_filter instructions, 8 bytes each.
    public var program: [UInt8]
    /// SECCOMP_FILTER_FLAG_* for seccomp(SECCOMP_SET_MODE_FILTER).
    public var flags: UInt32
    /// A rule or the default uses SCMP_ACT_NOTIFY: the filter must return a listener fd.
    public var usesNotify: Bool

    public var instructionCount: Int { program.count / 8 }
}

public enum SeccompCompiler {
    /// Kernel return values (include/uapi/linux/seccomp.h); the low 16 bits carry data.
    static let actions: [String: UInt32] = [
        "SCMP_ACT_KILL": 0x0000_0000, "SCMP_ACT_KILL_THREAD": 0x0000_0000,
        "SCMP_ACT_KILL_PROCESS": 0x8000_0000, "SCMP_ACT_TRAP": 0x0003_0000,
        "SCMP_ACT_ERRNO": 0x0005_0000, "SCMP_ACT_NOTIFY": 0x7FC0_0000,
        "SCMP_ACT_TRACE": 0x7FF0_0000, "SCMP_ACT_LOG": 0x7FFC_0000, "SCMP_ACT_ALLOW": 0x7FFF_0000,
    ]

    static let operators: [String: scmp_compare] = [
        "SCMP_CMP_NE": SCMP_CMP_NE, "SCMP_CMP_LT": SCMP_CMP_LT, "SCMP_CMP_LE": SCMP_CMP_LE,
        "SCMP_CMP_EQ": SCMP_CMP_EQ, "SCMP_CMP_GE": SCMP_CMP_GE, "SCMP_CMP_GT": SCMP_CMP_GT,
        "SCMP_CMP_MASKED_EQ": SCMP_CMP_MASKED_EQ,
    ]

    /// SECCOMP_FILTER_FLAG_*; TSYNC is meaningless for a single-threaded init and ignored.
    static let flags: [String: UInt32] = [
        "SECCOMP_FILTER_FLAG_TSYNC": 0, "SECCOMP_FILTER_FLAG_LOG": 2,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 32,
    ]

    static let defaultErrno: UInt32 = 1  // EPERM, runc's default for ERRNO and TRACE

    /// libseccomp's token for an SCMP_ARCH_* name, nil when it does not know the name.
    static func libseccompArch(_ arch: Arch) -> UInt32? {
        guard arch.rawValue.hasPrefix("SCMP_ARCH_") else { return nil }
        let value = seccomp_arch_resolve_name(arch.rawValue.dropFirst("SCMP_ARCH_".count).lowercased())
        return value == 0 ? nil : value
    }

    /// What this build accepts, for `features`: the tables above, the architectures
    /// libseccomp resolves, and the flags the running kernel takes.
    public static var supportedActions: [String] { actions.keys.sorted() }
    public static var supportedOperators: [String] { operators.keys.sorted() }
    public static var supportedArchitectures: [String] { Arch.all.filter { libseccompArch($0) != nil }.map(\.rawValue) }
    public static var knownFlags: [String] { flags.keys.sorted() }
    public static var kernelFlags: [String] {
        flags.filter { $0.value == 0 || petrel_seccomp_flag_supported($0.value) == 1 }.keys.sorted()
    }
    public static var libseccompVersion: String {
        guard let version = seccomp_version() else { return "unknown" }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }

    /// The 32-bit action for a spec action name and its optional errno.
    static func action(_ name: String, errnoRet: UInt?, field: String) throws(RuntimeError) -> UInt32 {
        try SpecValidator.validateSeccompAction(name, errnoRet: errnoRet, field: field, SpecValidator.Context(configPath: nil))
        let base = actions[name] ?? 0
        switch name {
        case "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE":
            return base | (UInt32(truncatingIfNeeded: errnoRet ?? UInt(defaultErrno)) & 0xFFFF)
        default:
            return base
        }
    }

    /// The config's own rules (names, errno returns, operators, indexes) are SpecValidator's
    /// (SeccompRules), checked when the bundle is loaded and again here for direct callers.
    /// What only this host can say, whether libseccomp knows an architecture and can add each
    /// rule, is decided here, still before create makes anything. With a cache, a program
    /// compiled before from the same key (SeccompCacheKey) is used instead of libseccomp's
    /// work; the load flags and the listener come from the profile either way.
    public static func compile(_ seccomp: LinuxSeccomp, cache: SeccompCache? = nil) throws(RuntimeError) -> CompiledSeccomp {
        try SpecValidator.validateSeccompRules(seccomp, SpecValidator.Context(configPath: nil))
        let usesNotify = (seccomp.syscalls ?? []).contains { $0.action.rawValue == "SCMP_ACT_NOTIFY" }
        let flags = filterFlags(seccomp)
        var key: [UInt8]?
        if let cache, let cacheKey = try SeccompCacheKey.key(seccomp) {
            switch cache.lookup(cacheKey) {
            case .hit(let program): return CompiledSeccomp(program: program, flags: flags, usesNotify: usesNotify)
            case .miss: key = cacheKey
            case .unusable: break
            }
        }
        let program = try compileProgram(seccomp)
        if let cache, let key { cache.store(key, program: program) }
        return CompiledSeccomp(program: program, flags: flags, usesNotify: usesNotify)
    }

    static func defaultAction(_ seccomp: LinuxSeccomp) throws(RuntimeError) -> UInt32 {
        try action(seccomp.defaultAction.rawValue, errnoRet: seccomp.defaultErrnoRet, field: "linux.seccomp.defaultAction")
    }

    static func filterFlags(_ seccomp: LinuxSeccomp) -> UInt32 {
        (seccomp.flags ?? []).reduce(UInt32(0)) { $0 | (flags[$1.rawValue] ?? 0) }
    }

    /// libseccomp's program for the profile, with the ENOSYS stub in front.
    static func compileProgram(_ seccomp: LinuxSeccomp) throws(RuntimeError) -> [UInt8] {
        let defaultAction = try defaultAction(seccomp)
        guard let context = seccomp_init(defaultAction) else {
            throw RuntimeError("linux.seccomp: libseccomp cannot create a filter")
        }
        defer { seccomp_release(context) }

        // A new libseccomp filter always holds the native architecture; the listed ones are added.
        var architectures: [UInt32] = [seccomp_arch_native()]
        for (index, arch) in (seccomp.architectures ?? []).enumerated() {
            let field = "linux.seccomp.architectures[\(index)]"
            guard let value = libseccompArch(arch) else {
                throw RuntimeError("\(field): unknown architecture \(JSONText.quote(arch.rawValue))")
            }
            if !architectures.contains(value) { architectures.append(value) }
            let result = seccomp_arch_add(context, value)
            guard result == 0 || result == -EEXIST else {
                throw RuntimeError("\(field): cannot add architecture \(arch.rawValue)", errno: -result)
            }
        }

        // One pass over the names: each is resolved once per architecture, for the rule
        // (the native number) and for the ENOSYS stub's largest number per architecture
        // (every name counts there, also those of rules skipped below).
        let stubApplies = SeccompEnosysStub.applies(defaultAction: defaultAction)
        var largest = [Int32](repeating: -1, count: architectures.count)
        for (index, syscall) in (seccomp.syscalls ?? []).enumerated() {
            let field = "linux.seccomp.syscalls[\(index)]"
            let ruleAction = try action(syscall.action.rawValue, errnoRet: syscall.errnoRet, field: field + ".action")
            // libseccomp refuses a rule that repeats the default; runc skips it the same way.
            let skipped = ruleAction == defaultAction
            if skipped && !stubApplies { continue }
            let conditions = skipped ? [] : try conditions(syscall.args ?? [], field: field)
            for name in syscall.names {
                let number = name.withCString { cName -> Int32 in
                    guard stubApplies else { return seccomp_syscall_resolve_name(cName) }
                    // architectures[0] is the native one: its number is seccomp_syscall_resolve_name's.
                    var native = __NR_SCMP_ERROR
                    for (slot, arch) in architectures.enumerated() {
                        let number = seccomp_syscall_resolve_name_arch(arch, cName)
                        if slot == 0 { native = number }
                        if number > largest[slot] { largest[slot] = number }
                    }
                    return native
                }
                // An unknown name is a syscall this kernel/libseccomp lacks: skip, like runc.
                guard number != __NR_SCMP_ERROR else { continue }
                for group in conditions {
                    let result = group.withUnsafeBufferPointer { buffer in
                        seccomp_rule_add_array(context, ruleAction, number, UInt32(buffer.count), buffer.baseAddress)
                    }
                    guard result == 0 else {
                        throw RuntimeError("\(field): cannot add a rule for \(JSONText.quote(name))", errno: -result)
                    }
                }
            }
        }

        let program = try export(context)
        guard stubApplies else { return program }
        var largestByArch: [UInt32: UInt32] = [:]
        for (slot, arch) in architectures.enumerated() where largest[slot] >= 0 {
            largestByArch[arch] = UInt32(largest[slot])
        }
        return try SeccompEnosysStub.patch(program, largest: largestByArch)
    }

    /// The rules to add for one syscall entry: one rule with every condition, or, when an
    /// argument index repeats (libseccomp cannot AND two conditions on one argument), one
    /// rule per condition, as runc does.
    static func conditions(_ args: [LinuxSeccompArg], field: String) throws(RuntimeError) -> [[scmp_arg_cmp]] {
        try SpecValidator.validateSeccompArgs(args, field: field, SpecValidator.Context(configPath: nil))
        let compares = args.map { arg in
            scmp_arg_cmp(arg: UInt32(arg.index), op: operators[arg.op.rawValue] ?? SCMP_CMP_EQ, datum_a: arg.value, datum_b: arg.valueTwo ?? 0)
        }
        guard !compares.isEmpty else { return [[]] }
        let indexes = Set(compares.map(\.arg))
        return indexes.count == compares.count ? [compares] : compares.map { [$0] }
    }

    private static func export(_ context: scmp_filter_ctx) throws(RuntimeError) -> [UInt8] {
        let fd = petrel_memfd_create("petrel-seccomp")
        guard fd >= 0 else { throw RuntimeError.sys("cannot compile seccomp filter", "memfd_create", path: nil) }
        defer { close(fd) }
        let result = seccomp_export_bpf(context, fd)
        guard result == 0 else { throw RuntimeError("cannot compile seccomp filter: seccomp_export_bpf", errno: -result) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0, size % 8 == 0 else { throw RuntimeError("cannot compile seccomp filter: empty program") }
        var program = [UInt8](repeating: 0, count: Int(size))
        let read = program.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard read == size else { throw RuntimeError.sys("cannot compile seccomp filter", "pread", path: nil) }
        return program
    }
}
