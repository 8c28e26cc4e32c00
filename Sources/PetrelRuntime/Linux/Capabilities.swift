/// Capability names of config.json mapped to their numbers (linux/capability.h).
public enum Capabilities {
    public static let numbers: [String: Int] = {
        var table: [String: Int] = [:]
        for (number, name) in names.enumerated() { table[name] = number }
        return table
    }()

    /// Index = capability number.
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// A bit mask from names; an unknown name is an error naming the field.
    /// `strict: false` skips unknown names with a warning instead of failing.
    public static func mask(_ list: [String]?, field: String, strict: Bool = true) throws(RuntimeError) -> UInt64 {
        var mask: UInt64 = 0
        for (index, name) in (list ?? []).enumerated() {
            let key = name.uppercased().hasPrefix("CAP_") ? name.uppercased() : "CAP_" + name.uppercased()
            guard let number = numbers[key] else {
                let message = "\(field)[\(index)]: unknown capability \(JSONText.quote(name))"
                if strict { throw RuntimeError(message) }
                Logger.shared.warning(message + " (ignored)")
                continue
            }
            mask |= 1 << UInt64(number)
        }
        return mask
    }
}
