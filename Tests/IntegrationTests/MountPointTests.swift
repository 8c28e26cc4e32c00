import Foundation
import Testing

/// /proc and mount-point details that engines and other runtimes found (issue 12, items
/// 13 and 14): containers without /proc, --no-pivot and fresh procfs/sysfs mounts,
/// dangling symlinks as mount destinations.
@Suite(Harness.enabled)
struct MountPoints {
    private func dropMounts(_ t: Sandbox, _ destinations: Set<String>) throws {
        try t.editConfig { config in
            let mounts = config["mounts"] as? [[String: Any]] ?? []
            config["mounts"] = mounts.filter { !destinations.contains($0["destination"] as? String ?? "") }
        }
        // The default masked and readonly paths are all below /proc and /sys.
        try t.setConfig("linux.maskedPaths", [String]())
        try t.setConfig("linux.readonlyPaths", [String]())
    }

    private func addSysAdmin(_ t: Sandbox) throws {
        for set in ["bounding", "effective", "permitted"] {
            try t.editConfig { config in
                var process = config["process"] as? [String: Any] ?? [:]
                var caps = process["capabilities"] as? [String: Any] ?? [:]
                caps[set] = (caps[set] as? [String] ?? []) + ["CAP_SYS_ADMIN"]
                process["capabilities"] = caps
                config["process"] = process
            }
        }
    }

