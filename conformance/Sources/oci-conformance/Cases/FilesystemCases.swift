import ConformanceKit
import Glibc

/// config.md "Root", "Mounts"; config-linux.md "Rootfs Mount Propagation", "Masked Paths",
/// "Readonly Paths", "Default Filesystems"; runtime-linux.md "Dev symbolic links".
enum FilesystemCases {
    /// A host directory with one file, to bind into the container; records its dev:ino.
    static func bindSource(_ f: inout Fixture, _ name: String, destination: String) throws -> String {
        let source = "\(f.dir)/\(name)"
        mkdir(source, 0o755)
        try writeFile(source + "/marker", name)
        var st = stat()
        stat(source, &st)
        f.expect[path: "bindSources"] = f.expect["bindSources"].isNull ? [:] : f.expect["bindSources"]
        var sources = f.expect["bindSources"].object ?? [:]
        sources[destination] = .string("\(st.st_dev):\(st.st_ino)")
        f.expect["bindSources"] = .object(sources)
        return source
    }

    /// Limits the "mounts" check to the mounts the case added.
    static func onlyCheck(_ f: inout Fixture, _ destinations: [String]) {
        f.expect["checkMounts"] = .strings(destinations)
    }

    static func addMount(_ f: inout Fixture, _ destination: String, type: String, source: String, options: [String]) {
        f.config.append(path: "mounts", [
            "destination": .string(destination), "type": .string(type), "source": .string(source),
            "options": .strings(options),
        ])
    }

    static func rootfsPropagation(_ value: String) -> Case {
        .inside("filesystem.rootfs-propagation-\(value)", "rootfsPropagation \(value), the rootfs on a shared host mount",
                spec: "config-linux.md Rootfs Mount Propagation: `rootfsPropagation` \"sets the rootfs's mount propagation\" (\(value))",
                checks: ["rootfs-propagation"]) { f in
            f.config[path: "linux.rootfsPropagation"] = .string(value)
            // On a shared mount, each value gives a different / (a host whose / is private
            // would let a runtime that does nothing pass `private`, and make `slave` unprovable).
            f.expect["rootfsPeerGroup"] = .number(try f.makeSharedMount(f.rootfs))
            var st = stat()
            stat(f.rootfs, &st)
            f.expect["rootfsDevIno"] = .string("\(st.st_dev):\(st.st_ino)")
        }
    }

