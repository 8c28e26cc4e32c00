import CShim
import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Where a shim listens: one socket per (containerd address, namespace, group), the group being
/// the pod's sandbox id so that one shim serves a whole pod, as containerd's own shims name it.
public func shimSocketPath(address: String, namespace: String, group: String,
                           directory: String = "/run/containerd/s") -> String {
    directory + "/" + sha256Hex(Array((address + "/" + namespace + "/" + group).utf8))
}

/// A live shim accepts (or its backlog is full); a dead one's leftover socket refuses.
public func shimSocketAnswers(_ path: String) -> Bool {
    let fd = cshim_unix_connect(path)
    guard fd >= 0 else { return false }
    close(fd)
    return true
}

public let sandboxIDAnnotation = "io.kubernetes.cri.sandbox-id"
