import CShim
import PetrelRuntime
import ShimProtocol
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#endif

/// The init's exit, kept in the bundle at reap time so that `delete` after a shim that died
/// reports the real status (the Go shim answers 137 whatever happened: containerd #4769).
enum ExitRecord {
    static let fileName = "petrel-exit"

    static func save(_ process: ShimProcess, bundle: String) {
        let at = process.exitedAt ?? Google_Protobuf_Timestamp.now()
        let text = "\(process.pid) \(process.exitStatus) \(at.seconds) \(at.nanos)\n"
        try? FileSystem.writeAtomically(bundle + "/" + fileName, Array(text.utf8), mode: 0o600)
    }

    /// The DeleteResponse `delete` prints: the recorded exit, or 137 now when none was recorded.
    static func response(bundle: String) -> Containerd_Task_V2_DeleteResponse {
        let fields = ((try? FileSystem.readText(bundle + "/" + fileName)) ?? "")
            .split(whereSeparator: { $0 == " " || $0 == "\n" })
        if fields.count == 4, let pid = UInt32(fields[0]), let status = UInt32(fields[1]),
           let seconds = Int64(fields[2]), let nanos = Int32(fields[3]) {
            return .with {
                $0.pid = pid
                $0.exitStatus = status
                $0.exitedAt = .with { $0.seconds = seconds; $0.nanos = nanos }
            }
        }
        return .with {
            $0.exitStatus = 128 + UInt32(SIGKILL)
            $0.exitedAt = Google_Protobuf_Timestamp.now()
        }
    }
}

/// What `delete` does after a shim that died: the container goes (killed if it still runs),
/// the rootfs is unmounted, and the recorded exit is answered.
public func cleanUpAfterShim(id: String, bundle: String, stateRoot: String) -> Containerd_Task_V2_DeleteResponse {
    let runtime = Runtime(root: stateRoot)
    try? runtime.delete(id, force: true)
    RootfsMounts.unmount(bundle + "/rootfs")
    removeDeadSocket(bundle: bundle)
    return ExitRecord.response(bundle: bundle)
}

/// The socket of a shim that died stays behind; a live one (a pod's shim still serving other
/// containers: `delete` also runs after every normal teardown) is left alone.
private func removeDeadSocket(bundle: String) {
    guard let address = try? FileSystem.readText(bundle + "/address") else { return }
    let path = address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
    guard !path.isEmpty, !shimSocketAnswers(path) else { return }
    unlink(path)
}
