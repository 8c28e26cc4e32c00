import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// The detached, id-mapped copies of a plan's idmap bind sources, made by the parent
/// before the clone (idmapping needs the host's root) and moved into place by the init;
/// in a user-namespaced container also plain copies of the other bind sources, for those
/// the container's root cannot reach.
/// Owns the tree fds: the parent's copies are closed once the init has been cloned.
final class IdmappedTrees {
    /// Mount index in the plan -> tree fd.
    private(set) var fds: [Int: Int32] = [:]

    /// `rootless`: no fallback copies of bind sources (open_tree needs the host's
    /// CAP_SYS_ADMIN; the child binds them itself, as the caller could reach them anyway).
    init(for plan: ExecutionPlan, rootless: Bool = false) throws(RuntimeError) {
        // One user namespace per distinct mapping, however many mounts share it.
        var namespaces: [String: Int32] = [:]
        defer { for fd in namespaces.values { Glibc.close(fd) } }
        do throws(RuntimeError) {
            let userNamespaced = plan.namespaces.contains { $0.cloneFlag == NamespaceFlag.cloneFlag(.user) }
            for (index, mount) in plan.mounts.enumerated() {
                guard let idmap = mount.idmap else {
                    if mount.hostSysfs {
                        // Without AT_RECURSIVE: no cgroup tree, no securityfs, debugfs, ...
                        var error = petrel_error()
                        let tree = petrel_open_bind_tree("/sys", 0, &error)
                        guard tree >= 0 else { throw Self.bindFailure(error, mount: mount) }
                        fds[index] = tree
                    } else if userNamespaced && mount.kind == .bind && !rootless {
                        // Opened as the host's root, before the user namespace (as runc does):
                        // the child uses it when it cannot reach the source itself.
                        var error = petrel_error()
                        let tree = petrel_open_bind_tree(mount.source, mount.recursive ? 1 : 0, &error)
                        guard tree >= 0 else { throw Self.bindFailure(error, mount: mount) }
                        fds[index] = tree
                    }
                    continue
                }
                let key = (idmap.uidMappings + ["/"] + idmap.gidMappings).joined(separator: ",")
                let userns: Int32
                if let existing = namespaces[key] {
                    userns = existing
                } else {
                    userns = try Self.userNamespace(idmap)
                    namespaces[key] = userns
                }
                var error = petrel_error()
                let tree = petrel_open_idmapped_tree(
                    mount.source, userns, mount.recursive ? 1 : 0, idmap.recursive ? 1 : 0, &error)
                guard tree >= 0 else { throw Self.failure(error, mount: mount) }
                fds[index] = tree
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        for fd in fds.values { Glibc.close(fd) }
        fds = [:]
    }

    private static func userNamespace(_ idmap: ExecutionPlan.IDMapping) throws(RuntimeError) -> Int32 {
        var error = petrel_error()
        let uidMap = idmap.uidMappings.map { $0 + "\n" }.joined()
        let gidMap = idmap.gidMappings.map { $0 + "\n" }.joined()
        let fd = petrel_userns_open(uidMap, gidMap, &error)
        guard fd >= 0 else {
            let report = InitProcess.fields(error)
            throw RuntimeError("cannot make a user namespace for an id-mapped mount (\(report.path))",
                               syscall: report.syscall, errno: error.err)
        }
        return fd
    }

    private static func bindFailure(_ error: petrel_error, mount: ExecutionPlan.Mount) -> RuntimeError {
        let report = InitProcess.fields(error)
        return RuntimeError("bind mount \(mount.destination) (source \(mount.source))",
                            syscall: report.syscall, errno: error.err == 0 ? nil : error.err)
    }

    /// "id-mapped mount /data (source /srv/data): the filesystem or kernel does not
    /// support id-mapped mounts: mount_setattr: Invalid argument"
    private static func failure(_ error: petrel_error, mount: ExecutionPlan.Mount) -> RuntimeError {
        let report = InitProcess.fields(error)
        var message = "id-mapped mount \(mount.destination) (source \(mount.source))"
        if !report.detail.isEmpty { message += ": \(report.detail)" }
        return RuntimeError(message, syscall: report.syscall, errno: error.err == 0 ? nil : error.err)
    }
}
