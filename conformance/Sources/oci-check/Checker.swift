import ConformanceKit
import Glibc

/// The state every check reads: the config, the runner's facts, the report to fill.
struct Checker {
    var config: JSON
    var expect: JSON
    var descriptorsAtStart: [Int32]
    var report: Report
    lazy var mounts: [MountEntry] = MountInfo.read()

    var process: JSON { config["process"] }
    var linux: JSON { config["linux"] }

    typealias Check = @Sendable (inout Checker) -> Void

    /// Every check by name.
    static let all: [String: Check] = [
        // process
        "fds": { $0.checkDescriptors() },
        "args": { $0.checkArgs() },
        "env": { $0.checkEnv() },
        "cwd": { $0.checkCwd() },
        "user": { $0.checkUser() },
        "umask": { $0.checkUmask() },
        "capabilities": { $0.checkCapabilities() },
        "rlimits": { $0.checkRlimits() },
        "no-new-privileges": { $0.checkNoNewPrivileges() },
        "oom-score-adj": { $0.checkOomScoreAdj() },
        "terminal": { $0.checkTerminal() },
        // namespaces and identity
        "namespaces": { $0.checkNamespaces() },
        "hostname": { $0.checkHostname() },
        "domainname": { $0.checkDomainname() },
        "id-mappings": { $0.checkIdMappings() },
        "time-offsets": { $0.checkTimeOffsets() },
        "sysctl": { $0.checkSysctl() },
        "personality": { $0.checkPersonality() },
        "memory-policy": { $0.checkMemoryPolicy() },
        "net-devices": { $0.checkNetDevices() },
        "scheduler": { $0.checkScheduler() },
        "cpu-affinity": { $0.checkCPUAffinity() },
        // file system
        "mounts": { $0.checkMounts() },
        "mount-order": { $0.checkMountOrder() },
        "root-readonly": { $0.checkRootReadonly() },
        "rootfs-propagation": { $0.checkRootfsPropagation() },
        "masked-paths": { $0.checkMaskedPaths() },
        "readonly-paths": { $0.checkReadonlyPaths() },
        "devices": { $0.checkDevices() },
        "default-devices": { $0.checkDefaultDevices() },
        "dev-symlinks": { $0.checkDevSymlinks() },
        "device-cgroup": { $0.checkDeviceCgroup() },
        // cgroups
        "cgroup-memory": { $0.checkCgroupMemory() },
        "cgroup-pids": { $0.checkCgroupPids() },
        "cgroup-cpu": { $0.checkCgroupCpu() },
        "cgroup-cpuset": { $0.checkCgroupCpuset() },
        "cgroup-unified": { $0.checkCgroupUnified() },
        "cgroup-hugetlb": { $0.checkCgroupHugetlb() },
        "cgroup-memory-v1": { $0.checkCgroupMemoryV1() },
        "cgroup-blkio-weight": { $0.checkCgroupBlkioWeight() },
        // seccomp
        "seccomp-mkdir": { $0.checkSeccompMkdir() },
        "seccomp-chmod-args": { $0.checkSeccompChmodArgs() },
    ]
}
