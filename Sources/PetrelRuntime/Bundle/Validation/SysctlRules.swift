import OCI

/// linux.sysctl keys a container may set: only those that belong to a namespace the
/// container has of its own (runc's list). Anything else would change the host.
public enum Sysctls {
    static let ipcKeys: Set<String> = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    ]

    public static func validate(_ key: String, namespaces: [LinuxNamespace]) throws(RuntimeError) {
        func own(_ type: LinuxNamespaceType) -> Bool {
            namespaces.contains { $0.type == type }
        }
        let field = "linux.sysctl[\(JSONText.quote(key))]"
        if ipcKeys.contains(key) || key.hasPrefix("fs.mqueue.") {
            guard own(.ipc) else { throw RuntimeError("\(field): needs an ipc namespace") }
            return
        }
        if key.hasPrefix("net.") {
            guard own(.network) else { throw RuntimeError("\(field): needs a network namespace") }
            return
        }
        if key == "kernel.hostname" || key == "kernel.domainname" {
            guard own(.uts) else { throw RuntimeError("\(field): needs a uts namespace") }
            return
        }
        throw RuntimeError("\(field): not a namespaced sysctl; a container may not change it for the whole host")
    }
}
