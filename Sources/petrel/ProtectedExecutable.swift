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
        // On the stack: the first [CChar] would cost this process, which is about to be
        // replaced, the runtime's metadata for its array storage (~27 K instructions).
        let reason: String? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1024) { message in
            guard let base = message.baseAddress else { return "no buffer for the message" }
            base.initialize(to: 0)
            let status = petrel_protect_exe(CommandLine.argc, CommandLine.unsafeArgv, base, message.count)
            return status == 0 ? nil : String(cString: base)
        }
        guard let reason else { return }
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
