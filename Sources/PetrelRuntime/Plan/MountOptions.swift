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

    /// What one option name means outside the data string.
    enum Meaning {
        /// A mount(2) flag, set or (`clear`) cleared.
        case flag(clear: Bool, UInt)
        /// runc 1.1's recAttrFlags: a mount_setattr(AT_RECURSIVE) attribute; `atime` for the
        /// access-time values, which share one field.
        case recursiveAttr(clear: Bool, UInt64, atime: Bool)
        case propagation(UInt)
        case bind, rbind, idmap, ridmap, copyUp
    }

    /// Every option name petrel understands outside the data string. One array scanned
    /// with `==` (small strings compare as two words): a create parses ~30 options, and
    /// building and hashing into dictionaries cost 8x more than scanning this.
    static let table: [(name: String, meaning: Meaning)] = [
        ("bind", .bind), ("rbind", .rbind), ("idmap", .idmap), ("ridmap", .ridmap), ("tmpcopyup", .copyUp),
        ("ro", .flag(clear: false, MountFlag.readOnly)), ("rw", .flag(clear: true, MountFlag.readOnly)),
        ("nosuid", .flag(clear: false, MountFlag.noSuid)), ("suid", .flag(clear: true, MountFlag.noSuid)),
        ("nodev", .flag(clear: false, MountFlag.noDev)), ("dev", .flag(clear: true, MountFlag.noDev)),
        ("noexec", .flag(clear: false, MountFlag.noExec)), ("exec", .flag(clear: true, MountFlag.noExec)),
        ("sync", .flag(clear: false, MountFlag.synchronous)), ("async", .flag(clear: true, MountFlag.synchronous)),
        ("dirsync", .flag(clear: false, MountFlag.dirSync)),
        ("remount", .flag(clear: false, MountFlag.remount)),
        ("mand", .flag(clear: false, MountFlag.mandatoryLock)), ("nomand", .flag(clear: true, MountFlag.mandatoryLock)),
        ("noatime", .flag(clear: false, MountFlag.noAtime)), ("atime", .flag(clear: true, MountFlag.noAtime)),
        ("nodiratime", .flag(clear: false, MountFlag.noDirAtime)), ("diratime", .flag(clear: true, MountFlag.noDirAtime)),
        ("relatime", .flag(clear: false, MountFlag.relatime)), ("norelatime", .flag(clear: true, MountFlag.relatime)),
        ("strictatime", .flag(clear: false, MountFlag.strictAtime)), ("nostrictatime", .flag(clear: true, MountFlag.strictAtime)),
        ("silent", .flag(clear: false, MountFlag.silent)), ("loud", .flag(clear: true, MountFlag.silent)),
        ("iversion", .flag(clear: false, MountFlag.iVersion)), ("noiversion", .flag(clear: true, MountFlag.iVersion)),
        ("lazytime", .flag(clear: false, MountFlag.lazyTime)), ("nolazytime", .flag(clear: true, MountFlag.lazyTime)),
        ("nosymfollow", .flag(clear: false, MountFlag.noSymFollow)), ("symfollow", .flag(clear: true, MountFlag.noSymFollow)),
        ("acl", .flag(clear: false, MountFlag.posixACL)), ("noacl", .flag(clear: true, MountFlag.posixACL)),
        ("defaults", .flag(clear: false, 0)),
        ("rro", .recursiveAttr(clear: false, MountAttr.readOnly, atime: false)),
        ("rrw", .recursiveAttr(clear: true, MountAttr.readOnly, atime: false)),
        ("rnosuid", .recursiveAttr(clear: false, MountAttr.noSuid, atime: false)),
        ("rsuid", .recursiveAttr(clear: true, MountAttr.noSuid, atime: false)),
        ("rnodev", .recursiveAttr(clear: false, MountAttr.noDev, atime: false)),
        ("rdev", .recursiveAttr(clear: true, MountAttr.noDev, atime: false)),
        ("rnoexec", .recursiveAttr(clear: false, MountAttr.noExec, atime: false)),
        ("rexec", .recursiveAttr(clear: true, MountAttr.noExec, atime: false)),
        ("rnodiratime", .recursiveAttr(clear: false, MountAttr.noDirAtime, atime: false)),
        ("rdiratime", .recursiveAttr(clear: true, MountAttr.noDirAtime, atime: false)),
        ("rrelatime", .recursiveAttr(clear: false, MountAttr.relatime, atime: true)),
        ("rnorelatime", .recursiveAttr(clear: true, MountAttr.relatime, atime: true)),
        ("rnoatime", .recursiveAttr(clear: false, MountAttr.noAtime, atime: true)),
        ("ratime", .recursiveAttr(clear: true, MountAttr.noAtime, atime: true)),
        ("rstrictatime", .recursiveAttr(clear: false, MountAttr.strictAtime, atime: true)),
        ("rnostrictatime", .recursiveAttr(clear: true, MountAttr.strictAtime, atime: true)),
        ("rnosymfollow", .recursiveAttr(clear: false, MountAttr.noSymFollow, atime: false)),
        ("rsymfollow", .recursiveAttr(clear: true, MountAttr.noSymFollow, atime: false)),
        ("private", .propagation(MountFlag.private)), ("rprivate", .propagation(MountFlag.private | MountFlag.recursive)),
        ("shared", .propagation(MountFlag.shared)), ("rshared", .propagation(MountFlag.shared | MountFlag.recursive)),
        ("slave", .propagation(MountFlag.slave)), ("rslave", .propagation(MountFlag.slave | MountFlag.recursive)),
        ("unbindable", .propagation(MountFlag.unbindable)),
        ("runbindable", .propagation(MountFlag.unbindable | MountFlag.recursive)),
    ]

    static func meaning(of option: String) -> Meaning? {
        for entry in table where entry.name == option { return entry.meaning }
        return nil
    }

    /// The mount(2) propagation flags of a propagation option (`rprivate`, ...), or nil.
    public static func propagationFlags(_ option: String) -> UInt? {
        if case .propagation(let flags)? = meaning(of: option) { return flags }
        return nil
    }

    /// Every option name petrel understands outside the data string (for `features`).
    public static var knownOptionNames: [String] { table.map(\.name).sorted() }

    public init() {}

    public init(parsing options: [String]) {
        for option in options {
            switch Self.meaning(of: option) {
            case .bind?: bind = true
            case .rbind?:
                bind = true
                recursive = true
            case .idmap?: idmap = true
            case .ridmap?:
                idmap = true
                recursiveIdmap = true
            case .copyUp?: copyUp = true
            case .recursiveAttr(let clear, let attr, let atime)?:
                if atime {
                    // mount_setattr(2): an access-time value is set by clearing the whole field;
                    // clearing it (ratime, rnorelatime, ...) falls back to relatime, as in runc.
                    recursiveAttrClear |= MountAttr.atimeMask
                    if !clear { recursiveAttrSet = (recursiveAttrSet & ~MountAttr.atimeMask) | attr }
                    else { recursiveAttrSet &= ~attr }
                } else if clear {
                    recursiveAttrClear |= attr
                    recursiveAttrSet &= ~attr
                } else {
                    recursiveAttrSet |= attr
                    recursiveAttrClear &= ~attr
                }
            case .flag(let clear, let flag)?:
                if clear { flags &= ~flag } else { flags |= flag }
            case .propagation(let flags)?:
                propagation = flags
            case nil:
                data.append(option)
            }
        }
    }
}
