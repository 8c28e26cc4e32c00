import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What Petrel keeps in <root>/<id>/state.json between commands: what every verb needs
/// (state, kill, start, delete, list, ps, exec), and no more. The config the container was
/// created from is kept beside it (`StateStore.loadConfig`) and read only by the verbs that
/// need it: exec, update, and start/delete when the flags below say so.
///
/// `create` writes it twice: a provisional record (pid 0, `creator` set, the cgroup it is
/// about to make) before its first step with effects outside the state directory, and the
/// complete one (init pid and start time, `creator` nil) once the init is ready and the
/// config is saved. So a `create` killed at any moment leaves a record that
/// `delete --force` can clean up. Nothing rewrites it after create (`update` rewrites the
/// saved config), so a verb may keep using the record it loaded or made.
public struct ContainerRecord: Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    /// Host pid of the init; 0 once known to be gone, or while provisional.
    public var pid: Int32
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [String: String]?
    /// /proc/PID/stat starttime of the init, so a reused pid is never mistaken for it.
    public var initStartTime: UInt64
    /// Whether the container has a pid namespace of its own (kill --all strategy).
    public var ownPidNamespace: Bool
    /// The config has startContainer or poststart hooks: `start` reads it.
    public var startHooks: Bool
    /// The config has poststop hooks: `delete` reads it.
    public var poststopHooks: Bool
    /// The config has linux.intelRdt: `delete` reads it to remove the resctrl groups.
    public var intelRdt: Bool
    /// The cgroup create() made (or, while provisional, is about to make); nil for state
    /// written before cgroup support.
    public var cgroup: CgroupRecord?
    /// Set only in a provisional record: the `create` (or `run`) still writing it. While it
    /// lives the container is `creating`; once it is gone the record is the remains of an
    /// interrupted create (its init died with it), `stopped`.
    public var creator: ProcessIdentity?

    public init(ociVersion: String, id: String, pid: Int32, bundle: String, rootfs: String, created: String,
                owner: String, annotations: [String: String]?, initStartTime: UInt64, ownPidNamespace: Bool,
                startHooks: Bool = false, poststopHooks: Bool = false, intelRdt: Bool = false,
                cgroup: CgroupRecord?, creator: ProcessIdentity?) {
        self.ociVersion = ociVersion
        self.id = id
        self.pid = pid
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = owner
        self.annotations = annotations
        self.initStartTime = initStartTime
        self.ownPidNamespace = ownPidNamespace
        self.startHooks = startHooks
        self.poststopHooks = poststopHooks
        self.intelRdt = intelRdt
        self.cgroup = cgroup
        self.creator = creator
    }

    /// Whether this is the provisional record of a create that has not finished.
    public var isProvisional: Bool { creator != nil }

    /// Notes what later verbs will need from `spec`, the config the container is created from.
    mutating func noteConfigUses(_ spec: Spec) {
        let hooks = spec.hooks
        startHooks = !(hooks?.startContainer ?? []).isEmpty || !(hooks?.poststart ?? []).isEmpty
        poststopHooks = !(hooks?.poststop ?? []).isEmpty
        intelRdt = spec.linux?.intelRdt != nil
    }
}

/// A process named so that a reused pid never matches: pid plus /proc/PID/stat starttime.
public struct ProcessIdentity: Codable, Sendable, Equatable {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process, or nil when /proc cannot tell.
    public static func current() -> ProcessIdentity? {
        let pid = getpid()
        return ProcessStat.read(pid: pid).map { ProcessIdentity(pid: pid, startTime: $0.startTime) }
    }

    /// Alive and still the same process (not a zombie, not a reused pid).
    public var isAlive: Bool {
        guard let stat = ProcessStat.read(pid: pid) else { return false }
        return stat.startTime == startTime && !stat.isDead
    }
}

