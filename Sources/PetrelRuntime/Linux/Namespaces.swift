import OCI

/// CLONE_NEW* values for each namespace type (stable kernel ABI).
public enum NamespaceFlag {
    public static func cloneFlag(_ type: LinuxNamespaceType) -> UInt64 {
        switch type {
        case .mount: 0x0002_0000
        case .uts: 0x0400_0000
        case .ipc: 0x0800_0000
        case .user: 0x1000_0000
        case .pid: 0x2000_0000
        case .network: 0x4000_0000
        case .cgroup: 0x0200_0000
        case .time: 0x0000_0080
        }
    }

    /// The name of the namespace's file under /proc/PID/ns.
    public static func procName(_ type: LinuxNamespaceType) -> String {
        switch type {
        case .mount: "mnt"
        case .uts: "uts"
        case .ipc: "ipc"
        case .user: "user"
        case .pid: "pid"
        case .network: "net"
        case .cgroup: "cgroup"
        case .time: "time"
        }
    }
}
