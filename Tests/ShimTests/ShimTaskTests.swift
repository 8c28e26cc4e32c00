import OCI
import PetrelRuntime
import Shim
import ShimProtocol
import SwiftProtobuf
import Testing
import TTRPC
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The shim's task service driven over ttrpc as containerd drives it, without containerd: a
/// real shim process (started through `start`), real containers from a busybox bundle, and a
/// stand-in for containerd's Events service that records what the shim publishes. As root.
@Suite(.serialized) struct ShimTaskTests {
    static let task = "containerd.task.v2.Task"

    /// One shim, its bundle, and the recorded events; everything under one temp dir.
    final class Rig {
        let root = "/tmp/petrel-shimtask-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        var bundle: String { root + "/bundle" }
        var stateRoot: String { root + "/state" }
        let loop: EventLoop
        let events: Server
        var topics: [String] = []
        var exits: [Containerd_Events_TaskExit] = []
        var client: Client?
        let id = "shimtask\(UInt16.random(in: 0 ... .max))"

        init(args: [String]) throws {
            loop = try EventLoop()
            events = Server(loop: loop)
            mkdir(root, 0o700)
            try Self.makeBundle(bundle, args: args)
            events.register(service: "containerd.services.events.ttrpc.v1.Events", methods: [
                "Forward": unary { [unowned self] (req: Containerd_Services_Events_Ttrpc_V1_ForwardRequest, _) -> Result<Google_Protobuf_Empty, TTRPCError>? in
                    self.topics.append(req.envelope.topic)
                    if let exit = try? Containerd_Events_TaskExit(serializedBytes: req.envelope.event.value),
                       req.envelope.topic == "/tasks/exit" {
                        self.exits.append(exit)
                    }
                    return .success(Google_Protobuf_Empty())
                },
            ])
            try events.listen(path: root + "/events.sock")
            let env = ["PETREL_SHIM_SOCKET_DIR=\(root)/s", "PETREL_SHIM_ROOT=\(stateRoot)", "TTRPC_ADDRESS=\(root)/events.sock"]
            let (out, rc) = try ShimProcessRunner.run(in: bundle, ["-namespace", "shimtest", "-address", root + "/containerd.sock",
                                                                   "-publish-binary", "/bin/true", "-id", id, "start"], env: env)
            #expect(rc == 0)
            let address = String(decoding: out, as: UTF8.self)
            client = try Client(path: String(address.dropFirst("unix://".count)), loop: loop)
        }

        static func makeBundle(_ bundle: String, args: [String]) throws {
            for dir in ["", "/rootfs", "/rootfs/bin", "/rootfs/proc", "/rootfs/dev", "/rootfs/sys", "/rootfs/tmp"] {
                mkdir(bundle + dir, 0o755)
            }
            #expect(copyFile("/bin/busybox", to: bundle + "/rootfs/bin/busybox"))
            for applet in ["sh", "echo", "seq", "sleep", "cat", "true", "wc"] {
                symlink("busybox", bundle + "/rootfs/bin/" + applet)
            }
            var spec = Spec.runcDefault(rootless: false)
            spec.process?.terminal = false
            spec.process?.args = args
            spec.root?.readonly = false
            let data = try OCIJSON.encode(spec, pretty: false)
            let fd = open(bundle + "/config.json", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }

        static func copyFile(_ from: String, to: String) -> Bool {
            let input = open(from, O_RDONLY)
            let output = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
            defer { close(input); close(output) }
            guard input >= 0, output >= 0 else { return false }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n <= 0 { return n == 0 }
                guard buffer.withUnsafeBytes({ write(output, $0.baseAddress, n) }) == n else { return false }
            }
        }

        func call<Req: SwiftProtobuf.Message, Resp: SwiftProtobuf.Message>(
            _ method: String, _ request: Req, _ returning: Resp.Type
        ) throws -> Result<Resp, TTRPCError> {
            guard let client else { return .failure(TTRPCError(.unavailable, "no shim")) }
            return try client.callAndWait(service: ShimTaskTests.task, method: method, request, returning: Resp.self)
        }

        /// Runs the loop until `condition` holds (bounded: containerd's events arrive asynchronously).
        func eventually(_ condition: () -> Bool) -> Bool {
            for _ in 0 ..< 200 where !condition() {
                _ = try? loop.runOnce(timeoutMs: 50)
            }
            return condition()
        }

        func createRequest(stdout: String = "", terminal: Bool = false) -> Containerd_Task_V2_CreateTaskRequest {
            .with {
                $0.id = id
                $0.bundle = bundle
                $0.stdout = stdout
                $0.stderr = stdout
                $0.terminal = terminal
            }
        }