// state.json is read by every verb, so it is written and read here by hand: Codable through
// OCIJSON costs ~10x more for this small record (each Codable type's first use pays a
// runtime metadata and conformance lookup in a binary this size). It is JSON all the same.
extension ContainerRecord {
    /// The record as one line of JSON.
    public func encoded() -> [UInt8] {
        var out = JSONOut()
        out.object {
            $0.member("ociVersion", ociVersion)
            $0.member("id", id)
            $0.member("pid", Int64(pid))
            $0.member("bundle", bundle)
            $0.member("rootfs", rootfs)
            $0.member("created", created)
            $0.member("owner", owner)
            if let annotations {
                $0.key("annotations")
                $0.object { object in
                    for key in annotations.keys.sorted() { object.member(key, annotations[key] ?? "") }
                }
            }
            $0.member("initStartTime", initStartTime)
            $0.member("ownPidNamespace", ownPidNamespace)
            $0.member("startHooks", startHooks)
            $0.member("poststopHooks", poststopHooks)
            $0.member("intelRdt", intelRdt)
            if let cgroup {
                $0.key("cgroup")
                $0.object {
                    $0.member("version", Int64(cgroup.version))
                    $0.key("directories")
                    $0.array {
                        for directory in cgroup.directories {
                            $0.element()
                            $0.object {
                                $0.member("hierarchy", directory.hierarchy)
                                $0.member("path", directory.path)
                            }
                        }
                    }
                    $0.key("created")
                    $0.array {
                        for path in cgroup.created {
                            $0.element()
                            $0.string(path)
                        }
                    }
                }
            }
            if let creator {
                $0.key("creator")
                $0.object {
                    $0.member("pid", Int64(creator.pid))
                    $0.member("startTime", creator.startTime)
                }
            }
        }
        return out.bytes
    }

    /// Reads what `encoded` wrote; members it does not know are skipped.
    public static func decode(_ bytes: [UInt8]) throws(RecordSyntaxError) -> ContainerRecord {
        var record = ContainerRecord(ociVersion: "", id: "", pid: 0, bundle: "", rootfs: "", created: "", owner: "",
                                     annotations: nil, initStartTime: 0, ownPidNamespace: false, cgroup: nil, creator: nil)
        var input = JSONParser(bytes)
        do throws(JSONSyntaxError) {
            try input.object { (input, key) throws(JSONSyntaxError) in
                switch key {
                case "ociVersion": record.ociVersion = try input.string()
                case "id": record.id = try input.string()
                case "pid": record.pid = try input.integer()
                case "bundle": record.bundle = try input.string()
                case "rootfs": record.rootfs = try input.string()
                case "created": record.created = try input.string()
                case "owner": record.owner = try input.string()
                case "annotations": record.annotations = try input.nullable { (input) throws(JSONSyntaxError) in try input.stringMap() }
                case "initStartTime": record.initStartTime = try input.integer()
                case "ownPidNamespace": record.ownPidNamespace = try input.bool()
                case "startHooks": record.startHooks = try input.bool()
                case "poststopHooks": record.poststopHooks = try input.bool()
                case "intelRdt": record.intelRdt = try input.bool()
                case "cgroup": record.cgroup = try input.nullable(decodeCgroup)
                case "creator": record.creator = try input.nullable(decodeCreator)
                default: try input.skip()
                }
            }
            try input.end()
        } catch {
            throw RecordSyntaxError(offset: error.offset, reason: error.reason)
        }
        guard !record.id.isEmpty else { throw RecordSyntaxError(offset: 0, reason: "no id") }
        return record
    }

    private static func decodeCgroup(_ input: inout JSONParser) throws(JSONSyntaxError) -> CgroupRecord {
        var cgroup = CgroupRecord(version: 0, directories: [], created: [])
        try input.object { (input, key) throws(JSONSyntaxError) in
            switch key {
            case "version": cgroup.version = try input.integer()
            case "directories":
                try input.array { (input) throws(JSONSyntaxError) in
                    var directory = CgroupDirectory(hierarchy: "", path: "")
                    try input.object { (input, key) throws(JSONSyntaxError) in
                        switch key {
                        case "hierarchy": directory.hierarchy = try input.string()
                        case "path": directory.path = try input.string()
                        default: try input.skip()
                        }
                    }
                    cgroup.directories.append(directory)
                }
            case "created":
                try input.array { (input) throws(JSONSyntaxError) in cgroup.created.append(try input.string()) }
            default: try input.skip()
            }
        }
        return cgroup
    }

    private static func decodeCreator(_ input: inout JSONParser) throws(JSONSyntaxError) -> ProcessIdentity {
        var creator = ProcessIdentity(pid: 0, startTime: 0)
        try input.object { (input, key) throws(JSONSyntaxError) in
            switch key {
            case "pid": creator.pid = try input.integer()
            case "startTime": creator.startTime = try input.integer()
            default: try input.skip()
            }
        }
        return creator
    }
}

