import Foundation
import Testing

/// The mount options engines pass (podman's tmpcopyup, runc's recursive r* options, the
/// rest of runc's option table) and tmpfs details runc and crun share. Issue 12, item 6/13.
@Suite(Harness.enabled)
struct EngineMountOptions {
    /// A host tmpfs mounted at `path` (a submount for the recursive options), unmounted at cleanup.
    private func hostTmpfs(_ t: Sandbox, at path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard host("/bin/mount", ["-t", "tmpfs", "tmpfs", path], ioDirectory: t.dir).succeeded else {
            throw HarnessError.setup("cannot mount a tmpfs at \(path)")
        }
        t.onCleanup { _ = host("/bin/umount", ["-l", path], ioDirectory: t.dir) }
    }

    /// A directory of the image with a file, a subdirectory, a symlink and distinct owners and modes.
    private func imageDirectory(_ t: Sandbox, _ name: String) throws {
        let base = t.rootfs + "/" + name
        let fm = FileManager.default
        try fm.createDirectory(atPath: base + "/sub", withIntermediateDirectories: true)
        try "image file\n".write(toFile: base + "/file", atomically: false, encoding: .utf8)
        try "nested\n".write(toFile: base + "/sub/inner", atomically: false, encoding: .utf8)
        try fm.createSymbolicLink(atPath: base + "/link", withDestinationPath: "file")
        chown(base + "/file", 1000, 1001)
        chmod(base + "/file", 0o604)
        chmod(base + "/sub", 0o750)
        chmod(base, 0o751)
        t.onCleanup { try? fm.removeItem(atPath: base) }
    }

