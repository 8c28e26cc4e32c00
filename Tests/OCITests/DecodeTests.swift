#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCI
import Testing

@Suite struct DecodeTests {
    @Test func processSection() throws {
        let process = try #require(try Fixtures.decodeFull().process)
        #expect(process.terminal == true)
        #expect(process.consoleSize == Box(height: 24, width: 80))
        #expect(process.user == User(uid: 1000, gid: 1000, umask: 0o022, additionalGids: [5, 27], username: "alice"))
        #expect(process.args == ["/bin/sh", "-c", "echo \"hi\" && exit 0"])
        #expect(process.commandLine == "sh.exe")
        #expect(process.env == ["PATH=/usr/bin:/bin", "TERM=xterm"])
        #expect(process.cwd == "/home/alice")
        #expect(process.capabilities?.bounding == ["CAP_KILL", "CAP_NET_BIND_SERVICE"])
        #expect(process.capabilities?.inheritable == [])
        #expect(process.rlimits == [
            POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024),
            POSIXRlimit(type: "RLIMIT_CORE", hard: UInt64.max, soft: 0),
        ])
        #expect(process.noNewPrivileges == true)
        #expect(process.apparmorProfile == "petrel-default")
        #expect(process.oomScoreAdj == -500)
        #expect(process.scheduler == Scheduler(
            policy: .deadline, nice: -5, priority: 10, flags: [.resetOnFork],
            runtime: 10_000_000, deadline: 20_000_000, period: 30_000_000))
        #expect(process.selinuxLabel == "system_u:system_r:container_t:s0")
        #expect(process.ioPriority == LinuxIOPriority(class: .bestEffort, priority: 4))
        #expect(process.execCPUAffinity == CPUAffinity(initial: "0-1", final: "2,3"))
    }

    @Test func topLevelMountsAndHooks() throws {
        let spec = try Fixtures.decodeFull()
        #expect(spec.ociVersion == "1.2.0")
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        #expect(spec.hostname == "box")
        #expect(spec.domainname == "example.org")
        #expect(spec.annotations == ["org.opencontainers.image.os": "linux", "com.example/key": "v"])
        let idmap = [LinuxIDMapping(containerID: 0, hostID: 100_000, size: 65536)]
        #expect(spec.mounts == [
            Mount(destination: "/proc", type: "proc", source: "proc"),
            Mount(destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "idmap", "ro"],
                  uidMappings: idmap, gidMappings: idmap),
            Mount(destination: "/tmp"),
        ])
        let hooks = try #require(spec.hooks)
        #expect(hooks.prestart == [Hook(path: "/usr/bin/old-hook")])
        #expect(hooks.createRuntime == [Hook(path: "/usr/bin/netns", args: ["netns", "setup"], env: ["A=1"], timeout: 5)])
        #expect(hooks.createContainer?.map(\.path) == ["/usr/bin/cc"])
        #expect(hooks.startContainer?.first?.args == ["sc"])
        #expect(hooks.poststart?.first?.timeout == 1)
        #expect(hooks.poststop?.first?.args == ["cleanup", "--all"])
    }

    @Test func linuxSection() throws {
        let linux = try #require(try Fixtures.decodeFull().linux)
        #expect(linux.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 100_000, size: 65536)])
        #expect(linux.gidMappings == [LinuxIDMapping(containerID: 0, hostID: 200_000, size: 65536)])
        #expect(linux.sysctl == ["net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"])
        #expect(linux.cgroupsPath == "/petrel/box")
        #expect(linux.namespaces?.map(\.type) == LinuxNamespaceType.allCases)
        #expect(linux.namespaces?[1] == LinuxNamespace(type: .network, path: "/run/netns/box"))
        #expect(linux.devices == [
            LinuxDevice(path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0),
            LinuxDevice(path: "/dev/pipe", type: "p"),
        ])
        #expect(linux.rootfsPropagation == "rslave")
        #expect(linux.maskedPaths == ["/proc/kcore", "/sys/firmware"])
        #expect(linux.readonlyPaths == ["/proc/sys"])
        #expect(linux.mountLabel == "system_u:object_r:container_file_t:s0")
        #expect(linux.intelRdt == LinuxIntelRdt(
            closID: "box", l3CacheSchema: "L3:0=ffff", memBwSchema: "MB:0=50", enableCMT: true, enableMBM: true))
        #expect(linux.personality == LinuxPersonality(domain: .linux32, flags: []))
        #expect(linux.timeOffsets == [
            "monotonic": LinuxTimeOffset(secs: -86400, nanosecs: 500), "boottime": LinuxTimeOffset(secs: 3600),
        ])
    }

    @Test func resources() throws {
        let resources = try #require(try Fixtures.decodeFull().linux?.resources)
        #expect(resources.devices == [
            LinuxDeviceCgroup(allow: false, access: "rwm"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rw"),
        ])
        #expect(resources.memory == LinuxMemory(
            limit: 536_870_912, reservation: 268_435_456, swap: -1, kernel: -1, kernelTCP: 1_048_576,
            swappiness: 60, disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: true))
        #expect(resources.cpu == LinuxCPU(
            shares: 1024, quota: -1, burst: 1000, period: 100_000, realtimeRuntime: 950_000,
            realtimePeriod: 1_000_000, cpus: "0-3", mems: "0", idle: 1))
        #expect(resources.pids == LinuxPids(limit: 512))
        let blockIO = try #require(resources.blockIO)
        #expect(blockIO.weight == 500)
        #expect(blockIO.leafWeight == 300)
        #expect(blockIO.weightDevice == [LinuxWeightDevice(major: 8, minor: 0, weight: 600, leafWeight: 200)])
        #expect(blockIO.throttleReadBpsDevice == [LinuxThrottleDevice(major: 8, minor: 0, rate: 104_857_600)])
        #expect(blockIO.throttleWriteBpsDevice == [LinuxThrottleDevice(major: 8, minor: 16, rate: 52_428_800)])
        #expect(blockIO.throttleReadIOPSDevice?.first?.rate == 1000)
        #expect(blockIO.throttleWriteIOPSDevice?.first?.rate == 500)
        #expect(resources.hugepageLimits == [LinuxHugepageLimit(pageSize: "2MB", limit: 209_715_200)])
        #expect(resources.network == LinuxNetwork(classID: 0x10_0001, priorities: [LinuxInterfacePriority(name: "eth0", priority: 500)]))
        #expect(resources.rdma == ["mlx5_1": LinuxRdma(hcaHandles: 3, hcaObjects: 10000)])
        #expect(resources.unified == ["memory.high": "400M", "io.weight": "default 100"])
    }

    @Test func seccomp() throws {
        let seccomp = try #require(try Fixtures.decodeFull().linux?.seccomp)
        #expect(seccomp.defaultAction == .errno)
        #expect(seccomp.defaultErrnoRet == 1)
        #expect(seccomp.architectures == [.x86_64, .x86, .x32])
        #expect(seccomp.flags == [.log])
        #expect(seccomp.listenerPath == "/run/seccomp-agent.sock")
        #expect(seccomp.listenerMetadata == "box")
        #expect(seccomp.syscalls == [
            LinuxSyscall(names: ["read", "write"], action: .allow),
            LinuxSyscall(names: ["personality"], action: .allow, args: [LinuxSeccompArg(index: 0, value: 0xFFFF_FFFF, op: .equalTo)]),
            LinuxSyscall(names: ["clone"], action: .errno, errnoRet: 38,
                         args: [LinuxSeccompArg(index: 0, value: 0x7E02_0000, valueTwo: 0, op: .maskedEqual)]),
            LinuxSyscall(names: ["mkdir"], action: .notify),
        ])
    }

    @Test func unknownFieldsAtEveryLevelAreIgnored() throws {
        let tolerant = try Spec.decode(from: Array(Fixtures.fullConfigWithUnknownFields.utf8))
        #expect(tolerant == (try Fixtures.decodeFull()))
    }

    /// Go's decoder is what runc uses: it leaves a missing `user` at uid 0 / gid 0.
    @Test func processWithoutUserRunsAsRoot() throws {
        let spec = try Spec.decode(from: Array(#"{"ociVersion":"1.0.2","process":{"cwd":"/"}}"#.utf8))
        #expect(spec.process?.user == User(uid: 0, gid: 0))
    }

    @Test func nullMeansAbsentForOptionalFields() throws {
        let spec = try Spec.decode(from: Array(#"{"ociVersion":"1.0.2","hostname":null,"linux":{"namespaces":null}}"#.utf8))
        #expect(spec.hostname == nil)
        #expect(spec.linux == Linux())
    }

    @Test func lastDuplicateKeyWinsLikeGo() throws {
        let spec = try Spec.decode(from: Array(#"{"ociVersion":"1.0.0","hostname":"a","hostname":"b"}"#.utf8))
        #expect(spec.hostname == "b")
    }

    /// Seccomp actions and friends are open sets: a newer runtime-spec value still decodes.
    @Test func unknownStringTypedValuesAreKept() throws {
        let json = #"{"defaultAction":"SCMP_ACT_FUTURE","architectures":["SCMP_ARCH_LOONGARCH64"]}"#
        let seccomp = try OCIJSON.decode(LinuxSeccomp.self, from: Array(json.utf8))
        #expect(seccomp.defaultAction.rawValue == "SCMP_ACT_FUTURE")
        #expect(seccomp.architectures == ["SCMP_ARCH_LOONGARCH64"])
    }

    @Test func minimalSpec() throws {
        let spec = try Spec.decode(from: Array(#"{"ociVersion":"1.0.0"}"#.utf8))
        #expect(spec == Spec(ociVersion: "1.0.0"))
    }
}
