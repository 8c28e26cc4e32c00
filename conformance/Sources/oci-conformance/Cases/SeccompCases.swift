import ConformanceKit
import Glibc

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
        Case("seccomp.notify-listener", "SCMP_ACT_NOTIFY sends the container process state and the seccomp fd to listenerPath",
             spec: "config-linux.md Seccomp: listenerPath: \"The runtime MUST send exactly one container process state per connection\"; seccompFd in `fds`; `metadata` is listenerMetadata") { f in
            let socket = try ConsoleSocket(path: f.dir + "/listener.sock")
            defer { socket.close() }
            var seccomp = profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"]])
            seccomp["listenerPath"] = .string(socket.path)
            seccomp["listenerMetadata"] = "conformance-metadata"
            f.config[path: "linux.seccomp"] = seccomp
            // Once the listener closes the notify fd, the filtered call fails with ENOSYS.
            f.config[path: "process.args"] = .strings(["sh", "-c", "mkdir /tmp/notified; echo done"])
            try f.writeBundle()
            let id = f.newID()
            guard let run = f.suite.commands.start(
                [f.suite.runtime, "--root", f.suite.stateRoot, "run", "--bundle", f.bundle, id], stderr: f.dir + "/run.err") else {
                throw Outcome.fail("cannot start \(f.suite.runtime) run")
            }
            let message = socket.receive(timeout: f.suite.commands.timeout)
            if let message { Glibc.close(message.fd) }
            let status = f.suite.commands.finish(run, timeout: f.suite.commands.timeout)
            guard let message else { throw Outcome.fail("nothing arrived on listenerPath (run exited \(status))") }
            guard let state = try? JSON(parsing: message.data) else {
                throw Outcome.fail("the listener got no JSON: \(String(decoding: message.data, as: UTF8.self).debugDescription)")
            }
            try f.require(state["fds"].strings == ["seccompFd"], "fds \(state["fds"].text), want [\"seccompFd\"]")
            try f.require(state["metadata"].string == "conformance-metadata", "metadata \(state["metadata"].text)")
            try f.require((state["pid"].int ?? 0) > 0 && !(state["ociVersion"].string ?? "").isEmpty, "pid/ociVersion missing: \(state.text)")
            try f.require(state["state"]["id"].string == id && state["state"]["bundle"].string == f.bundle,
                          "state \(state["state"].text): want id \(id) and bundle \(f.bundle)")
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
