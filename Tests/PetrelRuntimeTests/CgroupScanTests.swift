import Foundation
import Testing
@testable import PetrelRuntime

/// The byte-level readers behind create and delete: mountinfo, cgroup.procs, hierarchy
/// names, path joins, and the directory walks (on a plain directory, not cgroupfs).
@Suite struct CgroupScanTests {
    @Test func mountinfoWithOptionalFieldsAndOtherMounts() {
        let text = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            31 23 0:28 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 master:3 - cgroup cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct
            40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,release_agent=/x,name=systemd

            41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate
            50 22 0:40 / /mnt/cgroup - cgroup
            """
        let layout = CgroupLayout.detect(mountInfo: text)
        #expect(layout.mode == .hybrid)
        #expect(layout.unifiedMountPoint == "/sys/fs/cgroup/unified")
        #expect(layout.v1 == [
            CgroupLayout.V1Hierarchy(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", controllers: ["cpu", "cpuacct"], name: nil),
            CgroupLayout.V1Hierarchy(mountPoint: "/sys/fs/cgroup/systemd", controllers: [], name: "systemd"),
        ])
        #expect(CgroupLayout.detect(mountInfo: "").mode == .legacy)
    }

    @Test func procsFileParsing() {
        #expect(CgroupFile.parsePids(Array("1\n22\n333\n".utf8)) == [1, 22, 333])
        #expect(CgroupFile.parsePids(Array("7".utf8)) == [7])
        #expect(CgroupFile.parsePids(Array("\nx1\n99999999999\n4\n".utf8)) == [4])
        #expect(CgroupFile.parsePids([]).isEmpty)
    }

    @Test func hierarchyCarriesItsControllersOnly() {
        let cpu = CgroupDirectory(hierarchy: "cpu,cpuacct", path: "/x")
        #expect(cpu.carries("cpu") && cpu.carries("cpuacct"))
        #expect(!cpu.carries("cpuset") && !cpu.carries("cp") && !cpu.carries(""))
        #expect(CgroupDirectory(hierarchy: "name=systemd", path: "/x").carries("name=systemd"))
        let record = CgroupRecord(version: 1, directories: [cpu, CgroupDirectory(hierarchy: "cpuset", path: "/y")], created: [])
        #expect(record.directory(for: "cpuset") == "/y")
        #expect(record.directory(for: "cpuacct") == "/x")
        #expect(record.directory(for: "memory") == nil)
    }

    @Test func parentsAndPlainPaths() {
        #expect(CgroupPath.parentDirectory("/a/b/c") == "/a/b")
        #expect(CgroupPath.parentDirectory("/a") == "/")
        #expect(CgroupPath.parentDirectory("/") == "/")
        #expect(CgroupPath.parentDirectory("/a/b/") == "/a")
        #expect(CgroupPath.isPlainAbsolute("/") && CgroupPath.isPlainAbsolute("/a/b"))
        #expect(!CgroupPath.isPlainAbsolute("/a/") && !CgroupPath.isPlainAbsolute("/a//b") && !CgroupPath.isPlainAbsolute("/a/./b"))
        #expect(!CgroupPath.isPlainAbsolute(""))
    }

    @Test func ownCgroupThatIsNotPlainIsCleaned() throws {
        let layout = CgroupLayout.detect(mountInfo: "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory")
        let directories = try CgroupPath.directories(for: .relative("c1"), layout: layout, procSelfCgroup: "4:memory:/a//b/\n")
        #expect(directories.map(\.path) == ["/sys/fs/cgroup/memory/a/b/c1"])
    }

    @Test func makeListAndRemoveDirectories() throws {
        let base = NSTemporaryDirectory() + "petrel-cgroup-scan-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        #expect(try CgroupTree.makeDirectories(base + "/a/b/c") == [base + "/a", base + "/a/b", base + "/a/b/c"])
        #expect(try CgroupTree.makeDirectories(base + "/a/b/c").isEmpty)
        #expect(try CgroupTree.makeDirectories(base + "/a/d") == [base + "/a/d"])
        FileManager.default.createFile(atPath: base + "/a/file", contents: Data())
        #expect(CgroupFile.children(base + "/a").sorted() == [base + "/a/b", base + "/a/d"])
        try CgroupTree.removeTree(base + "/a/b")
        #expect(!FileManager.default.fileExists(atPath: base + "/a/b"))
        try CgroupTree.removeTree(base + "/a/missing")
    }
}
