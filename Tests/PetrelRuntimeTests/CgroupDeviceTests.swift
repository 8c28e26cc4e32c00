import OCI
import Testing
@testable import PetrelRuntime

/// Runs a device filter the way the kernel would, for the opcodes the generator emits.
struct DeviceFilterInterpreter {
    enum Kind: UInt32 { case block = 1, char = 2 }
    static let mknod: UInt32 = 1, read: UInt32 = 2, write: UInt32 = 4

    static func run(_ program: [BPFInstruction], _ kind: Kind, _ access: UInt32, _ major: UInt32, _ minor: UInt32) -> UInt64? {
        let context: [UInt32] = [kind.rawValue | (access << 16), major, minor]
        var registers = [UInt64](repeating: 0, count: 11)
        var pc = 0
        var steps = 0
        while pc < program.count, steps < 10_000 {
            steps += 1
            let i = program[pc]
            let dst = Int(i.dst), src = Int(i.src)
            let imm = UInt64(bitPattern: Int64(i.imm))
            pc += 1
            switch i.code {
            case 0x61: registers[dst] = UInt64(context[(Int(i.offset) + Int(registers[src])) / 4])  // r1 is 0 here
            case 0x54: registers[dst] = UInt64(UInt32(truncatingIfNeeded: registers[dst]) & UInt32(truncatingIfNeeded: imm))
            case 0x74: registers[dst] = UInt64(UInt32(truncatingIfNeeded: registers[dst]) >> UInt32(i.imm))
            case 0xb4: registers[dst] = UInt64(UInt32(truncatingIfNeeded: imm))
            case 0xbc: registers[dst] = UInt64(UInt32(truncatingIfNeeded: registers[src]))
            case 0x55: if registers[dst] != imm { pc += Int(i.offset) }
            case 0x5d: if registers[dst] != registers[src] { pc += Int(i.offset) }
            case 0x95: return registers[0]
            default: return nil
            }
        }
        return nil
    }

    static func allows(_ program: [BPFInstruction], _ kind: Kind, _ access: UInt32, _ major: UInt32, _ minor: UInt32) -> Bool {
        run(program, kind, access, major, minor) == 1
    }
}

@Suite struct DeviceRuleTests {
    @Test func defaultsFollowTheSpecRulesAndLinuxDevicesGetNone() throws {
        let rules = try DeviceRules.rules(
            resources: [LinuxDeviceCgroup(allow: false, access: "rwm")],
            devices: [LinuxDevice(path: "/dev/fuse", type: "c", major: 10, minor: 229), LinuxDevice(path: "/dev/p", type: "p")])
        #expect(rules.first == DeviceRule(allow: false, kind: .all))
        #expect(Array(rules[1...11]) == DeviceRules.defaultAllowed)
        #expect(rules.count == 12)  // linux.devices add no rule: the listed rules decide
    }

    @Test func defaultAllowListIsRuncs() {
        #expect(DeviceRules.defaultAllowed.map(\.v1Line) == [
            "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm", "c 1:5 rwm", "c 1:9 rwm",
            "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm",
        ])
    }

    @Test func specRulesNormalise() throws {
        let rules = try DeviceRules.rules(resources: [
            LinuxDeviceCgroup(allow: true, type: "b", major: 8, minor: -1, access: "wr"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 4),
            LinuxDeviceCgroup(allow: false),
        ], devices: nil)
        #expect(rules[0].v1Line == "b 8:* rw")
        #expect(rules[1].v1Line == "c 4:* rwm")
        #expect(rules[2].v1Line == "a *:* rwm")
    }

    @Test func badRulesAreRefusedWithTheirField() {
        let type = #expect(throws: RuntimeError.self) {
            try DeviceRules.rules(resources: [LinuxDeviceCgroup(allow: true), LinuxDeviceCgroup(allow: true, type: "x")], devices: nil)
        }
        #expect(type?.description == "linux.resources.devices[1].type: \"x\" is not one of a, b, c")
        let access = #expect(throws: RuntimeError.self) {
            try DeviceRules.rules(resources: [LinuxDeviceCgroup(allow: true, type: "c", access: "rx")], devices: nil)
        }
        #expect(access?.description == "linux.resources.devices[0].access: \"rx\" may only contain r, w and m")
        #expect(throws: RuntimeError.self) {
            try DeviceRules.rules(resources: [LinuxDeviceCgroup(allow: true, type: "c", major: 1 << 40)], devices: nil)
        }
    }

    @Test func v1WritesDenyAllThenTheRules() {
        let writes = CgroupSettings.v1Devices([DeviceRule(allow: true, kind: .char, major: 1, minor: 3), DeviceRule(allow: false, kind: .block, major: 8)])
        #expect(writes == [
            CgroupWrite("devices", "devices.deny", "a"),
            CgroupWrite("devices", "devices.allow", "c 1:3 rwm"),
            CgroupWrite("devices", "devices.deny", "b 8:* rwm"),
        ])
    }
}

@Suite struct DeviceFilterTests {
    typealias I = DeviceFilterInterpreter

    /// The six instructions that load bpf_cgroup_dev_ctx, as in runc's expected programs.
    static let prologue: [BPFInstruction] = [
        BPFInstruction(code: 0x61, dst: 2, src: 1, offset: 0),
        BPFInstruction(code: 0x54, dst: 2, imm: 0xFFFF),
        BPFInstruction(code: 0x61, dst: 3, src: 1, offset: 0),
        BPFInstruction(code: 0x74, dst: 3, imm: 16),
        BPFInstruction(code: 0x61, dst: 4, src: 1, offset: 4),
        BPFInstruction(code: 0x61, dst: 5, src: 1, offset: 8),
    ]

