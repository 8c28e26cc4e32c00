#if canImport(Glibc)
import Glibc
#endif

/// The oldest kernel Petrel runs containers on (README "Kernel"): mount_setattr (5.12)
/// makes masked and read-only paths by fd, with open_tree/move_mount/fsopen (5.2); openat2
/// (5.6) confines every path inside the rootfs; clone3 with CLONE_PIDFD (5.3), pidfd_open
/// (5.3), waitid P_PIDFD (5.4); on cgroup v2, CLONE_INTO_CGROUP (5.7). Checked before a
/// clone so an old kernel is one clear line instead of an ENOSYS deep in the setup.
enum KernelVersion {
    static let minimum = (5, 12)
    static let minimumIntoCgroup = (5, 12)

    /// "6.1.0-18-amd64" -> (6, 1); nil when unreadable (then nothing is refused).
    static func parse(_ release: String) -> (Int, Int)? {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return (numbers[0], numbers[1])
    }

    static let running: (release: String, version: (Int, Int)?) = {
        var name = utsname()
        guard uname(&name) == 0 else { return ("unknown", nil) }
        let release = withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return (release, parse(release))
    }()

    static func check(intoCgroup: Bool) throws(RuntimeError) {
        guard let version = running.version else { return }
        let needed = intoCgroup ? minimumIntoCgroup : minimum
        guard version < needed else { return }
        throw RuntimeError("Linux \(running.release) is too old: Petrel needs \(needed.0).\(needed.1) or later"
            + " (mount_setattr, openat2, clone3, pidfd\(intoCgroup ? ", CLONE_INTO_CGROUP" : ""))")
    }
}
