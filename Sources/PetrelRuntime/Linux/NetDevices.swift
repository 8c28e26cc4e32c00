import CExecutor
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// linux.netDevices (runtime-spec 1.3): host interfaces moved into the container's network
/// namespace by the parent, after the init is cloned and before it runs. Nothing is moved
/// back: the spec forbids it; when the namespace dies the kernel returns physical devices
/// to the host and destroys virtual ones.
public enum NetDevices {
    public struct Move: Sendable, Equatable {
        public var hostName: String
        public var containerName: String
    }

    public struct Plan: Sendable, Equatable {
        public var moves: [Move] = []
        /// The joined namespace's path; nil: the init's new one (/proc/PID/ns/net).
        public var namespacePath: String?
    }

    /// The moves, after SpecValidator's rules (names, a network namespace of its own) and
    /// the one only the host can answer: a joined namespace must not be the host's.
    public static func plan(_ devices: [String: LinuxNetDevice]?, namespaces: [LinuxNamespace]) throws(RuntimeError) -> Plan {
        var plan = Plan()
        guard let devices, !devices.isEmpty else { return plan }
        try SpecValidator.validateNetDevices(devices, namespaces: namespaces, SpecValidator.Context(configPath: nil))
        guard let network = namespaces.first(where: { $0.type == .network }) else { return plan }
        if let path = network.path, !path.isEmpty {
            if isHostNamespace(path) {
                throw RuntimeError("linux.netDevices: the network namespace \(path) is the host's; the devices must go to a namespace other than the host's")
            }
            plan.namespacePath = path
        }
        for hostName in devices.keys.sorted() {
            let containerName = devices[hostName]?.name.flatMap { $0.isEmpty ? nil : $0 } ?? hostName
            plan.moves.append(Move(hostName: hostName, containerName: containerName))
        }
        return plan
    }

    /// The kernel's dev_valid_name(), plus one `%d` allowed in a container-side template.
    static func validateName(_ name: String, field: String, template: Bool) throws(RuntimeError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count < 16, name != ".", name != ".." else {
            throw RuntimeError("\(field): invalid interface name \(JSONText.quote(name)) (1 to 15 bytes, not . or ..)")
        }
        if let bad = bytes.first(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 == 0x7F }) {
            throw RuntimeError("\(field): invalid interface name \(JSONText.quote(name)) (contains \(JSONText.quote(String(UnicodeScalar(bad)))))")
        }
        let percents = bytes.filter { $0 == UInt8(ascii: "%") }.count
        if percents > 0 && !(template && percents == 1 && name.includes("%d")) {
            throw RuntimeError("\(field): invalid interface name \(JSONText.quote(name)) (only one %d template is allowed, in the new name)")
        }
    }

    static func isHostNamespace(_ path: String) -> Bool {
        var target = stat()
        var own = stat()
        guard stat(path, &target) == 0, stat("/proc/self/ns/net", &own) == 0 else { return false }
        return target.st_dev == own.st_dev && target.st_ino == own.st_ino
    }

    /// Moves every device; the first failure names it (the init is killed by the caller,
    /// and with its namespace the devices already moved).
    static func move(_ plan: Plan, initPid: Int32) throws(RuntimeError) {
        let namespace = plan.namespacePath ?? "/proc/\(initPid)/ns/net"
        for move in plan.moves {
            var error = petrel_error()
            guard petrel_netdev_move(move.hostName, move.containerName, namespace, &error) == 0 else {
                let fields = InitProcess.fields(error)
                var message = "linux.netDevices[\(JSONText.quote(move.hostName))]: cannot move the interface"
                if !fields.detail.isEmpty { message += " (\(fields.detail))" }
                throw RuntimeError(message, syscall: fields.syscall.isEmpty ? nil : fields.syscall, errno: error.err == 0 ? nil : error.err)
            }
        }
    }
}