    @Test("tmpcopyup: the tmpfs starts with a copy of the directory it covers (podman --read-only, --tmpfs)")
    func tmpcopyup() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try imageDirectory(t, "covered")
        try t.addMount(destination: "/covered", type: "tmpfs", source: "tmpfs", options: ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"])
        let script = """
            grep -q ' /covered tmpfs ' /proc/mounts && echo tmpfs; \
            cat /covered/file /covered/sub/inner; readlink /covered/link; \
            stat -c '%a %u:%g' /covered /covered/file /covered/sub; \
            echo new > /covered/new && cat /covered/new
            """
        let result = try t.run(["sh", "-c", script])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["tmpfs", "image file", "nested", "file", "751 0:0", "604 1000:1001", "750 0:0", "new"], "\(result)")
        #expect(!FileManager.default.fileExists(atPath: t.rootfs + "/covered/new"), "writes land in the tmpfs, not in the image")
    }

    @Test("tmpcopyup with ro: the copy is there and the tmpfs is read-only")
    func tmpcopyupReadonly() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try imageDirectory(t, "covered")
        try t.addMount(destination: "/covered", type: "tmpfs", source: "tmpfs", options: ["ro", "tmpcopyup"])
        let result = try t.run(["sh", "-c", "cat /covered/file; touch /covered/new || echo refused"])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["image file", "refused"], "\(result)")
    }

    @Test("tmpcopyup over a directory that does not exist yet: an empty tmpfs")
    func tmpcopyupMissing() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.addMount(destination: "/not/there", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"])
        #expect(try t.output(["sh", "-c", "ls -A /not/there; echo x > /not/there/f && cat /not/there/f"]) == "x")
    }

    @Test("tmpcopyup is refused by name on a bind mount, never passed to mount(2)",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 ignores the extension on a bind mount"))
    func tmpcopyupOnBind() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.addMount(destination: "/b", type: "bind", source: try t.hostDir("b"), options: ["rbind", "tmpcopyup"])
        let result = try t.run(["true"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("tmpcopyup"), "\(result)")
    }

    @Test("rro: an rbind and every submount are read-only")
    func recursiveReadonly() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try t.hostDir("tree")
        try hostTmpfs(t, at: source + "/sub")
        try t.addMount(destination: "/tree", type: "bind", source: source, options: ["rbind", "rro"])
        let result = try t.run(["sh", "-c", "touch /tree/a || echo top-refused; touch /tree/sub/b || echo sub-refused"])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["top-refused", "sub-refused"], "\(result)")
        #expect(!FileManager.default.fileExists(atPath: source + "/sub/b"))
    }

    @Test("plain ro on an rbind leaves submounts writable (runc's meaning); rro covers them")
    func readonlyIsNotRecursive() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try t.hostDir("tree")
        try hostTmpfs(t, at: source + "/sub")
        try t.addMount(destination: "/tree", type: "bind", source: source, options: ["rbind", "ro"])
        let result = try t.run(["sh", "-c", "touch /tree/a || echo top-refused; touch /tree/sub/b && echo sub-written"])
        #expect(result.lines == ["top-refused", "sub-written"], "\(result)")
    }

    @Test("rnosuid, rnodev, rnoexec, rnoatime reach the submounts")
    func recursiveFlags() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try t.hostDir("tree")
        try hostTmpfs(t, at: source + "/sub")
        try t.addMount(destination: "/tree", type: "bind", source: source, options: ["rbind", "rnosuid", "rnodev", "rnoexec", "rnoatime"])
        let out = try t.output(["sh", "-c", "grep ' /tree/sub ' /proc/self/mountinfo"])
        let options = out.split(separator: " ").count > 5 ? out.split(separator: " ")[5].split(separator: ",").map(String.init) : []
        for flag in ["nosuid", "nodev", "noexec", "noatime"] {
            #expect(options.contains(flag), "\(flag) on the submount: \(out)")
        }
    }

    @Test("rrw undoes rro, rrelatime after rnoatime gives relatime",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 collects set and clear bits apart, so rro,rrw stays read-only"))
    func recursiveClear() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try t.hostDir("tree")
        try hostTmpfs(t, at: source + "/sub")
        try t.addMount(destination: "/tree", type: "bind", source: source, options: ["rbind", "rro", "rrw", "rnoatime", "rrelatime"])
        let out = try t.output(["sh", "-c", "touch /tree/sub/b && echo written; grep ' /tree/sub ' /proc/self/mountinfo"])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "written", "\(out)")
        #expect(lines.count == 2 && lines[1].contains("relatime") && !lines[1].contains("noatime"), "\(out)")
    }

    @Test("runc's flag options that are not filesystem data (defaults, acl/noacl) are not given to tmpfs as data")
    func flagOptionsNotData() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        // runc 1.1.5 does not know `defaults` yet (it passes it as data: EINVAL); later runc does.
        let defaults = Harness.isRunc ? [] : ["defaults"]
        try t.addMount(destination: "/scratch", type: "tmpfs", source: "tmpfs", options: defaults + ["noacl", "nosuid", "size=1m"])
        let out = try t.output(["sh", "-c", "grep ' /scratch ' /proc/mounts"])
        #expect(out.contains("size=1024k") && out.contains("nosuid"), "\(out)")
    }

    @Test("a tmpfs over an existing directory keeps its mode when mode= is not given (as runc)")
    func tmpfsKeepsMode() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try FileManager.default.createDirectory(atPath: t.rootfs + "/kept", withIntermediateDirectories: true)
        chmod(t.rootfs + "/kept", 0o750)
        t.onCleanup { try? FileManager.default.removeItem(atPath: t.rootfs + "/kept") }
        try t.addMount(destination: "/kept", type: "tmpfs", source: "tmpfs", options: ["nosuid"])
        try t.addMount(destination: "/fresh", type: "tmpfs", source: "tmpfs", options: ["nosuid"])
        let out = try t.output(["sh", "-c", "stat -c %a /kept /fresh; grep -c ' /kept tmpfs ' /proc/mounts"])
        #expect(out.split(separator: "\n").map(String.init) == ["750", "1777", "1"], "\(out)")
    }

    @Test("a tmpfs with mode= over an existing directory takes the given mode",
          .enabled(if: !Harness.isRunc, "runc 1.1.5 chmods the tmpfs to the covered directory's mode even with mode="))
    func tmpfsModeOption() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try FileManager.default.createDirectory(atPath: t.rootfs + "/kept", withIntermediateDirectories: true)
        chmod(t.rootfs + "/kept", 0o750)
        t.onCleanup { try? FileManager.default.removeItem(atPath: t.rootfs + "/kept") }
        try t.addMount(destination: "/kept", type: "tmpfs", source: "tmpfs", options: ["mode=1777"])
        #expect(try t.output(["stat", "-c", "%a", "/kept"]) == "1777")
    }
}
