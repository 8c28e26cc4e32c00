import CLibcap

/// Capability names come from libcap (as the runtime's do): no table of our own to fall
/// behind the kernel. oci-check is linked statically against libcap.a.
enum Capability {
    /// The bit of a config.json name such as "CAP_CHOWN", or nil when libcap does not know it.
    static func bit(_ name: String) -> UInt64? {
        var value: cap_value_t = 0
        guard cap_from_name(name, &value) == 0, value >= 0, value < 64 else { return nil }
        return UInt64(value)
    }

    /// "CAP_CHOWN" for a bit (libcap answers "cap_chown", or the number for a bit it has no name for).
    static func name(_ bit: Int) -> String {
        guard let text = cap_to_name(cap_value_t(bit)) else { return "cap\(bit)" }
        defer { cap_free(text) }
        let name = String(cString: text)
        return name.hasPrefix("cap_") ? name.uppercased() : "cap\(name)"
    }

    /// A capability set as a bit mask (the form of /proc/PID/status CapEff and friends).
    static func mask(_ names: [String]) -> UInt64 {
        names.reduce(0) { mask, name in bit(name).map { mask | (UInt64(1) << $0) } ?? mask }
    }

    /// "CAP_KILL,CAP_CHOWN" for a mask.
    static func list(_ mask: UInt64) -> String {
        let names = (0..<64).filter { mask & (UInt64(1) << UInt64($0)) != 0 }.map(name)
        return names.isEmpty ? "(none)" : names.joined(separator: ",")
    }
}
