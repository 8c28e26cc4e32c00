import Foundation
import Testing

/// The harness's own guarantees (no runtime needed).
@Suite struct HarnessSelfTest {
    @Test("a hanging child is killed at its timeout and the test fails")
    func timeoutKills() throws {
        let start = Date()
        var output: Output?
        withKnownIssue("the timeout records an issue") {
            output = Child("/bin/sleep", ["30"], ioDirectory: NSTemporaryDirectory()).wait(timeout: 0.5)
        }
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(output?.timedOut == true)
        #expect(output?.status == 128 + SIGKILL)
    }

    @Test("exit status, 128+N for a signal, stdout, stderr and stdin")
    func childOutput() {
        let result = Child("/bin/sh", ["-c", "read x; echo \"out $x\"; echo err >&2; exit 7"], stdin: "in\n",
                           ioDirectory: NSTemporaryDirectory()).wait()
        #expect(result.status == 7)
        #expect(result.stdout == "out in\n")
        #expect(result.stderr == "err\n")
        let killed = Child("/bin/sh", ["-c", "kill -TERM $$"], ioDirectory: NSTemporaryDirectory()).wait()
        #expect(killed.status == 128 + SIGTERM)
    }

    @Test("children start with no blocked signals and the working directory asked for")
    func cleanSignalMask() throws {
        let result = Child("/bin/sh", ["-c", "grep SigBlk /proc/self/status; pwd"], ioDirectory: NSTemporaryDirectory(),
                           currentDirectory: "/proc").wait()
        #expect(result.lines == ["SigBlk:\t0000000000000000", "/proc"], "\(result)")
    }
}
