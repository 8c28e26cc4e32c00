import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// CVE-2019-5736: `create`, `run` and `exec` re-execute petrel from a file no container
/// process can write (Sources/CExecutor/protected_exe.c, specs/protected-binary.md) before
/// anything else runs. No opt-out: a runtime that cannot protect itself refuses to start
/// a container.
enum ProtectedExecutable {
    static func ensure() {
        var message = [CChar](repeating: 0, count: 1024)
        let status = petrel_protect_exe(CommandLine.argc, CommandLine.unsafeArgv, &message, message.count)
        guard status != 0 else { return }
        let reason = message.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { String(cString: $0) } ?? ""
        }
        let line = Array("petrel: cannot run from a write-protected binary (CVE-2019-5736): \(reason)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(1)
    }
}
