/// Where a shim listens: one socket per (containerd address, namespace, group), the group being
/// the pod's sandbox id so that one shim serves a whole pod, as containerd's own shims name it.
public func shimSocketPath(address: String, namespace: String, group: String,
                           directory: String = "/run/containerd/s") -> String {
    directory + "/" + sha256Hex(Array((address + "/" + namespace + "/" + group).utf8))
}

public let sandboxIDAnnotation = "io.kubernetes.cri.sandbox-id"
