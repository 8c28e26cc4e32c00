import Foundation
import OCI
import Testing
@testable import PetrelRuntime

@Suite struct SignalTests {
    @Test(arguments: [("9", 9), ("KILL", 9), ("SIGKILL", 9), ("sigterm", 15), ("TERM", 15), ("HUP", 1),
                      ("SIGRTMIN", 34), ("RTMIN+2", 36), ("SIGRTMAX", 64), ("USR1", 10), ("WINCH", 28),
                      ("0", 0), ("64", 64), ("37", 37)])
    func parses(text: String, number: Int32) throws {
        #expect(try Signals.parse(text) == number)
    }

    @Test(arguments: ["", "65", "-1", "SIGFOO", "KILLL"])
    func rejects(text: String) {
        #expect(throws: RuntimeError.self) { try Signals.parse(text) }
    }
}

@Suite struct ProcessStatTests {
    @Test func parsesCommandsWithSpacesAndParentheses() throws {
        let line = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615"
        let stat = try #require(ProcessStat.parse(line))
        #expect(stat.state == "S")
        #expect(stat.startTime == 987654)
        #expect(!stat.isDead)
    }

    @Test func zombieIsDead() throws {
        let line = "7 (sh) Z 1 7 7 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 55 1000 10 1"
        #expect(try #require(ProcessStat.parse(line)).isDead)
    }

    @Test func garbageIsNil() {
        #expect(ProcessStat.parse("nonsense") == nil)
        #expect(ProcessStat.parse("1 (x) S 2") == nil)
    }
}

@Suite struct IdentifierTests {
    @Test(arguments: ["abc", "a-b_c.d", "A1+2,3", "x"])
    func accepts(id: String) throws { try StateStore.validate(id: id) }

    @Test(arguments: ["", ".", "..", "a/b", "a b", "../x", "é", "a:b"])
    func rejects(id: String) {
        #expect(throws: RuntimeError.self) { try StateStore.validate(id: id) }
    }
}

@Suite struct CgroupLayoutTests {
    static let hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test func hybridHost() {
        let layout = CgroupLayout.detect(mountInfo: Self.hybrid)
        #expect(layout.mode == .hybrid)
        #expect(layout.unifiedMountPoint == "/sys/fs/cgroup/unified")
        #expect(layout.v1.map(\.controllers) == [["cpu", "cpuacct"], ["memory"], []])
        #expect(layout.v1.last?.name == "systemd")
    }

    @Test func unifiedHost() {
        let layout = CgroupLayout.detect(mountInfo: "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
        #expect(layout.mode == .unified)
        #expect(layout.v1.isEmpty)
    }

    @Test func legacyHost() {
        let layout = CgroupLayout.detect(mountInfo: "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory")
        #expect(layout.mode == .legacy)
    }
}

@Suite struct TextTests {
    @Test func quotesLikeJSON() {
        #expect(JSONText.quote("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
        #expect(JSONText.quote("plain é/x") == "\"plain é/x\"")
        #expect(JSONText.quote("\t\r\u{1f}é") == "\"\\t\\r\\u001fé\"")
    }

    @Test func cleansPaths() {
        #expect(FileSystem.clean("/a/./b/../c//d/") == "/a/c/d")
        #expect(FileSystem.clean("/../..") == "/")
        #expect(FileSystem.absolute("rootfs", relativeTo: "/bundle") == "/bundle/rootfs")
        #expect(FileSystem.absolute("/abs/x/..", relativeTo: "/bundle") == "/abs")
        // Already clean paths come back as they are; the others are cleaned.
        for path in ["/", "/a", "/a/...", "/a/.b", "/b./c", "/a/..b"] {
            #expect(FileSystem.isClean(path), "\(path)")
            #expect(FileSystem.clean(path) == path)
        }
        for (path, clean) in [("//", "/"), ("/.", "/"), ("/a/.", "/a"), ("/a/..", "/"), ("/a/", "/a"), ("/a//b", "/a/b"), ("a", "/a")] {
            #expect(!FileSystem.isClean(path), "\(path)")
            #expect(FileSystem.clean(path) == clean)
        }
    }

    @Test func timestampsLookLikeRFC3339() {
        let stamp = Clock.rfc3339(nanoseconds: true)
        #expect(stamp.hasSuffix("Z"))
        #expect(stamp.count >= 20)
        #expect(stamp.dropFirst(4).first == "-")
        #expect(Clock.rfc3339(nanoseconds: false).count == 20)
    }

