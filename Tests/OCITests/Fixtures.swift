#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import OCI

enum Fixtures {
    /// A config.json using every section of the model, each field with a non-default value.
    /// Numbers sit at the edges of their types (RLIM_INFINITY, -1 limits).
    static let fullConfig = #"""
        {
        	"ociVersion": "1.2.0",
        	"process": {
        		"terminal": true,
        		"consoleSize": {"height": 24, "width": 80},
        		"user": {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [5, 27], "username": "alice"},
        		"args": ["/bin/sh", "-c", "echo \"hi\" && exit 0"],
        		"commandLine": "sh.exe",
        		"env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
        		"cwd": "/home/alice",
        		"capabilities": {
        			"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        			"effective": ["CAP_KILL"],
        			"inheritable": [],
        			"permitted": ["CAP_KILL"],
        			"ambient": ["CAP_KILL"]
        		},
        		"rlimits": [
        			{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
        			{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
        		],
        		"noNewPrivileges": true,
        		"apparmorProfile": "petrel-default",
        		"oomScoreAdj": -500,
        		"scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"],
        			"runtime": 10000000, "deadline": 20000000, "period": 30000000},
        		"selinuxLabel": "system_u:system_r:container_t:s0",
        		"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
        		"execCPUAffinity": {"initial": "0-1", "final": "2,3"}
        	},
        	"root": {"path": "rootfs", "readonly": true},
        	"hostname": "box",
        	"domainname": "example.org",
        	"mounts": [
        		{"destination": "/proc", "type": "proc", "source": "proc"},
        		{"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "idmap", "ro"],
        			"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        			"gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]},
        		{"destination": "/tmp"}
        	],
        	"hooks": {
        		"prestart": [{"path": "/usr/bin/old-hook"}],
        		"createRuntime": [{"path": "/usr/bin/netns", "args": ["netns", "setup"], "env": ["A=1"], "timeout": 5}],
        		"createContainer": [{"path": "/usr/bin/cc"}],
        		"startContainer": [{"path": "/usr/bin/sc", "args": ["sc"]}],
        		"poststart": [{"path": "/usr/bin/notify", "timeout": 1}],
        		"poststop": [{"path": "/usr/bin/cleanup", "args": ["cleanup", "--all"]}]
        	},
        	"annotations": {"org.opencontainers.image.os": "linux", "com.example/key": "v"},
        	"linux": {
        		"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        		"gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
        		"sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
        		"resources": {
        			"devices": [
        				{"allow": false, "access": "rwm"},
        				{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}
        			],
        			"memory": {"limit": 536870912, "reservation": 268435456, "swap": -1, "kernel": -1, "kernelTCP": 1048576,
        				"swappiness": 60, "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
        			"cpu": {"shares": 1024, "quota": -1, "burst": 1000, "period": 100000, "realtimeRuntime": 950000,
        				"realtimePeriod": 1000000, "cpus": "0-3", "mems": "0", "idle": 1},
        			"pids": {"limit": 512},
        			"blockIO": {
        				"weight": 500, "leafWeight": 300,
        				"weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200}],
        				"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 104857600}],
        				"throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 52428800}],
        				"throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 1000}],
        				"throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 500}]
        			},
        			"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
        			"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
        			"rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
        			"unified": {"memory.high": "400M", "io.weight": "default 100"}
        		},
        		"cgroupsPath": "/petrel/box",
        		"namespaces": [
        			{"type": "pid"}, {"type": "network", "path": "/run/netns/box"}, {"type": "mount"}, {"type": "ipc"},
        			{"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
        		],
        		"devices": [
        			{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
        			{"path": "/dev/pipe", "type": "p"}
        		],
        		"seccomp": {
        			"defaultAction": "SCMP_ACT_ERRNO",
        			"defaultErrnoRet": 1,
        			"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        			"flags": ["SECCOMP_FILTER_FLAG_LOG"],
        			"listenerPath": "/run/seccomp-agent.sock",
        			"listenerMetadata": "box",
        			"syscalls": [
        				{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        				{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
        					"args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
        				{"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
        					"args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
        				{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}
        			]
        		},
        		"rootfsPropagation": "rslave",
        		"maskedPaths": ["/proc/kcore", "/sys/firmware"],
        		"readonlyPaths": ["/proc/sys"],
        		"mountLabel": "system_u:object_r:container_file_t:s0",
        		"intelRdt": {"closID": "box", "l3CacheSchema": "L3:0=ffff", "memBwSchema": "MB:0=50", "enableCMT": true, "enableMBM": true},
        		"personality": {"domain": "LINUX32", "flags": []},
        		"timeOffsets": {"monotonic": {"secs": -86400, "nanosecs": 500}, "boottime": {"secs": 3600}}
        	}
        }
        """#

    /// `fullConfig` with fields this model does not know, at several depths, including a
    /// whole other platform's section.
    static let fullConfigWithUnknownFields = fullConfig
        .replacing(#""ociVersion": "1.2.0","#, with: #""ociVersion": "1.2.0", "solaris": {"milestone": "x"}, "x-vendor": [1, {"a": null}],"#)
        .replacing(#""terminal": true,"#, with: #""terminal": true, "futureProcessField": {"nested": [true]},"#)
        .replacing(#""swappiness": 60,"#, with: #""swappiness": 60, "futureKnob": 1.5e300,"#)
        .replacing(#"{"destination": "/tmp"}"#, with: #"{"destination": "/tmp", "extra": null, "futureOptions": []}"#)
        .replacing(#""index": 0, "value": 4294967295,"#, with: #""index": 0, "value": 4294967295, "comment": "32-bit only","#)

    static func decodeFull() throws -> Spec {
        try Spec.decode(from: Array(fullConfig.utf8))
    }

    /// Parses JSON text into the order-insensitive tree used for comparisons.
    static func tree(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    static func tree(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONParser.parse(bytes)
    }
}
