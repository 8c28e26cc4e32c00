import CShim
import PetrelRuntime
import Shim
#if canImport(Glibc)
import Glibc
#endif

/// `start`: reuse the group's live shim or spawn one; print only its address (containerd 1.6
/// fails the start on any stderr output, so errors are the exit code plus a log line).
func startShim(_ flags: ShimFlags) -> Int32 {
    let group = shimGroup(configJSON: (try? FileSystem.readDocument("config.json")) ?? [], id: flags.id)
    let directory = getenv("PETREL_SHIM_SOCKET_DIR").map { String(cString: $0) } ?? "/run/containerd/s"
    let path = shimSocketPath(address: flags.address, namespace: flags.namespace, group: group, directory: directory)
    let address = "unix://" + path

    if shimSocketAnswers(path) {
        // Every bundle gets the address, also a pod's second container: containerd 1.6/1.7
        // reconnect from it after a restart and take a container without one for dead.
        writeAddressFile(address)
        return announce(address)
    }
    unlink(path)  // a dead shim's leftover
    try? FileSystem.makeDirectories(directory, mode: 0o711)
    let fd = cshim_unix_listen(path, 128)
    guard fd >= 0 else { return fail("listen \(path)", -fd) }
    defer { close(fd) }

    var argv = ["containerd-shim-petrel-v2"] + flags.serveArguments(socket: path)
    let pid = withCStringArray(&argv) { cargv in
        cshim_spawn_daemon(selfPath(), cargv, environ, fd)
    }
    guard pid > 0 else {
        unlink(path)
        return fail("posix_spawn", -pid)
    }
    adjustOOMScore(daemon: pid)
    writeAddressFile(address)
    return announce(address)
}

/// The shim is killed by the OOM killer just before containerd (one above its score, as the
/// Go shim does), never before the containers it serves are; best effort (EACCES without
/// CAP_SYS_RESOURCE for a lower value).
private func adjustOOMScore(daemon: Int32) {
    guard let text = try? FileSystem.readDocument("/proc/\(getppid())/oom_score_adj", limit: 64),
          let score = Int(String(decoding: text, as: UTF8.self).split(separator: "\n").first ?? "") else { return }
    let fd = open("/proc/\(daemon)/oom_score_adj", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    writeAll(fd, Array(String(min(score + 1, 1000)).utf8))
    close(fd)
}

/// The real path, so that the daemon shows as containerd-shim-petrel-v2, not exe.
private func selfPath() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return "/proc/self/exe" }
    return String(decoding: buf[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func announce(_ address: String) -> Int32 {
    writeAll(1, Array(address.utf8))
    return 0
}

private func fail(_ what: String, _ err: Int32) -> Int32 {
    // Not stderr (see above): syslog-free, the exit status is what containerd reports.
    _ = what
    return err == 0 ? 1 : min(err, 125)
}

/// 1.6/1.7 reconnect to the shim from `<bundle>/address` after they restart.
private func writeAddressFile(_ address: String) {
    let fd = open("address", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { return }
    writeAll(fd, Array(address.utf8))
    close(fd)
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        offset += n
    }
}
