import ShimProtocol
import SwiftProtobuf
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

public let taskServiceName = "containerd.task.v2.Task"

/// containerd.task.v2.Task. Skeleton: Connect, Shutdown and State answer; the lifecycle methods
/// are not registered yet, so ttrpc answers them Unimplemented ("method Create").
public final class TaskService {
    public private(set) var shutdownRequested = false
    public let shimPID: UInt32

    public init(shimPID: UInt32 = UInt32(getpid())) { self.shimPID = shimPID }

    public func register(on server: Server) {
        server.register(service: taskServiceName, methods: [
            "Connect": unary { [unowned self] (_: Containerd_Task_V2_ConnectRequest, _) -> Result<Containerd_Task_V2_ConnectResponse, TTRPCError>? in
                .success(.with { $0.shimPid = self.shimPID; $0.version = "2" })
            },
            "Shutdown": unary { [unowned self] (_: Containerd_Task_V2_ShutdownRequest, _) -> Result<Google_Protobuf_Empty, TTRPCError>? in
                // No task can exist yet, so shutting down is always allowed.
                self.shutdownRequested = true
                return .success(Google_Protobuf_Empty())
            },
            "State": unary { (req: Containerd_Task_V2_StateRequest, _) -> Result<Containerd_Task_V2_StateResponse, TTRPCError>? in
                .failure(TTRPCError(.notFound, "container \(req.id): not found"))
            },
            "Checkpoint": { _ in .error(TTRPCError(.unimplemented, "checkpoint is not supported by petrel")) },
        ])
    }
}