/// Why state.json could not be read: the byte offset and what was wrong there.
public struct RecordSyntaxError: Error, CustomStringConvertible, Sendable {
    public var offset: Int
    public var reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

/// Writes compact JSON: members and elements are separated as they are added.
struct JSONOut {
    var bytes: [UInt8] = []
    private var first = true

    init() { bytes.reserveCapacity(512) }

    mutating func object(_ body: (inout JSONOut) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    mutating func array(_ body: (inout JSONOut) -> Void) {
        bytes.append(UInt8(ascii: "["))
        first = true
        body(&self)
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// Before each element of an array.
    mutating func element() {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
    }

    mutating func key(_ name: String) {
        element()
        string(name)
        bytes.append(UInt8(ascii: ":"))
        first = true
    }

    mutating func member(_ name: String, _ value: String) {
        key(name)
        string(value)
        first = false
    }

    mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        first = false
    }

    mutating func member<T: BinaryInteger>(_ name: String, _ value: T) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        first = false
    }

    mutating func string(_ value: String) {
        JSONText.appendQuoted(value, to: &bytes)
    }
}

/// Reads JSON member by member straight into the caller's values, no tree: the structure
/// here, strings, numbers and literals scanned by OCI's parser (RFC 8259, as strict as Go).
extension JSONParser {
    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw error("unexpected \(describeCurrent()), expected \(what)") }
        index += 1
    }

    /// Consumes `byte` if it comes next.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The next byte is `byte` (after white space).
    private mutating func peek(_ byte: UInt8) -> Bool {
        skipWhitespace()
        return index < bytes.count && bytes[index] == byte
    }

    mutating func end() throws(JSONSyntaxError) {
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected \(describeCurrent()) after the top-level value") }
    }

    /// nil for a `null`, else what `read` reads.
    mutating func nullable<T>(_ read: (inout JSONParser) throws(JSONSyntaxError) -> T) throws(JSONSyntaxError) -> T? {
        guard peek(UInt8(ascii: "n")) else { return try read(&self) }
        try expectLiteral("null")
        return nil
    }

    mutating func object(_ member: (inout JSONParser, String) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"), "'{'")
        try enter()
        if !take(UInt8(ascii: "}")) {
            repeat {
                let key = try string()
                try expect(UInt8(ascii: ":"), "':' after an object key")
                try member(&self, key)
            } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"), "',' or '}'")
        }
        depth -= 1
    }

    mutating func array(_ element: (inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "["), "'['")
        try enter()
        if !take(UInt8(ascii: "]")) {
            repeat { try element(&self) } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"), "',' or ']'")
        }
        depth -= 1
    }

    /// An object of strings.
    mutating func stringMap() throws(JSONSyntaxError) -> [String: String] {
        var map: [String: String] = [:]
        try object { (input, key) throws(JSONSyntaxError) in map[key] = try input.string() }
        return map
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        guard peek(UInt8(ascii: "\"")) else { throw error("unexpected \(describeCurrent()), expected a string") }
        return try parseString()
    }

    mutating func bool() throws(JSONSyntaxError) -> Bool {
        if peek(UInt8(ascii: "t")) {
            try expectLiteral("true")
            return true
        }
        guard peek(UInt8(ascii: "f")) else { throw error("unexpected \(describeCurrent()), expected a boolean") }
        try expectLiteral("false")
        return false
    }

    /// A number without fraction or exponent that fits in `T`.
    mutating func integer<T: FixedWidthInteger>() throws(JSONSyntaxError) -> T {
        guard peek(UInt8(ascii: "-")) || (index < bytes.count && (0x30...0x39).contains(bytes[index])) else {
            throw error("unexpected \(describeCurrent()), expected an integer")
        }
        let start = index
        let text = try scanNumber()
        let negative = bytes[text.lowerBound] == UInt8(ascii: "-")
        var value: T = 0
        for byte in bytes[(negative ? text.lowerBound + 1 : text.lowerBound)..<text.upperBound] {
            guard byte >= 0x30, byte <= 0x39 else {
                index = start
                throw error("expected an integer, not a fraction or an exponent")
            }
            let digit = T(byte - 0x30)
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else {
                index = start
                throw error("integer out of range")
            }
            value = sum
        }
        return value
    }

    /// Skips one value of any kind (a member this version does not know: rare, so through
    /// the parser's tree).
    mutating func skip() throws(JSONSyntaxError) {
        skipWhitespace()
        try skipValue()
    }
}
