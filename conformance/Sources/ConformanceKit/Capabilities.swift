/// Capability names as in capabilities(7) and config.json, indexed by their bit number.
public let capabilityNames: [String] = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
    "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
]

/// A capability set as a bit mask (the form of /proc/PID/status CapEff and friends).
public func capabilityMask(_ names: [String]) -> UInt64 {
    names.reduce(0) { mask, name in
        guard let bit = capabilityNames.firstIndex(of: name) else { return mask }
        return mask | (UInt64(1) << UInt64(bit))
    }
}

/// "CAP_KILL,CAP_CHOWN" for a mask (names for the bits this table knows, numbers otherwise).
public func capabilityList(_ mask: UInt64) -> String {
    var names: [String] = []
    for bit in 0..<64 where mask & (UInt64(1) << UInt64(bit)) != 0 {
        names.append(bit < capabilityNames.count ? capabilityNames[bit] : "cap\(bit)")
    }
    return names.isEmpty ? "(none)" : names.joined(separator: ",")
}
