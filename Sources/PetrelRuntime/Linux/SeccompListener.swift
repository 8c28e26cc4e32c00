import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// Hands the seccomp notify fd to linux.seccomp.listenerPath as the runtime spec says:
/// one message on a unix stream socket whose payload is the container process state
/// (JSON) and whose SCM_RIGHTS carry the fd named "seccompFd".
enum SeccompListener {
    static func send(_ fd: Int32, spec: Spec, id: String, pid: Int32, bundle: String) throws(RuntimeError) {
        guard let seccomp = spec.linux?.seccomp, let path = seccomp.listenerPath, !path.isEmpty else { return }
        let state = State(ociVersion: spec.ociVersion, id: id, status: .creating, pid: pid, bundle: bundle, annotations: spec.annotations)
        let message = ContainerProcessState(
            ociVersion: spec.ociVersion, fds: [ContainerProcessState.seccompFdName], pid: pid,
            metadata: seccomp.listenerMetadata, state: state)
        let json: String
        do {
            json = String(decoding: try OCIJSON.encode(message, pretty: false), as: UTF8.self)
        } catch {
            throw RuntimeError("linux.seccomp.listenerPath: cannot encode the container state: \(error)")
        }
        let socket = petrel_unix_connect(path)
        guard socket >= 0 else { throw RuntimeError.sys("linux.seccomp.listenerPath: cannot connect", "connect", path: path) }
        defer { close(socket) }
        guard petrel_send_fd(socket, fd, json) == 0 else {
            throw RuntimeError.sys("linux.seccomp.listenerPath: cannot send the notify fd", "sendmsg", path: path)
        }
    }
}
