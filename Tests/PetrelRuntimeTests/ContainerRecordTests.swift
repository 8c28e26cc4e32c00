#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCI
import Testing
@testable import PetrelRuntime

/// state.json is written and read by hand (ContainerRecord.encoded/decode): what it writes
/// must read back the same, and it must stay JSON any tool can read.
@Suite struct ContainerRecordTests {
    static let full = ContainerRecord(
        ociVersion: "1.2.0", id: "c-1", pid: 4242, bundle: "/b \"quoted\" \\ é", rootfs: "/b/rootfs",
        created: "2026-12-07T15:20:29.179040369Z", owner: "", annotations: ["b": "two\nlines", "a": "", "\u{1}": "ctl"],
        initStartTime: 18_446_744_073_709_551_615, ownPidNamespace: true, startHooks: true, poststopHooks: false,
        intelRdt: true,
        cgroup: CgroupRecord(version: 1, directories: [CgroupDirectory(hierarchy: "cpu,cpuacct", path: "/sys/fs/cgroup/cpu,cpuacct/x"),
                                                       CgroupDirectory(hierarchy: "name=systemd", path: "/sys/fs/cgroup/systemd/x")],
                             created: ["/sys/fs/cgroup/cpu,cpuacct/x", "/sys/fs/cgroup/systemd/x"]),
        creator: ProcessIdentity(pid: 7, startTime: 99))

    @Test func roundTrips() throws {
        #expect(try ContainerRecord.decode(Self.full.encoded()) == Self.full)
        var bare = Self.full
        bare.annotations = nil
        bare.cgroup = nil
        bare.creator = nil
        bare.pid = -1
        #expect(try ContainerRecord.decode(bare.encoded()) == bare)
    }

    @Test func isJSONThatTheOCIReaderAgrees() throws {
        // Decoded by the general JSON reader into a loose model: same values.
        struct Loose: Decodable {
            var id: String
            var bundle: String
            var initStartTime: UInt64
            var annotations: [String: String]?
            var cgroup: CgroupRecord?
            var creator: ProcessIdentity?
        }
        let loose = try OCIJSON.decode(Loose.self, from: Self.full.encoded())
        #expect(loose.id == "c-1" && loose.bundle == Self.full.bundle && loose.initStartTime == Self.full.initStartTime)
        #expect(loose.annotations == Self.full.annotations)
        #expect(loose.cgroup == Self.full.cgroup)
        #expect(loose.creator == Self.full.creator)
    }

    @Test func readsEscapesSpacingAndUnknownMembers() throws {
        let json = """
            { "id" : "x\\u00e9\\ud83d\\ude00\\/", "future": {"a": [1, 2.5e3, true, null, "s"]}, "pid": -3,
              "ownPidNamespace": false, "annotations": null, "cgroup": null, "creator": null }
            """
        let record = try ContainerRecord.decode(Array(json.utf8))
        #expect(record.id == "xé😀/")
        #expect(record.pid == -3)
        #expect(record.annotations == nil && record.cgroup == nil && record.creator == nil)
    }