    @Test func noRulesDenyEverything() {
        let program = DeviceFilter.program([])
        #expect(program == Self.prologue + [BPFInstruction(code: 0xb4, dst: 0, imm: 0), BPFInstruction(code: 0x95)])
        #expect(!I.allows(program, .char, I.read, 1, 3))
    }

    @Test func privilegedAllowsEverything() {
        let program = DeviceFilter.program([DeviceRule(allow: false, kind: .all), DeviceRule(allow: true, kind: .all)])
        // The allow-all rule is last, so it is the first block and nothing follows it.
        #expect(program == Self.prologue + [BPFInstruction(code: 0xb4, dst: 0, imm: 1), BPFInstruction(code: 0x95)])
        #expect(I.allows(program, .block, I.write, 8, 0))
    }

    @Test func singleDeviceBlockShape() {
        let program = DeviceFilter.program([DeviceRule(allow: true, kind: .char, major: 10, minor: 200)])
        #expect(program.count == 6 + 5 + 2)
        #expect(Array(program[6..<11]) == [
            BPFInstruction(code: 0x55, dst: 2, offset: 4, imm: 2),  // type != char → next block
            BPFInstruction(code: 0x55, dst: 4, offset: 3, imm: 10),  // major
            BPFInstruction(code: 0x55, dst: 5, offset: 2, imm: 200),  // minor
            BPFInstruction(code: 0xb4, dst: 0, imm: 1),
            BPFInstruction(code: 0x95),
        ])
    }

    @Test func partialAccessChecksEveryRequestedBit() {
        let program = DeviceFilter.program([DeviceRule(allow: true, kind: .block, access: "m")])
        #expect(Array(program[6..<12]) == [
            BPFInstruction(code: 0x55, dst: 2, offset: 5, imm: 1),
            BPFInstruction(code: 0xbc, dst: 1, src: 3),
            BPFInstruction(code: 0x54, dst: 1, imm: 1),
            BPFInstruction(code: 0x5d, dst: 1, src: 3, offset: 2),
            BPFInstruction(code: 0xb4, dst: 0, imm: 1),
            BPFInstruction(code: 0x95),
        ])
        #expect(I.allows(program, .block, I.mknod, 8, 0))
        #expect(!I.allows(program, .block, I.read, 8, 0))
        #expect(!I.allows(program, .block, I.mknod | I.read, 8, 0))
        #expect(!I.allows(program, .char, I.mknod, 1, 3))
    }

    @Test func defaultRuleSetDecisions() throws {
        let rules = try DeviceRules.rules(resources: [LinuxDeviceCgroup(allow: false, access: "rwm")], devices: nil)
        let program = DeviceFilter.program(rules)
        // 6 loads; the 11 defaults (2 mknod blocks of 6, 8 exact devices of 5, pts of 4); the
        // leading deny-all comes last and is the final verdict: 64 instructions, like runc's.
        #expect(program.count == 6 + 2 * 6 + 8 * 5 + 4 + 2)
        #expect(I.allows(program, .char, I.read | I.write, 1, 3))  // /dev/null
        #expect(I.allows(program, .char, I.read, 136, 7))  // a pty
        #expect(I.allows(program, .char, I.mknod, 4, 1))  // mknod anything
        #expect(I.allows(program, .block, I.mknod, 8, 0))
        #expect(!I.allows(program, .char, I.read, 1, 11))  // /dev/kmsg
        #expect(!I.allows(program, .block, I.read, 8, 0))  // a disk
        #expect(!I.allows(program, .char, I.read, 5, 1))  // /dev/console
    }

    @Test func lastMatchWins() {
        let allowThenDeny = DeviceFilter.program([
            DeviceRule(allow: true, kind: .all), DeviceRule(allow: false, kind: .block, major: 8, minor: 0),
        ])
        #expect(!I.allows(allowThenDeny, .block, I.read, 8, 0))
        #expect(I.allows(allowThenDeny, .block, I.read, 8, 1))
        // runc's "weird" case: a deny before the allow-all is wiped out by it.
        let weird = DeviceFilter.program([
            DeviceRule(allow: false, kind: .block, major: 8, minor: 1), DeviceRule(allow: true, kind: .all),
            DeviceRule(allow: false, kind: .block, major: 8, minor: 2),
        ])
        #expect(I.allows(weird, .block, I.read, 8, 1))
        #expect(!I.allows(weird, .block, I.read, 8, 2))
        #expect(weird.count == 6 + 5 + 2)  // blocks after the unconditional one are dropped
        let denyThenAllow = DeviceFilter.program([
            DeviceRule(allow: false, kind: .char, major: 1), DeviceRule(allow: true, kind: .char, major: 1, minor: 3),
        ])
        #expect(I.allows(denyThenAllow, .char, I.read, 1, 3))
        #expect(!I.allows(denyThenAllow, .char, I.read, 1, 5))
    }

    @Test func jumpsStayInsideTheProgram() throws {
        let rules = try DeviceRules.rules(resources: [
            LinuxDeviceCgroup(allow: false), LinuxDeviceCgroup(allow: true, type: "c", major: 1, access: "r"),
        ], devices: [LinuxDevice(path: "/dev/sda", type: "b", major: 8, minor: 0)])
        let program = DeviceFilter.program(rules)
        for (index, instruction) in program.enumerated() where instruction.code == 0x55 || instruction.code == 0x5d {
            let target = index + 1 + Int(instruction.offset)
            #expect(target < program.count && target > index)
        }
        #expect(program.last?.code == 0x95)
    }
}
