import Shim
import ShimProtocol
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#endif

/// `delete`: cleanup after a shim containerd lost. Skeleton: no container can exist yet, so it
/// only answers. Until exit statuses are persisted in the bundle, the answer is the Go shim's
/// (137, now); see specs/shim.md for why the real status will be recorded.
func deleteShim(_ flags: ShimFlags) -> Int32 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let response = Containerd_Task_V2_DeleteResponse.with {
        $0.exitStatus = 128 + UInt32(SIGKILL)
        $0.exitedAt = .with { $0.seconds = Int64(now.tv_sec); $0.nanos = Int32(now.tv_nsec) }
    }
    guard let bytes: [UInt8] = try? response.serializedBytes() else { return 1 }
    writeAll(1, bytes)
    return 0
}
