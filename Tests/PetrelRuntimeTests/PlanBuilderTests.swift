#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCI
import Testing
@testable import PetrelRuntime

@Suite struct PlanBuilderTests {
    static let hybrid = CgroupLayout.detect(mountInfo: CgroupLayoutTests.hybrid)

    func spec(_ json: String) throws -> Spec {
        try Spec.decode(from: Array(json.utf8))
    }

    func build(_ json: String, cgroups: CgroupLayout = hybrid, files: Set<String> = [], passwd: String? = nil) throws -> ExecutionPlan {
        let builder = PlanBuilder(cgroups: cgroups, isDirectory: { !files.contains($0) }, passwd: { passwd })
        var options = LaunchOptions()
        options.execFifo = "/run/petrel/x/exec.fifo"
        return try builder.build(try spec(json), bundle: "/bundle", rootfs: "/bundle/rootfs", options: options)
    }

    static let minimal = """
        {"ociVersion":"1.0.2","root":{"path":"rootfs"},
         "process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},"env":["PATH=/bin"]},
         "linux":{"namespaces":[{"type":"mount"},{"type":"pid"},{"type":"network","path":"/run/netns/x"}]}}
        """

    @Test func namespacesBecomeCloneFlagsOrPaths() throws {
        let plan = try build(Self.minimal)
        #expect(plan.namespaces == [
            .init(cloneFlag: 0x0002_0000, path: nil),
            .init(cloneFlag: 0x2000_0000, path: nil),
            .init(cloneFlag: 0x4000_0000, path: "/run/netns/x"),
        ])
    }

    @Test func defaultsFollowRunc() throws {
        let plan = try build(Self.minimal)
        #expect(plan.umask == 0o022)
        #expect(plan.env == ["PATH=/bin", "HOME=/"])
        #expect(plan.rootPropagation == MountFlag.slave | MountFlag.recursive)
        #expect(plan.devices.map(\.path) == ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"])
        #expect(plan.devices.allSatisfy { $0.mode == 0o020666 && !$0.bindFromHost })
        #expect(plan.setupDevSymlinks)
        #expect(plan.capabilities == nil)
        #expect(plan.execFifo == "/run/petrel/x/exec.fifo")
    }

    @Test func homeComesFromTheContainersPasswd() throws {
        let json = Self.minimal.replacing("\"uid\":0", with: "\"uid\":1000")
        let plan = try build(json, passwd: "root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n")
        #expect(plan.env.last == "HOME=/home/user")
    }

    @Test func mountsAreResolved() throws {
        let json = """
            {"ociVersion":"1.2.0","root":{"path":"rootfs","readonly":true},
             "process":{"args":["sh"],"cwd":"/"},
             "mounts":[
               {"destination":"/proc","type":"proc","source":"proc"},
               {"destination":"/tmp/../data","type":"bind","source":"data","options":["rbind","ro","rslave"]},
               {"destination":"/etc/hosts","source":"/etc/hosts","options":["bind"]},
               {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro","nosuid"]},
               {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]}],
             "linux":{"namespaces":[{"type":"mount"}],"rootfsPropagation":"private"}}
            """
        let plan = try build(json, files: ["/etc/hosts"])
        #expect(plan.rootReadonly)
        #expect(plan.rootPropagation == MountFlag.private)
        #expect(plan.mounts.count == 5)
        #expect(plan.mounts[0].kind == .filesystem && plan.mounts[0].type == "proc")
        let data = plan.mounts[1]
        #expect(data.kind == .bind && data.source == "/bundle/data" && data.destination == "/data")
        #expect(data.recursive && data.flags == MountFlag.readOnly)
        #expect(data.propagation == MountFlag.slave | MountFlag.recursive)
        #expect(plan.mounts[2].targetIsFile)
        #expect(plan.mounts[3].kind == .cgroupV1)
        #expect(plan.mounts[3].cgroupSubsystems == ["cpu,cpuacct", "memory"])
        #expect(plan.mounts[4].data == "mode=755,size=65536k")
        #expect(plan.mounts[4].flags == MountFlag.noSuid | MountFlag.strictAtime)
    }

    @Test func cgroupMountOnUnifiedHostIsCgroup2() throws {
        let unified = CgroupLayout(mode: .unified, v1: [], unifiedMountPoint: "/sys/fs/cgroup")
        let json = Self.minimal.replacing(
            "\"linux\"", with: "\"mounts\":[{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\"}],\"linux\"")
        let plan = try build(json, cgroups: unified)
        #expect(plan.mounts.first?.kind == .filesystem)
        #expect(plan.mounts.first?.type == "cgroup2")
    }

    @Test func processIdentityCapsAndLimits() throws {
        let json = """
            {"ociVersion":"1.1.0","root":{"path":"/abs/rootfs"},
             "process":{"args":["id"],"cwd":"/work","terminal":true,"consoleSize":{"height":40,"width":120},
               "user":{"uid":1000,"gid":100,"additionalGids":[5,6],"umask":63},
               "capabilities":{"bounding":["CAP_KILL","CAP_CHOWN"],"effective":["CAP_KILL"],"permitted":["kill"],"ambient":[]},
               "rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":512}],
               "noNewPrivileges":true,"oomScoreAdj":100},
             "linux":{"namespaces":[{"type":"mount"},{"type":"network"}],"sysctl":{"net.ipv4.ip_forward":"1"},
               "maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],
               "devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0},
                          {"path":"/dev/null","type":"c","major":1,"minor":3,"fileMode":384}]}}
            """
        let plan = try build(json)
        #expect(plan.uid == 1000 && plan.gid == 100 && plan.additionalGids == [5, 6] && plan.umask == 63)
        #expect(plan.cwd == "/work" && plan.terminal && plan.consoleRows == 40 && plan.consoleColumns == 120)
        #expect(plan.capabilities?.bounding == (1 << 5) | (1 << 0))
        #expect(plan.capabilities?.effective == 1 << 5)
        #expect(plan.capabilities?.permitted == 1 << 5)
        #expect(plan.capabilities?.inheritable == 0)
        #expect(plan.rlimits == [.init(resource: 7, soft: 512, hard: 1024)])
        #expect(plan.noNewPrivileges && plan.oomScoreAdj == 100)
        #expect(plan.sysctls == [.init(path: "net/ipv4/ip_forward", value: "1")])
        #expect(plan.maskedPaths == ["/proc/kcore"] && plan.readonlyPaths == ["/proc/sys"])
        let null = try #require(plan.devices.first { $0.path == "/dev/null" })
        #expect(null.mode == 0o020600)
        #expect(plan.devices.last?.path == "/dev/null")
        #expect(plan.devices.contains { $0.path == "/dev/fuse" && $0.major == 10 && $0.minor == 229 })
    }

    @Test func userNamespaceBindsDevicesAndMapsIds() throws {
        let json = """
            {"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},
             "linux":{"namespaces":[{"type":"mount"},{"type":"user"}],
               "uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],
               "gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}}
            """
        let plan = try build(json)
        #expect(plan.devices.allSatisfy { $0.bindFromHost })
        #expect(plan.uidMappings == ["0 100000 65536"])
        #expect(plan.gidMappings == ["0 100000 65536"])
    }

    @Test func unknownCapabilityIsNamed() throws {
        let json = """
            {"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/","capabilities":{"bounding":["CAP_NOPE"]}},
             "linux":{"namespaces":[{"type":"mount"}]}}
            """
        #expect(throws: RuntimeError("process.capabilities.bounding[0]: unknown capability \"CAP_NOPE\"")) { try build(json) }
    }
}

