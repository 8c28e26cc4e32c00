import ConformanceKit
import Glibc

/// config-linux.md "Seccomp": the effect of SCMP_ACT_ERRNO rules, errnoRet (default EPERM)
/// and argument filters, observed through the calls they filter.
extension Checker {
    /// The first rule naming one of `names`.
    func seccompRule(_ names: [String]) -> JSON? {
        (linux["seccomp"]["syscalls"].array ?? []).first { rule in
            rule["names"].strings.contains { names.contains($0) }
        }
    }

    func expectedErrno(_ rule: JSON) -> Int32 {
        Int32(rule["errnoRet"].int ?? Int(EPERM))
    }

    mutating func checkSeccompMkdir() {
        guard let rule = seccompRule(["mkdir", "mkdirat"]), rule["action"].string == "SCMP_ACT_ERRNO" else {
            report.fail("seccomp-mkdir", "config has no SCMP_ACT_ERRNO rule for mkdir/mkdirat")
            return
        }
        let probe = "/tmp/oci-seccomp-probe"
        let result = mkdir(probe, 0o755)
        let code = result == 0 ? 0 : errno
        if result == 0 { rmdir(probe) }
        report.equal("seccomp-mkdir", "mkdir under SCMP_ACT_ERRNO", errnoName(code), errnoName(expectedErrno(rule)))
        report.expect("seccomp-mkdir", getppid() >= 0 && access("/", F_OK) == 0, "other system calls still work")
    }

    mutating func checkSeccompChmodArgs() {
        guard let rule = seccompRule(["chmod", "fchmodat"]),
              let value = rule["args"][0]["value"].int else {
            report.fail("seccomp-chmod-args", "config has no chmod/fchmodat rule with an argument filter")
            return
        }
        let probe = "/tmp/oci-seccomp-chmod"
        let fd = open(probe, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        let filtered = chmod(probe, mode_t(value))
        let filteredCode = filtered == 0 ? 0 : errno
        report.equal("seccomp-chmod-args", "chmod(\(String(value, radix: 8))) matching the filter",
                     errnoName(filteredCode), errnoName(expectedErrno(rule)))
        let other = chmod(probe, 0o640)
        report.equal("seccomp-chmod-args", "chmod(640) not matching the filter", errnoName(other == 0 ? 0 : errno), errnoName(0))
        unlink(probe)
    }
}