    /// Every field, as written (one line, members in order) and as any JSON writer might
    /// write it (spacing, another order, escapes where none are needed).
    @Test func readsAndWritesEveryField() throws {
        let line = #"{"ociVersion":"1.2.0","id":"c-1","pid":4242,"bundle":"/b \"quoted\" \\ é","rootfs":"/b/rootfs","#
            + #""created":"2026-12-07T15:20:29.179040369Z","owner":"","annotations":{"\u0001":"ctl","a":"","b":"two\nlines"},"#
            + #""initStartTime":18446744073709551615,"ownPidNamespace":true,"startHooks":true,"poststopHooks":false,"intelRdt":true,"#
            + #""cgroup":{"version":1,"directories":[{"hierarchy":"cpu,cpuacct","path":"/sys/fs/cgroup/cpu,cpuacct/x"},"#
            + #"{"hierarchy":"name=systemd","path":"/sys/fs/cgroup/systemd/x"}],"#
            + #""created":["/sys/fs/cgroup/cpu,cpuacct/x","/sys/fs/cgroup/systemd/x"]},"creator":{"pid":7,"startTime":99}}"#
        #expect(String(decoding: Self.full.encoded(), as: UTF8.self) == line)
        let other = #"""
            {
              "creator": { "startTime": 99, "pid": 7 },
              "cgroup": {
                "created": [ "\/sys\/fs\/cgroup\/cpu,cpuacct\/x", "/sys/fs/cgroup/systemd/x" ],
                "directories": [
                  { "path": "/sys/fs/cgroup/cpu,cpuacct/x", "hierarchy": "cpu,cpuacct" },
                  { "path": "/sys/fs/cgroup/systemd/x", "hierarchy": "name\u003dsystemd" }
                ],
                "version": 1
              },
              "intelRdt": true, "poststopHooks": false, "startHooks": true, "ownPidNamespace": true,
              "initStartTime": 18446744073709551615,
              "annotations": { "b": "two\u000Alines", "a": "", "\u0001": "ctl" },
              "owner": "", "created": "2026-12-07T15:20:29.179040369Z", "rootfs": "/b/rootfs",
              "bundle": "/b \u0022quoted\" \u005c \u00E9", "pid": 4242, "id": "c-1", "ociVersion": "1.2.0"
            }
            """#
        #expect(try ContainerRecord.decode(Array(other.utf8)) == Self.full)
    }

    /// Strings read as OCI's parser reads config.json: every escape, surrogate pairs, and
    /// U+FFFD (as Go) for an unpaired surrogate.
    @Test(arguments: [
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u00e9\u00C9\u4e2d""#, "éÉ中"),
        (#""\ud83d\ude00x\uD83D\uDE00""#, "😀x😀"),
        (#""a\ud83d""#, "a\u{FFFD}"),
        (#""\ude00\ud83d\u0041""#, "\u{FFFD}\u{FFFD}A"),
        (#""plain é""#, "plain é"),
    ])
    func readsEscapes(json: String, id: String) throws {
        #expect(try ContainerRecord.decode(Array(("{\"id\":" + json + "}").utf8)).id == id)
    }

    /// One error naming the byte: `{"id":` is 6 bytes.
    @Test(arguments: [
        (#""\q""#, 8, #"invalid escape '\q' in a string"#),
        (#""\u00g9""#, 11, #"expected 4 hex digits after \u"#),
        (#""\ud83d\u12""#, 15, #"expected 4 hex digits after \u"#),
        ("\"a\u{1}\"", 8, "control character 0x01 in a string must be escaped"),
        (#""abc"#, 10, "unterminated string"),
        ("x", 6, "unexpected character 'x', expected a string"),
    ])
    func refusesInvalidStrings(json: String, offset: Int, reason: String) {
        let error = #expect(throws: RecordSyntaxError.self) { try ContainerRecord.decode(Array(("{\"id\":" + json).utf8)) }
        #expect(error?.offset == offset && error?.reason == reason)
    }

    /// Integers are JSON numbers without fraction or exponent that fit the field.
    @Test(arguments: ["01", "1.0", "1e2", "-", "+1", "2147483648", "\"1\""])
    func refusesInvalidIntegers(pid: String) {
        #expect(throws: RecordSyntaxError.self) { try ContainerRecord.decode(Array(#"{"id":"x","pid":\#(pid)}"#.utf8)) }
    }

    @Test func readsIntegerBounds() throws {
        let record = try ContainerRecord.decode(Array(#"{"id":"x","pid":-2147483648,"initStartTime":0,"creator":{"pid":2147483647,"startTime":18446744073709551615}}"#.utf8))
        #expect(record.pid == .min && record.initStartTime == 0 && record.creator == ProcessIdentity(pid: .max, startTime: .max))
        #expect(throws: RecordSyntaxError.self) { try ContainerRecord.decode(Array(#"{"id":"x","initStartTime":-1}"#.utf8)) }
        #expect(throws: RecordSyntaxError.self) { try ContainerRecord.decode(Array(#"{"id":"x","initStartTime":18446744073709551616}"#.utf8)) }
    }

    @Test(arguments: ["", "{", "{\"id\":\"x\"", "{\"id\":\"x\"}x", "{\"id\":1}", "{\"pid\":1}", "{\"id\":\"x\",\"pid\":99999999999}",
                      "{\"id\":\"x\",\"ownPidNamespace\":1}", "{\"id\":\"a\tb\"}", "{\"id\":\"\\q\"}"])
    func refusesBrokenRecords(json: String) {
        #expect(throws: RecordSyntaxError.self) { try ContainerRecord.decode(Array(json.utf8)) }
    }

    /// The codec names every stored property of the cgroup types: a field added to them
    /// must be added to ContainerRecord.encoded/decode too, or it would be lost.
    @Test func coversEveryCgroupField() {
        let record = CgroupRecord(version: 2, directories: [CgroupDirectory(hierarchy: "unified", path: "/p")], created: [])
        #expect(Mirror(reflecting: record).children.compactMap(\.label) == ["version", "directories", "created"])
        #expect(Mirror(reflecting: CgroupDirectory(hierarchy: "", path: "")).children.compactMap(\.label) == ["hierarchy", "path"])
        #expect(Mirror(reflecting: Self.full).children.count == 15, "a new ContainerRecord field needs encoded/decode")
    }

    @Test func notesWhatLaterVerbsNeedFromTheConfig() throws {
        var record = Self.full
        var spec = Spec(ociVersion: "1.2.0")
        record.noteConfigUses(spec)
        #expect(!record.startHooks && !record.poststopHooks && !record.intelRdt)
        spec.hooks = Hooks(poststart: [Hook(path: "/bin/true")])
        spec.linux = Linux(intelRdt: LinuxIntelRdt(closID: "x"))
        record.noteConfigUses(spec)
        #expect(record.startHooks && !record.poststopHooks && record.intelRdt)
        spec.hooks = Hooks(poststop: [Hook(path: "/bin/true")])
        record.noteConfigUses(spec)
        #expect(!record.startHooks && record.poststopHooks)
    }

    /// runc's `state` layout, key for key, pretty and compact (`list --format json`).
    @Test func stateOutputLooksLikeRuncs() {
        var record = Self.full
        record.annotations = ["b": "2", "a": "1\""]
        let report = ContainerStateReport(record: record, status: .running)
        #expect(report.json() == """
            {
              "ociVersion": "1.2.0",
              "id": "c-1",
              "pid": 4242,
              "status": "running",
              "bundle": "/b \\"quoted\\" \\\\ é",
              "rootfs": "/b/rootfs",
              "created": "2026-12-07T15:20:29.179040369Z",
              "annotations": {
                "a": "1\\"",
                "b": "2"
              },
              "owner": ""
            }
            """)
        record.annotations = [:]
        let stopped = ContainerStateReport(record: record, status: .stopped)
        #expect(stopped.json(indent: false) == #"{"ociVersion":"1.2.0","id":"c-1","pid":0,"status":"stopped","bundle":"/b \"quoted\" \\ é","rootfs":"/b/rootfs","created":"2026-12-07T15:20:29.179040369Z","owner":""}"#)
    }
}
