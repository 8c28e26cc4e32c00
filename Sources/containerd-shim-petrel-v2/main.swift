// containerd-shim-petrel-v2: `start` spawns the long-lived shim and prints its address,
// `serve` (internal) is that shim, `delete` cleans up after one. See specs/shim.md.
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
case "serve": exit(serveShim(flags))
case "delete": exit(deleteShim(flags))
default:
    writeAll(2, Array("containerd-shim-petrel-v2: expected start or delete (containerd's shim v2 contract)\n".utf8))
    exit(2)
}
