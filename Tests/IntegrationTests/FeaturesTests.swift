import Foundation
import Testing

/// `features`: the report is valid runtime-spec features JSON, and what it lists is what
/// `create` actually accepts.
@Suite(Harness.enabled)
struct FeaturesTests {
    private func features(_ t: Sandbox) throws -> [String: Any] {
        let result = t.runtime(["features"])
        try #require(result.status == 0, "\(result)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    private func createAndDelete(_ t: Sandbox, _ hint: String) -> Output {
        let id = t.newID(hint)
        let result = t.runtime(["create", "--bundle", t.bundle, id])
        if result.status == 0 { _ = t.runtime(["delete", "--force", id]) }
        return result
    }

    @Test("features prints the runtime-spec fields")
    func shape() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let report = try features(t)
        #expect(report["ociVersionMin"] as? String == "1.0.0")
        #expect((report["ociVersionMax"] as? String ?? "").hasPrefix("1."))
        #expect(!(report["mountOptions"] as? [String] ?? []).isEmpty)
        let linux = try #require(report["linux"] as? [String: Any])
        for key in ["namespaces", "capabilities", "cgroup", "seccomp", "apparmor", "selinux"] {
            #expect(linux[key] != nil, "linux.\(key) missing")
        }
    }

    @Test("every listed capability is accepted by create; an unlisted one is refused")
    func capabilities() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let listed = try #require((try features(t)["linux"] as? [String: Any])?["capabilities"] as? [String])
        #expect(listed.contains("CAP_SYS_ADMIN") && listed.contains("CAP_CHOWN"))
        // Only what the runtime itself holds can be granted (this VM withholds some).
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") } ?? ""
        let held = UInt64(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last.map(String.init) ?? "", radix: 16) ?? 0
        let caps = listed.enumerated().filter { index, _ in index < 64 && held & (1 << UInt64(index)) != 0 }.map(\.element)
        #expect(caps.count > 30, "\(caps)")
        try t.setArgs(["true"])
        try t.setConfig("process.capabilities", ["bounding": caps, "effective": caps, "permitted": caps])
        let accepted = createAndDelete(t, "caps")
        #expect(accepted.status == 0, "\(accepted)")
        try t.setConfig("process.capabilities", ["bounding": ["CAP_NOT_A_CAPABILITY"]])
        let refused = createAndDelete(t, "badcap")
        // runc 1.1 only warns about an unknown capability.
        if !Harness.isRunc {
            #expect(refused.status != 0 && refused.stderr.contains("CAP_NOT_A_CAPABILITY"), "\(refused)")
        }
    }

    @Test("every listed namespace (but user, which needs mappings) is accepted by create")
    func namespaces() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let listed = try #require((try features(t)["linux"] as? [String: Any])?["namespaces"] as? [String])
        #expect(Set(["pid", "network", "mount", "ipc", "uts"]).isSubset(of: Set(listed)))
        try t.setArgs(["true"])
        try t.editNamespaces { _ in listed.filter { $0 != "user" }.map { ["type": $0] } }
        let result = createAndDelete(t, "ns")
        #expect(result.status == 0, "\(result)")
    }

    @Test("every listed seccomp action, operator and architecture is accepted by create (NOTIFY needs a listener)")
    func seccomp() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let seccomp = try #require((try features(t)["linux"] as? [String: Any])?["seccomp"] as? [String: Any])
        #expect(seccomp["enabled"] as? Bool == true)
        let actions = try #require(seccomp["actions"] as? [String]).filter { $0 != "SCMP_ACT_NOTIFY" }
        let operators = try #require(seccomp["operators"] as? [String])
        let archs = try #require(seccomp["archs"] as? [String])
        let known = Set(seccomp["knownFlags"] as? [String] ?? [])
        #expect(Set(seccomp["supportedFlags"] as? [String] ?? []).isSubset(of: known))
        // Rules on syscalls busybox `true` never makes, so the container still runs.
        let names = ["acct", "swapon", "swapoff", "pivot_root", "kexec_load", "init_module", "delete_module", "reboot", "settimeofday"]
        var rules: [[String: Any]] = actions.enumerated().map { index, action in
            ["names": [names[index % names.count]], "action": action]
        }
        rules += operators.enumerated().map { index, op in
            ["names": ["quotactl"], "action": "SCMP_ACT_ERRNO", "args": [["index": index % 4, "value": 1 + index, "valueTwo": 0, "op": op]]]
        }
        try t.setArgs(["true"])
        try t.setConfig("linux.seccomp", ["defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": rules])
        let result = createAndDelete(t, "seccomp")
        #expect(result.status == 0, "\(result)")
        // Each listed architecture is known; one of the other byte order cannot join an
        // x86 filter (libseccomp: EDOM), which is a different error from an unknown name.
        for arch in archs {
            try t.setConfig("linux.seccomp", ["defaultAction": "SCMP_ACT_ALLOW", "architectures": [arch]])
            let one = createAndDelete(t, "arch")
            #expect(one.status == 0 || !one.stderr.contains("unknown architecture"), "\(arch): \(one)")
        }
        try t.setConfig("linux.seccomp", ["defaultAction": "SCMP_ACT_NOT_AN_ACTION"])
        let refused = createAndDelete(t, "badaction")
        #expect(refused.status != 0, "\(refused)")
    }

    @Test("every listed mount option is accepted on a bind mount (the id-mapping ones need mappings, tmpcopyup a tmpfs)",
          .enabled(if: !Harness.isRunc, "runc 1.1 lists options it then rejects on a bind mount (e.g. acl, defaults)"))
    func mountOptions() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let options = try #require(try features(t)["mountOptions"] as? [String])
        let source = try t.hostDir("opts")
        try t.setArgs(["true"])
        for option in options where !["idmap", "ridmap", "bind", "rbind"].contains(option) {
            let tmpfsOnly = option == "tmpcopyup"
            try t.editConfig { config in
                var mounts = (config["mounts"] as? [Any] ?? []).filter { ($0 as? [String: Any])?["destination"] as? String != "/opts" }
                mounts.append(tmpfsOnly ? ["destination": "/opts", "type": "tmpfs", "source": "tmpfs", "options": [option]]
                                        : ["destination": "/opts", "type": "bind", "source": source, "options": ["bind", option]])
                config["mounts"] = mounts
            }
            let result = createAndDelete(t, "opt")
            #expect(result.status == 0, "option \(option): \(result)")
        }
    }
}
