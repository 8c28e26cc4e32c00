import PetrelRuntime
import ShimProtocol
import SwiftProtobuf

// Stats and OOM: the metrics mapping and the OOM watcher come from their own files.
extension TaskService {
    func watchOOM(_ container: ShimContainer) {}

    static func metrics(_ cgroup: CgroupRecord) throws(ShimError) -> Google_Protobuf_Any {
        throw ShimError(.unimplemented, "stats: not yet")
    }
}
