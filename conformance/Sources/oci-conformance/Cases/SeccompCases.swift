import ConformanceKit

/// config-linux.md "Seccomp".
enum SeccompCases {
    static func profile(_ rules: [JSON]) -> JSON {
        ["defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": .array(rules)]
    }

    static let all: [Case] = [
        .inside("seccomp.errno-default", "SCMP_ACT_ERRNO without errnoRet fails the call with EPERM",
                spec: "config-linux.md Seccomp: errnoRet: \"If not specified its default value is `EPERM`\"",
                checks: ["seccomp-mkdir"]) { f in
            f.config[path: "linux.seccomp"] = profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"]])
        },
        .inside("seccomp.errno-ret", "SCMP_ACT_ERRNO with errnoRet",
                spec: "config-linux.md Seccomp: `errnoRet` \"the errno return code to use\"",
                checks: ["seccomp-mkdir"]) { f in
            f.config[path: "linux.seccomp"] = profile([
                ["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42],
            ])
        },
        .inside("seccomp.args", "a rule with an argument filter matches only that argument",
                spec: "config-linux.md Seccomp: `args` \"the specific syscall in seccomp\" (index, value, op)",
                checks: ["seccomp-chmod-args"]) { f in
            f.config[path: "linux.seccomp"] = profile([
                ["names": ["chmod"], "action": "SCMP_ACT_ERRNO",
                 "args": [["index": 1, "value": 0o777, "op": "SCMP_CMP_EQ"]]],
                ["names": ["fchmodat"], "action": "SCMP_ACT_ERRNO",
                 "args": [["index": 2, "value": 0o777, "op": "SCMP_CMP_EQ"]]],
            ])
        },
        Case("seccomp.kill-process", "SCMP_ACT_KILL_PROCESS kills the process with SIGSYS",
             spec: "config-linux.md Seccomp: action `SCMP_ACT_KILL_PROCESS` (seccomp.h from libseccomp)") { f in
            f.config[path: "linux.seccomp"] = profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"]])
            f.config[path: "process.args"] = .strings(["mkdir", "/tmp/killed"])
            try f.writeBundle()
            let result = f.runtime(["run", "--bundle", f.bundle, f.newID()])
            try f.require(result.status == 128 + 31, "run exited \(result.status), want 159 (SIGSYS): \(result.summary)")
        },
    ]
}
