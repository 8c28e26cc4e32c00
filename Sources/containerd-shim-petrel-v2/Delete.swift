import PetrelRuntime
import Shim
import ShimProtocol
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#endif

/// `delete`: containerd runs it after every teardown, and to clean up after a shim it lost
/// (killed): force-deletes the container if it is still there, unmounts the rootfs, and
/// prints the init's exit as the shim recorded it in the bundle. Idempotent.
func deleteShim(_ flags: ShimFlags) -> Int32 {
    let bundle = flags.bundle.isEmpty ? FileSystem.currentDirectory() : flags.bundle
    let response = cleanUpAfterShim(id: flags.id, bundle: bundle,
                                    stateRoot: ShimContext.stateRoot(namespace: flags.namespace))
    guard let bytes: [UInt8] = try? response.serializedBytes() else { return 1 }
    writeAll(1, bytes)
    return 0
}
