import ConformanceKit
import Glibc

/// config-linux.md "Namespaces", "User namespace mappings", "Offset for Time Namespace",
/// "Sysctl", "Personality"; config.md "Hostname" (and "Domainname", runtime-spec 1.2).
extension Checker {
    /// config.json namespace type -> /proc/self/ns link name.
    static let namespaceLinks: [(type: String, link: String)] = [
        ("pid", "pid"), ("network", "net"), ("mount", "mnt"), ("ipc", "ipc"), ("uts", "uts"),
        ("user", "user"), ("cgroup", "cgroup"), ("time", "time"),
    ]

    mutating func checkNamespaces() {
        let entries = linux["namespaces"].array ?? []
        for (type, link) in Checker.namespaceLinks {
            guard let seen = System.namespaceLink(link) else {
                report.skip("namespaces", "\(type): this kernel has no /proc/self/ns/\(link)")
                continue
            }
            let runtimeSide = expect["runtimeNamespaces"][link].string ?? "?"
            guard let entry = entries.first(where: { $0["type"].string == type }) else {
                report.expect("namespaces", seen == runtimeSide,
                              "\(type) not listed: inherits the runtime's \(runtimeSide), got \(seen)")
                continue
            }
            if entry["path"].string != nil {
                let joined = expect["joinedNamespaces"][link].string ?? "?"
                report.expect("namespaces", seen == joined, "\(type) path: joined \(joined), got \(seen)")
            } else {
                report.expect("namespaces", seen != runtimeSide,
                              "\(type) new: differs from the runtime's \(runtimeSide), got \(seen)")
                if type == "pid" {
                    report.equal("namespaces", "pid in a new pid namespace", getpid(), 1)
                }
            }
        }
    }

    mutating func checkHostname() {
        guard let hostname = config["hostname"].string else {
            report.skip("hostname", "hostname not set")
            return
        }
        report.equal("hostname", "hostname", System.unameFields().nodename, hostname)
    }

    mutating func checkDomainname() {
        guard let domainname = config["domainname"].string else {
            report.skip("domainname", "domainname not set")
            return
        }
        report.equal("domainname", "domainname", System.unameFields().domainname, domainname)
    }

    mutating func checkIdMappings() {
        for (field, file) in [("uidMappings", "/proc/self/uid_map"), ("gidMappings", "/proc/self/gid_map")] {
            let expected = (linux[field].array ?? []).map { m in
                "\(m["containerID"].int ?? -1) \(m["hostID"].int ?? -1) \(m["size"].int ?? -1)"
            }
            let seen = (readTrimmed(file) ?? "").lines.map { line in
                line.split(separator: " ").joined(separator: " ")
            }
            report.equal("id-mappings", file, seen, expected)
        }
    }

    mutating func checkTimeOffsets() {
        guard let offsets = linux["timeOffsets"].object else {
            report.skip("time-offsets", "linux.timeOffsets not set")
            return
        }
        guard let text = readTrimmed("/proc/self/timens_offsets") else {
            report.fail("time-offsets", "cannot read /proc/self/timens_offsets")
            return
        }
        var seen: [String: String] = [:]
        for line in text.lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 3 { seen[String(fields[0])] = "\(fields[1]) \(fields[2])" }
        }
        for (clock, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            let expected = "\(offset["secs"].int ?? 0) \(offset["nanosecs"].int ?? 0)"
            report.equal("time-offsets", "\(clock) offset", seen[clock] ?? "(none)", expected)
        }
    }

    mutating func checkSysctl() {
        guard let sysctl = linux["sysctl"].object, !sysctl.isEmpty else {
            report.skip("sysctl", "linux.sysctl not set")
            return
        }
        for (key, value) in sysctl.sorted(by: { $0.key < $1.key }) {
            let path = "/proc/sys/" + key.replacing(".", with: "/")
            let seen = (readTrimmed(path) ?? "(unreadable)").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let expected = (value.string ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            report.equal("sysctl", key, seen, expected)
        }
    }

    mutating func checkPersonality() {
        guard let domain = linux["personality"]["domain"].string else {
            report.skip("personality", "linux.personality not set")
            return
        }
        // /proc/self/personality: the persona as 8 hex digits (personality(2) query).
        let persona = readTrimmed("/proc/self/personality").flatMap { Int32($0, radix: 16) } ?? -1
        let expected: Int32 = domain == "LINUX32" ? 0x0008 : 0x0000
        report.equal("personality", "personality domain (\(domain))", persona & 0xff, expected)
        if domain == "LINUX32" {
            let machine = System.unameFields().machine
            report.expect("personality", machine != "x86_64" && machine != "aarch64",
                          "uname machine under LINUX32 is 32-bit, got \(machine)")
        }
    }
}
