import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program (only `ps` today) and collects its output. posix_spawn, not fork:
/// safe whatever threads the runtime may have.
public enum Subprocess {
    /// Runs argv[0] looked up in PATH with stdout and stderr both captured (Go's
    /// CombinedOutput). Returns the raw wait status and the output.
    public static func combinedOutput(_ arguments: [String]) throws(RuntimeError) -> (status: Int32, output: String) {
        guard let program = arguments.first else { throw RuntimeError("no program to run") }
        var pipeFds: [Int32] = [-1, -1]
        guard pipe(&pipeFds) == 0 else { throw RuntimeError.sys("cannot run \(program)", "pipe") }
        defer { close(pipeFds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeFds[0])
        posix_spawn_file_actions_addclose(&actions, pipeFds[1])
        let closing = petrel_spawn_actions_closefrom(&actions, 3)
        guard closing == 0 else { throw RuntimeError("cannot run \(program)", syscall: "posix_spawn_file_actions_addclosefrom_np", errno: closing) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program, &actions, nil, &argv, environ)
        close(pipeFds[1])
        guard spawned == 0 else { throw RuntimeError("cannot run \(program)", syscall: "posix_spawnp", errno: spawned) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pipeFds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += chunk[0..<count]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw RuntimeError.sys("cannot wait for \(program)", "waitpid") }
        }
        return (status, String(decoding: output, as: UTF8.self))
    }
}
