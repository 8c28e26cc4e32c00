#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import OCI
import Testing
@testable import PetrelRuntime

/// specs/spec-fields.md (the field-by-field audit) lists what `features` reports; the report
/// must say exactly that, so a claim cannot change without the audit that justifies it.
@Suite struct FeatureAuditTests {
    static let auditPath: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path + "/specs/spec-fields.md"
    }()

    /// The `features` block: "key: space-separated values".
    static func auditedFeatures() throws -> [String: String] {
        let text = String(decoding: try FileSystem.readDocument(auditPath), as: UTF8.self)
        var entries: [String: String] = [:]
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "```features" { inside = true; continue }
            guard inside else { continue }
            if line.hasPrefix("```") { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            entries[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        return entries
    }

    /// The report flattened the same way (host-dependent archs and supportedFlags left out).
    static func reported() -> [String: String] {
        let report = FeatureReport.current(version: "test")
        func list(_ values: [String]?) -> String { (values ?? []).joined(separator: " ") }
        func flag(_ value: Bool?) -> String { value.map { $0 ? "true" : "false" } ?? "" }
        let linux = report.linux
        return [
            "ociVersionMin": report.ociVersionMin ?? "", "ociVersionMax": report.ociVersionMax ?? "",
            "hooks": list(report.hooks), "mountOptions": list(report.mountOptions),
            "linux.namespaces": list(linux?.namespaces),
            "linux.cgroup.v1": flag(linux?.cgroup?.v1), "linux.cgroup.v2": flag(linux?.cgroup?.v2),
            "linux.cgroup.systemd": flag(linux?.cgroup?.systemd), "linux.cgroup.systemdUser": flag(linux?.cgroup?.systemdUser),
            "linux.cgroup.rdma": flag(linux?.cgroup?.rdma),
            "linux.seccomp.enabled": flag(linux?.seccomp?.enabled),
            "linux.seccomp.actions": list(linux?.seccomp?.actions), "linux.seccomp.operators": list(linux?.seccomp?.operators),
            "linux.seccomp.knownFlags": list(linux?.seccomp?.knownFlags),
            "linux.apparmor.enabled": flag(linux?.apparmor?.enabled), "linux.selinux.enabled": flag(linux?.selinux?.enabled),
            "linux.intelRdt.enabled": flag(linux?.intelRdt?.enabled), "linux.intelRdt.schemata": flag(linux?.intelRdt?.schemata),
            "linux.intelRdt.monitoring": flag(linux?.intelRdt?.monitoring),
            "linux.mountExtensions.idmap.enabled": flag(linux?.mountExtensions?.idmap?.enabled),
            "linux.memoryPolicy.modes": list(linux?.memoryPolicy?.modes), "linux.memoryPolicy.flags": list(linux?.memoryPolicy?.flags),
            "linux.netDevices.enabled": flag(linux?.netDevices?.enabled),
            "potentiallyUnsafeConfigAnnotations": list(report.potentiallyUnsafeConfigAnnotations),
        ]
    }

    @Test("features reports exactly what specs/spec-fields.md audits",
          .enabled(if: access(auditPath, R_OK) == 0, "specs/spec-fields.md is not next to the test sources (a copied test binary)"))
    func featuresMatchTheAudit() throws {
        let audited = try Self.auditedFeatures()
        let reported = Self.reported()
        #expect(Set(audited.keys) == Set(reported.keys), "keys: audit \(audited.keys.sorted()), report \(reported.keys.sorted())")
        for key in reported.keys.sorted() {
            #expect(audited[key] == reported[key], "\(key): audit \(audited[key] ?? "-"), features \(reported[key] ?? "-")")
        }
    }

    @Test("every hook phase, namespace type and capability features lists is applied by create")
    func listsComeFromTheTablesCreateUses() {
        let report = FeatureReport.current(version: "test")
        #expect(report.hooks == HookRunner.phases.map(\.rawValue))
        #expect(report.linux?.namespaces == LinuxNamespaceType.allCases.map(\.rawValue))
        for name in report.mountOptions ?? [] {
            // Parsed as an option of its own, never passed on as filesystem data.
            #expect(MountOptions(parsing: [name]).data.isEmpty, "\(name)")
        }
        for name in report.linux?.capabilities ?? [] {
            #expect((try? Capabilities.mask([name], field: "f")) != nil, "\(name)")
        }
    }
}

/// Other platforms' sections: ignored with a warning, except `vm`, which is refused.
@Suite struct PlatformRuleTests {
    func load(_ json: String) throws -> (Spec, [String]) {
        let (spec, _, other) = try Spec.decodeReportingOtherPlatforms(from: Array(json.utf8))
        return (spec, other)
    }

    static let base = #""ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0,"username":"u"},"commandLine":"c"},"linux":{}"#

    @Test func otherPlatformSectionsAreReportedAndIgnored() throws {
        let (spec, other) = try load("{" + Self.base + #","windows":{"layerFolders":[]},"solaris":{},"zos":{}}"#)
        #expect(other.sorted() == ["solaris", "windows", "zos"])
        try SpecValidator.validateOtherPlatforms(other, spec: spec, configPath: "/b/config.json")
    }

    @Test func vmIsRefused() throws {
        let (spec, other) = try load("{" + Self.base + #","vm":{"hypervisor":{"path":"/h"}}}"#)
        #expect(throws: RuntimeError("/b/config.json: vm: petrel runs Linux containers, not virtual machines (config-vm.md needs a hypervisor-based runtime)")) {
            try SpecValidator.validateOtherPlatforms(other, spec: spec, configPath: "/b/config.json")
        }
    }
}
