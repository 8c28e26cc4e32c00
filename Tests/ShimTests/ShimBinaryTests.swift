import PetrelRuntime
import ShimProtocol
import Shim
import SwiftProtobuf
import Testing
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ShimUnitTests {
    @Test func sha256KnownVectors() {
        #expect(sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(sha256Hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func containerdFlagsParsePermissively() {
        let f = ShimFlags(["-namespace", "k8s.io", "--address=/run/c.sock", "-publish-binary", "/usr/bin/containerd",
                           "-id", "c1", "-debug", "-new-flag-from-the-future", "-bundle", "/b", "delete"])
        #expect(f.namespace == "k8s.io" && f.address == "/run/c.sock" && f.publishBinary == "/usr/bin/containerd")
        #expect(f.id == "c1" && f.bundle == "/b" && f.debug && f.action == "delete")
        #expect(ShimFlags(["-id", "x", "start"]).action == "start")
    }

    @Test func groupIsTheSandboxIDWhenCRISetsOne() {
        #expect(shimGroup(configJSON: Array(#"{"annotations":{"io.kubernetes.cri.sandbox-id":"pod"}}"#.utf8), id: "c") == "pod")
        #expect(shimGroup(configJSON: Array(#"{"ociVersion":"1.0.2"}"#.utf8), id: "c") == "c")
        #expect(shimGroup(configJSON: [], id: "c") == "c")
        #expect(shimSocketPath(address: "/a", namespace: "n", group: "g", directory: "/d") == "/d/" + sha256Hex(Array("/a/n/g".utf8)))
    }
}

/// The built binary: `start` twice in one pod gives one shim; it answers Connect, State and
/// an invalid Create over ttrpc, and exits on Shutdown removing its socket; `delete` prints a
/// DeleteResponse.
@Suite struct ShimBinaryTests {
    @Test func startServeShutdownDelete() throws {
        let root = "/tmp/petrel-shimbin-\(getpid())"
        let bundle = root + "/bundle"
        mkdir(root, 0o700)
        mkdir(bundle, 0o700)
        let config = #"{"annotations":{"io.kubernetes.cri.sandbox-id":"pod-1"}}"#
        let fd = open(bundle + "/config.json", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = config.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let env = ["PETREL_SHIM_SOCKET_DIR=\(root)/s"]
        let common = ["-namespace", "default", "-address", root + "/containerd.sock", "-publish-binary", "/bin/true"]

        let (out1, rc1) = try ShimProcessRunner.run(in: bundle, common + ["-id", "c1", "start"], env: env)
        #expect(rc1 == 0)
        let address = String(decoding: out1, as: UTF8.self)
        #expect(address.hasPrefix("unix://\(root)/s/"))
        // A second container of the same pod gets the same shim.
        let (out2, rc2) = try ShimProcessRunner.run(in: bundle, common + ["-id", "c2", "start"], env: env)
        #expect(rc2 == 0 && out2 == out1)
        #expect((try? FileSystem.readFile(bundle + "/address")) == out1)

        guard rc1 == 0, !out1.isEmpty else { return }
        let path = String(address.dropFirst("unix://".count))
        let loop = try EventLoop()
        let client = try Client(path: path, loop: loop)
        let connect = try client.callAndWait(service: "containerd.task.v2.Task", method: "Connect",
                                             Containerd_Task_V2_ConnectRequest.with { $0.id = "c1" },
                                             returning: Containerd_Task_V2_ConnectResponse.self)
        guard case .success(let info) = connect else { Issue.record("Connect: \(connect)"); return }
        #expect(info.shimPid > 1 && info.version == "2")
        let state = try client.callAndWait(service: "containerd.task.v2.Task", method: "State",
                                           Containerd_Task_V2_StateRequest.with { $0.id = "c1" },
                                           returning: Containerd_Task_V2_StateResponse.self)
        #expect(state == .failure(TTRPCError(.notFound, "container c1: not found")))
        let create = try client.callAndWait(service: "containerd.task.v2.Task", method: "Create",
                                            Containerd_Task_V2_CreateTaskRequest.with { $0.id = "c1"; $0.bundle = root + "/none" },
                                            returning: Containerd_Task_V2_CreateTaskResponse.self)
        #expect(create == .failure(TTRPCError(.invalidArgument, "bundle \(root)/none: config.json: no such file or directory")))
        let shutdown = try client.callAndWait(service: "containerd.task.v2.Task", method: "Shutdown",
                                              Containerd_Task_V2_ShutdownRequest.with { $0.id = "c1" },
                                              returning: Google_Protobuf_Empty.self)
        #expect(shutdown == .success(Google_Protobuf_Empty()))
        // The shim exits: the connection closes and the socket is gone.
        _ = try loop.run(until: { client.isClosed })
        #expect(access(path, F_OK) != 0)

        let (out3, rc3) = try ShimProcessRunner.run(in: bundle, common + ["-id", "c1", "-bundle", bundle, "delete"], env: env)
        #expect(rc3 == 0)
        let deleted = try Containerd_Task_V2_DeleteResponse(serializedBytes: out3)
        #expect(deleted.exitStatus == 137 && deleted.exitedAt.seconds > 0)

        unlink(bundle + "/config.json")
        unlink(bundle + "/address")
        rmdir(bundle)
        rmdir(root + "/s")
        rmdir(root)
    }
}