    @Test("UTC fields by arithmetic agree with gmtime_r, leap days and centuries included")
    func timestampsMatchGmtime() {
        var samples: [Int64] = [0, 59, 86_399, 86_400, 951_782_400, 951_868_799, 1_709_164_800, 4_107_542_400, 1_796_601_600, -1, -86_401]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            samples.append(Int64(state >> 33) % 8_000_000_000 - 1_000_000_000)
        }
        for seconds in samples {
            var t = time_t(seconds)
            var parts = tm()
            gmtime_r(&t, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            #expect(Clock.rfc3339(seconds: seconds, nanoseconds: nil) == expected, "\(seconds)")
        }
        #expect(Clock.rfc3339(seconds: 0, nanoseconds: 120_000_000) == "1970-01-01T00:00:00.12Z")
    }
}

@Suite struct SysctlTests {
    let all = LinuxNamespaceType.allCases.map { LinuxNamespace(type: $0) }

    @Test func namespacedKeysAreAccepted() throws {
        for key in ["net.ipv4.ip_forward", "kernel.shmmax", "fs.mqueue.msg_max", "kernel.domainname"] {
            try Sysctls.validate(key, namespaces: all)
        }
    }

    @Test func hostWideKeysAreRefused() {
        #expect(throws: RuntimeError.self) { try Sysctls.validate("kernel.pid_max", namespaces: all) }
        #expect(throws: RuntimeError.self) { try Sysctls.validate("vm.swappiness", namespaces: all) }
    }

    @Test func aKeyNeedsItsNamespace() {
        let noNet = all.filter { $0.type != .network }
        #expect(throws: RuntimeError("linux.sysctl[\"net.ipv4.ip_forward\"]: needs a network namespace")) {
            try Sysctls.validate("net.ipv4.ip_forward", namespaces: noNet)
        }
    }
}

@Suite struct KernelVersionTests {
    @Test(arguments: [("6.1.0-18-amd64", 6, 1), ("5.10.0", 5, 10), ("5.6", 5, 6), ("6.18.44-fc-v1272", 6, 18), ("4.19.0+", 4, 19)])
    func parsesReleases(release: String, major: Int, minor: Int) {
        let parsed = KernelVersion.parse(release)
        #expect(parsed?.0 == major && parsed?.1 == minor)
    }

    @Test func unreadableReleasesRefuseNothing() {
        #expect(KernelVersion.parse("") == nil)
        #expect(KernelVersion.parse("linux") == nil)
        #expect(KernelVersion.refusal(release: "") == nil)
        #expect(KernelVersion.refusal(release: "linux") == nil)
    }

    @Test("kernels older than 5.12 are refused with the release named", arguments: ["4.19.0", "5.4.0-150-generic", "5.11.22", "3.10.0-1160.el7.x86_64"])
    func oldKernelsRefused(release: String) {
        let refusal = KernelVersion.refusal(release: release)
        #expect(refusal?.description.hasPrefix("Linux 5.12 or later is required (this kernel is \(release))") == true, "\(String(describing: refusal))")
    }

    @Test("5.12 and later are accepted", arguments: ["5.12.0", "5.15.0-91-generic", "6.1.0-18-amd64", "6.18.44-fc-v1272", "10.0"])
    func newKernelsAccepted(release: String) {
        #expect(KernelVersion.refusal(release: release) == nil)
    }

    @Test func theRunningKernelIsAccepted() {
        #expect(KernelVersion.refusal(release: KernelVersion.running) == nil, "tests run on \(KernelVersion.running)")
    }
}

@Suite struct ExecCapabilityTests {
    @Test("exec --cap: bounding, effective, permitted; ambient only where inheritable; never inheritable (CVE-2022-29162)")
    func capSets() throws {
        var request = ExecRequest(id: "x")
        request.args = ["sh"]
        request.capabilities = ["CAP_SYS_CHROOT", "CAP_NET_RAW"]
        var container = Process(cwd: "/")
        container.capabilities = LinuxCapabilities(bounding: ["CAP_KILL"], effective: ["CAP_KILL"], inheritable: ["CAP_NET_RAW"],
                                                   permitted: ["CAP_KILL"], ambient: nil)
        let caps = try #require(try request.process(container: container).capabilities)
        #expect(caps.inheritable == ["CAP_NET_RAW"])
        #expect(caps.ambient == ["CAP_NET_RAW"])
        for set in [caps.bounding, caps.effective, caps.permitted] {
            #expect(set == ["CAP_KILL", "CAP_SYS_CHROOT", "CAP_NET_RAW"])
        }
    }
}
