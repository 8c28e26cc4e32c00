// containerd-shim-petrel-v2: `start` spawns the long-lived shim and prints its address,
// `serve` (internal) is that shim, `delete` cleans up after one. See specs/shim.md.
import CExecutor
import Shim
#if canImport(Glibc)
import Glibc
#endif

let flags = ShimFlags(CommandLine.arguments.dropFirst())

if flags.version {
    print("containerd-shim-petrel-v2\n  Version: 0.1 (skeleton)\n  ttrpc task API: containerd.task.v2")
    exit(0)
}

switch flags.action {
case "start": exit(startShim(flags))
case "serve":
    // CVE-2019-5736: the daemon clones every container's init and exec'd process, so it runs
    // from a file no container can write, as `petrel create/run/exec` do (re-executed in place
    // from a read-only overlay or a sealed memfd; specs/protected-binary.md).
    var message = [CChar](repeating: 0, count: 1024)
    let root = ShimContext.stateRoot(namespace: flags.namespace)
    if petrel_protect_process(CommandLine.argc, CommandLine.unsafeArgv, root, &message, message.count) != 0 {
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        writeAll(2, Array("containerd-shim-petrel-v2: cannot run from a write-protected binary (CVE-2019-5736): \(reason)\n".utf8))
        exit(1)
    }
    exit(serveShim(flags))
case "delete": exit(deleteShim(flags))
default:
    writeAll(2, Array("containerd-shim-petrel-v2: expected start or delete (containerd's shim v2 contract)\n".utf8))
    exit(2)
}
