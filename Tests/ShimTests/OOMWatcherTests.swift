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
        var kills = 0
        // Bounded: the allocator reaches 8 MiB in milliseconds; 60 one-second polls at most.
        for _ in 0 ..< 60 where kills == 0 {
            guard waitReadable(watcher.fd, rounds: 1) else { continue }
            kills += watcher.consume()
        }
        let status = reap(pid)
        #expect(kills > 0)
        #expect(status & 0x7f == SIGKILL, "the allocator was OOM-killed (status \(status))")
        // Drained: a further call reports nothing new.
        #expect(watcher.consume() == 0)
    }

    @Test(.enabled(if: CgroupFixture.isRoot, "needs root"))
    func removingTheCgroupCountsNothing() throws {
        let cgroup = try CgroupFixture("oomrm", memoryLimit: 64 << 20)
        let watcher = try OOMWatcher(record: cgroup.record)
        defer { watcher.close() }
        cgroup.remove()
        // v1: the kernel signals the eventfd as it drops the registration; v2: inotify's
        // IN_IGNORED. Either wake-up is no OOM kill.
        let woke = waitReadable(watcher.fd, rounds: 5)
        #expect(woke, "DEBUG woke")
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
