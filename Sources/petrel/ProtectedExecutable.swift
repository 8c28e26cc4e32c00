import CExecutor
import PetrelRuntime
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
        // runc's error contract (the log file engines read, its format), like any failure.
        try? performVerb(logGlobals(CommandLine.arguments.dropFirst())) { () throws(RuntimeError) in
            throw RuntimeError("cannot run from a write-protected binary (CVE-2019-5736): \(reason)")
        }
        exit(1)
    }

    /// The global flags as the parser reads them (defaults when the line does not parse).
    static func logGlobals(_ arguments: ArraySlice<String>) -> Globals {
        guard case .call(let call)? = try? Petrel.parser.parse(Array(arguments)) else { return Globals() }
        return Globals(call)
    }
}
