#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCI
import Testing
@testable import PetrelRuntime

@Suite struct SpecValidatorTests {
    func validate(_ json: String) throws {
        try SpecValidator.validate(try Spec.decode(from: Array(json.utf8)), configPath: "/b/config.json")
    }

    static func config(version: String = "1.0.2", process: String = #"{"args":["sh"],"cwd":"/"}"#,
                       namespaces: String = #"[{"type":"mount"},{"type":"uts"}]"#, extra: String = "") -> String {
        """
        {"ociVersion":"\(version)","root":{"path":"rootfs"},"process":\(process),\(extra)
         "linux":{"namespaces":\(namespaces)}}
        """
    }

    @Test func acceptsAValidConfig() throws {
        try validate(Self.config(extra: #""hostname":"box","#))
    }

    @Test("no mount namespace: inherited (config-linux.md), allowed without mounts")
    func acceptsNoMountNamespace() throws {
        try validate(Self.config(namespaces: #"[{"type":"pid"}]"#))
    }

    @Test("no mount namespace: masked paths refused in runc's words")
    func refusesMaskedPathsWithoutMountNamespace() {
        let json = """
            {"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},
             "linux":{"namespaces":[{"type":"pid"}],"maskedPaths":["/proc/kcore"]}}
            """
        #expect(throws: RuntimeError("/b/config.json: linux.maskedPaths: unable to restrict sys entries without a private MNT namespace")) {
            try validate(json)
        }
    }

    @Test(arguments: [
        (config(version: "2.0.0"), "/b/config.json: ociVersion: unsupported version \"2.0.0\" (petrel supports 1.x)"),
        (config(process: #"{"args":[],"cwd":"/"}"#), "/b/config.json: process.args: must name the program to run"),
        (config(process: #"{"args":["sh"],"cwd":"rel"}"#), "/b/config.json: process.cwd: must be an absolute path, got \"rel\""),
        (config(process: #"{"args":["sh"],"cwd":"/","env":["NOEQUALS"]}"#), "/b/config.json: process.env[0]: expected KEY=value, got \"NOEQUALS\""),
        (config(namespaces: #"[{"type":"mount"},{"type":"mount"}]"#), "/b/config.json: linux.namespaces[1]: duplicate namespace type \"mount\""),
        (config(namespaces: #"[{"type":"pid"}]"#, extra: #""mounts":[{"destination":"/proc","type":"proc","source":"proc"}],"#),
         "/b/config.json: mounts: 1 mount(s) given (first: \"/proc\"): each needs a private mount namespace (linux.namespaces has no \"mount\", so the container shares the host's and petrel makes no mount there)"),
        (config(namespaces: #"[{"type":"mount"}]"#, extra: #""hostname":"box","#), "/b/config.json: hostname: cannot set the hostname without a uts namespace"),
        (config(namespaces: #"[{"type":"mount"},{"type":"network","path":"rel/ns"}]"#), "/b/config.json: linux.namespaces[1].path: must be an absolute path, got \"rel/ns\""),
    ])
    func rejectsWithTheFieldNamed(json: String, message: String) {
        #expect(throws: RuntimeError(message)) { try validate(json) }
    }
}

/// The rules that moved out of the planner, seccomp, sysctls and create into Bundle/Validation:
/// each refused by SpecValidator, the message naming the file and the JSON path.
@Suite struct ValidationRuleTests {
    func validate(_ json: String) throws {
        try SpecValidator.validate(try Spec.decode(from: Array(json.utf8)), configPath: "/b/config.json")
    }

    static func config(version: String = "1.0.2", process: String = "",
                       namespaces: String = #"[{"type":"mount"},{"type":"uts"},{"type":"ipc"},{"type":"network"}]"#,
                       linux: String = "", extra: String = "") -> String {
        """
        {"ociVersion":"\(version)","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"\(process)},\(extra)
         "linux":{"namespaces":\(namespaces)\(linux)}}
        """
    }

    @Test("a config that uses every moved rule's field validly passes")
    func acceptsValidFields() throws {
        try validate(Self.config(
            version: "1.2.0",
            process: #","rlimits":[{"type":"RLIMIT_NOFILE","hard":10,"soft":5}],"oomScoreAdj":-1000"#,
            linux: #","sysctl":{"net.ipv4.ip_forward":"1","kernel.shmmax":"1"},"devices":[{"path":"/dev/fifo","type":"p"},{"path":"/dev/x","type":"c","major":1,"minor":3}],"personality":{"domain":"LINUX32"},"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":5,"value":1,"op":"SCMP_CMP_EQ"}]}]},"rootfsPropagation":"rslave""#,
            extra: #""mounts":[{"destination":"rel","type":"tmpfs","source":"tmpfs","options":["tmpcopyup"]},{"destination":"/b","source":"/x","options":["rbind"]}],"hooks":{"poststop":[{"path":"/bin/true","timeout":1}]},"#))
    }

    @Test(arguments: [
        // process
        (config(process: #","rlimits":[{"type":"RLIMIT_FOO","hard":1,"soft":1}]"#), "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""),
        (config(process: #","rlimits":[{"type":"RLIMIT_NOFILE","hard":1,"soft":2}]"#), "process.rlimits[0]: soft limit 2 is above hard limit 1"),
        (config(process: #","rlimits":[{"type":"RLIMIT_CORE","hard":1,"soft":1},{"type":"RLIMIT_CORE","hard":1,"soft":1}]"#), "process.rlimits[1].type: \"RLIMIT_CORE\" is listed twice"),
        (config(process: #","oomScoreAdj":5000"#), "process.oomScoreAdj: 5000 is outside -1000..1000"),
        // mounts
        (config(extra: #""mounts":[{"destination":"/a","type":"tmpfs"},{"destination":"rel","type":"tmpfs"}],"#), "mounts[1].destination: must be an absolute path, got \"rel\""),
        (config(extra: #""mounts":[{"destination":"/a","options":["bind"]}],"#), "mounts[0].source: a bind mount needs a source"),
        (config(extra: #""mounts":[{"destination":"/a","source":"x"}],"#), "mounts[0].type: required for a non-bind mount"),
        (config(extra: #""mounts":[{"destination":"/a","source":"x","type":"proc","options":["tmpcopyup"]}],"#), "mounts[0].options: tmpcopyup is only for tmpfs mounts, not \"proc\""),
        (config(extra: #""mounts":[{"destination":"/a","source":"/x","options":["bind","tmpcopyup"]}],"#), "mounts[0].options: tmpcopyup is only for tmpfs mounts, not a bind mount"),
        (config(extra: #""mounts":[{"destination":"/a","source":"t","type":"tmpfs","options":["idmap"]}],"#), "mounts[0]: id-mapped mounts (idmap, ridmap, uidMappings, gidMappings) are only supported for bind mounts"),
        (config(extra: #""mounts":[{"destination":"/a","source":"/x","options":["bind","idmap"]}],"#), "mounts[0]: idmap without uidMappings/gidMappings on the mount needs linux.uidMappings and linux.gidMappings (a user namespace)"),
        (config(extra: #""mounts":[{"destination":"/a","source":"/x","options":["bind"],"uidMappings":[{"containerID":0,"hostID":1,"size":1}]}],"#), "mounts[0]: uidMappings and gidMappings must be given together"),
        (config(extra: #""mounts":[{"destination":"/a","source":"/x","options":["bind"],"uidMappings":[{"containerID":0,"hostID":1,"size":0}],"gidMappings":[{"containerID":0,"hostID":1,"size":1}]}],"#), "mounts[0].uidMappings[0].size: must be at least 1"),
        (config(linux: #","rootfsPropagation":"sideways""#), "linux.rootfsPropagation: unknown value \"sideways\""),
        // devices
        (config(linux: #","devices":[{"path":"/dev/x","type":"z","major":1,"minor":1}]"#), "linux.devices[0].type: unknown device type \"z\" (expected c, b, u or p)"),
        (config(linux: #","devices":[{"path":"dev/x","type":"c","major":1,"minor":1}]"#), "linux.devices[0].path: must be an absolute file path, got \"dev/x\""),
        (config(linux: #","devices":[{"path":"/dev/x","type":"b"}]"#), "linux.devices[0]: major and minor are required for type \"b\""),
        (config(linux: #","devices":[{"path":"/dev/x","type":"c","major":-1,"minor":1}]"#), "linux.devices[0]: major/minor out of range"),
        (config(linux: #","resources":{"devices":[{"allow":true,"type":"q"}]}"#), "linux.resources.devices[0].type: \"q\" is not one of a, b, c"),
        (config(linux: #","resources":{"devices":[{"allow":true,"access":"rwx"}]}"#), "linux.resources.devices[0].access: \"rwx\" may only contain r, w and m"),
        (config(linux: #","resources":{"hugepageLimits":[{"pageSize":"../2MB","limit":1}]}"#), "linux.resources.hugepageLimits: invalid pageSize \"../2MB\""),
        (config(linux: #","resources":{"unified":{"../x":"1"}}"#), "linux.resources.unified: invalid key \"../x\" (a cgroup file name such as \"memory.high\")"),
        // namespaces, sysctl, time
        (config(linux: #","sysctl":{"kernel.pid_max":"1"}"#), "linux.sysctl[\"kernel.pid_max\"]: not a namespaced sysctl; a container may not change it for the whole host"),
        (config(namespaces: #"[{"type":"mount"}]"#, linux: #","sysctl":{"net.ipv4.ip_forward":"1"}"#), "linux.sysctl[\"net.ipv4.ip_forward\"]: needs a network namespace"),
        (config(linux: #","timeOffsets":{"monotonic":{"secs":1}}"#), "linux.timeOffsets: needs a new time namespace (linux.namespaces entry of type time without a path)"),
        (config(namespaces: #"[{"type":"mount"},{"type":"time"}]"#, linux: #","timeOffsets":{"realtime":{"secs":1}}"#), "linux.timeOffsets.realtime: unknown clock (expected monotonic or boottime)"),
        (config(namespaces: #"[{"type":"mount"},{"type":"time"}]"#, linux: #","timeOffsets":{"boottime":{"nanosecs":1000000000}}"#), "linux.timeOffsets.boottime.nanosecs: 1000000000 is not below 1000000000"),
        // personality, memory policy, intelRdt
        (config(linux: #","personality":{"domain":"LINUX","flags":["X"]}"#), "linux.personality.flags: no flags are supported, got \"X\""),
        (config(linux: #","personality":{"domain":"BSD"}"#), "linux.personality.domain: unknown domain \"BSD\" (expected LINUX or LINUX32)"),
        (config(linux: #","memoryPolicy":{"mode":"MPOL_BIND"}"#), "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node"),
        (config(namespaces: #"[{"type":"mount"}]"#, linux: #","netDevices":{"eth0":{}}"#), "linux.netDevices: needs a network namespace of the container's own (linux.namespaces has no network entry, the devices would stay on the host)"),
        (config(linux: #","netDevices":{"eth0":{"name":"a/b"}}"#), "linux.netDevices[\"eth0\"].name: invalid interface name \"a/b\" (contains \"/\")"),
        (config(linux: #","netDevices":{"eth0":{"name":"x"},"eth1":{"name":"x"}}"#), "linux.netDevices[\"eth1\"].name: \"x\" is given to two devices"),
        (config(linux: #","intelRdt":{"closID":"../x"}"#), "linux.intelRdt.closID: invalid group name \"../x\""),
        (config(linux: #","intelRdt":{"memBwSchema":"L3:0=f"}"#), "linux.intelRdt.memBwSchema: must be one line starting with MB:, got \"L3:0=f\""),
        // seccomp
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_EXPLODE"}"#), "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_EXPLODE\""),
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_KILL","defaultErrnoRet":5}"#), "linux.seccomp.defaultAction: SCMP_ACT_KILL takes no errno, got errnoRet 5"),
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_NOTIFY"}"#), "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NOPE"]}"#), "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\""),
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO"},{"names":["write"],"action":"SCMP_ACT_BOOM"}]}"#), "linux.seccomp.syscalls[1].action: unknown seccomp action \"SCMP_ACT_BOOM\""),
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_ALMOST"}]}]}"#), "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ALMOST\""),
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#), "linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument (0-5)"),
        (config(linux: #","seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}"#), "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY"),
        // hooks
        (config(extra: #""hooks":{"poststart":[{"path":"/bin/true"},{"path":"/bin/true","timeout":0}]},"#), "hooks.poststart[1].timeout: must be positive, got 0"),
    ])
    func refusesWithThePath(json: String, message: String) {
        #expect(throws: RuntimeError("/b/config.json: " + message)) { try validate(json) }
    }

    @Test("exec's process gets the per-field process rules, without a file name")
    func execProcess() {
        var process = Process(cwd: "/")
        process.args = ["sh"]
        process.rlimits = [POSIXRlimit(type: "RLIMIT_NOPE", hard: 1, soft: 1)]
        #expect(throws: RuntimeError("process.rlimits[0].type: unknown rlimit \"RLIMIT_NOPE\"")) {
            try SpecValidator.validateExecProcess(process)
        }
    }

    /// The planner makes no config rule of its own: every config field that can be
    /// refused is refused by the validator before the planner sees the spec. Each case
    /// is a config the planner (with a host that has everything) accepts silently.
    @Test("the planner assumes a valid spec: no config throws left in it")
    func plannerAcceptsWhatTheValidatorRefuses() throws {
        let builder = PlanBuilder(cgroups: CgroupLayout(mode: .unified, v1: [], unifiedMountPoint: "/sys/fs/cgroup"),
                                  isDirectory: { _ in true }, passwd: { nil },
                                  securityModules: SecurityModules(apparmor: true, selinux: true))
        for json in [
            Self.config(process: #","oomScoreAdj":5000"#),
            Self.config(linux: #","sysctl":{"kernel.pid_max":"1"}"#),
            Self.config(extra: #""mounts":[{"destination":"/a","source":"x"}],"#),
            Self.config(linux: #","personality":{"domain":"BSD"}"#),
        ] {
            let spec = try Spec.decode(from: Array(json.utf8))
            _ = try builder.build(spec, bundle: "/b", rootfs: "/r", options: LaunchOptions())
            #expect(throws: RuntimeError.self) { try SpecValidator.validate(spec, configPath: "/b/config.json") }
        }
    }
}