    @Test("a container without a /proc mount is created and started (the exec fifo is reopened through the host's procfs)",
          .enabled(if: !Harness.isRunc, "runc 1.1.5's init needs the container's /proc (it lists /proc/self/fd)"))
    func withoutProc() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try dropMounts(t, ["/proc"])
        try t.setConfig("root.readonly", false)
        let id = try t.create(["sh", "-c", "ls /proc > /proc-listing; echo started > /marker"])
        let start = t.runtime(["start", id])
        #expect(start.status == 0, "\(start)")
        #expect(t.waitForStatus(id, "stopped"))
        #expect((try? String(contentsOfFile: t.rootfs + "/marker", encoding: .utf8)) == "started\n")
        #expect((try? String(contentsOfFile: t.rootfs + "/proc-listing", encoding: .utf8)) == "", "/proc is the image's empty directory")
        _ = t.runtime(["delete", "--force", id])
    }

    /// With pivot_root the host's procfs and sysfs are gone from the container's mount
    /// namespace, and the kernel refuses a user namespace a new one. Under --no-pivot's chroot
    /// they stay there, and would let the container mount a fresh, unmasked one.
    @Test("--no-pivot in a user namespace: the container cannot mount a fresh procfs or sysfs",
          .enabled(if: !Harness.isRunc, "runc 1.1.5's init needs the container's /proc (it lists /proc/self/fd): this case cannot start there"),
          arguments: [false, true])
    func noPivotFreshProc(noPivot: Bool) throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace()
        try dropMounts(t, ["/proc", "/sys"])
        try addSysAdmin(t)
        let script = """
            mkdir -p /tmp/p /tmp/s; \
            mount -t proc proc /tmp/p 2>/dev/null && echo proc-mounted || echo proc-refused; \
            mount -t sysfs sysfs /tmp/s 2>/dev/null && echo sysfs-mounted || echo sysfs-refused
            """
        let result = try t.run(["sh", "-c", script], extra: noPivot ? ["--no-pivot"] : [])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["proc-refused", "sysfs-refused"], "\(result)")
    }

    @Test("--no-pivot in a user namespace with its own /proc and /sys still works")
    func noPivotUserNamespace() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace()
        let out = try t.output(["sh", "-c", "cat /proc/self/uid_map | tr -s ' '; ls /sys/kernel >/dev/null && echo sys"], extra: ["--no-pivot"])
        #expect(out.split(separator: "\n").map(String.init) == [" 0 100000 65536", "sys"], "\(out)")
    }

    @Test("a mount destination that is a dangling absolute symlink: its target is created inside the rootfs and mounted")
    func danglingAbsoluteLink() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: t.rootfs + "/danglink", withDestinationPath: "/made/here")
        t.onCleanup { try? fm.removeItem(atPath: t.rootfs + "/danglink"); try? fm.removeItem(atPath: t.rootfs + "/made") }
        try t.addMount(destination: "/danglink", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        let out = try t.output(["sh", "-c", "grep -c ' /made/here tmpfs ' /proc/mounts; readlink /danglink"])
        #expect(out.split(separator: "\n").map(String.init) == ["1", "/made/here"], "\(out)")
        #expect(fm.fileExists(atPath: t.rootfs + "/made/here"))
    }

    @Test("a bind-mounted file onto a dangling relative symlink lands on its target")
    func danglingRelativeLink() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: t.rootfs + "/links", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: t.rootfs + "/links/conf", withDestinationPath: "../targets/conf")
        t.onCleanup { try? fm.removeItem(atPath: t.rootfs + "/links"); try? fm.removeItem(atPath: t.rootfs + "/targets") }
        let source = try t.hostDir("files") + "/conf"
        try "bound\n".write(toFile: source, atomically: false, encoding: .utf8)
        try t.addMount(destination: "/links/conf", type: "bind", source: source, options: ["bind", "ro"])
        #expect(try t.output(["cat", "/links/conf", "/targets/conf"]) == "bound\nbound")
    }

    @Test("a dangling symlink destination pointing out of the rootfs is created inside it, never on the host")
    func danglingLinkOutOfRoot() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let fm = FileManager.default
        let token = "escape-" + Harness.randomToken()
        try fm.createSymbolicLink(atPath: t.rootfs + "/out", withDestinationPath: "../../../../../../../tmp/" + token)
        t.onCleanup { try? fm.removeItem(atPath: t.rootfs + "/out"); try? fm.removeItem(atPath: t.rootfs + "/tmp/" + token) }
        try t.addMount(destination: "/out", type: "tmpfs", source: "tmpfs", options: ["size=1m"])
        let result = try t.run(["sh", "-c", "grep -c ' /tmp/\(token) tmpfs ' /proc/mounts"])
        #expect(result.status == 0 && result.out == "1", "\(result)")
        #expect(!fm.fileExists(atPath: "/tmp/" + token), "nothing created on the host")
        #expect(fm.fileExists(atPath: t.rootfs + "/tmp/" + token))
    }

    @Test("a user-namespaced container bind-mounts a source under a 0700 directory of the host's root")
    func userNamespaceUnreachableSource() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.useUserNamespace()
        let locked = try t.hostDir("locked")
        try FileManager.default.createDirectory(atPath: locked + "/data", withIntermediateDirectories: true)
        try "behind 0700\n".write(toFile: locked + "/data/file", atomically: false, encoding: .utf8)
        chmod(locked, 0o700)
        try t.addMount(destination: "/data", type: "bind", source: locked + "/data", options: ["rbind", "ro"])
        let result = try t.run(["sh", "-c", "cat /data/file; touch /data/x || echo refused"])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["behind 0700", "refused"], "\(result)")
    }

    @Test("a read-only /dev tmpfs gets its submounts, devices and links first, then is read-only")
    func readonlyDev() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.editConfig { config in
            var mounts = config["mounts"] as? [[String: Any]] ?? []
            for index in mounts.indices where mounts[index]["destination"] as? String == "/dev" {
                mounts[index]["options"] = (mounts[index]["options"] as? [String] ?? []) + ["ro"]
            }
            config["mounts"] = mounts
        }
        let script = """
            grep -E ' /dev (tmpfs|devpts) ' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1;             grep -c ' /dev/pts devpts ' /proc/mounts; grep -c ' /dev/shm ' /proc/mounts;             test -c /dev/null && echo null; readlink /dev/fd; touch /dev/x 2>/dev/null || echo refused
            """
        let result = try t.run(["sh", "-c", script])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["/dev ro", "1", "1", "null", "/proc/self/fd", "refused"], "\(result)")
    }
}
