import Foundation
import Testing

/// Mounts, devices, the root file system, masked and readonly paths.
@Suite(Harness.enabled)
struct Filesystem {
    @Test("/proc is mounted and shows the container's pid namespace")
    func procMounted() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", "cat /proc/self/stat; grep -c '^proc /proc proc ' /proc/mounts"])
        let lines = out.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(out)")
        let stat = lines[0].split(separator: " ")
        #expect(stat.count > 4 && stat[1] == "(cat)", "\(lines[0])")
        #expect(stat.count > 4 && stat[3] == "1", "the parent of cat is pid 1: \(lines[0])")
        #expect(lines[1] == "1", "one proc mount on /proc")
    }

    @Test("default devices are character devices with the right numbers")
    func defaultDevices() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let devices = ["null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8", "urandom": "1:9", "tty": "5:0"]
        let names = devices.keys.sorted()
        let out = try t.output(["stat", "-c", "%n %F %t:%T %a"] + names.map { "/dev/" + $0 })
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == names.count, "\(out)")
        for (name, line) in zip(names, lines) {
            #expect(line == "/dev/\(name) character special file \(devices[name]!) 666", "\(line)")
        }
        #expect(try t.output(["sh", "-c", "echo hi > /dev/null && head -c 4 /dev/zero | wc -c"]) == "4")
    }

    @Test("/dev/ptmx, /dev/pts, /dev/fd and the stdio links")
    func devLinks() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", """
            test -e /dev/ptmx && echo ptmx
            test -c /dev/pts/ptmx && echo pts
            readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr
            ls /dev/fd/ >/dev/null && echo fd-ok
            """])
        #expect(out.split(separator: "\n").map(String.init) == [
            "ptmx", "pts", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "fd-ok",
        ])
    }

    @Test("/dev/shm and /dev/mqueue from the default spec")
    func devMounts() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", "cut -d' ' -f2,3 /proc/mounts"])
        let mounts = Set(out.split(separator: "\n").map(String.init))
        for expected in ["/dev tmpfs", "/dev/pts devpts", "/dev/shm tmpfs", "/dev/mqueue mqueue", "/sys sysfs"] {
            #expect(mounts.contains(expected), "\(expected) not in \(mounts.sorted())")
        }
    }

    @Test("a bind mount of a host directory (destination created)")
    func bindMount() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try t.hostDir("data")
        try "from host\n".write(toFile: source + "/file", atomically: false, encoding: .utf8)
        try t.addBind(source, at: "/mnt/deep/data")
        let out = try t.output(["sh", "-c", "cat /mnt/deep/data/file; echo from container > /mnt/deep/data/back"])
        #expect(out == "from host")
        let back = try? String(contentsOfFile: source + "/back", encoding: .utf8)
        #expect(back == "from container\n", "a writable bind writes through to the host")
    }

    @Test("a bind mount of a single file")
    func bindFile() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try t.hostDir("files") + "/greeting"
        try "hello file\n".write(toFile: source, atomically: false, encoding: .utf8)
        try t.addBind(source, at: "/etc/greeting")
        #expect(try t.output(["cat", "/etc/greeting"]) == "hello file")
    }

    @Test("a readonly bind mount rejects writes")
    func readonlyBind() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let source = try t.hostDir("ro")
        try "keep\n".write(toFile: source + "/file", atomically: false, encoding: .utf8)
        try t.addBind(source, at: "/ro", readonly: true)
        let result = try t.run(["sh", "-c", "cat /ro/file; echo changed > /ro/file || echo write-failed; touch /ro/new || echo touch-failed"])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["keep", "write-failed", "touch-failed"], "\(result)")
        #expect(result.stderr.contains("Read-only file system"), "\(result)")
        #expect((try? String(contentsOfFile: source + "/file", encoding: .utf8)) == "keep\n")
        #expect(!FileManager.default.fileExists(atPath: source + "/new"))
    }

    @Test("a tmpfs mount with a size option")
    func tmpfsMount() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.addMount(destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "size=1m", "mode=1777"])
        let out = try t.output(["sh", "-c", "grep ' /scratch ' /proc/mounts; stat -c %a /scratch; echo x > /scratch/f && cat /scratch/f"])
        let lines = out.split(separator: "\n").map(String.init)
        try #require(lines.count == 3, "\(out)")
        let fields = lines[0].split(separator: " ").map(String.init)
        #expect(fields.count >= 4 && fields[2] == "tmpfs", "\(lines[0])")
        let options = fields.count >= 4 ? fields[3].split(separator: ",").map(String.init) : []
        #expect(options.contains("size=1024k"), "\(lines[0])")
        #expect(options.contains("nosuid") && options.contains("nodev"), "\(lines[0])")
        #expect(lines[1] == "1777")
        #expect(lines[2] == "x")
    }

    @Test("root.readonly true: the root file system is readonly")
    func readonlyRoot() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("root.readonly", true)
        let result = try t.run(["touch", "/x"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("Read-only file system"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: t.rootfs + "/x"))
        // The mounts on top of it stay writable.
        #expect(try t.output(["sh", "-c", "echo ok > /dev/shm/f && cat /dev/shm/f"]) == "ok")
    }

    @Test("root.readonly false: the root file system is writable")
    func writableRoot() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("root.readonly", false)
        let result = try t.run(["touch", "/x"])
        #expect(result.status == 0, "\(result)")
        #expect(FileManager.default.fileExists(atPath: t.rootfs + "/x"), "the file lands in the bundle's rootfs")
    }

    @Test("linux.rootfsPropagation private is accepted")
    func rootfsPropagationPrivate() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("linux.rootfsPropagation", "private")
        #expect(try t.output(["echo", "ok"]) == "ok")
    }

    @Test("run --no-pivot works")
    func noPivot() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", "echo ok; ls /"], extra: ["--no-pivot"])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "ok")
        #expect(lines.contains("bin") && lines.contains("proc") && !lines.contains("bundle"), "\(lines)")
    }

    @Test("root.path may be absolute")
    func absoluteRootPath() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try t.setConfig("root.path", t.rootfs)
        try t.setArgs(["sleep", "100"])
        let id = t.newID()
        let created = t.runtime(["create", "--bundle", t.bundle, id])
        try #require(created.status == 0, "\(created)")
        #expect((try t.state(id))["rootfs"] as? String == t.rootfs)
        #expect(try t.output(["cat", "/etc/passwd"]).hasPrefix("root:x:0:0:"))
    }

    @Test("root.path relative to the bundle (the default) also names a renamed directory")
    func relativeRootPath() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        try FileManager.default.moveItem(atPath: t.rootfs, toPath: t.bundle + "/other-root")
        try t.setConfig("root.path", "other-root")
        #expect(try t.output(["hostname"]) == "petrel")
    }

    @Test("masked paths: existing default masked paths read empty, extra ones too")
    func maskedPaths() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: t.rootfs + "/srv/secret-dir", withIntermediateDirectories: true)
        try "secret\n".write(toFile: t.rootfs + "/srv/secret-dir/inner", atomically: false, encoding: .utf8)
        try "secret\n".write(toFile: t.rootfs + "/srv/secret-file", atomically: false, encoding: .utf8)
        try t.editConfig { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            linux["maskedPaths"] = (linux["maskedPaths"] as? [String] ?? []) + ["/srv/secret-dir", "/srv/secret-file", "/srv/not-there"]
            config["linux"] = linux
        }
        // Default masked paths that exist on this kernel: a masked file reads empty, a masked
        // directory lists empty.
        let defaults = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/acpi",
                        "/proc/scsi", "/sys/firmware"].filter { fm.fileExists(atPath: $0) }
        let probe = (defaults + ["/srv/secret-dir", "/srv/secret-file"]).map { path in
            "if [ -d \(path) ]; then echo \"\(path) $(ls -A \(path) | wc -l)\"; else echo \"\(path) $(cat \(path) | wc -c)\"; fi"
        }.joined(separator: "\n")
        let out = try t.output(["sh", "-c", probe])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == defaults.count + 2, "\(out)")
        for line in lines {
            #expect(line.hasSuffix(" 0"), "masked path not empty: \(line)")
        }
        // Writes to a masked file never reach the file (runc masks files with /dev/null).
        _ = try t.run(["sh", "-c", "echo x > /srv/secret-file; touch /srv/secret-dir/new"])
        #expect((try? String(contentsOfFile: t.rootfs + "/srv/secret-file", encoding: .utf8)) == "secret\n")
        #expect(!fm.fileExists(atPath: t.rootfs + "/srv/secret-dir/new"))
    }

    @Test("/proc/kcore is masked (default spec)", .enabled(if: FileManager.default.fileExists(atPath: "/proc/kcore"), "this kernel has no /proc/kcore"))
    func kcoreMasked() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        #expect(try t.output(["sh", "-c", "cat /proc/kcore | wc -c"]) == "0")
    }

    @Test("readonly paths: /proc/sys is readonly (default spec)")
    func readonlyPaths() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let result = try t.run(["sh", "-c", "grep ' /proc/sys ' /proc/mounts; echo x > /proc/sys/kernel/hostname"])
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("Read-only file system"), "\(result)")
        let fields = result.lines.first?.split(separator: " ").map(String.init) ?? []
        #expect(fields.count >= 4 && fields[3].split(separator: ",").contains("ro"), "\(result)")
    }

    @Test("/sys is readonly (default spec mount options)")
    func sysReadonly() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let out = try t.output(["sh", "-c", "grep ' /sys sysfs ' /proc/mounts"])
        let fields = out.split(separator: " ").map(String.init)
        #expect(fields.count >= 4 && fields[3].split(separator: ",").contains("ro"), "\(out)")
    }
}
