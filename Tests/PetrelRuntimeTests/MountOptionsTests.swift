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
}
