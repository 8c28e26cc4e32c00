import Foundation
import Testing

/// config-linux.md: "If a namespace type is not specified in the namespaces array, the
/// container MUST inherit the runtime namespace of that type." Without a mount namespace the
/// container shares the host's: petrel then makes no mount at all (specs/cli.md).
@Suite(Harness.enabled)
struct NoMountNamespace {
    /// The default bundle without a mount namespace and without anything that would mount.
    private func shareHostMounts(_ t: Sandbox) throws {
        try t.editNamespaces { $0.filter { $0["type"] as? String != "mount" } }
        try t.setConfig("mounts", [Any]())
        try t.setConfig("linux.maskedPaths", [String]())
        try t.setConfig("linux.readonlyPaths", [String]())
        try t.setConfig("root.readonly", false)
    }

    /// The host's mounts that mention the sandbox, and the line of "/" (its propagation).
    private func hostMounts(_ t: Sandbox) -> [String] {
        let lines = ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").split(separator: "\n")
        return lines.map(String.init).filter { line in
            let fields = line.split(separator: " ")
            return line.contains(t.dir) || (fields.count > 4 && fields[4] == "/")
        }
    }

    @Test("without a mount namespace the container runs chrooted in the runtime's, and no mount reaches the host",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 cannot start without /proc, and leaves its rootfs bind mounted on the host"))
    func inheritsMountNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try shareHostMounts(t)
        let before = hostMounts(t)
        let result = try t.run(["sh", "-c", "echo hi; ls /bin/busybox; ls /proc | wc -l"])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["hi", "/bin/busybox", "0"], "\(result)")
        #expect(result.stderr.contains("no mount namespace"), "a loud warning: \(result)")
        #expect(hostMounts(t) == before, "the host's mounts are unchanged")
    }

    @Test("without a mount namespace a failing create and a deleted created container leave no mount",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 cannot start without /proc, and leaves its rootfs bind mounted on the host"))
    func failingCreateLeavesNoMount() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try shareHostMounts(t)
        let before = hostMounts(t)
        try t.setArgs(["/no/such/program"])
        let failed = t.runtime(["run", "--bundle", t.bundle, t.newID("fail")])
        #expect(failed.status != 0, "\(failed)")
        #expect(hostMounts(t) == before)
        let id = try t.create(["sleep", "100"])
        #expect(hostMounts(t) == before)
        _ = t.runtime(["kill", id, "KILL"])
        let deleted = t.runtime(["delete", "--force", id])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(hostMounts(t) == before)
    }

    @Test("without a mount namespace masked and readonly paths are refused in runc's words")
    func maskedPathsRefused() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editNamespaces { $0.filter { $0["type"] as? String != "mount" } }
        let before = hostMounts(t)
        let result = try t.run(["true"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("unable to restrict sys entries without a private MNT namespace"), "\(result)")
        #expect(hostMounts(t) == before)
    }

    @Test("without a mount namespace mounts are refused, not made on the host",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 makes them in the host's mount namespace and leaves them there"))
    func mountsRefused() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try shareHostMounts(t)
        try t.addMount(destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        let before = hostMounts(t)
        let result = try t.run(["true"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("private mount namespace"), "\(result)")
        #expect(hostMounts(t) == before)
    }
}
