import PetrelRuntime
import ShimProtocol
import SwiftProtobuf

// Stats and OOM for the task service (TaskMetrics and OOMWatcher do the cgroup work).
extension TaskService {
    /// From right after Create: each OOM kill in the container's cgroup is a TaskOOM. A cgroup
    /// without a memory controller has nothing to watch (as with the runc shim, not an error).
    func watchOOM(_ container: ShimContainer) {
        guard let cgroup = container.record?.cgroup else { return }
        let watcher: OOMWatcher
        do {
            watcher = try OOMWatcher(record: cgroup)
        } catch {
            return
        }
        let fd = watcher.fd
        do {
            try loop.register(fd, .readable) { [weak self, weak container] _ in
                guard let self, let container else { return }
                self.reportOOM(container, watcher)
            }
        } catch {
            watcher.close()
            return
        }
        container.checkOOM = { [weak self, weak container] in
            guard let self, let container else { return }
            self.reportOOM(container, watcher)
        }
        container.closeOOMWatcher = { [unowned loop] in
            loop.unregister(fd)
            watcher.close()
        }
    }

    private func reportOOM(_ container: ShimContainer, _ watcher: OOMWatcher) {
        guard watcher.consume() > 0 else { return }
        events.publish("/tasks/oom", Containerd_Events_TaskOOM.with { $0.containerID = container.id })
    }

    static func metrics(_ cgroup: CgroupRecord) throws(ShimError) -> Google_Protobuf_Any {
        do {
            return try TaskMetrics.read(cgroup)
        } catch {
            throw ShimError(.notFound, "stats: \(error)")
        }
    }
}