@Suite struct SecurityLabelPlanTests {
    let json = """
        {"ociVersion":"1.2.0","root":{"path":"/r"},
         "process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},"apparmorProfile":"p1","selinuxLabel":"l1"},
         "mounts":[{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["size=1m"]},
                   {"destination":"/proc","type":"proc","source":"proc"}],
         "linux":{"namespaces":[{"type":"mount"}],"mountLabel":"m1"}}
        """

    func builder(apparmor: Bool, selinux: Bool) -> PlanBuilder {
        PlanBuilder(
            cgroups: CgroupLayout(mode: .unified, v1: [], unifiedMountPoint: "/sys/fs/cgroup"),
            isDirectory: { _ in true }, passwd: { nil },
            securityModules: SecurityModules(apparmor: apparmor, selinux: selinux))
    }

    @Test func labelsAreCarriedWhenTheHostHasTheModules() throws {
        let spec = try Spec.decode(from: Array(json.utf8))
        let plan = try builder(apparmor: true, selinux: true).build(spec, bundle: "/b", rootfs: "/r", options: LaunchOptions())
        #expect(plan.apparmorProfile == "p1")
        #expect(plan.selinuxLabel == "l1")
        #expect(plan.mounts[0].data == "size=1m,context=\"m1\"")
        #expect(plan.mounts[1].data == nil)
    }

    @Test func labelsAreRefusedWithoutTheModules() throws {
        let spec = try Spec.decode(from: Array(json.utf8))
        #expect(throws: RuntimeError.self) {
            try builder(apparmor: false, selinux: true).build(spec, bundle: "/b", rootfs: "/r", options: LaunchOptions())
        }
        #expect(throws: RuntimeError.self) {
            try builder(apparmor: true, selinux: false).build(spec, bundle: "/b", rootfs: "/r", options: LaunchOptions())
        }
    }
}
