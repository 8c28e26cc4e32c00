import OCI
#if canImport(Glibc)
import Glibc
#endif

/// linux.intelRdt. The spec: "If no mounted resctrl pseudo-filesystem is available in the
/// runtime mount namespace, the runtime MUST generate an error". Petrel does not drive
/// resctrl yet, so a config asking for Intel RDT is refused either way, never ignored.
public enum IntelRdt {
    static let mountPoint = "/sys/fs/resctrl"

    public static var features: Features.IntelRdt {
        Features.IntelRdt(enabled: false, schemata: false, monitoring: false)
    }

    /// Called before anything is created.
    public static func check(_ rdt: LinuxIntelRdt?) throws(RuntimeError) {
        guard rdt != nil else { return }
        guard isMounted() else {
            throw RuntimeError("linux.intelRdt: Intel RDT needs the resctrl filesystem, which is not mounted at \(mountPoint)")
        }
        throw RuntimeError("linux.intelRdt: petrel does not support Intel RDT (resctrl) yet")
    }

    /// resctrl's root always has `info/` and `schemata`; /sys itself cannot hold such files.
    static func isMounted() -> Bool {
        access(mountPoint + "/info", F_OK) == 0 && access(mountPoint + "/schemata", F_OK) == 0
    }
}
