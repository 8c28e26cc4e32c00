/// The mount(2) flag values (stable kernel ABI), so the planner is pure and testable.
public enum MountFlag {
    public static let readOnly: UInt = 0x1
    public static let noSuid: UInt = 0x2
    public static let noDev: UInt = 0x4
    public static let noExec: UInt = 0x8
    public static let synchronous: UInt = 0x10
    public static let remount: UInt = 0x20
    public static let mandatoryLock: UInt = 0x40
    public static let dirSync: UInt = 0x80
    public static let noSymFollow: UInt = 0x100
    public static let noAtime: UInt = 0x400
    public static let noDirAtime: UInt = 0x800
    public static let bind: UInt = 0x1000
    public static let move: UInt = 0x2000
    public static let recursive: UInt = 0x4000
    public static let silent: UInt = 0x8000
    public static let unbindable: UInt = 0x20000
    public static let `private`: UInt = 0x40000
    public static let slave: UInt = 0x80000
    public static let shared: UInt = 0x100000
    public static let relatime: UInt = 0x200000
    public static let iVersion: UInt = 0x800000
    public static let strictAtime: UInt = 0x1000000
    public static let lazyTime: UInt = 0x2000000
}

/// A config.json mount's `options`, split the way runc does: flags for mount(2),
/// propagation for a second mount(2) call, and the rest as filesystem data.
public struct MountOptions: Equatable, Sendable {
    public var flags: UInt = 0
    public var propagation: UInt = 0
    public var bind = false
    public var recursive = false
    /// `idmap` / `ridmap`: an id-mapped bind mount (ridmap also maps the submounts).
    public var idmap = false
    public var recursiveIdmap = false
    /// Options the kernel gets as the data string, in their original order.
    public var data: [String] = []

    /// option -> (clear the flag?, flag)
    static let flagTable: [String: (clear: Bool, flag: UInt)] = [
        "ro": (false, MountFlag.readOnly), "rw": (true, MountFlag.readOnly),
        "nosuid": (false, MountFlag.noSuid), "suid": (true, MountFlag.noSuid),
        "nodev": (false, MountFlag.noDev), "dev": (true, MountFlag.noDev),
        "noexec": (false, MountFlag.noExec), "exec": (true, MountFlag.noExec),
        "sync": (false, MountFlag.synchronous), "async": (true, MountFlag.synchronous),
        "dirsync": (false, MountFlag.dirSync),
        "remount": (false, MountFlag.remount),
        "mand": (false, MountFlag.mandatoryLock), "nomand": (true, MountFlag.mandatoryLock),
        "noatime": (false, MountFlag.noAtime), "atime": (true, MountFlag.noAtime),
        "nodiratime": (false, MountFlag.noDirAtime), "diratime": (true, MountFlag.noDirAtime),
        "relatime": (false, MountFlag.relatime), "norelatime": (true, MountFlag.relatime),
        "strictatime": (false, MountFlag.strictAtime), "nostrictatime": (true, MountFlag.strictAtime),
        "silent": (false, MountFlag.silent), "loud": (true, MountFlag.silent),
        "iversion": (false, MountFlag.iVersion), "noiversion": (true, MountFlag.iVersion),
        "lazytime": (false, MountFlag.lazyTime), "nolazytime": (true, MountFlag.lazyTime),
        "nosymfollow": (false, MountFlag.noSymFollow), "symfollow": (true, MountFlag.noSymFollow),
    ]

    public static let propagationFlags: [String: UInt] = [
        "private": MountFlag.private, "rprivate": MountFlag.private | MountFlag.recursive,
        "shared": MountFlag.shared, "rshared": MountFlag.shared | MountFlag.recursive,
        "slave": MountFlag.slave, "rslave": MountFlag.slave | MountFlag.recursive,
        "unbindable": MountFlag.unbindable, "runbindable": MountFlag.unbindable | MountFlag.recursive,
    ]

    /// Every option name petrel understands outside the data string (for `features`).
    public static var knownOptionNames: [String] {
        (Array(flagTable.keys) + Array(propagationFlags.keys) + ["bind", "rbind", "idmap", "ridmap"]).sorted()
    }

    public init() {}

    public init(parsing options: [String]) {
        for option in options {
            if option == "bind" {
                bind = true
            } else if option == "rbind" {
                bind = true
                recursive = true
            } else if option == "idmap" {
                idmap = true
            } else if option == "ridmap" {
                idmap = true
                recursiveIdmap = true
            } else if let entry = Self.flagTable[option] {
                if entry.clear { flags &= ~entry.flag } else { flags |= entry.flag }
            } else if let propagation = Self.propagationFlags[option] {
                self.propagation = propagation
            } else {
                data.append(option)
            }
        }
    }
}
