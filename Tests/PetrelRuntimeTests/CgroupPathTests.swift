import Testing
@testable import PetrelRuntime

@Suite struct CgroupPathTests {
    // MARK: cgroupfs driver

    @Test(arguments: [
        ("/petrel/abc", CgroupInnerPath.absolute("/petrel/abc")),
        ("/a//b/./c/", .absolute("/a/b/c")),
        ("/a/b/../c", .absolute("/a/c")),
        ("petrel/abc", .relative("petrel/abc")),
        ("./x/../y", .relative("y")),
    ])
    func cgroupfsPaths(value: String, expected: CgroupInnerPath) throws {
        #expect(try CgroupPath.inner(cgroupsPath: value, id: "id", driver: .cgroupfs) == expected)
    }

    @Test func emptyPathIsTheIdRelativeToUs() throws {
        #expect(try CgroupPath.inner(cgroupsPath: nil, id: "abc", driver: .cgroupfs) == .relative("abc"))
        #expect(try CgroupPath.inner(cgroupsPath: "", id: "abc", driver: .cgroupfs) == .relative("abc"))
    }

    @Test(arguments: ["../x", "a/../../x", "/..", "/../etc", "x/../../.."])
    func escapesAreRefused(value: String) {
        let error = #expect(throws: RuntimeError.self) { try CgroupPath.inner(cgroupsPath: value, id: "id", driver: .cgroupfs) }
        #expect(error?.description == "linux.cgroupsPath \(JSONText.quote(value)): escapes its cgroup hierarchy with \"..\"")
    }

    @Test(arguments: ["/", "//", "/a/..", ".", "a/.."])
    func rootsAndOwnCgroupAreRefused(value: String) {
        let error = #expect(throws: RuntimeError.self) { try CgroupPath.inner(cgroupsPath: value, id: "id", driver: .cgroupfs) }
        #expect(error?.description.hasPrefix("linux.cgroupsPath \(JSONText.quote(value)): names") == true)
    }

    // MARK: systemd driver (emulated on cgroupfs)

    @Test(arguments: [
        ("system.slice:petrel:abc", "/system.slice/petrel-abc.scope"),
        ("system.slice:docker:1234", "/system.slice/docker-1234.scope"),
        ("a-b.slice:p:c", "/a.slice/a-b.slice/p-c.scope"),
        ("a-b-c.slice:crio:x", "/a.slice/a-b.slice/a-b-c.slice/crio-x.scope"),
        (":petrel:abc", "/system.slice/petrel-abc.scope"),
        ("-.slice:p:n", "/p-n.scope"),
        ("user.slice:p:machine.slice", "/user.slice/machine.slice"),
        ("system.slice::abc", "/system.slice/abc.scope"),
        ("", "/system.slice/petrel-id.scope"),
    ])
    func systemdPaths(value: String, expected: String) throws {
        #expect(try CgroupPath.inner(cgroupsPath: value, id: "id", driver: .systemd) == .absolute(expected))
    }

    @Test(arguments: ["a:b", "a:b:c:d", "/x/y"])
    func systemdNeedsThreeParts(value: String) {
        let error = #expect(throws: RuntimeError.self) { try CgroupPath.inner(cgroupsPath: value, id: "id", driver: .systemd) }
        #expect(error?.description == "linux.cgroupsPath \(JSONText.quote(value)): expected \"slice:prefix:name\" for systemd cgroups")
    }

    @Test(arguments: ["system:p:n", ".slice:p:n", "a--b.slice:p:n", "-a.slice:p:n", "a-.slice:p:n", "a/b.slice:p:n"])
    func invalidSlicesAreRefused(value: String) {
        let error = #expect(throws: RuntimeError.self) { try CgroupPath.inner(cgroupsPath: value, id: "id", driver: .systemd) }
        #expect(error?.description.contains("invalid slice name") == true)
    }

    @Test(arguments: ["system.slice:p:a/b", "system.slice:x/y:n", "system.slice:p:..", "system.slice:p:"])
    func invalidNamesAreRefused(value: String) {
        #expect(throws: RuntimeError.self) { try CgroupPath.inner(cgroupsPath: value, id: "id", driver: .systemd) }
    }

    @Test func systemdFormAsCRIWritesIt() {
        #expect(CgroupPath.hasSystemdForm("kubepods-besteffort-pod1.slice:cri-containerd:abc"))
        #expect(CgroupPath.hasSystemdForm("system.slice::abc"))
        #expect(!CgroupPath.hasSystemdForm("/kubepods/besteffort/pod1/abc"))
        #expect(!CgroupPath.hasSystemdForm("a:b:c"))
        #expect(!CgroupPath.hasSystemdForm("x.slice:p:"))
        #expect(!CgroupPath.hasSystemdForm("/x.slice:p:c"))
        #expect(!CgroupPath.hasSystemdForm(nil))
    }

    @Test func expandSlice() throws {
        #expect(try CgroupPath.expandSlice("test-a-b.slice") == "/test.slice/test-a.slice/test-a-b.slice")
        #expect(try CgroupPath.expandSlice("-.slice") == "/")
        #expect(try CgroupPath.expandSlice("machine.slice") == "/machine.slice")
    }

