import PetrelRuntime
import Shim
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The OOM watcher on real cgroups: a process that allocates past an 8 MiB limit (no swap)
/// is really killed by the kernel, and the watcher's fd wakes and counts it; removing the
/// cgroup wakes it too but counts nothing.
@Suite(.serialized) struct OOMWatcherTests {
    static let allocator = """
        #include <signal.h>
        #include <stdlib.h>
        #include <string.h>
        int main(void) {
            raise(SIGSTOP); /* moved into the cgroup while stopped */
            for (;;) {
                char *block = malloc(1 << 20);
                if (block) memset(block, 1, 1 << 20);
            }
        }
        """

    @Test(.enabled(if: CgroupFixture.isRoot && access("/usr/bin/cc", X_OK) == 0, "needs root and cc"))
    func countsARealOOMKill() throws {
        let directory = try temporaryDirectory()
        defer { try? FileSystem.removeTree(directory) }
        let program = try #require(try compileC(Self.allocator, name: "allocate", in: directory))

        let cgroup = try CgroupFixture("oom", memoryLimit: 8 << 20)
        defer { cgroup.remove() }
        let watcher = try OOMWatcher(record: cgroup.record)
        defer { watcher.close() }
        #expect(watcher.fd >= 0)
        #expect(fcntl(watcher.fd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(watcher.fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(watcher.consume() == 0, "nothing happened yet")

        let pid = try cgroup.run([program])
        // Bounded: the allocator reaches 8 MiB in milliseconds; 60 s at most, in 100 ms steps.
        var status: Int32 = 0
        var dead = false
        for _ in 0 ..< 600 where !dead {
            dead = waitpid(pid, &status, WNOHANG) == pid
            if !dead { _ = poll(nil, 0, 100) }
        }
        if !dead { kill(pid, SIGKILL); status = reap(pid) }
        #expect(dead && status & 0x7f == SIGKILL, "the allocator was OOM-killed (status \(status))")
        // Once the victim's exit is seen the kill is already counted: the shim drains the
        // watcher before publishing TaskExit, so TaskOOM comes first.
        #expect(waitReadable(watcher.fd, rounds: 1))
        #expect(watcher.consume() > 0)
        // Drained: a further call reports nothing new.
        #expect(watcher.consume() == 0)
    }

    @Test(.enabled(if: CgroupFixture.isRoot, "needs root"))
    func removingTheCgroupCountsNothing() throws {
        let cgroup = try CgroupFixture("oomrm", memoryLimit: 64 << 20)
        let watcher = try OOMWatcher(record: cgroup.record)
        defer { watcher.close() }
        let version = cgroup.record.version
        cgroup.remove()
        #expect(!cgroup.record.directories.contains { FileSystem.isDirectory($0.path) }, "a watch does not pin the cgroup")
        // v1: the kernel signals the eventfd as it drops the registration, and that wake-up
        // is no OOM kill. v2: inotify stays quiet (containerd watches cgroup.events for this;
        // the shim knows when it deletes the cgroup).
        if version == 1 {
            #expect(waitReadable(watcher.fd, rounds: 5), "v1 signals the eventfd on removal")
        }
        #expect(watcher.consume() == 0)
        watcher.close()
        watcher.close()
        #expect(watcher.fd == -1)
        #expect(watcher.consume() == 0)
    }

    @Test func noMemoryCgroupIsAnErrorWithItsPath() {
        let missing = "/sys/fs/cgroup/petrel-test-no-such-cgroup"
        let v2 = CgroupRecord(version: 2, directories: [CgroupDirectory(hierarchy: CgroupDirectory.unified, path: missing)], created: [])
        do {
            _ = try OOMWatcher(record: v2)
            Issue.record("a watcher on a missing cgroup")
        } catch {
            #expect(error.syscall == "inotify_add_watch")
            #expect(error.path == missing + "/memory.events")
        }
        // v1 without a memory hierarchy (only cpu here).
        let v1 = CgroupRecord(version: 1, directories: [CgroupDirectory(hierarchy: "cpu,cpuacct", path: missing)], created: [])
        #expect(throws: RuntimeError.self) { try OOMWatcher(record: v1) }
        let v1Missing = CgroupRecord(version: 1, directories: [CgroupDirectory(hierarchy: "memory", path: missing)], created: [])
        do {
            _ = try OOMWatcher(record: v1Missing)
            Issue.record("a watcher on a missing cgroup")
        } catch {
            #expect(error.syscall == "open")
            #expect(error.path == missing + "/memory.oom_control")
        }
    }
}
