import Foundation
import Testing

/// The compiled-filter cache under <root>/seccomp@cache: a warm call loads what a cold one
/// compiled, and a damaged, foreign or badly owned entry is never used.
@Suite(Harness.enabled, .enabled(if: !Harness.isRunc, "the seccomp filter cache is Petrel's"))
struct SeccompCache {
    static let directoryName = "seccomp@cache"

    /// mkdir answered with `errno`, everything else allowed.
    static func profile(errno: Int) -> [String: Any] {
        ["defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
         "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno]]]
    }

    static let probe = "mkdir /tmp/x 2>&1; grep '^Seccomp:' /proc/self/status"

    func sandbox(errno: Int = 13) throws -> Sandbox {
        let t = try Sandbox()
        try t.setConfig("root.readonly", false)
        try t.setConfig("linux.seccomp", Self.profile(errno: errno))
        try t.setArgs(["sh", "-c", Self.probe])
        return t
    }

    func run(_ t: Sandbox) -> Output {
        t.runtime(["--debug", "run", "--bundle", t.bundle, t.newID("sc")])
    }

    func files(_ t: Sandbox) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: t.root + "/" + Self.directoryName)) ?? []).sorted()
    }

    /// Rewrites the file in place (same inode, as a damaged disk or a careless editor would).
    func overwrite(_ path: String, _ bytes: Data) throws {
        let fd = open(path, O_WRONLY | O_TRUNC)
        try #require(fd >= 0)
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        try #require(written == bytes.count)
    }

    func expectDenied(_ result: Output, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.contains(message), "\(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.contains("Seccomp:\t2"), "\(result)", sourceLocation: sourceLocation)
    }

    @Test("a warm cache enforces what the cold compile did, for run and exec")
    func warmEqualsCold() throws {
        let t = try sandbox()
        defer { t.cleanup() }
        let cold = run(t)
        expectDenied(cold, "Permission denied")
        #expect(cold.stderr.contains("filter compiled and cached"), "\(cold)")
        let names = files(t)
        #expect(names.count == 1 && names[0].count == 64, "one entry named by its key: \(names)")
        var info = stat()
        #expect(stat(t.root + "/" + Self.directoryName, &info) == 0 && info.st_mode & 0o7777 == 0o700)

        let warm = run(t)
        expectDenied(warm, "Permission denied")
        #expect(warm.stderr.contains("filter from the cache"), "\(warm)")
        #expect(!warm.stderr.contains("filter compiled"), "\(warm)")
        #expect(cold.stdout == warm.stdout)
        #expect(files(t) == names)

        // exec compiles the container's filter again: from the cache too.
        try t.setArgs(["sleep", "1000"])
        let id = t.newID("sx")
        let started = t.runtime(["run", "--detach", "--bundle", t.bundle, id])
        #expect(started.succeeded, "\(started)")
        let exec = t.runtime(["--debug", "exec", id, "sh", "-c", Self.probe])
        expectDenied(exec, "Permission denied")
        #expect(exec.stderr.contains("filter from the cache"), "\(exec)")
        _ = t.runtime(["delete", "--force", id])
    }

    @Test("a tampered, truncated or foreign cache file is removed, recompiled and replaced")
    func damagedEntriesAreReplaced() throws {
        let t = try sandbox()
        defer { t.cleanup() }
        expectDenied(run(t), "Permission denied")
        let names = files(t)
        try #require(names.count == 1)
        let path = t.root + "/" + Self.directoryName + "/" + names[0]
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        var flipped = good
        flipped[good.count / 2] ^= 0x40
        let truncated = good.prefix(good.count - 13)
        for (name, bytes) in [("tampered", flipped), ("truncated", Data(truncated)), ("empty", Data())] {
            try overwrite(path, bytes)
            let result = run(t)
            expectDenied(result, "Permission denied")
            #expect(result.stderr.contains("removed, the filter is compiled again"), "\(name): \(result)")
            #expect(result.stderr.contains("filter compiled and cached"), "\(name): \(result)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good, "\(name): the entry is written again")
        }

        // Another profile's valid entry under this profile's name: never loaded.
        try t.setConfig("linux.seccomp", Self.profile(errno: 1))
        expectDenied(run(t), "Operation not permitted")
        let other = try #require(files(t).first { $0 != names[0] })
        let foreign = try Data(contentsOf: URL(fileURLWithPath: t.root + "/" + Self.directoryName + "/" + other))
        try overwrite(path, foreign)
        try t.setConfig("linux.seccomp", Self.profile(errno: 13))
        let result = run(t)
        expectDenied(result, "Permission denied")
        #expect(result.stderr.contains("holds the filter of another profile"), "\(result)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good)
    }

    @Test("a cache directory someone else owns or may write is not used, and the run still works")
    func badDirectoryIsRefused() throws {
        let t = try sandbox()
        defer { t.cleanup() }
        expectDenied(run(t), "Permission denied")
        let directory = t.root + "/" + Self.directoryName
        let before = files(t)
        for (mode, owner) in [(0o777 as mode_t, 0 as uid_t), (0o720, 0), (0o700, 65534)] {
            #expect(chmod(directory, mode) == 0 && chown(directory, owner, owner) == 0)
            // A profile not cached yet: nothing may be written into the directory either.
            try t.setConfig("linux.seccomp", Self.profile(errno: 1))
            let other = run(t)
            expectDenied(other, "Operation not permitted")
            #expect(other.stderr.contains("is not used"), "mode \(mode) owner \(owner): \(other)")
            try t.setConfig("linux.seccomp", Self.profile(errno: 13))
            let same = run(t)
            expectDenied(same, "Permission denied")
            #expect(!same.stderr.contains("filter from the cache"), "\(same)")
            #expect(files(t) == before)
        }
        // A symlink in its place (to a directory that is fine) is not followed either.
        #expect(chmod(directory, 0o700) == 0 && chown(directory, 0, 0) == 0)
        #expect(rename(directory, t.dir + "/moved") == 0 && symlink(t.dir + "/moved", directory) == 0)
        let linked = run(t)
        expectDenied(linked, "Permission denied")
        #expect(linked.stderr.contains("is not used"), "\(linked)")
    }
}