    // MARK: host directories

    static let hybridSelf = """
        9:name=systemd:/user.slice/session-1.scope
        4:memory:/process_api/62fb
        1:cpu,cpuacct:/
        0::/init.scope
        """

    @Test func ownCgroupsParse() {
        let own = CgroupPath.ownCgroups(Self.hybridSelf)
        #expect(own["memory"] == "/process_api/62fb")
        #expect(own["cpu"] == "/")
        #expect(own["cpuacct"] == "/")
        #expect(own["name=systemd"] == "/user.slice/session-1.scope")
        #expect(own[""] == "/init.scope")
    }

    @Test func hybridRelativeIsPerHierarchyBelowOurOwnCgroup() throws {
        let layout = CgroupLayout.detect(mountInfo: CgroupLayoutTests.hybrid)
        let directories = try CgroupPath.directories(for: .relative("petrel/abc"), layout: layout, procSelfCgroup: Self.hybridSelf)
        #expect(directories == [
            CgroupDirectory(hierarchy: "cpu,cpuacct", path: "/sys/fs/cgroup/cpu,cpuacct/petrel/abc"),
            CgroupDirectory(hierarchy: "memory", path: "/sys/fs/cgroup/memory/process_api/62fb/petrel/abc"),
            CgroupDirectory(hierarchy: "name=systemd", path: "/sys/fs/cgroup/systemd/user.slice/session-1.scope/petrel/abc"),
            // The cgroup2 side of a hybrid host keeps our own cgroup (no controllers to enable there).
            CgroupDirectory(hierarchy: "unified", path: "/sys/fs/cgroup/unified/init.scope/petrel/abc"),
        ])
    }

    @Test func hybridAbsoluteIgnoresOurCgroup() throws {
        let layout = CgroupLayout.detect(mountInfo: CgroupLayoutTests.hybrid)
        let directories = try CgroupPath.directories(for: .absolute("/system.slice/petrel-abc.scope"), layout: layout, procSelfCgroup: Self.hybridSelf)
        #expect(directories.map(\.path) == [
            "/sys/fs/cgroup/cpu,cpuacct/system.slice/petrel-abc.scope",
            "/sys/fs/cgroup/memory/system.slice/petrel-abc.scope",
            "/sys/fs/cgroup/systemd/system.slice/petrel-abc.scope",
            "/sys/fs/cgroup/unified/system.slice/petrel-abc.scope",
        ])
    }

    static let unifiedLayout = CgroupLayout.detect(mountInfo: "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")

    @Test func v2RelativeGoesBelowTheParentOfOurCgroup() throws {
        let directories = try CgroupPath.directories(
            for: .relative("petrel/abc"), layout: Self.unifiedLayout, procSelfCgroup: "0::/user.slice/user-0.slice/session-3.scope\n")
        #expect(directories == [CgroupDirectory(hierarchy: "unified", path: "/sys/fs/cgroup/user.slice/user-0.slice/petrel/abc")])
    }

    @Test func v2RelativeFromTheRootCgroup() throws {
        let directories = try CgroupPath.directories(for: .relative("abc"), layout: Self.unifiedLayout, procSelfCgroup: "0::/\n")
        #expect(directories.map(\.path) == ["/sys/fs/cgroup/abc"])
    }

    @Test func v2Absolute() throws {
        let directories = try CgroupPath.directories(for: .absolute("/a/b"), layout: Self.unifiedLayout, procSelfCgroup: "0::/x/y\n")
        #expect(directories.map(\.path) == ["/sys/fs/cgroup/a/b"])
    }

    @Test func ourCgroupOutsideTheNamespaceIsRefused() {
        #expect(throws: RuntimeError.self) {
            try CgroupPath.directories(for: .relative("abc"), layout: Self.unifiedLayout, procSelfCgroup: "0::/../../x\n")
        }
    }

    @Test func missingOwnEntryIsAnError() {
        #expect(throws: RuntimeError.self) {
            try CgroupPath.directories(for: .relative("abc"), layout: Self.unifiedLayout, procSelfCgroup: "4:memory:/\n")
        }
    }

    @Test func unmanagedHierarchiesAreLeftAlone() throws {
        let mountInfo = CgroupLayoutTests.hybrid + "\n42 31 0:39 / /sys/fs/cgroup/misc rw - cgroup cgroup rw,misc"
        let layout = CgroupLayout.detect(mountInfo: mountInfo)
        let directories = try CgroupPath.directories(for: .absolute("/x"), layout: layout, procSelfCgroup: "")
        #expect(!directories.contains { $0.hierarchy == "misc" })
    }

    @Test func recordFindsTheHierarchyOfAController() {
        let record = CgroupRecord(version: 1, directories: [
            CgroupDirectory(hierarchy: "cpu,cpuacct", path: "/c"), CgroupDirectory(hierarchy: "memory", path: "/m"),
        ], created: [])
        #expect(record.directory(for: "cpuacct") == "/c")
        #expect(record.directory(for: "memory") == "/m")
        #expect(record.directory(for: "pids") == nil)
    }
}
