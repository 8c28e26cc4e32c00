import Foundation
import Testing

@Suite(.enabled(if: Runtime.available, "needs root and a built runtime (PETREL_BIN)"))
struct ProcessSetupTests {
    @Test func initIsPid1WithTheConfiguredHostname() throws {
        let box = try Sandbox(["sh", "-c", "echo $$; hostname"])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == ["1", "petrel"])
    }

    @Test func envCwdAndArgsWithSpaces() throws {
        let box = try Sandbox(["sh", "-c", "echo \"$GREETING\"; pwd; printf '%s|' \"$0\" \"$1\"", "first arg", "second arg"])
        try box.edit { config in
            var env = config[path: "process", "env"] as? [String] ?? []
            env.append("GREETING=hello world")
            config[path: "process", "env"] = env
            config[path: "process", "cwd"] = "/tmp/work/dir"
        }
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == ["hello world", "/tmp/work/dir", "first arg|second arg|"])
    }

    @Test func userGroupsAndUmask() throws {
        let box = try Sandbox(["sh", "-c", "id -u; id -g; id -G; umask"])
        try box.edit { config in
            config[path: "process", "user"] = ["uid": 1000, "gid": 1000, "additionalGids": [5, 100], "umask": 63]
        }
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == ["1000", "1000", "1000 5 100", "0077"])
    }

    @Test func homeComesFromTheContainersPasswd() throws {
        let box = try Sandbox(["sh", "-c", "echo $HOME"])
        try box.edit { config in config[path: "process", "user"] = ["uid": 1000, "gid": 1000] }
        #expect(box.run().stdout == "/home/user\n")
    }

    @Test func programIsFoundThroughPath() throws {
        let box = try Sandbox(["hostname"])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "petrel\n")
    }

    @Test func aMissingProgramIsAClearError() throws {
        let box = try Sandbox(["nosuch-program"])
        let id = box.id()
        let result = box.runtime(["create", "-b", box.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("nosuch-program"))
        #expect(result.stderr.contains("executable file not found in $PATH"))
        #expect(!box.leftovers(id))
    }

    @Test func stdioIsInheritedAsGiven() throws {
        let box = try Sandbox(["sh", "-c", "echo to-out; echo to-err >&2"])
        let result = box.run()
        #expect(result.stdout == "to-out\n")
        #expect(result.stderr.contains("to-err"))
    }
}
