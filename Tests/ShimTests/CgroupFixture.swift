import PetrelRuntime
import OCI
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real cgroup for the root-only tests, on whatever this machine has (the hybrid host's v1
/// controllers, the v2 guest's unified tree): named petrel-test-<tag>-<random>, removed by
/// `remove()`. Processes go in stopped (they SIGSTOP themselves first), so everything they
/// do is charged to the cgroup.
struct CgroupFixture {
    static let isRoot = getuid() == 0
    let manager: any CgroupManager
    var record: CgroupRecord { manager.record }

    init(_ tag: String, memoryLimit: Int64? = nil) throws {
        let name = "petrel-test-\(tag)-\(UInt32.random(in: 0 ... UInt32.max))"
        manager = try Cgroups.create(cgroupsPath: nil, id: name, driver: .cgroupfs)
        if let memoryLimit {
            // swap is memory+swap in the spec: no swap at all (memsw on v1, swap.max 0 on v2).
            do {
                try manager.apply(LinuxResources(memory: LinuxMemory(limit: memoryLimit, swap: memoryLimit)), devices: nil)
            } catch {
                // No swap accounting on this kernel: the memory limit alone.
                try manager.apply(LinuxResources(memory: LinuxMemory(limit: memoryLimit)), devices: nil)
            }
        }
    }

    func remove() { try? manager.destroy() }

    /// Starts `arguments` (its first act must be to stop itself), waits for that stop,
    /// moves it in and lets it continue.
    func run(_ arguments: [String]) throws -> pid_t {
        let pid = try #require(spawn(arguments), "posix_spawn \(arguments[0])")
        var status: Int32 = 0
        guard waitStopped(pid, &status) else {
            kill(pid, SIGKILL)
            _ = reap(pid)
            throw FixtureError("\(arguments[0]) did not stop itself (status \(status))")
        }
        do {
            try manager.addProcess(pid)
        } catch {
            kill(pid, SIGKILL)
            _ = reap(pid)
            throw error
        }
        kill(pid, SIGCONT)
        return pid
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// posix_spawn (safe in the multi-threaded test process); nil when it fails.
func spawn(_ arguments: [String]) -> pid_t? {
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    return posix_spawn(&pid, arguments[0], nil, nil, &argv, environ) == 0 ? pid : nil
}

/// Waits until the child stops (true) or ends (false).
func waitStopped(_ pid: pid_t, _ status: inout Int32) -> Bool {
    while true {
        let got = waitpid(pid, &status, WUNTRACED)
        if got < 0 && errno == EINTR { continue }
        return got == pid && (status & 0xff) == 0x7f
    }
}

/// waitpid's raw status.
func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// A fresh directory under /tmp (the v2 guest's /tmp is a writable tmpfs).
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/petrel-test-XXXXXX".utf8CString)
    guard let base = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap(mkdtemp) }) else {
        throw FixtureError("mkdtemp: errno \(errno)")
    }
    return String(cString: base)
}

/// Builds a small C program with the system's cc; nil without a compiler.
func compileC(_ source: String, name: String, in directory: String) throws -> String? {
    guard access("/usr/bin/cc", X_OK) == 0 else { return nil }
    let file = directory + "/\(name).c", output = directory + "/" + name
    try FileSystem.writeAtomically(file, Array(source.utf8))
    let pid = try #require(spawn(["/usr/bin/cc", "-O1", "-o", output, file]))
    let status = reap(pid)
    guard status == 0 else { throw FixtureError("cc \(file) failed (status \(status))") }
    return output
}

/// poll(2) for readability, a bounded number of one-second rounds; true when readable.
func waitReadable(_ fd: Int32, rounds: Int) -> Bool {
    for _ in 0 ..< rounds {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, 1000)
        if ready > 0 { return true }
        if ready < 0 && errno != EINTR { return false }
    }
    return false
}
