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
    public static let posixACL: UInt = 0x10000
}

/// mount_setattr(2) attribute bits (stable kernel ABI) for the recursive `r*` options.
public enum MountAttr {
    public static let readOnly: UInt64 = 0x1
    public static let noSuid: UInt64 = 0x2
    public static let noDev: UInt64 = 0x4
    public static let noExec: UInt64 = 0x8
    /// The access-time field: setting one of its values needs the whole field in attr_clr.
    public static let atimeMask: UInt64 = 0x70
    public static let relatime: UInt64 = 0x0
    public static let noAtime: UInt64 = 0x10
    public static let strictAtime: UInt64 = 0x20
    public static let noDirAtime: UInt64 = 0x80
    public static let noSymFollow: UInt64 = 0x200000
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
    /// runc's recursive options (`rro`, `rnosuid`, ...): mount_setattr(AT_RECURSIVE) bits.
    public var recursiveAttrSet: UInt64 = 0
    public var recursiveAttrClear: UInt64 = 0
    /// `tmpcopyup` (runc's extension): the new tmpfs starts with a copy of what it covers.
    public var copyUp = false
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
        "acl": (false, MountFlag.posixACL), "noacl": (true, MountFlag.posixACL),
        "defaults": (false, 0),
    ]

    /// runc 1.1's recAttrFlags: option -> (clear the attribute?, attribute).
    static let recursiveAttrTable: [String: (clear: Bool, attr: UInt64)] = [
        "rro": (false, MountAttr.readOnly), "rrw": (true, MountAttr.readOnly),
        "rnosuid": (false, MountAttr.noSuid), "rsuid": (true, MountAttr.noSuid),
        "rnodev": (false, MountAttr.noDev), "rdev": (true, MountAttr.noDev),
        "rnoexec": (false, MountAttr.noExec), "rexec": (true, MountAttr.noExec),
        "rnodiratime": (false, MountAttr.noDirAtime), "rdiratime": (true, MountAttr.noDirAtime),
        "rrelatime": (false, MountAttr.relatime), "rnorelatime": (true, MountAttr.relatime),
        "rnoatime": (false, MountAttr.noAtime), "ratime": (true, MountAttr.noAtime),
        "rstrictatime": (false, MountAttr.strictAtime), "rnostrictatime": (true, MountAttr.strictAtime),
        "rnosymfollow": (false, MountAttr.noSymFollow), "rsymfollow": (true, MountAttr.noSymFollow),
    ]

    static let atimeOptions: Set<String> = ["rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime", "rnostrictatime"]

    public static let propagationFlags: [String: UInt] = [
        "private": MountFlag.private, "rprivate": MountFlag.private | MountFlag.recursive,
        "shared": MountFlag.shared, "rshared": MountFlag.shared | MountFlag.recursive,
        "slave": MountFlag.slave, "rslave": MountFlag.slave | MountFlag.recursive,
        "unbindable": MountFlag.unbindable, "runbindable": MountFlag.unbindable | MountFlag.recursive,
    ]

    /// Every option name petrel understands outside the data string (for `features`).
    public static var knownOptionNames: [String] {
        (Array(flagTable.keys) + Array(propagationFlags.keys) + Array(recursiveAttrTable.keys)
            + ["bind", "rbind", "idmap", "ridmap", "tmpcopyup"]).sorted()
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
            } else if option == "tmpcopyup" {
                copyUp = true
            } else if let entry = Self.recursiveAttrTable[option] {
                if Self.atimeOptions.contains(option) {
                    // mount_setattr(2): an access-time value is set by clearing the whole field;
                    // clearing it (ratime, rnorelatime, ...) falls back to relatime, as in runc.
                    recursiveAttrClear |= MountAttr.atimeMask
                    if !entry.clear { recursiveAttrSet = (recursiveAttrSet & ~MountAttr.atimeMask) | entry.attr }
                    else { recursiveAttrSet &= ~entry.attr }
                } else if entry.clear {
                    recursiveAttrClear |= entry.attr
                    recursiveAttrSet &= ~entry.attr
                } else {
                    recursiveAttrSet |= entry.attr
                    recursiveAttrClear &= ~entry.attr
                }
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
