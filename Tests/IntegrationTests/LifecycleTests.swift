import Foundation
import Testing

@Suite(.enabled(if: Runtime.available, "needs root and a built runtime (PETREL_BIN)"))
struct LifecycleTests {
    @Test func createStartKillDelete() throws {
        let box = try Sandbox(["sh", "-c", "echo started > /mnt/marker; exec sleep 60"])
        let host = box.dir + "/shared"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try box.edit { config in
            var mounts = config["mounts"] as? [[String: Any]] ?? []
            mounts.append(["destination": "/mnt", "type": "bind", "source": host, "options": ["rbind", "rw"]])
            config["mounts"] = mounts
        }
        let id = box.id()
        let pidFile = box.dir + "/init.pid"
        let created = box.runtime(["create", "--bundle", box.bundle, "--pid-file", pidFile, id])
        #expect(created.status == 0, "\(created.stderr)")

        let state = try #require(box.state(id))
        #expect(Set(state.keys) == ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"])
        #expect(state["status"] as? String == "created")
        #expect(state["id"] as? String == id)
        #expect(state["bundle"] as? String == box.bundle)
        let pid = try #require(state["pid"] as? Int)
        #expect(pid > 0)
        let pidText = try String(contentsOfFile: pidFile, encoding: .utf8)
        #expect(pidText.trimmingCharacters(in: .whitespacesAndNewlines) == String(pid))
        #expect(kill(pid_t(pid), 0) == 0)
        // Created means set up but not yet running the user's program.
        usleep(100_000)
        #expect(!FileManager.default.fileExists(atPath: host + "/marker"))

        let started = box.runtime(["start", id])
        #expect(started.status == 0, "\(started.stderr)")
        #expect(box.waitFor(id, status: "running"))
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: host + "/marker") && Date() < deadline { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: host + "/marker"))

        #expect(box.runtime(["kill", id, "TERM"]).status == 0)
        // sleep as pid 1 ignores TERM (no handler): KILL it.
        if !box.waitFor(id, status: "stopped", timeout: 1) {
            #expect(box.runtime(["kill", id, "KILL"]).status == 0)
        }
        #expect(box.waitFor(id, status: "stopped"))
        #expect(box.state(id)?["pid"] as? Int == 0)

        let deleted = box.runtime(["delete", id])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let gone = box.runtime(["state", id])
        #expect(gone.status != 0)
        #expect(gone.stderr.contains("does not exist"))
        #expect(!box.leftovers(id))
    }

    @Test func startTwiceFails() throws {
        let box = try Sandbox(["sleep", "60"])
        let id = box.id()
        #expect(box.runtime(["create", "-b", box.bundle, id]).status == 0)
        #expect(box.runtime(["start", id]).status == 0)
        let again = box.runtime(["start", id])
        #expect(again.status != 0)
        #expect(!again.stderr.isEmpty)
    }

    @Test(arguments: ["KILL", "SIGKILL", "9"])
    func killAcceptsNamesAndNumbers(signal: String) throws {
        let box = try Sandbox(["sleep", "60"])
        let id = box.id()
        #expect(box.runtime(["run", "-d", "-b", box.bundle, id]).status == 0)
        #expect(box.status(id) == "running")
        #expect(box.runtime(["kill", id, signal]).status == 0)
        #expect(box.waitFor(id, status: "stopped"))
    }

    @Test func killAllReachesEveryProcess() throws {
        let box = try Sandbox(["sh", "-c", "sleep 60 & sleep 60 & wait"])
        let id = box.id()
        #expect(box.runtime(["run", "-d", "-b", box.bundle, id]).status == 0)
        #expect(box.runtime(["kill", "--all", id, "KILL"]).status == 0)
        #expect(box.waitFor(id, status: "stopped"))
    }

    @Test func killOfAStoppedContainerFails() throws {
        let box = try Sandbox(["true"])
        let id = box.id()
        #expect(box.runtime(["run", "-d", "-b", box.bundle, id]).status == 0)
        #expect(box.waitFor(id, status: "stopped"))
        let result = box.runtime(["kill", id, "KILL"])
        #expect(result.status != 0)
    }

    @Test func deleteOfARunningContainerNeedsForce() throws {
        let box = try Sandbox(["sleep", "60"])
        let id = box.id()
        #expect(box.runtime(["run", "-d", "-b", box.bundle, id]).status == 0)
        let refused = box.runtime(["delete", id])
        #expect(refused.status != 0)
        #expect(box.status(id) == "running")
        let forced = box.runtime(["delete", "--force", id])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(box.runtime(["state", id]).status != 0)
        #expect(!box.leftovers(id))
    }

    @Test(.enabled(if: !Runtime.isRunc, "runc deletes a created container without --force"))
    func deleteOfACreatedContainerNeedsForce() throws {
        let box = try Sandbox(["sleep", "60"])
        let id = box.id()
        #expect(box.runtime(["create", "-b", box.bundle, id]).status == 0)
        #expect(box.runtime(["delete", id]).status != 0)
        #expect(box.status(id) == "created")
        #expect(box.runtime(["delete", "--force", id]).status == 0)
        #expect(!box.leftovers(id))
    }

    @Test func deleteForceOfAnUnknownIdSucceeds() throws {
        let box = try Sandbox()
        #expect(box.runtime(["delete", "--force", "never-created"]).status == 0)
    }

    @Test func aCrashedInitIsStoppedNotHung() throws {
        let box = try Sandbox(["sleep", "60"])
        let id = box.id()
        #expect(box.runtime(["create", "-b", box.bundle, id]).status == 0)
        let pid = try #require(box.state(id)?["pid"] as? Int)
        kill(pid_t(pid), SIGKILL)
        #expect(box.waitFor(id, status: "stopped"))
        let start = box.runtime(["start", id], timeout: 10)
        #expect(start.status != 0)
        #expect(!start.stderr.contains("timed out"))
    }

    @Test func runPropagatesTheExitCode() throws {
        let box = try Sandbox(["sh", "-c", "echo out; exit 3"])
        let result = box.run()
        #expect(result.status == 3)
        #expect(result.stdout == "out\n")
    }

    @Test func runReportsDeathBySignalAs128PlusN() throws {
        let box = try Sandbox(["sleep", "60"])
        let id = box.id()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Runtime.binary)
        process.arguments = ["--root", box.root, "run", "-b", box.bundle, id]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        #expect(box.waitFor(id, status: "running"))
        #expect(box.runtime(["kill", id, "KILL"]).status == 0)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationStatus == 137)
    }

    @Test func runForegroundCleansUp() throws {
        let box = try Sandbox(["true"])
        #expect(box.run().status == 0)
        let list = box.runtime(["list", "-q"])
        #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }
}
