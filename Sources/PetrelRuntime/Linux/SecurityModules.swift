/// Which Linux security modules the host runs, so a label the host cannot apply is a
/// clear error at create instead of a silent no-op.
public struct SecurityModules: Sendable, Equatable {
    public var apparmor: Bool
    public var selinux: Bool

    public init(apparmor: Bool, selinux: Bool) {
        self.apparmor = apparmor
        self.selinux = selinux
    }

    public static func detect() -> SecurityModules {
        let enabled = (try? FileSystem.readText("/sys/module/apparmor/parameters/enabled")) ?? ""
        return SecurityModules(
            apparmor: enabled.hasPrefix("Y"),
            selinux: FileSystem.exists("/sys/fs/selinux/enforce"))
    }
}
