import PetrelRuntime
import ShimProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The rootfs mounts containerd passes with Create (the snapshot: an overlay, or a bind),
/// mounted on `<bundle>/rootfs` before the runtime creates the container, and taken away at
/// Delete (and by `delete` after a shim that died).
enum RootfsMounts {
    static func mount(_ mounts: [Containerd_Types_Mount], at target: String) throws(ShimError) {
        for (index, entry) in mounts.enumerated() {
            let options = MountOptions(parsing: entry.options)
            var flags = options.flags
            var type: String? = entry.type
            if options.bind || entry.type == "bind" {
                flags |= UInt(MS_BIND) | (options.recursive ? UInt(MS_REC) : 0)
                type = nil
            }
            let data = options.data.joined(separator: ",")
            if Glibc.mount(entry.source, target, type, flags & ~UInt(MS_RDONLY), data.isEmpty ? nil : data) != 0 {
                let failure = ShimError.sys("mount", "\(target) (\(entry.type) from \(entry.source))")
                for _ in 0 ..< index { unmountOnce(target) }
                throw failure
            }
            if flags & UInt(MS_RDONLY) != 0 && (options.bind || entry.type == "bind") {
                // A bind takes ro only on a remount.
                _ = Glibc.mount("", target, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil)
            } else if flags & UInt(MS_RDONLY) != 0 {
                _ = Glibc.mount("", target, nil, UInt(MS_REMOUNT | MS_RDONLY), nil)
            }
            if options.propagation != 0 { _ = Glibc.mount("", target, nil, options.propagation, nil) }
        }
    }

    /// Everything mounted on `target`, however deep the stack (idempotent).
    static func unmount(_ target: String) {
        for _ in 0 ..< 64 {
            guard umount2(target, Int32(MNT_DETACH)) == 0 else { return }
        }
    }

    private static func unmountOnce(_ target: String) {
        _ = umount2(target, Int32(MNT_DETACH))
    }
}
