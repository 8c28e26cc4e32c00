import Testing
@testable import PetrelRuntime

@Suite struct MountOptionsTests {
    @Test func flagsPropagationAndDataAreSeparated() {
        let options = MountOptions(parsing: ["nosuid", "noexec", "nodev", "rprivate", "mode=755", "size=65536k"])
        #expect(options.flags == MountFlag.noSuid | MountFlag.noExec | MountFlag.noDev)
        #expect(options.propagation == MountFlag.private | MountFlag.recursive)
        #expect(options.data == ["mode=755", "size=65536k"])
        #expect(!options.bind)
    }

    @Test func laterOptionsWin() {
        #expect(MountOptions(parsing: ["ro", "rw"]).flags == 0)
        #expect(MountOptions(parsing: ["rw", "ro"]).flags == MountFlag.readOnly)
        #expect(MountOptions(parsing: ["noexec", "exec"]).flags == 0)
    }

    @Test func bindAndRbind() {
        let bind = MountOptions(parsing: ["bind", "ro"])
        #expect(bind.bind && !bind.recursive && bind.flags == MountFlag.readOnly)
        let rbind = MountOptions(parsing: ["rbind"])
        #expect(rbind.bind && rbind.recursive)
    }

    @Test(arguments: [
        ("shared", MountFlag.shared), ("rshared", MountFlag.shared | MountFlag.recursive),
        ("slave", MountFlag.slave), ("rslave", MountFlag.slave | MountFlag.recursive),
        ("private", MountFlag.private), ("unbindable", MountFlag.unbindable),
        ("runbindable", MountFlag.unbindable | MountFlag.recursive),
    ])
    func propagation(name: String, flags: UInt) {
        #expect(MountOptions(parsing: [name]).propagation == flags)
    }

    @Test("runc's recursive options become mount_setattr bits, never data")
    func recursiveOptions() {
        let options = MountOptions(parsing: ["rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"])
        #expect(options.recursiveAttrSet == MountAttr.readOnly | MountAttr.noSuid | MountAttr.noDev | MountAttr.noExec | MountAttr.noSymFollow)
        #expect(options.recursiveAttrClear == 0)
        #expect(options.data.isEmpty)
        let cleared = MountOptions(parsing: ["rro", "rrw", "rsuid"])
        #expect(cleared.recursiveAttrSet == 0 && cleared.recursiveAttrClear == MountAttr.readOnly | MountAttr.noSuid)
    }

    @Test("an access-time option clears the whole atime field (mount_setattr's rule)")
    func recursiveAtime() {
        let noatime = MountOptions(parsing: ["rnoatime"])
        #expect(noatime.recursiveAttrSet == MountAttr.noAtime && noatime.recursiveAttrClear == MountAttr.atimeMask)
        let relatime = MountOptions(parsing: ["rnoatime", "rrelatime"])
        #expect(relatime.recursiveAttrSet == MountAttr.relatime && relatime.recursiveAttrClear == MountAttr.atimeMask)
    }

    @Test("tmpcopyup, acl, noacl and defaults are known names, not data")
    func extensionAndFlags() {
        let options = MountOptions(parsing: ["tmpcopyup", "defaults", "acl", "mode=755"])
        #expect(options.copyUp && options.flags == MountFlag.posixACL && options.data == ["mode=755"])
        #expect(MountOptions(parsing: ["acl", "noacl"]).flags == 0)
        for name in ["tmpcopyup", "rro", "rnoatime", "defaults", "acl"] {
            #expect(MountOptions.knownOptionNames.contains(name))
        }
    }

    @Test("every option name has one meaning (the table is scanned first match)")
    func namesAreUnique() {
        let names = MountOptions.knownOptionNames
        #expect(Set(names).count == names.count)
        #expect(names.count == 64)
        #expect(MountOptions.propagationFlags("rslave") == MountFlag.slave | MountFlag.recursive)
        #expect(MountOptions.propagationFlags("ro") == nil)
    }
}