        /// Shutdown, then everything removed; the shim must have exited and left nothing.
        func finish() throws {
            _ = try? call("Shutdown", Containerd_Task_V2_ShutdownRequest.with { $0.id = id }, Google_Protobuf_Empty.self)
            if let client { _ = eventually { client.isClosed } }
            #expect(client?.isClosed != false, "the shim exits after Shutdown once no task is left")
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: stateRoot + "/shimtest")) ?? []
            #expect(leftovers.isEmpty, "runtime state left: \(leftovers)")
            _ = try? FileManager.default.removeItem(atPath: root)
        }
    }

    static func readFile(_ path: String) -> String {
        String(decoding: (try? FileSystem.readFile(path)) ?? [], as: UTF8.self)
    }

    @Test func lifecycleReportsExitCodeOutputAndEventsInOrder() throws {
        let rig = try Rig(args: ["sh", "-c", "seq 1000; exit 3"])
        defer { try? rig.finish() }
        let created = try rig.call("Create", rig.createRequest(stdout: "file://\(rig.root)/out.log"), Containerd_Task_V2_CreateTaskResponse.self)
        guard case .success(let info) = created else { Issue.record("Create: \(created)"); return }
        #expect(info.pid > 1)
        // Wait before Start (CRI does): the server must not block on it.
        var waited: Result<Containerd_Task_V2_WaitResponse, TTRPCError>?
        rig.client?.call(service: Self.task, method: "Wait", Containerd_Task_V2_WaitRequest.with { $0.id = rig.id },
                         returning: Containerd_Task_V2_WaitResponse.self) { waited = $0 }
        let started = try rig.call("Start", Containerd_Task_V2_StartRequest.with { $0.id = rig.id }, Containerd_Task_V2_StartResponse.self)
        #expect(started == .success(.with { $0.pid = info.pid }))
        #expect(rig.eventually { waited != nil })
        guard case .success(let exit) = waited else { Issue.record("Wait: \(String(describing: waited))"); return }
        #expect(exit.exitStatus == 3)
        let state = try rig.call("State", Containerd_Task_V2_StateRequest.with { $0.id = rig.id }, Containerd_Task_V2_StateResponse.self)
        #expect((try? state.get().status) == .stopped)
        let deleted = try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id }, Containerd_Task_V2_DeleteResponse.self)
        #expect((try? deleted.get().exitStatus) == 3)
        let lines = Self.readFile(rig.root + "/out.log").split(separator: "\n")
        #expect(lines.count == 1000 && lines.last == "1000")
        #expect(rig.eventually { rig.topics.count >= 4 })
        #expect(rig.topics == ["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"])
        #expect(rig.exits.first?.exitStatus == 3 && rig.exits.first?.id == rig.id)
        // The status is kept for `delete` after a shim that died.
        #expect(Self.readFile(rig.bundle + "/petrel-exit").split(separator: " ").dropFirst().first == "3")
    }

    /// The container's stdio are pipe ends (or /dev/null): never a host file, FIFO or socket of
    /// the shim, and no other fd of the shim reaches it.
    @Test func theContainerGetsPipesNotHostFds() throws {
        // The shell's own fds, listed by a child so that the listing opens nothing in the shell.
        let rig = try Rig(args: ["sh", "-c", "ls -l /proc/$$/fd"])
        defer { try? rig.finish() }
        var request = rig.createRequest(stdout: "")
        request.stdout = rig.root + "/out.fifo"
        request.stderr = rig.root + "/out.fifo"
        mkfifo(request.stdout, 0o600)
        let reader = open(request.stdout, O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        _ = try rig.call("Create", request, Containerd_Task_V2_CreateTaskResponse.self)
        _ = try rig.call("Start", Containerd_Task_V2_StartRequest.with { $0.id = rig.id }, Containerd_Task_V2_StartResponse.self)
        _ = try rig.call("Wait", Containerd_Task_V2_WaitRequest.with { $0.id = rig.id }, Containerd_Task_V2_WaitResponse.self)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        #expect(rig.eventually {
            let n = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if n > 0 { output += chunk[0 ..< n] }
            return n == 0  // EOF: the shim closed its end once the process's pipe ended
        })
        // "lrwx------ 1 root root 64 Dec  7 05:14 0 -> pipe:[123]"
        let links = String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line -> (Int, String)? in
            let halves = line.components(separatedBy: " -> ")
            guard halves.count == 2, let fd = halves[0].split(separator: " ").last.flatMap({ Int($0) }) else { return nil }
            return (fd, halves[1])
        }
        #expect(links.map(\.0) == [0, 1, 2], "the container's init has exactly stdio open: \(links)")
        for (fd, target) in links {
            #expect(target.hasPrefix("pipe:") || target == "/dev/null", "fd \(fd) is \(target)")
        }
        _ = try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id }, Containerd_Task_V2_DeleteResponse.self)
    }

    /// CRI writes cgroupsPath as "parent.slice:cri-containerd:id" under a systemd cgroup parent;
    /// the shim lays it out as runc's systemd driver does, not as a directory named with colons.
    @Test func systemdFormCgroupsPathFromCRI() throws {
        let rig = try Rig(args: ["sleep", "300"])
        defer { try? rig.finish() }
        let data = try Data(contentsOf: URL(fileURLWithPath: rig.bundle + "/config.json"))
        var spec = try OCIJSON.decode(Spec.self, from: [UInt8](data))
        spec.linux?.cgroupsPath = "petreltest.slice:shimtest:\(rig.id)"
        let fd = open(rig.bundle + "/config.json", O_WRONLY | O_TRUNC)
        let encoded = try OCIJSON.encode(spec, pretty: false)
        _ = encoded.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let created = try rig.call("Create", rig.createRequest(), Containerd_Task_V2_CreateTaskResponse.self)
        #expect((try? created.get().pid) ?? 0 > 1, "\(created)")
        let leaf = "petreltest.slice/shimtest-\(rig.id).scope"
        let candidates = ["/sys/fs/cgroup/" + leaf, "/sys/fs/cgroup/memory/" + leaf, "/sys/fs/cgroup/pids/" + leaf]
        #expect(candidates.contains { access($0, F_OK) == 0 }, "no cgroup at \(candidates)")
        _ = try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id }, Containerd_Task_V2_DeleteResponse.self)
        #expect(!candidates.contains { access($0, F_OK) == 0 })
        // The slice is the caller's (runc leaves it too): this test's own, removed here.
        for root in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            rmdir("/sys/fs/cgroup/\(root)/petreltest.slice")
        }
        rmdir("/sys/fs/cgroup/petreltest.slice")
    }

    @Test func execRunsInTheContainerAndItsExitComesBeforeTheInits() throws {
        let rig = try Rig(args: ["sleep", "300"])
        defer { try? rig.finish() }
        _ = try rig.call("Create", rig.createRequest(), Containerd_Task_V2_CreateTaskResponse.self)
        _ = try rig.call("Start", Containerd_Task_V2_StartRequest.with { $0.id = rig.id }, Containerd_Task_V2_StartResponse.self)
        let spec = Process(terminal: false, user: User(uid: 0, gid: 0), args: ["sh", "-c", "echo from-exec; exit 5"],
                           env: ["PATH=/bin"], cwd: "/")
        let json = try OCIJSON.encode(spec, pretty: false)
        let exec = Containerd_Task_V2_ExecProcessRequest.with {
            $0.id = rig.id
            $0.execID = "e1"
            $0.stdout = "file://\(rig.root)/exec.log"
            $0.spec = .with {
                $0.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/Process"
                $0.value = Data(json)
            }
        }
        #expect(try rig.call("Exec", exec, Google_Protobuf_Empty.self) == .success(Google_Protobuf_Empty()))
        #expect(try rig.call("Exec", exec, Google_Protobuf_Empty.self)
            == .failure(TTRPCError(.alreadyExists, "exec e1 of container \(rig.id): already exists")))
        let started = try rig.call("Start", Containerd_Task_V2_StartRequest.with { $0.id = rig.id; $0.execID = "e1" },
                                   Containerd_Task_V2_StartResponse.self)
        #expect((try? started.get().pid) ?? 0 > 1)
        let waited = try rig.call("Wait", Containerd_Task_V2_WaitRequest.with { $0.id = rig.id; $0.execID = "e1" },
                                  Containerd_Task_V2_WaitResponse.self)
        #expect((try? waited.get().exitStatus) == 5)
        #expect(Self.readFile(rig.root + "/exec.log") == "from-exec\n")
        // Kill of an exited exec: NotFound, as containerd expects.
        let killExec = try rig.call("Kill", Containerd_Task_V2_KillRequest.with { $0.id = rig.id; $0.execID = "e1"; $0.signal = 9 },
                                    Google_Protobuf_Empty.self)
        #expect((killExec.errorCode == .notFound))
        #expect(try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id; $0.execID = "e1" },
                             Containerd_Task_V2_DeleteResponse.self).map(\.exitStatus) == .success(5))

        // A second exec keeps running; the init's exit must come after that exec's.
        var second = exec
        second.execID = "e2"
        second.spec.value = Data(try OCIJSON.encode(Process(terminal: false, user: User(uid: 0, gid: 0), args: ["sleep", "300"],
                                                       env: ["PATH=/bin"], cwd: "/"), pretty: false))
        _ = try rig.call("Exec", second, Google_Protobuf_Empty.self)
        _ = try rig.call("Start", Containerd_Task_V2_StartRequest.with { $0.id = rig.id; $0.execID = "e2" }, Containerd_Task_V2_StartResponse.self)
        _ = try rig.call("Kill", Containerd_Task_V2_KillRequest.with { $0.id = rig.id; $0.signal = 9 }, Google_Protobuf_Empty.self)
        let initExit = try rig.call("Wait", Containerd_Task_V2_WaitRequest.with { $0.id = rig.id }, Containerd_Task_V2_WaitResponse.self)
        #expect((try? initExit.get().exitStatus) == 137)
        #expect(rig.eventually { rig.exits.count >= 3 })
        #expect(rig.exits.map(\.id) == ["e1", "e2", rig.id])
        // No exec into a stopped container.
        var third = exec
        third.execID = "e3"
        #expect(try rig.call("Exec", third, Google_Protobuf_Empty.self).errorCode == .failedPrecondition)
        _ = try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id; $0.execID = "e2" }, Containerd_Task_V2_DeleteResponse.self)
        _ = try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id }, Containerd_Task_V2_DeleteResponse.self)
    }

    @Test func badInputGetsTheErrorsContainerdExpectsAndLeavesNothing() throws {
        let rig = try Rig(args: ["sleep", "300"])
        defer { try? rig.finish() }
        let unknown = try rig.call("State", Containerd_Task_V2_StateRequest.with { $0.id = "nope" }, Containerd_Task_V2_StateResponse.self)
        #expect(unknown == .failure(TTRPCError(.notFound, "container nope: not found")))
        // Task API v3 (containerd 2.x) has the same methods under another name.
        let v3 = try rig.client?.callAndWait(service: "containerd.task.v3.Task", method: "State",
                                             Containerd_Task_V2_StateRequest.with { $0.id = "nope" },
                                             returning: Containerd_Task_V2_StateResponse.self)
        #expect(v3 == .failure(TTRPCError(.notFound, "container nope: not found")))
        // A bundle whose config.json is not JSON: the runtime's message, nothing created.
        var broken = rig.createRequest()
        broken.bundle = rig.root + "/broken"
        mkdir(broken.bundle, 0o700)
        let fd = open(broken.bundle + "/config.json", O_WRONLY | O_CREAT, 0o600)
        _ = write(fd, "{", 1)
        close(fd)
        let bad = try rig.call("Create", broken, Containerd_Task_V2_CreateTaskResponse.self)
        guard case .failure(let error) = bad else { Issue.record("Create of a broken bundle succeeded"); return }
        #expect(error.message.contains("config.json"))
        #expect(try rig.call("State", Containerd_Task_V2_StateRequest.with { $0.id = rig.id }, Containerd_Task_V2_StateResponse.self)
            .errorCode == .notFound)

        _ = try rig.call("Create", rig.createRequest(), Containerd_Task_V2_CreateTaskResponse.self)
        #expect(try rig.call("Create", rig.createRequest(), Containerd_Task_V2_CreateTaskResponse.self).errorCode
            == .alreadyExists)
        _ = try rig.call("Start", Containerd_Task_V2_StartRequest.with { $0.id = rig.id }, Containerd_Task_V2_StartResponse.self)
        #expect(try rig.call("Start", Containerd_Task_V2_StartRequest.with { $0.id = rig.id }, Containerd_Task_V2_StartResponse.self)
            .errorCode == .failedPrecondition)
        #expect(try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id }, Containerd_Task_V2_DeleteResponse.self)
            .errorCode == .failedPrecondition)
        #expect(try rig.call("Wait", Containerd_Task_V2_WaitRequest.with { $0.id = rig.id; $0.execID = "x" }, Containerd_Task_V2_WaitResponse.self)
            .errorCode == .notFound)
        _ = try rig.call("Kill", Containerd_Task_V2_KillRequest.with { $0.id = rig.id; $0.signal = 9 }, Google_Protobuf_Empty.self)
        _ = try rig.call("Wait", Containerd_Task_V2_WaitRequest.with { $0.id = rig.id }, Containerd_Task_V2_WaitResponse.self)
        #expect(try rig.call("Kill", Containerd_Task_V2_KillRequest.with { $0.id = rig.id; $0.signal = 9 }, Google_Protobuf_Empty.self)
            .errorCode == .notFound)
        #expect(try rig.call("Checkpoint", Containerd_Task_V2_CheckpointTaskRequest.with { $0.id = rig.id }, Google_Protobuf_Empty.self)
            == .failure(TTRPCError(.unimplemented, "checkpoint is not supported by petrel")))
        _ = try rig.call("Delete", Containerd_Task_V2_DeleteRequest.with { $0.id = rig.id }, Containerd_Task_V2_DeleteResponse.self)
        #expect(try rig.call("State", Containerd_Task_V2_StateRequest.with { $0.id = rig.id }, Containerd_Task_V2_StateResponse.self)
            .errorCode == .notFound)
    }
}

extension Result where Failure == TTRPCError {
    var errorCode: Code? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}
