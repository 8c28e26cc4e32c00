/// CRIU's RPC messages (specs/proto/criu/rpc.proto: CRIU's names and field numbers), as
/// plain values encoded by ProtobufWriter.
enum CriuRequestType: Int32, Sendable {
    case empty = 0, dump = 1, restore = 2, check = 3, preDump = 4, notify = 6, featureCheck = 9, version = 10

    /// The name CRIU's own messages and `criu` subcommands use.
    var name: String {
        switch self {
        case .empty: "empty"
        case .dump: "dump"
        case .restore: "restore"
        case .check: "check"
        case .preDump: "pre-dump"
        case .notify: "notify"
        case .featureCheck: "feature-check"
        case .version: "version"
        }
    }
}

/// criu_cg_mode, named as runc's --manage-cgroups-mode spells them.
public enum CriuCgroupMode: Int32, Sendable, CaseIterable {
    case ignore = 0, soft = 3, full = 4, strict = 5

    public init?(flag: String) {
        switch flag {
        case "ignore": self = .ignore
        case "soft": self = .soft
        case "full": self = .full
        case "strict": self = .strict
        default: return nil
        }
    }
}

/// criu_opts: only the fields petrel sets.
struct CriuOptions {
    var imagesDirFd: Int32 = -1
    var pid: Int32?
    var leaveRunning: Bool?
    var extUnixSk: Bool?
    var tcpEstablished: Bool?
    var shellJob: Bool?
    var fileLocks: Bool?
    var logLevel: Int32?
    var logFile: String?
    /// Asks CRIU to send the notify messages (setup-namespaces, post-dump, ...).
    var notifyScripts: Bool?
    var root: String?
    var parentImage: String?
    var trackMemory: Bool?
    var autoDedup: Bool?
    var workDirFd: Int32?
    var externalMounts: [(key: String, value: String)] = []
    var manageCgroups: Bool?
    var cgroupRoots: [(controller: String?, path: String)] = []
    var restoreSibling: Bool?
    var inheritFds: [(key: String, fd: Int32)] = []
    var manageCgroupsMode: CriuCgroupMode?
    var external: [String] = []
    var emptyNamespaces: UInt32?
    var freezeCgroup: String?
    var lazyPages: Bool?
    var statusFd: Int32?
    var orphanPtsMaster: Bool?

    func encode(into writer: inout ProtobufWriter) {
        writer.int32(1, imagesDirFd)
        writer.int32(2, pid)
        writer.bool(3, leaveRunning)
        writer.bool(4, extUnixSk)
        writer.bool(5, tcpEstablished)
        writer.bool(7, shellJob)
        writer.bool(8, fileLocks)
        writer.int32(9, logLevel)
        writer.string(10, logFile)
        writer.bool(12, notifyScripts)
        writer.string(13, root)
        writer.string(14, parentImage)
        writer.bool(15, trackMemory)
        writer.bool(16, autoDedup)
        writer.int32(17, workDirFd)
        for mount in externalMounts {
            writer.message(23) { inner in
                inner.string(1, mount.key)
                inner.string(2, mount.value)
            }
        }
        writer.bool(24, manageCgroups)
        for root in cgroupRoots {
            writer.message(25) { inner in
                inner.string(1, root.controller)
                inner.string(2, root.path)
            }
        }
        writer.bool(26, restoreSibling)
        for inherit in inheritFds {
            writer.message(27) { inner in
                inner.string(1, inherit.key)
                inner.int32(2, inherit.fd)
            }
        }
        writer.int32(34, manageCgroupsMode?.rawValue)
        for item in external { writer.string(37, item) }
        writer.uint32(38, emptyNamespaces)
        writer.string(44, freezeCgroup)
        writer.bool(48, lazyPages)
        writer.int32(49, statusFd)
        writer.bool(50, orphanPtsMaster)
    }
}

/// criu_features: asked (true) in a request, answered in the response.
struct CriuFeatures {
    var memoryTracking: Bool?
    var lazyPages: Bool?
}

/// criu_req.
struct CriuRequest {
    var type: CriuRequestType
    var options: CriuOptions?
    var notifySuccess: Bool?
    /// criu_features of a FEATURE_CHECK: the ones asked about set to true.
    var features: CriuFeatures?

    func encoded() -> [UInt8] {
        var writer = ProtobufWriter()
        writer.int32(1, type.rawValue)
        if let options { writer.message(2) { options.encode(into: &$0) } }
        writer.bool(3, notifySuccess)
        if let features {
            writer.message(5) { inner in
                inner.bool(1, features.memoryTracking)
                inner.bool(2, features.lazyPages)
            }
        }
        return writer.bytes
    }
}

/// criu_resp: the fields petrel reads.
struct CriuResponse {
    var type: Int32 = 0
    var success = false
    var restoredPid: Int32?
    var notifyScript: String?
    var notifyPid: Int32?
    var features: CriuFeatures?
    var errno: Int32?
    var errorMessage: String?
    var version: (major: Int32, minor: Int32, sublevel: Int32?)?

    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufReader.Malformed) {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: type = value.int32 ?? 0
            case 2: success = value.bool ?? false
            case 4:
                guard let inner = value.slice else { continue }
                var restore = ProtobufReader(inner)
                while let (innerField, innerValue) = try restore.next() {
                    if innerField == 1 { restoredPid = innerValue.int32 }
                }
            case 5:
                guard let inner = value.slice else { continue }
                var notify = ProtobufReader(inner)
                while let (innerField, innerValue) = try notify.next() {
                    if innerField == 1 { notifyScript = innerValue.string }
                    if innerField == 2 { notifyPid = innerValue.int32 }
                }
            case 7: errno = value.int32
            case 8:
                guard let inner = value.slice else { continue }
                var reader = ProtobufReader(inner)
                var found = CriuFeatures()
                while let (innerField, innerValue) = try reader.next() {
                    if innerField == 1 { found.memoryTracking = innerValue.bool }
                    if innerField == 2 { found.lazyPages = innerValue.bool }
                }
                features = found
            case 9: errorMessage = value.string
            case 10:
                guard let inner = value.slice else { continue }
                var reader = ProtobufReader(inner)
                var found: (major: Int32, minor: Int32, sublevel: Int32?) = (0, 0, nil)
                while let (innerField, innerValue) = try reader.next() {
                    switch innerField {
                    case 1: found.major = innerValue.int32 ?? 0
                    case 2: found.minor = innerValue.int32 ?? 0
                    case 4: found.sublevel = innerValue.int32
                    default: break
                    }
                }
                version = found
            default: break
            }
        }
    }
}
