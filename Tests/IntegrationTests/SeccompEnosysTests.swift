import Foundation
import Testing

/// The seccomp filter against real callers: syscalls newer than the profile get ENOSYS (so
/// libc falls back), and the runtime's own work never runs under a profile that may not
/// allow it. Static C programs report what the kernel answered from inside.
@Suite(Harness.enabled)
struct SeccompAgainstCallers {
    static let cc = Harness.which("cc")
    static let unistd = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"

    /// Every x86_64 syscall name this host's headers know, minus `excluded`: an allow-list
    /// as broad as a real profile (runc needs its Go runtime's calls), with holes we choose.
    static func allowList(excluding excluded: Set<String>) throws -> [String] {
        let text = try String(contentsOfFile: unistd, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "#define", parts[1].hasPrefix("__NR_") else { return nil }
            let name = String(parts[1].dropFirst(5))
            return excluded.contains(name) ? nil : name
        }
    }

    static func profile(allowing names: [String]) -> [String: Any] {
        ["defaultAction": "SCMP_ACT_ERRNO",
         "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
         "syscalls": [["names": names, "action": "SCMP_ACT_ALLOW"]]]
    }

    static func compile(_ t: Sandbox, _ name: String, _ source: String) throws {
        let path = t.dir + "/\(name).c"
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        let built = host(try #require(cc), ["-static", "-O2", "-o", t.rootfs + "/bin/\(name)", path], ioDirectory: t.dir + "/io")
        try #require(built.succeeded, "\(built)")
    }

    /// Raw syscalls of the three x86 ABIs from one 64-bit program: `syscall` (x86_64, and
    /// x32 with bit 30 in the number) and `int $0x80` (i386). Prints the raw results.
    static let probe = """
        #include <stdio.h>
        static long sys64(long nr) { long r; __asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory"); return r; }
        static long sys32(long nr) { long r; __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory"); return r; }
        static long sign(long r) { return r >= 0 ? 0 : r; }
        int main(void) {
            printf("x86_64 new=%ld old=%ld\\n", sys64(1000), sign(sys64(110)));
            printf("x32 new=%ld old=%ld\\n", sys64(0x40000000L | 1000), sign(sys64(0x40000000L | 110)));
            printf("i386 new=%ld old=%ld\\n", sys32(1000), sign(sys32(64)));
            return 0;
        }
        """

    @Test("a syscall newer than the profile gets ENOSYS on x86_64, x32 and i386; an older unlisted one the default errno",
          .enabled(if: cc != nil && FileManager.default.fileExists(atPath: unistd), "needs cc and the kernel headers"))
    func newerSyscallsGetEnosys() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.compile(t, "probe", Self.probe)
        // getppid (x86_64 110, i386 64) is the older syscall the profile leaves out.
        try t.setConfig("linux.seccomp", Self.profile(allowing: try Self.allowList(excluding: ["getppid"])))
        let lines = try t.output(["/bin/probe"]).split(separator: "\n").map(String.init)
        #expect(lines.contains("x86_64 new=-38 old=-1"), "\(lines)")
        #expect(lines.contains("x32 new=-38 old=-1"), "\(lines)")
        #expect(lines.contains("i386 new=-38 old=-1"), "\(lines)")
    }

    @Test("with defaultErrnoRet or an allowing default there is no ENOSYS stub",
          .enabled(if: cc != nil && FileManager.default.fileExists(atPath: unistd), "needs cc and the kernel headers"))
    func noStubWhenDefaultAllows() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.compile(t, "probe", Self.probe)
        var profile = Self.profile(allowing: try Self.allowList(excluding: ["getppid"]))
        profile["defaultErrnoRet"] = 38
        try t.setConfig("linux.seccomp", profile)
        #expect(try t.output(["/bin/probe"]).contains("x86_64 new=-38 old=-38"))
        try t.setConfig("linux.seccomp", ["defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                                          "syscalls": [["names": ["getppid"], "action": "SCMP_ACT_ERRNO"]]])
        // The kernel itself answers 1000 with ENOSYS; getppid is the rule's EPERM.
        #expect(try t.output(["/bin/probe"]).contains("x86_64 new=-38 old=-1"))
    }

    /// A profile without faccessat2 (nor the other stat/access calls) that ends above it, so
    /// faccessat2 gets the default EPERM rather than ENOSYS: the program must still be found
    /// through PATH and run.
    func runFoundInPath(noNewPrivileges: Bool) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.compile(t, "found-in-path", #"#include <stdio.h>\#nint main(void) { puts("ran"); return 0; }"#)
        let holes: Set<String> = ["faccessat2", "faccessat", "access", "newfstatat", "stat", "lstat", "statx", "fstat"]
        try t.setConfig("linux.seccomp", Self.profile(allowing: try Self.allowList(excluding: holes)))
        try t.setConfig("process.noNewPrivileges", noNewPrivileges)
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000])
        try t.setConfig("process.env", ["PATH=/usr/local/bin:/usr/bin:/bin"])
        try t.setConfig("process.capabilities", ["bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]])
        let result = try t.run(["found-in-path"])
        #expect(result.status == 0, "\(result)")
        #expect(result.out == "ran", "\(result)")
    }

    @Test("the PATH lookup does not run under a filter loaded after the user switch (noNewPrivileges)",
          .enabled(if: cc != nil && FileManager.default.fileExists(atPath: unistd), "needs cc and the kernel headers"))
    func lookupBeforeLateFilter() throws {
        try runFoundInPath(noNewPrivileges: true)
    }

    /// Without no_new_privs and CAP_SYS_ADMIN the filter must go in before the user switch;
    /// Petrel looks the program up first, as the container user (it used to fail with a
    /// false "executable file not found in $PATH").
    @Test("the PATH lookup does not run under a filter loaded before the user switch",
          .enabled(if: cc != nil && FileManager.default.fileExists(atPath: unistd), "needs cc and the kernel headers"),
          .enabled(if: !Harness.isRunc, "runc 1.1.5 does its own setup under the early filter and fails (unable to setup user: stat /dev/null: operation not permitted)"))
    func lookupBeforeEarlyFilter() throws {
        try runFoundInPath(noNewPrivileges: false)
    }

    @Test("the lookup before an early filter is made as the container user: a program only root may run is refused",
          .enabled(if: cc != nil && FileManager.default.fileExists(atPath: unistd), "needs cc and the kernel headers"))
    func lookupAsContainerUser() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try Self.compile(t, "root-only", #"int main(void) { return 0; }"#)
        chmod(t.rootfs + "/bin/root-only", 0o700)
        try t.setConfig("linux.seccomp", Self.profile(allowing: try Self.allowList(excluding: ["faccessat2"])))
        try t.setConfig("process.noNewPrivileges", false)
        try t.setConfig("process.user", ["uid": 1000, "gid": 1000])
        let result = try t.run(["root-only"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("permission denied"), "\(result.stderr)")
    }
}
