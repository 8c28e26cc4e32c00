#if canImport(Glibc)
import Glibc
#endif

/// The oldest kernel Petrel runs containers on (README "Kernel", specs/cli.md "Minimum
/// kernel"). Needed unconditionally: mount_setattr (5.12) makes read-only paths and
/// recursive mount options by fd; openat2 (5.6) confines every path inside the rootfs;
/// fsopen/fsmount/open_tree/move_mount (5.2) make masked paths and binds by fd; pidfd_open
/// (5.3) and waitid(P_PIDFD) (5.4) hold every process by fd. With fallbacks: clone3 and
/// CLONE_INTO_CGROUP (clone(2), then cgroup.procs), close_range (a /proc/self/fd walk),
/// MFD_EXEC (memfd without it), the protected binary's overlay (a sealed memfd).
/// Checked first by create, run and exec (uname, no syscall probing): an old kernel is
/// one clear line and nothing else happens, instead of an ENOSYS halfway through a setup.
enum KernelVersion {
    static let minimum = (5, 12)

    /// "6.1.0-18-amd64" -> (6, 1); nil when unreadable (then nothing is refused).
    static func parse(_ release: String) -> (Int, Int)? {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return (numbers[0], numbers[1])
    }

    static let running: String = {
        var name = utsname()
        guard uname(&name) == 0 else { return "" }
        return withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }()

    /// The refusal for a kernel release older than `minimum`, nil when it is new enough or
    /// cannot be read.
    static func refusal(release: String) -> RuntimeError? {
        guard let version = parse(release), version < minimum else { return nil }
        return RuntimeError("Linux \(minimum.0).\(minimum.1) or later is required (this kernel is \(release)):"
            + " Petrel needs mount_setattr, openat2, the new mount API and pidfds")
    }

    static func check() throws(RuntimeError) {
        if let refusal = refusal(release: running) { throw refusal }
    }
}