    static let all: [Case] = [
        .inside("filesystem.default-mounts", "the config's proc, dev, devpts, shm, mqueue, sysfs, cgroup, tmp mounts with their options",
                spec: "config.md Mounts: `options` \"Mount options of the filesystem to be used\"; config-linux.md Default Filesystems: /proc, /sys, /dev/pts, /dev/shm \"SHOULD be made available\"",
                checks: ["mounts"]),
        .inside("filesystem.bind-mount", "a read-only bind mount with nosuid, nodev, noexec",
                spec: "config.md Mounts: destination \"path inside container\", source \"a device name, but can also be a directory name\", options per mount(8)",
                checks: ["mounts"]) { f in
            let source = try bindSource(&f, "bind-src", destination: "/mnt/bind")
            addMount(&f, "/mnt/bind", type: "bind", source: source, options: ["rbind", "ro", "nosuid", "nodev", "noexec"])
            onlyCheck(&f, ["/mnt/bind"])
        },
        .inside("filesystem.tmpfs-options", "a tmpfs with noatime, mode and size",
                spec: "config.md Mounts: options \"supported options are listed in the mount(8) man page\" (filesystem-independent and filesystem-specific)",
                checks: ["mounts"]) { f in
            addMount(&f, "/mnt/tmpfs", type: "tmpfs", source: "tmpfs",
                     options: ["noatime", "nosuid", "nodev", "mode=0710", "size=2048k"])
            onlyCheck(&f, ["/mnt/tmpfs"])
        },
        .inside("filesystem.tmpfs-mode-existing-dir", "a tmpfs mode= option over a directory that exists in the rootfs",
                spec: "config.md Mounts: options \"supported options are listed in the mount(8) man page\" (tmpfs `mode=`: the root directory's permissions)",
                checks: ["mounts"]) { f in
            mkdir(f.rootfs + "/existing", 0o755)
            addMount(&f, "/existing", type: "tmpfs", source: "tmpfs", options: ["mode=1777", "size=1024k"])
            onlyCheck(&f, ["/existing"])
        },
        Case("filesystem.option-rro", "rro: a recursive bind mount is read-only down to its submounts",
             spec: "config.md Linux mount options: `rro` SHOULD, \"Recursive `ro`\" (AT_RECURSIVE, mount_setattr(2), Linux 5.12)") { f in
            let source = f.dir + "/rro-src"
            mkdir(source, 0o755)
            mkdir(source + "/sub", 0o755)
            try f.requireSuccess(f.suite.commands.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", source + "/sub"]), "mount a tmpfs under the bind source")
            defer { _ = f.suite.commands.run(["umount", "-l", source + "/sub"]) }
            addMount(&f, "/mnt/rro", type: "bind", source: source, options: ["rbind", "rro"])
            f.config[path: "process.args"] = .strings(["sh", "-c", "for d in /mnt/rro /mnt/rro/sub; do if touch $d/f 2>/dev/null; then echo $d writable; else echo $d read-only; fi; done"])
            try f.writeBundle()
            let id = f.newID()
            let result = f.runtime(["run", "--bundle", f.bundle, id], stdout: "\(f.dir)/\(id).out")
            try f.requireSuccess(result, "run with an rro bind mount")
            let seen = result.stdout.lines.joined(separator: ", ")
            try f.require(seen == "/mnt/rro read-only, /mnt/rro/sub read-only", "inside: \(seen), want both read-only")
        },
        Case("filesystem.option-tmpcopyup", "tmpcopyup (when `features` lists it): the tmpfs starts with the directory's files",
             spec: "config.md Linux mount options: `tmpcopyup` MAY, \"copy up the contents to a tmpfs\"; features.md: `mountOptions` \"is the list of the recognized mount options\"") { f in
            let features = f.runtime(["features"])
            let listed = (try? JSON(parsing: features.stdout))?["mountOptions"].array?.compactMap(\.string) ?? []
            guard listed.contains("tmpcopyup") else {
                throw Outcome.skip("the runtime's `features` does not list tmpcopyup (a MAY)\(features.succeeded ? "" : ": \(features.summary)")")
            }
            mkdir(f.rootfs + "/seed", 0o755)
            try writeFile(f.rootfs + "/seed/file", "seeded")
            addMount(&f, "/seed", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "size=1024k"])
            f.config[path: "process.args"] = .strings(["sh", "-c", "echo written > /seed/new && echo $(cat /seed/file) $(cat /seed/new)"])
            try f.writeBundle()
            let id = f.newID()
            let result = f.runtime(["run", "--bundle", f.bundle, id], stdout: "\(f.dir)/\(id).out")
            try f.requireSuccess(result, "run with a tmpcopyup tmpfs")
            let seen = result.stdout.lines.joined(separator: " ")
            try f.require(seen == "seeded written", "inside: \(seen.debugDescription), want \"seeded written\"")
            try f.require(!fileExists(f.rootfs + "/seed/new"), "the write went to the rootfs, not the tmpfs")
        },
        .inside("filesystem.mount-order", "mounts are made in the listed order",
                spec: "config.md Mounts: \"The runtime MUST mount entries in the listed order\"",
                checks: ["mount-order"]) { f in
            addMount(&f, "/order/a", type: "tmpfs", source: "tmpfs", options: ["size=64k"])
            addMount(&f, "/order/a/b", type: "tmpfs", source: "tmpfs", options: ["size=64k"])
            addMount(&f, "/order/c/d", type: "tmpfs", source: "tmpfs", options: ["size=64k"])
            addMount(&f, "/order/c", type: "tmpfs", source: "tmpfs", options: ["size=64k"])
        },
        .inside("filesystem.mount-propagation", "bind mounts with rshared, rslave, rprivate, runbindable of a shared host mount",
                spec: "config.md Mounts: options per mount(8), which include the propagation flags shared, slave, private, unbindable (and r*)",
                checks: ["mounts"]) { f in
            // The sources sit on a shared mount: rslave must give a slave of its peer group.
            mkdir(f.dir + "/shared", 0o755)
            let group = try f.makeSharedMount(f.dir + "/shared")
            var groups: [String: JSON] = [:]
            for flag in ["rshared", "rslave", "rprivate", "runbindable"] {
                let destination = "/mnt/\(flag)"
                let source = try bindSource(&f, "shared/prop-\(flag)", destination: destination)
                addMount(&f, destination, type: "bind", source: source, options: ["rbind", flag])
                groups[destination] = .number(group)
            }
            f.expect["peerGroups"] = .object(groups)
            onlyCheck(&f, ["rshared", "rslave", "rprivate", "runbindable"].map { "/mnt/\($0)" })
        },
        .inside("filesystem.root-readonly", "root.readonly true",
                spec: "config.md Root: readonly: \"If true then the root filesystem MUST be read-only inside the container\"",
                checks: ["root-readonly"]) { f in
            f.config[path: "root.readonly"] = true
        },
        .inside("filesystem.root-writable", "root.readonly false",
                spec: "config.md Root: readonly \"defaults to false\"",
                checks: ["root-readonly"]),
        rootfsPropagation("shared"),
        rootfsPropagation("slave"),
        rootfsPropagation("private"),
        rootfsPropagation("unbindable"),
        .inside("filesystem.masked-paths", "masked files and directories cannot be read",
                spec: "config-linux.md Masked Paths: \"will mask over the provided paths inside the container so that they cannot be read\"",
                checks: ["masked-paths"]) { f in
            mkdir(f.rootfs + "/masked-dir", 0o755)
            try writeFile(f.rootfs + "/masked-dir/secret", "secret")
            try writeFile(f.rootfs + "/masked-file", "secret")
            f.config.append(path: "linux.maskedPaths", "/masked-dir")
            f.config.append(path: "linux.maskedPaths", "/masked-file")
        },
        .inside("filesystem.readonly-paths", "readonly paths are read-only mounts",
                spec: "config-linux.md Readonly Paths: \"will set the provided paths as readonly inside the container\"",
                checks: ["readonly-paths"]) { f in
            mkdir(f.rootfs + "/ro-dir", 0o755)
            try writeFile(f.rootfs + "/ro-dir/file", "data")
            f.config.append(path: "linux.readonlyPaths", "/ro-dir")
        },
        .inside("filesystem.dev-symlinks", "/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr",
                spec: "runtime-linux.md Dev symbolic links: \"runtimes MUST create the following symlinks if the source file exists after processing mounts\"",
                checks: ["dev-symlinks"]),
    ]
}
