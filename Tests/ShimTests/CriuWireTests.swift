import CriuProtocol
@testable import PetrelRuntime
import SwiftProtobuf
import Testing

/// petrel encodes CRIU's RPC messages by hand (PetrelRuntime/Checkpoint/ProtobufWire.swift,
/// no SwiftProtobuf in the binary); the code swift-protobuf generated from
/// specs/proto/criu/rpc.proto is the reference both directions are checked against.
@Suite struct CriuWireTests {
    @Test func requestDecodesAsCriuReq() throws {
        var options = CriuOptions()
        options.imagesDirFd = 7
        options.workDirFd = 8
        options.pid = 4242
        options.leaveRunning = true
        options.extUnixSk = false
        options.tcpEstablished = true
        options.shellJob = true
        options.fileLocks = true
        options.logLevel = 4
        options.logFile = "dump.log"
        options.notifyScripts = true
        options.root = "/run/bundle/rootfs"
        options.parentImage = "../pre"
        options.trackMemory = true
        options.autoDedup = true
        options.externalMounts = [("/data", "/data"), ("/proc/kcore", "/dev/null")]
        options.manageCgroups = true
        options.cgroupRoots = [(nil, "/petrel/abc"), ("memory", "/m")]
        options.restoreSibling = true
        options.inheritFds = [("pipe:[123]", 5)]
        options.manageCgroupsMode = .strict
        options.external = ["net[4026531840]:extRootNetNS"]
        options.emptyNamespaces = 0x4000_0000
        options.freezeCgroup = "/sys/fs/cgroup/petrel/abc"
        options.lazyPages = true
        options.statusFd = 9
        options.orphanPtsMaster = true
        let bytes = CriuRequest(type: .dump, options: options, notifySuccess: true).encoded()
        let request = try criu_req(serializedBytes: bytes)
        #expect(request.type == .dump && request.notifySuccess)
        let opts = request.opts
        #expect(opts.imagesDirFd == 7 && opts.workDirFd == 8 && opts.pid == 4242)
        #expect(opts.leaveRunning && opts.hasExtUnixSk && !opts.extUnixSk && opts.tcpEstablished && opts.shellJob && opts.fileLocks)
        #expect(opts.logLevel == 4 && opts.logFile == "dump.log" && opts.notifyScripts)
        #expect(opts.root == "/run/bundle/rootfs" && opts.parentImg == "../pre" && opts.trackMem && opts.autoDedup)
        #expect(opts.extMnt.map(\.key) == ["/data", "/proc/kcore"] && opts.extMnt.map(\.val) == ["/data", "/dev/null"])
        #expect(opts.manageCgroups && opts.cgRoot.count == 2 && !opts.cgRoot[0].hasCtrl && opts.cgRoot[1].ctrl == "memory")
        #expect(opts.cgRoot.map(\.path) == ["/petrel/abc", "/m"])
        #expect(opts.rstSibling && opts.inheritFd.first?.key == "pipe:[123]" && opts.inheritFd.first?.fd == 5)
        #expect(opts.manageCgroupsMode == .strict && opts.external == ["net[4026531840]:extRootNetNS"])
        #expect(opts.emptyNs == 0x4000_0000 && opts.freezeCgroup == "/sys/fs/cgroup/petrel/abc")
        #expect(opts.lazyPages && opts.statusFd == 9 && opts.orphanPtsMaster)
        #expect(request.unknownFields.data.isEmpty && opts.unknownFields.data.isEmpty)
    }

    @Test func negativeImagesFdIsSignExtended() throws {
        let bytes = CriuRequest(type: .check, options: CriuOptions()).encoded()
        #expect(try criu_req(serializedBytes: bytes).opts.imagesDirFd == -1)
    }

    @Test func responsesDecode() throws {
        var response = criu_resp()
        response.type = .restore
        response.success = true
        response.restore.pid = 31337
        response.crErrno = 2
        response.crErrmsg = "no such image"
        response.notify.script = "post-restore"
        response.notify.pid = 77
        response.version.majorNumber = 3
        response.version.minorNumber = 17
        response.version.sublevel = 1
        response.version.gitid = "ignored"
        let bytes: [UInt8] = try response.serializedBytes()
        let decoded = try CriuResponse(decoding: bytes[...])
        #expect(decoded.type == CriuRequestType.restore.rawValue && decoded.success)
        #expect(decoded.restoredPid == 31337 && decoded.errno == 2 && decoded.errorMessage == "no such image")
        #expect(decoded.notifyScript == "post-restore" && decoded.notifyPid == 77)
        #expect(decoded.version?.major == 3 && decoded.version?.minor == 17 && decoded.version?.sublevel == 1)
    }

    @Test func truncatedResponseIsRejected() throws {
        var response = criu_resp()
        response.type = .dump
        response.success = false
        response.crErrmsg = "something long enough"
        let bytes: [UInt8] = try response.serializedBytes()
        #expect(throws: ProtobufReader.Malformed.self) { try CriuResponse(decoding: bytes.dropLast(3)) }
    }

    @Test func errorSummaryKeepsCriuErrors() {
        let log = """
            (00.008295) Error (criu/util.c:642): exited, status=1
            (00.101973) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
            (00.101975) Warn  (criu/x.c:1): nothing
            (00.101977) Error (criu/kerndat.c:1615): kerndat failed.
            """
        #expect(Criu.errorSummary(log) == "vdso: Unexpected rt vDSO area bounds; kerndat failed.")
        #expect(Criu.errorSummary("(0.1) Info nothing") == nil)
    }
}
