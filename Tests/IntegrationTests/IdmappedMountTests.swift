import Foundation
import Testing

/// runtime-spec 1.2 id-mapped mounts: the `idmap`/`ridmap` options and uidMappings /
/// gidMappings on a bind mount, checked through file owners seen from inside.
@Suite(Harness.enabled, .enabled(if: !Harness.isRunc, "runc 1.1 has no idmap/ridmap options"))
struct IdmappedMounts {
    /// A host directory with a root-owned file and a file owned by 1000:1000.
    private func sourceDir(_ t: Sandbox) throws -> String {
        chmod(t.dir, 0o755)
        let source = try t.hostDir("data")
        chmod(t.dir + "/host", 0o755)
        try "root\n".write(toFile: source + "/root-file", atomically: false, encoding: .utf8)
        try "user\n".write(toFile: source + "/user-file", atomically: false, encoding: .utf8)
        chown(source + "/user-file", 1000, 1000)
        chmod(source, 0o777)
        return source
    }

    /// Skips (with the reason) where the kernel or the file system under /tmp cannot idmap.
    private func supported(_ result: Output) -> Bool {
        if result.status != 0, result.stderr.contains("does not support id-mapped mounts") {
            withKnownIssue("the file system under /tmp cannot be id-mapped here: \(result.stderr)") { throw Skip() }
            return false
        }
        return true
    }
    private struct Skip: Error {}

    private func addMount(_ t: Sandbox, source: String, options: [String], uid: [[String: Int]]? = nil, gid: [[String: Int]]? = nil) throws {
        try t.editConfig { config in
            var mounts = config["mounts"] as? [Any] ?? []
            var mount: [String: Any] = ["destination": "/data", "type": "bind", "source": source, "options": options]
            if let uid { mount["uidMappings"] = uid }
            if let gid { mount["gidMappings"] = gid }
            mounts.append(mount)
            config["mounts"] = mounts
        }
    }

    @Test("mount uidMappings/gidMappings shift owners without a user namespace")
    func explicitMappings() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try sourceDir(t)
        // On-disk 0 is shown as 1000/2000, on-disk 1000 as 5000/6000.
        try addMount(t, source: source, options: ["bind", "idmap"],
                     uid: [["containerID": 0, "hostID": 1000, "size": 1], ["containerID": 1000, "hostID": 5000, "size": 1]],
                     gid: [["containerID": 0, "hostID": 2000, "size": 1], ["containerID": 1000, "hostID": 6000, "size": 1]])
        let result = try t.run(["stat", "-c", "%n %u:%g", "/data/root-file", "/data/user-file"])
        guard supported(result) else { return }
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["/data/root-file 1000:2000", "/data/user-file 5000:6000"], "\(result)")
        // The host's view is unchanged.
        let attributes = try FileManager.default.attributesOfItem(atPath: source + "/root-file")
        #expect(attributes[.ownerAccountID] as? Int == 0)
    }

    @Test("idmap without mappings uses the container's user namespace mappings")
    func containerMappings() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try sourceDir(t)
        try t.useUserNamespace()
        try addMount(t, source: source, options: ["bind", "idmap"])
        let result = try t.run(["sh", "-c", "stat -c '%n %u:%g' /data/root-file /data/user-file; echo made > /data/new; stat -c '%u' /data/new"])
        guard supported(result) else { return }
        #expect(result.status == 0, "\(result)")
        // Without the idmap root-file would show as the overflow id 65534.
        #expect(result.lines == ["/data/root-file 0:0", "/data/user-file 1000:1000", "0"], "\(result)")
        // Container root writes files that root owns on the host's disk.
        let attributes = try FileManager.default.attributesOfItem(atPath: source + "/new")
        #expect(attributes[.ownerAccountID] as? Int == 0)
    }

    @Test("ridmap maps the submounts of an rbind too; idmap only the top")
    func recursiveIdmap() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try sourceDir(t)
        let inner = try t.hostDir("inner")
        try "inner\n".write(toFile: inner + "/inner-file", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
        #expect(host("/bin/mount", ["--bind", inner, source + "/sub"], ioDirectory: t.dir).succeeded)
        t.onCleanup { _ = host("/bin/umount", ["-l", source + "/sub"], ioDirectory: t.dir) }
        let mapping = [["containerID": 0, "hostID": 1000, "size": 1]]
        try addMount(t, source: source, options: ["rbind", "ridmap"], uid: mapping, gid: mapping)
        try t.editConfig { config in
            var mounts = config["mounts"] as? [[String: Any]] ?? []
            var second = mounts[mounts.count - 1]
            second["destination"] = "/top-only"
            second["options"] = ["rbind", "idmap"]
            mounts.append(second)
            config["mounts"] = mounts
        }
        let result = try t.run(["stat", "-c", "%n %u", "/data/root-file", "/data/sub/inner-file", "/top-only/root-file", "/top-only/sub/inner-file"])
        guard supported(result) else { return }
        #expect(result.status == 0, "\(result)")
        // Unmapped ids show as the overflow uid 65534 through an id-mapped mount.
        #expect(result.lines == ["/data/root-file 1000", "/data/sub/inner-file 1000", "/top-only/root-file 1000", "/top-only/sub/inner-file 0"], "\(result)")
    }

    @Test("bad id-mapped mounts are clear errors and leave nothing", arguments: [
        ("tmpfs", ["idmap"], true, "only supported for bind mounts"),
        ("bind", ["bind", "idmap"], false, "needs linux.uidMappings"),
        ("bind-uid-only", ["bind"], true, "must be given together"),
    ])
    func badInput(kind: String, options: [String], withMappings: Bool, message: String) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try sourceDir(t)
        let mapping = [["containerID": 0, "hostID": 1000, "size": 1]]
        if kind == "tmpfs" {
            try t.editConfig { config in
                var mounts = config["mounts"] as? [Any] ?? []
                mounts.append(["destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": options,
                               "uidMappings": mapping, "gidMappings": mapping])
                config["mounts"] = mounts
            }
        } else if kind == "bind-uid-only" {
            try addMount(t, source: source, options: options, uid: mapping)
        } else {
            try addMount(t, source: source, options: options)
        }
        let id = t.newID()
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        #expect(result.status != 0)
        #expect(result.stderr.contains("mounts[") && result.stderr.contains(message), "\(result)")
        #expect(!t.hasStateDir(id))
    }
}
