import OCI

/// One devices-cgroup rule, normalised from the spec.
public struct DeviceRule: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Every device; the kernel ignores major, minor and access for it.
        case all = "a"
        case char = "c"
        case block = "b"
    }

    public var allow: Bool
    public var kind: Kind
    /// nil is the wildcard `*`.
    public var major: Int64?
    public var minor: Int64?
    /// A non-empty subset of "rwm", in that order.
    public var access: String

    public init(allow: Bool, kind: Kind, major: Int64? = nil, minor: Int64? = nil, access: String = "rwm") {
        self.allow = allow
        self.kind = kind
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// The devices.allow / devices.deny line, e.g. "c 1:3 rwm" or "a *:* rwm".
    public var v1Line: String {
        "\(kind.rawValue) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    public var description: String { (allow ? "allow " : "deny ") + v1Line }
}

public enum DeviceRules {
    /// runc 1.1's AllowedDevices, appended after the spec's own rules: mknod of anything
    /// (creating a node grants no access), the standard character devices, /dev/pts/*,
    /// /dev/ptmx and /dev/net/tun. /dev/console (5:1) is deliberately absent, as in runc 1.1:
    /// the container's console is a bind mount of its pty (136:*), which the pts rule covers.
    public static let defaultAllowed: [DeviceRule] = [
        DeviceRule(allow: true, kind: .char, access: "m"),
        DeviceRule(allow: true, kind: .block, access: "m"),
        DeviceRule(allow: true, kind: .char, major: 1, minor: 3),  // /dev/null
        DeviceRule(allow: true, kind: .char, major: 1, minor: 8),  // /dev/random
        DeviceRule(allow: true, kind: .char, major: 1, minor: 7),  // /dev/full
        DeviceRule(allow: true, kind: .char, major: 5, minor: 0),  // /dev/tty
        DeviceRule(allow: true, kind: .char, major: 1, minor: 5),  // /dev/zero
        DeviceRule(allow: true, kind: .char, major: 1, minor: 9),  // /dev/urandom
        DeviceRule(allow: true, kind: .char, major: 136),  // /dev/pts/*
        DeviceRule(allow: true, kind: .char, major: 5, minor: 2),  // /dev/ptmx
        DeviceRule(allow: true, kind: .char, major: 10, minor: 200),  // /dev/net/tun
    ]

    /// The container's rules in runc's order: linux.resources.devices, then the defaults.
    /// Nodes listed in linux.devices get no rule of their own: access to them is what the
    /// listed rules say ("The runtime MUST apply entries in the listed order"; runc 1.1 and
    /// crun do the same). Evaluated from a deny-all start with the last matching rule winning.
    public static func rules(resources: [LinuxDeviceCgroup]?, devices: [LinuxDevice]?) throws(RuntimeError) -> [DeviceRule] {
        var rules: [DeviceRule] = []
        for (index, rule) in (resources ?? []).enumerated() {
            let field = "linux.resources.devices[\(index)]"
            let kind: DeviceRule.Kind
            switch rule.type ?? "a" {
            case "a", "": kind = .all
            case "c", "u": kind = .char
            case "b": kind = .block
            default: throw RuntimeError("\(field).type: \(JSONText.quote(rule.type ?? "")) is not one of a, b, c")
            }
            rules.append(DeviceRule(
                allow: rule.allow, kind: kind, major: try wildcard(rule.major, "\(field).major"),
                minor: try wildcard(rule.minor, "\(field).minor"), access: try access(rule.access, field)))
        }
        rules += defaultAllowed
        return rules
    }

    /// -1 and nil both mean "*" (Go's zero-value conventions); numbers must fit a u32.
    static func wildcard(_ value: Int64?, _ field: String) throws(RuntimeError) -> Int64? {
        guard let value, value != -1 else { return nil }
        guard value >= 0 && value <= Int64(UInt32.max) else { throw RuntimeError("\(field): invalid device number \(value)") }
        return value
    }

    /// An absent or empty access means "rwm", as crun reads it.
    static func access(_ value: String?, _ field: String) throws(RuntimeError) -> String {
        let text = value ?? ""
        guard text.allSatisfy({ "rwm".contains($0) }) else {
            throw RuntimeError("\(field).access: \(JSONText.quote(text)) may only contain r, w and m")
        }
        if text.isEmpty { return "rwm" }
        return String("rwm".filter { text.contains($0) })
    }
}
