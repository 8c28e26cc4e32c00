import Foundation
import Testing

@Suite(.enabled(if: Runtime.available, "needs root and a built runtime (PETREL_BIN)"))
struct FilesystemTests {
    func addMount(_ box: Sandbox, _ mount: [String: Any]) throws {
        try box.edit { config in
            var mounts = config["mounts"] as? [[String: Any]] ?? []
            mounts.append(mount)
            config["mounts"] = mounts
        }
    }

    @Test func procAndDefaultDevices() throws {
        let box = try Sandbox([
            "sh", "-c",
            "cat /proc/self/stat >/dev/null && echo proc; for d in null zero full random urandom tty; do stat -c '%n %F %t:%T' /dev/$d; done; for l in fd stdin ptmx; do readlink /dev/$l; done",
        ])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == [
            "proc",
            "/dev/null character special file 1:3", "/dev/zero character special file 1:5",
            "/dev/full character special file 1:7", "/dev/random character special file 1:8",
            "/dev/urandom character special file 1:9", "/dev/tty character special file 5:0",
            "/proc/self/fd", "/proc/self/fd/0", "pts/ptmx",
        ])
    }

    @Test func linuxDevicesAreCreated() throws {
        let box = try Sandbox(["stat", "-c", "%F %t:%T %a %u:%g", "/dev/fuse"])
        try box.edit { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            linux["devices"] = [["path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o640, "uid": 1, "gid": 2]]
            config["linux"] = linux
        }
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "character special file a:e5 640 1:2\n")
    }

    @Test func bindMountsReadWriteAndReadOnly() throws {
        let box = try Sandbox(["sh", "-c", "cat /data/file; echo new > /data/created && echo rw-ok; echo x > /ro/x || echo ro-refused"])
        let host = box.dir + "/host-data"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try "from host\n".write(toFile: host + "/file", atomically: true, encoding: .utf8)
        try addMount(box, ["destination": "/data", "type": "bind", "source": host, "options": ["rbind", "rw"]])
        try addMount(box, ["destination": "/ro", "type": "bind", "source": host, "options": ["bind", "ro"]])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == ["from host", "rw-ok", "ro-refused"])
        #expect(FileManager.default.fileExists(atPath: host + "/created"))
        #expect(!FileManager.default.fileExists(atPath: host + "/x"))
    }

    @Test func tmpfsWithOptions() throws {
        let box = try Sandbox(["sh", "-c", "grep ' /scratch ' /proc/mounts"])
        try addMount(box, ["destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m", "mode=700"]])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tmpfs /scratch tmpfs"))
        #expect(result.stdout.contains("nosuid"))
        #expect(result.stdout.contains("size=1024k"))
        #expect(result.stdout.contains("mode=700"))
    }

    @Test(arguments: [true, false])
    func rootReadonly(readonly: Bool) throws {
        let box = try Sandbox(["sh", "-c", "touch /x && echo wrote || echo refused"])
        try box.edit { config in config[path: "root", "readonly"] = readonly }
        let result = box.run()
        #expect(result.stdout == (readonly ? "refused\n" : "wrote\n"))
    }

    @Test func absoluteRootPathAndNoPivot() throws {
        let box = try Sandbox(["sh", "-c", "cat /etc/hostname-marker"])
        try "marker\n".write(toFile: box.bundle + "/rootfs/etc/hostname-marker", atomically: true, encoding: .utf8)
        try box.edit { config in config[path: "root", "path"] = box.bundle + "/rootfs" }
        #expect(box.run().stdout == "marker\n")
        #expect(box.run(["--no-pivot"]).stdout == "marker\n")
    }

    @Test(arguments: ["private", "rslave", "shared"])
    func rootfsPropagation(_ propagation: String) throws {
        let box = try Sandbox(["sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"])
        try box.edit { config in config[path: "linux", "rootfsPropagation"] = propagation }
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        if propagation == "shared" && !Runtime.isRunc { #expect(result.stdout.contains("shared:")) }
        if propagation == "private" { #expect(!result.stdout.contains("shared:")) }
    }

    @Test func maskedAndReadonlyPaths() throws {
        let box = try Sandbox([
            "sh", "-c", "cat /etc/secret; echo; ls /etc/secrets | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid || echo sys-ro; touch /etc/locked/x || echo locked",
        ])
        let rootfs = box.bundle + "/rootfs"
        try "password\n".write(toFile: rootfs + "/etc/secret", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: rootfs + "/etc/secrets/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: rootfs + "/etc/locked", withIntermediateDirectories: true)
        try box.edit { config in
            var masked = config[path: "linux", "maskedPaths"] as? [String] ?? []
            masked += ["/etc/secret", "/etc/secrets", "/does/not/exist"]
            config[path: "linux", "maskedPaths"] = masked
            var readonly = config[path: "linux", "readonlyPaths"] as? [String] ?? []
            readonly += ["/etc/locked"]
            config[path: "linux", "readonlyPaths"] = readonly
            config[path: "root", "readonly"] = false
        }
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\n0\nsys-ro\nlocked\n")
    }

    @Test func aMountDestinationSymlinkStaysInsideTheRootfs() throws {
        // CVE-2021-30465 class: /escape -> /etc in the rootfs must mean rootfs/etc.
        let box = try Sandbox(["sh", "-c", "cat /etc/planted"])
        try FileManager.default.createSymbolicLink(atPath: box.bundle + "/rootfs/escape", withDestinationPath: "/etc")
        let host = box.dir + "/payload"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try "inside\n".write(toFile: host + "/planted", atomically: true, encoding: .utf8)
        try addMount(box, ["destination": "/escape", "type": "bind", "source": host, "options": ["bind"]])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "inside\n")
        #expect(!FileManager.default.fileExists(atPath: "/etc/planted"))
    }

    @Test func noHostFdOrCwdLeaksIn() throws {
        // CVE-2024-21626 class: only 0, 1, 2 (and the directory ls itself opens).
        let box = try Sandbox(["sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; echo; pwd"])
        let result = box.run()
        #expect(result.status == 0, "\(result.stderr)")
        let fds = result.lines.first?.split(separator: " ").compactMap { Int($0) } ?? []
        #expect(fds.filter { $0 > 3 }.isEmpty, "fds: \(fds)")
        #expect(result.lines.last == "/")
    }

    @Test func aCwdThroughAnFdIsRefused() throws {
        let box = try Sandbox(["pwd"])
        try box.edit { config in config[path: "process", "cwd"] = "/proc/self/fd/7" }
        let result = box.run()
        #expect(result.status != 0)
    }
}
