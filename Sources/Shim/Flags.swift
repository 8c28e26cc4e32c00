/// containerd's shim flags, parsed as Go's flag package accepts them (`-f v`, `--f v`, `-f=v`),
/// but permissively: newer containerd versions add flags, and an unknown one must not fail.
public struct ShimFlags: Equatable, Sendable {
    public var namespace = ""
    public var address = ""
    public var publishBinary = ""
    public var id = ""
    public var bundle = ""
    public var socket = ""  // ours: the long-lived shim's socket path, passed from `start`
    public var debug = false
    public var version = false
    public var action: String?

    static let valued: Set<String> = ["namespace", "address", "publish-binary", "id", "bundle", "socket"]
    static let boolean: Set<String> = ["debug", "v"]

    public init() {}

    public init(_ args: some Sequence<String>) {
        var it = Array(args).makeIterator()
        while let arg = it.next() {
            guard arg.hasPrefix("-"), arg != "-" else {
                if action == nil { action = arg }
                continue
            }
            var name = String(arg.drop(while: { $0 == "-" }))
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if Self.valued.contains(name) {
                set(name, value ?? it.next() ?? "")
            } else if Self.boolean.contains(name) {
                let on = value.map { $0 == "true" || $0 == "1" } ?? true
                if name == "debug" { debug = on } else { version = on }
            }
            // Unknown: skipped. Without `=` it is taken as boolean, as most added flags are.
        }
    }

    private mutating func set(_ name: String, _ value: String) {
        switch name {
        case "namespace": namespace = value
        case "address": address = value
        case "publish-binary": publishBinary = value
        case "id": id = value
        case "bundle": bundle = value
        case "socket": socket = value
        default: break
        }
    }

    /// Arguments for the long-lived shim started by `start`.
    public func serveArguments(socket: String) -> [String] {
        var out = ["-namespace", namespace, "-address", address, "-publish-binary", publishBinary, "-id", id,
                   "-socket", socket]
        if debug { out.append("-debug") }
        out.append("serve")
        return out
    }
}
