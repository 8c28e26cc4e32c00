import Foundation
import Testing

@Suite(.enabled(if: Runtime.available, "needs root and a built runtime (PETREL_BIN)"))
struct CLITests {
    @Test func version() throws {
        let box = try Sandbox()
        let result = box.runtime(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("version"))
    }

    @Test func listTableAndJSON() throws {
        let box = try Sandbox(["sleep", "60"])
        let empty = box.runtime(["list"])
        #expect(empty.status == 0)
        #expect(empty.lines.first?.split(separator: " ", omittingEmptySubsequences: true)
            == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"])
        let id = box.id()
        #expect(box.runtime(["create", "-b", box.bundle, id]).status == 0)
        let table = box.runtime(["list"])
        let row = table.lines.dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) ?? []
        #expect(row.count == 6)
        #expect(row.first == id)
        #expect(row[2] == "created")
        #expect(row.last == "root")
        let json = box.runtime(["list", "--format", "json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["id"] as? String == id)
        #expect(parsed?.first?["status"] as? String == "created")
    }

    @Test func specWritesADefaultConfigOnce() throws {
        let box = try Sandbox()
        let dir = box.dir + "/spec"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let first = runProgram(Runtime.binary, ["spec", "--bundle", dir], in: box.dir)
        #expect(first.status == 0, "\(first.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["ociVersion"] is String)
        #expect((object?["process"] as? [String: Any])?["args"] as? [String] == ["sh"])
        let second = runProgram(Runtime.binary, ["spec", "--bundle", dir], in: box.dir)
        #expect(second.status != 0)
    }

    @Test func jsonLogLinesGoToTheLogFile() throws {
        let box = try Sandbox()
        let log = box.dir + "/log.json"
        let result = runProgram(Runtime.binary, ["--root", box.root, "--log", log, "--log-format", "json", "state", "nope"], in: box.dir)
        #expect(result.status != 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").last)
        let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(entry?["level"] as? String == "error")
        #expect((entry?["msg"] as? String)?.contains("does not exist") == true)
        #expect(entry?["time"] is String)
    }

    @Test func globalFlagsBeforeTheVerb() throws {
        let box = try Sandbox(["true"])
        let result = runProgram(Runtime.binary, ["--root", box.root, "--log-format", "text", "list", "-q"], in: box.dir)
        #expect(result.status == 0)
    }

    @Test func usageErrorsExitNonZero() throws {
        let box = try Sandbox()
        #expect(box.runtime(["create"]).status != 0)
        #expect(box.runtime(["no-such-verb"]).status != 0)
    }
}
