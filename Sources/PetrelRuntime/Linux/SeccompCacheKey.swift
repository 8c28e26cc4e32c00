import CExecutor
import CLibseccomp
import OCI

/// The key of a compiled filter in SeccompCache: SHA-256 of a canonical serialization of
/// everything the BPF program depends on. The profile enters as the compiler sees it
/// (resolved action values, libseccomp architecture tokens and operators), so spellings
/// that compile alike (KILL and KILL_THREAD, ERRNO with and without errnoRet 1, a missing
/// list and an empty one, JSON layout and key order) share a key, while order, which
/// decides the order rules and architectures are added in, is kept. The host and the build
/// enter through `environment`.
public enum SeccompCacheKey {
    /// Bump when SeccompCompiler or SeccompEnosysStub would turn the same inputs into a
    /// different program (the executable's identity below catches a rebuild anyway).
    static let format: UInt64 = 1

    /// What is not in the profile but decides the program, or whether it compiles at all:
    /// - the GNU build ID of this executable, so no filter outlives the build of
    ///   SeccompCompiler and the ENOSYS stub that made it (not /proc/self/exe's inode: petrel
    ///   runs from a fresh memfd or overlay every time, specs/protected-binary.md);
    /// - libseccomp's version, and the build ID of its shared object when it is one (a
    ///   distribution may patch the syscall tables without changing the version);
    /// - libseccomp's API level: the kernel features it probes (seccomp(2) itself, TSYNC,
    ///   LOG and KILL_PROCESS, SPEC_ALLOW, NEW_LISTENER and USER_NOTIF, TSYNC_ESRCH) and
    ///   checks actions against before it accepts a rule;
    /// - the native architecture (always in the filter; decides the syscall numbers).
    /// nil when a build ID is missing: then nothing is cached.
    static let environment: [UInt8]? = {
        var writer = CanonicalWriter()
        writer.string("petrel seccomp filter cache")
        writer.integer(format)
        var own = [UInt8](repeating: 0, count: 64)
        var library = [UInt8](repeating: 0, count: 64)
        let ownLength = own.withUnsafeMutableBufferPointer { petrel_own_build_id($0.baseAddress, $0.count) }
        let libraryLength = library.withUnsafeMutableBufferPointer { petrel_build_id(petrel_libseccomp_address(), $0.baseAddress, $0.count) }
        guard ownLength > 0, libraryLength > 0 else { return nil }
        writer.blob(own.prefix(ownLength))
        writer.blob(library.prefix(libraryLength))
        guard let version = seccomp_version() else { return nil }
        writer.integer(UInt64(version.pointee.major))
        writer.integer(UInt64(version.pointee.minor))
        writer.integer(UInt64(version.pointee.micro))
        writer.integer(UInt64(seccomp_api_get()))
        writer.integer(UInt64(seccomp_arch_native()))
        return writer.bytes
    }()

    /// The key for `seccomp`, nil when it cannot be cached (an architecture libseccomp does
    /// not know: the compiler reports it).
    public static func key(_ seccomp: LinuxSeccomp) throws(RuntimeError) -> [UInt8]? {
        guard let environment, let profile = try canonicalProfile(seccomp) else { return nil }
        var hasher = SHA256()
        environment.withUnsafeBytes { hasher.update($0) }
        profile.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// The profile's part of the key: what SeccompCompiler.compile reads, as it reads it.
    /// listenerPath and listenerMetadata are not in the program and are left out.
    static func canonicalProfile(_ seccomp: LinuxSeccomp) throws(RuntimeError) -> [UInt8]? {
        var writer = CanonicalWriter()
        writer.integer(UInt64(try SeccompCompiler.defaultAction(seccomp)))
        writer.integer(UInt64(SeccompCompiler.filterFlags(seccomp)))
        // As compile adds them: the native one first, each other one once, in order.
        var architectures: [UInt32] = [seccomp_arch_native()]
        for arch in seccomp.architectures ?? [] {
            guard let value = SeccompCompiler.libseccompArch(arch) else { return nil }
            if !architectures.contains(value) { architectures.append(value) }
        }
        writer.integer(UInt64(architectures.count))
        for value in architectures { writer.integer(UInt64(value)) }
        let syscalls = seccomp.syscalls ?? []
        writer.integer(UInt64(syscalls.count))
        for (index, syscall) in syscalls.enumerated() {
            let field = "linux.seccomp.syscalls[\(index)]"
            writer.integer(UInt64(try SeccompCompiler.action(syscall.action.rawValue, errnoRet: syscall.errnoRet, field: field + ".action")))
            writer.integer(UInt64(syscall.names.count))
            for name in syscall.names { writer.string(name) }
            let args = syscall.args ?? []
            writer.integer(UInt64(args.count))
            for arg in args {
                writer.integer(UInt64(arg.index))
                writer.integer(UInt64((SeccompCompiler.operators[arg.op.rawValue] ?? SCMP_CMP_EQ).rawValue))
                writer.integer(arg.value)
                writer.integer(arg.valueTwo ?? 0)
            }
        }
        return writer.bytes
    }
}

/// Fixed-width little-endian integers and length-prefixed strings: no two different inputs
/// serialize to the same bytes.
struct CanonicalWriter {
    var bytes: [UInt8] = []

    mutating func integer(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ value: String) { blob(value.utf8) }

    mutating func blob(_ value: some Collection<UInt8>) {
        integer(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}
