import CLibcap

/// Capability names of config.json and their numbers, from libcap (as crun does): the names
/// libcap knows, bounded by what the running kernel supports. The parent asks libcap; the
/// child only calls capset/prctl with the masks planned here (libcap allocates, the child
/// must not).
public enum Capabilities {
    /// The kernel's highest capability number. libcap's cap_max_bits() probes the kernel
    /// (PR_CAPBSET_READ), so a container's fake /proc/sys/kernel/cap_last_cap cannot lower it.
    public static var last: Int32 { Int32(cap_max_bits()) - 1 }

    /// The capability's number, or nil when libcap does not know the name. Accepts the
    /// spellings runc and crun accept ("CAP_KILL", any case), plus "KILL" without the prefix.
    public static func number(_ name: String) -> Int? {
        let upper = name.uppercased()
        let key = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        // cap_from_name also takes bare numbers ("40"); config.json names capabilities.
        guard key.dropFirst(4).contains(where: { $0.isLetter }) else { return nil }
        var value: cap_value_t = 0
        guard cap_from_name(key, &value) == 0, value >= 0, value < 64 else { return nil }
        return Int(value)
    }

    /// Every capability of this kernel that libcap can name, in number order, as config.json
    /// spells them ("CAP_CHOWN"...); what `features` reports.
    public static var names: [String] {
        var names: [String] = []
        for value in 0...max(last, 0) {
            guard let text = cap_to_name(cap_value_t(value)) else { continue }
            defer { cap_free(text) }
            let name = String(cString: text).uppercased()
            if name.hasPrefix("CAP_") { names.append(name) }  // unnamed ones come back as digits
        }
        return names
    }

    /// A bit mask from names; an unknown name is an error naming the field.
    /// `strict: false` skips unknown names with a warning instead of failing.
    public static func mask(_ list: [String]?, field: String, strict: Bool = true) throws(RuntimeError) -> UInt64 {
        var mask: UInt64 = 0
        for (index, name) in (list ?? []).enumerated() {
            guard let number = number(name) else {
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
