#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Runs the built shim binary as containerd does (cwd = bundle, env added).
enum ShimProcessRunner {
    static var binary: String {
        if let env = getenv("SHIM_BIN") { return String(cString: env) }
        // Beside the test bundle in .build/<config>/.
        let me = CommandLine.arguments.first ?? ""
        let dir = me.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        var candidate = dir + "/containerd-shim-petrel-v2"
        if access(candidate, X_OK) != 0 { candidate = dir + "/../containerd-shim-petrel-v2" }
        // Absolute: the binary runs from inside the bundle directory.
        guard let resolved = realpath(candidate, nil) else { return candidate }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Runs `sh -c 'cd DIR && exec BIN ARGS'` and returns (stdout, exit status).
    static func run(in dir: String, _ args: [String], env: [String] = []) throws -> ([UInt8], Int32) {
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_adddup2(&fa, pipeFDs[1], 1)
        let quoted = ([Self.binary] + args).map { "'" + $0 + "'" }.joined(separator: " ")
        let argv = ["/bin/sh", "-c", "cd '\(dir)' && exec env \(env.joined(separator: " ")) \(quoted)"]
        var cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargv { free(p) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, "/bin/sh", &fa, nil, &cargv, environ) == 0)
        close(pipeFDs[1])
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0 ..< n]
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (out, (status >> 8) & 0xFF)
    }
}
