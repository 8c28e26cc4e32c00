import ShimProtocol
import SwiftProtobuf
import Testing
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every message the shim uses survives encode/decode, and the field numbers that matter on the
/// wire are containerd's (checked against hand-encoded bytes).
@Suite struct ProtobufTests {
    func roundTrip<M: SwiftProtobuf.Message & Equatable>(_ m: M) throws {
        let bytes: [UInt8] = try m.serializedBytes()
        #expect(try M(serializedBytes: bytes) == m, "\(M.protoMessageName)")
    }

    let at = Google_Protobuf_Timestamp(seconds: 1_700_000_000, nanos: 5)

    @Test func taskServiceMessages() throws {
        try roundTrip(Containerd_Task_V2_CreateTaskRequest.with {
            $0.id = "c1"; $0.bundle = "/b"; $0.terminal = true
            $0.stdin = "/f/in"; $0.stdout = "/f/out"; $0.stderr = "/f/err"
            $0.checkpoint = "ck"; $0.parentCheckpoint = "pck"
            $0.rootfs = [.with { $0.type = "overlay"; $0.source = "overlay"; $0.target = "/t"; $0.options = ["lowerdir=/a", "ro"] }]
            $0.options = .with { $0.typeURL = "runtimeoptions.v1.Options"; $0.value = Data([1, 2]) }
        })
        try roundTrip(Containerd_Task_V2_CreateTaskResponse.with { $0.pid = 42 })
        try roundTrip(Containerd_Task_V2_DeleteRequest.with { $0.id = "c1"; $0.execID = "e1" })
        try roundTrip(Containerd_Task_V2_DeleteResponse.with { $0.pid = 42; $0.exitStatus = 137; $0.exitedAt = at })
        try roundTrip(Containerd_Task_V2_ExecProcessRequest.with {
            $0.id = "c1"; $0.execID = "e1"; $0.terminal = true; $0.stdin = "i"; $0.stdout = "o"; $0.stderr = "e"
            $0.spec = .with { $0.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/Process"; $0.value = Data("{}".utf8) }
        })
        try roundTrip(Containerd_Task_V2_ResizePtyRequest.with { $0.id = "c1"; $0.execID = "e1"; $0.width = 80; $0.height = 24 })
        try roundTrip(Containerd_Task_V2_StateRequest.with { $0.id = "c1"; $0.execID = "e1" })
        try roundTrip(Containerd_Task_V2_StateResponse.with {
            $0.id = "c1"; $0.bundle = "/b"; $0.pid = 42; $0.status = .stopped; $0.stdin = "i"; $0.stdout = "o"
            $0.stderr = "e"; $0.terminal = true; $0.exitStatus = 3; $0.exitedAt = at; $0.execID = "e1"
        })
        try roundTrip(Containerd_Task_V2_KillRequest.with { $0.id = "c1"; $0.execID = "e1"; $0.signal = 9; $0.all = true })
        try roundTrip(Containerd_Task_V2_CloseIORequest.with { $0.id = "c1"; $0.execID = "e1"; $0.stdin = true })
        try roundTrip(Containerd_Task_V2_PidsRequest.with { $0.id = "c1" })
        let details = try Google_Protobuf_Any(bare: Containerd_Runc_V1_ProcessDetails.with { $0.execID = "e1" })
        try roundTrip(Containerd_Task_V2_PidsResponse.with { $0.processes = [.with { $0.pid = 7; $0.info = details }, .with { $0.pid = 8 }] })
        try roundTrip(Containerd_Task_V2_CheckpointTaskRequest.with { $0.id = "c1"; $0.path = "/p" })
        try roundTrip(Containerd_Task_V2_UpdateTaskRequest.with {
            $0.id = "c1"; $0.annotations = ["a": "b"]
            $0.resources = .with { $0.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"; $0.value = Data("{}".utf8) }
        })
        try roundTrip(Containerd_Task_V2_StartRequest.with { $0.id = "c1"; $0.execID = "e1" })
        try roundTrip(Containerd_Task_V2_StartResponse.with { $0.pid = 42 })
        try roundTrip(Containerd_Task_V2_WaitRequest.with { $0.id = "c1"; $0.execID = "e1" })
        try roundTrip(Containerd_Task_V2_WaitResponse.with { $0.exitStatus = 3; $0.exitedAt = at })
        try roundTrip(Containerd_Task_V2_StatsRequest.with { $0.id = "c1" })
        try roundTrip(Containerd_Task_V2_ConnectRequest.with { $0.id = "c1" })
        try roundTrip(Containerd_Task_V2_ConnectResponse.with { $0.shimPid = 1; $0.taskPid = 2; $0.version = "v2" })
        try roundTrip(Containerd_Task_V2_ShutdownRequest.with { $0.id = "c1"; $0.now = true })
        try roundTrip(Containerd_Task_V2_PauseRequest.with { $0.id = "c1" })
        try roundTrip(Containerd_Task_V2_ResumeRequest.with { $0.id = "c1" })
    }

    @Test func eventsAndEnvelope() throws {
        try roundTrip(Containerd_Events_TaskCreate.with {
            $0.containerID = "c1"; $0.bundle = "/b"; $0.pid = 42; $0.checkpoint = "ck"
            $0.rootfs = [.with { $0.type = "bind" }]
            $0.io = .with { $0.stdin = "i"; $0.stdout = "o"; $0.stderr = "e"; $0.terminal = true }
        })
        try roundTrip(Containerd_Events_TaskStart.with { $0.containerID = "c1"; $0.pid = 42 })
        try roundTrip(Containerd_Events_TaskExit.with {
            $0.containerID = "c1"; $0.id = "c1"; $0.pid = 42; $0.exitStatus = 137; $0.exitedAt = at; $0.exitReason = .oomkilled
        })
        try roundTrip(Containerd_Events_TaskDelete.with { $0.containerID = "c1"; $0.pid = 42; $0.exitStatus = 3; $0.exitedAt = at; $0.id = "e1" })
        try roundTrip(Containerd_Events_TaskOOM.with { $0.containerID = "c1" })
        try roundTrip(Containerd_Events_TaskExecAdded.with { $0.containerID = "c1"; $0.execID = "e1" })
        try roundTrip(Containerd_Events_TaskExecStarted.with { $0.containerID = "c1"; $0.execID = "e1"; $0.pid = 43 })
        try roundTrip(Containerd_Events_TaskPaused.with { $0.containerID = "c1" })
        try roundTrip(Containerd_Events_TaskResumed.with { $0.containerID = "c1" })
        let exit = try Google_Protobuf_Any(bare: Containerd_Events_TaskExit.with { $0.containerID = "c1" })
        try roundTrip(Containerd_Services_Events_Ttrpc_V1_ForwardRequest.with {
            $0.envelope = .with { $0.timestamp = at; $0.namespace = "default"; $0.topic = "/tasks/exit"; $0.event = exit }
        })
        // containerd matches the bare message name, without type.googleapis.com/.
        #expect(exit.typeURL == "containerd.events.TaskExit")
    }

    @Test func ttrpcStatusAndOptions() throws {
        try roundTrip(Ttrpc_Request.with {
            $0.service = "containerd.task.v2.Task"; $0.method = "State"; $0.payload = Data([1]); $0.timeoutNano = 5
            $0.metadata = [.with { $0.key = "k"; $0.value = "v" }]
        })
        try roundTrip(Ttrpc_Response.with { $0.status = .with { $0.code = 5; $0.message = "not found" }; $0.payload = Data([2]) })
        try roundTrip(Google_Rpc_Status.with { $0.code = 12; $0.message = "m"; $0.details = [Google_Protobuf_Any()] })
        try roundTrip(Runtimeoptions_V1_Options.with { $0.typeURL = "t"; $0.configPath = "/c"; $0.configBody = "b" })
        try roundTrip(Containerd_V1_Types_Process.with { $0.containerID = "c"; $0.id = "e"; $0.pid = 1; $0.status = .paused; $0.exitReason = .signaled })
    }

    @Test func cgroupMetrics() throws {
        try roundTrip(Io_Containerd_Cgroups_V1_Metrics.with {
            $0.pids = .with { $0.current = 3; $0.limit = 100 }
            $0.cpu = .with { $0.usage = .with { $0.total = 1000; $0.kernel = 10; $0.user = 20; $0.perCpu = [1, 2] }; $0.throttling = .with { $0.periods = 1 } }
            $0.memory = .with {
                $0.totalInactiveFile = 1; $0.totalRss = 2; $0.totalPgFault = 3; $0.totalPgMajFault = 4; $0.cache = 5
                $0.usage = .with { $0.usage = 4096; $0.limit = 1 << 20; $0.max = 8192; $0.failcnt = 1 }
                $0.swap = .with { $0.usage = 1 }; $0.kernel = .with { $0.usage = 2 }; $0.kernelTcp = .with { $0.usage = 3 }
            }
            $0.blkio = .with { $0.ioServiceBytesRecursive = [.with { $0.op = "Read"; $0.major = 8; $0.minor = 0; $0.value = 9 }] }
            $0.hugetlb = [.with { $0.pagesize = "2MB"; $0.usage = 1 }]
            $0.memoryOomControl = .with { $0.oomKill = 1 }
        })
        try roundTrip(Io_Containerd_Cgroups_V2_Metrics.with {
            $0.pids = .with { $0.current = 3; $0.limit = 100 }
            $0.cpu = .with { $0.usageUsec = 1; $0.userUsec = 2; $0.systemUsec = 3; $0.nrPeriods = 4; $0.nrThrottled = 5; $0.throttledUsec = 6 }
            $0.memory = .with { $0.usage = 1; $0.usageLimit = 2; $0.inactiveFile = 3; $0.anon = 4; $0.pgfault = 5; $0.pgmajfault = 6 }
            $0.io = .with { $0.usage = [.with { $0.major = 8; $0.rbytes = 1; $0.wbytes = 2; $0.rios = 3; $0.wios = 4 }] }
            $0.memoryEvents = .with { $0.oom = 1; $0.oomKill = 1 }
            $0.hugetlb = [.with { $0.current = 1; $0.max = 2; $0.pagesize = "2MB" }]
        })
    }

    /// Hand-encoded wire bytes (tag = field << 3 | wire type): the numbers containerd uses.
    @Test func fieldNumbersOnTheWire() throws {
        let delete: [UInt8] = try Containerd_Task_V2_DeleteResponse.with { $0.pid = 1; $0.exitStatus = 2; $0.exitedAt = .init(seconds: 3) }.serializedBytes()
        #expect(delete == [0x08, 1, 0x10, 2, 0x1A, 2, 0x08, 3])
        let request: [UInt8] = try Ttrpc_Request.with { $0.service = "s"; $0.method = "m"; $0.payload = Data([7]); $0.timeoutNano = 1 }.serializedBytes()
        #expect(request == [0x0A, 1, 0x73, 0x12, 1, 0x6D, 0x1A, 1, 7, 0x20, 1])
        let response: [UInt8] = try Ttrpc_Response.with { $0.status = .with { $0.code = 5; $0.message = "x" }; $0.payload = Data([9]) }.serializedBytes()
        #expect(response == [0x0A, 5, 0x08, 5, 0x12, 1, 0x78, 0x12, 1, 9])
        let exit: [UInt8] = try Containerd_Events_TaskExit.with { $0.pid = 1; $0.exitStatus = 2 }.serializedBytes()
        #expect(exit == [0x18, 1, 0x20, 2])
        let state: [UInt8] = try Containerd_Task_V2_StateResponse.with { $0.status = .running; $0.exitStatus = 1; $0.execID = "e" }.serializedBytes()
        #expect(state == [0x20, 2, 0x48, 1, 0x5A, 1, 0x65])
        let envelope: [UInt8] = try Containerd_Types_Envelope.with { $0.namespace = "n"; $0.topic = "t" }.serializedBytes()
        #expect(envelope == [0x12, 1, 0x6E, 0x1A, 1, 0x74])
        let v2: [UInt8] = try Io_Containerd_Cgroups_V2_Metrics.with { $0.memory = .with { $0.usage = 1 } }.serializedBytes()
        #expect(v2 == [0x22, 3, 0x80, 0x02, 1])  // memory = 4, usage = 32
        let v1: [UInt8] = try Io_Containerd_Cgroups_V1_Metrics.with { $0.cpu = .with { $0.usage = .with { $0.total = 1 } } }.serializedBytes()
        #expect(v1 == [0x1A, 4, 0x0A, 2, 0x08, 1])  // cpu = 3, usage = 1, total = 1
    }
}
