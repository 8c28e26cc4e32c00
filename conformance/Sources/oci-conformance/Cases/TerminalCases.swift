import ConformanceKit
import Glibc

/// config.md Process `terminal`, `consoleSize`; config-linux.md Default Devices
/// (/dev/console). The runner receives the pty master on a console socket, as containerd
/// and podman (conmon) do, and reads what the container writes to it.
enum TerminalCases {
    /// create with --console-socket, start, and everything the container printed.
    static func runOnTerminal(_ f: inout Fixture) throws -> String {
        f.config[path: "process.terminal"] = true
        try f.writeBundle()
        let id = f.newID()
        let socket = try ConsoleSocket(path: f.dir + "/console.sock")
        defer { socket.close() }
        let errors = f.dir + "/create.err"
        guard let create = f.suite.commands.start(
            [f.suite.runtime, "--root", f.suite.stateRoot, "create", "--bundle", f.bundle,
             "--console-socket", socket.path, id], stderr: errors) else {
            throw Outcome.fail("cannot start \(f.suite.runtime) create")
        }
        let master = socket.receiveMaster(timeout: f.suite.commands.timeout)
        let status = f.suite.commands.finish(create, timeout: f.suite.commands.timeout)
        guard status == 0 else {
            if let master { Glibc.close(master) }
            let reason = ((try? readText(errors)) ?? "").lines.last ?? ""
            throw Outcome.fail("create --console-socket exited \(status): \(reason)")
        }
        guard let master else { throw Outcome.fail("the runtime sent no pty master on the console socket") }
        defer { Glibc.close(master) }
        try f.requireSuccess(f.runtime(["start", id]), "start")
        return drainTerminal(master, timeout: 10)
    }

    static let all: [Case] = [
        Case("process.terminal", "terminal: stdio is a pty, /dev/console is that pty",
             spec: "config.md Process: terminal \"a pseudoterminal pair is allocated for the process and the pseudoterminal slave is duplicated on the process's standard streams\"; config-linux.md Default Devices: \"/dev/console is set up if terminal is enabled\"") { f in
            f.config[path: "process.args"] = ["/oci/oci-check", "terminal"]
            let output = try runOnTerminal(&f)
            let verdict = CheckerVerdict(output)
            try f.require(verdict.failed.isEmpty, verdict.failed.joined(separator: "; "))
            try f.require(!verdict.passed.isEmpty, "the checker printed nothing on the terminal: \(output.debugDescription)")
        },
        Case("process.console-size", "consoleSize sets the terminal's rows and columns",
             spec: "config.md Process: consoleSize \"specifies the console size in characters of the terminal\"") { f in
            f.config[path: "process.consoleSize"] = ["height": 31, "width": 97]
            f.config[path: "process.args"] = ["stty", "size"]
            symlink("busybox", f.rootfs + "/bin/stty")
            let output = try runOnTerminal(&f).trimmed
            try f.require(output == "31 97", "stty size printed \(output.debugDescription), want \"31 97\"")
        },
    ]
}
