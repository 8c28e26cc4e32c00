import CLibseccomp
import OCI
#if canImport(Glibc)
import Glibc
#endif

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
    /// - this executable (device, inode, size, mtime, ctime of /proc/self/exe: the code that
    ///   ran, even after an upgrade replaced the file), so no filter outlives the build of
    ///   SeccompCompiler and the ENOSYS stub that made it;
    /// - libseccomp's version and the file its code came from (a distribution may patch the
    ///   syscall tables without changing the version);
    /// - libseccomp's API level: the kernel features it probes (seccomp(2) itself, TSYNC,
    ///   LOG and KILL_PROCESS, SPEC_ALLOW, NEW_LISTENER and USER_NOTIF, TSYNC_ESRCH) and
    ///   checks every action against before it accepts a rule;
    /// - the native architecture (always in the filter; decides the syscall numbers).
    /// nil when an identity cannot be read: then nothing is cached.
    static let environment: [UInt8]? = {
        var writer = CanonicalWriter()
        writer.string("petrel seccomp filter cache")
        writer.integer(format)
        guard writer.fileIdentity("/proc/self/exe") else { return nil }
        guard let version = seccomp_version() else { return nil }
        writer.integer(UInt64(version.pointee.major))
        writer.integer(UInt64(version.pointee.minor))
        writer.integer(UInt64(version.pointee.micro))
        if let object = petrel_libseccomp_object() {
            guard writer.fileIdentity(String(cString: object)) else { return nil }
        } else {
            writer.integer(0)
        }
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

    mutating func string(_ value: String) {
        integer(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// Device, inode, size, mtime and ctime of `path` (followed); false when stat fails.
    mutating func fileIdentity(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        for value in [UInt64(info.st_dev), UInt64(info.st_ino), UInt64(info.st_size),
                      UInt64(bitPattern: Int64(info.st_mtim.tv_sec)), UInt64(info.st_mtim.tv_nsec),
                      UInt64(bitPattern: Int64(info.st_ctim.tv_sec)), UInt64(info.st_ctim.tv_nsec)] {
            integer(value)
        }
        return true
    }
}
