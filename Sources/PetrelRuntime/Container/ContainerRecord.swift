import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What Petrel keeps in <root>/<id>/state.json between commands: what every verb needs
/// (state, kill, start, delete, list, ps, exec), and no more. The config the container was
/// created from is kept beside it (`StateStore.loadConfig`) and read only by the verbs that
/// need it: exec, update, and start/delete when the flags below say so.
///
/// `create` writes it twice, into one file (StateStore.beginRecord, RecordDraft): a
/// provisional record (pid 0, `creator` set, the cgroup it is about to make) before its
/// first step with effects outside the state directory, and the complete one (init pid and
/// start time, `creator` nil) once the init is ready and the config is saved; renaming that
/// file to state.json publishes the container. So a `create` killed at any moment leaves a
/// record that `delete --force` can clean up. Nothing rewrites it after create (`update`
/// rewrites the saved config), so a verb may keep using the record it loaded or made.
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

    /// A creator known to be gone: that of a complete record its create did not publish.
    static let gone = ProcessIdentity(pid: 0, startTime: 0)

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
        var input = JSONIn(bytes)
        try input.object { (input, key) throws(RecordSyntaxError) in
            switch key {
            case "ociVersion": record.ociVersion = try input.string()
            case "id": record.id = try input.string()
            case "pid": record.pid = try input.integer()
            case "bundle": record.bundle = try input.string()
            case "rootfs": record.rootfs = try input.string()
            case "created": record.created = try input.string()
            case "owner": record.owner = try input.string()
            case "annotations":
                if input.null() { break }
                var annotations: [String: String] = [:]
                try input.object { (input, key) throws(RecordSyntaxError) in annotations[key] = try input.string() }
                record.annotations = annotations
            case "initStartTime": record.initStartTime = try input.integer()
            case "ownPidNamespace": record.ownPidNamespace = try input.bool()
            case "startHooks": record.startHooks = try input.bool()
            case "poststopHooks": record.poststopHooks = try input.bool()
            case "intelRdt": record.intelRdt = try input.bool()
            case "cgroup":
                if input.null() { break }
                record.cgroup = try decodeCgroup(&input)
            case "creator":
                if input.null() { break }
                var creator = ProcessIdentity(pid: 0, startTime: 0)
                try input.object { (input, key) throws(RecordSyntaxError) in
                    switch key {
                    case "pid": creator.pid = try input.integer()
                    case "startTime": creator.startTime = try input.integer()
                    default: try input.skip()
                    }
                }
                record.creator = creator
            default: try input.skip()
            }
        }
        try input.end()
        guard !record.id.isEmpty else { throw RecordSyntaxError(offset: 0, reason: "no id") }
        return record
    }

    private static func decodeCgroup(_ input: inout JSONIn) throws(RecordSyntaxError) -> CgroupRecord {
        var cgroup = CgroupRecord(version: 0, directories: [], created: [])
        try input.object { (input, key) throws(RecordSyntaxError) in
            switch key {
            case "version": cgroup.version = try input.integer()
            case "directories":
                try input.array { (input) throws(RecordSyntaxError) in
                    var directory = CgroupDirectory(hierarchy: "", path: "")
                    try input.object { (input, key) throws(RecordSyntaxError) in
                        switch key {
                        case "hierarchy": directory.hierarchy = try input.string()
                        case "path": directory.path = try input.string()
                        default: try input.skip()
                        }
                    }
                    cgroup.directories.append(directory)
                }
            case "created":
                try input.array { (input) throws(RecordSyntaxError) in cgroup.created.append(try input.string()) }
            default: try input.skip()
            }
        }
        return cgroup
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

/// Reads JSON (RFC 8259) member by member straight into the caller's values: no tree.
struct JSONIn {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ reason: String) -> RecordSyntaxError { RecordSyntaxError(offset: index, reason: reason) }

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x09 || bytes[index] == 0x0D {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(RecordSyntaxError) {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else {
            throw failure("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        index += 1
    }

    /// Consumes `byte` if it comes next.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func end() throws(RecordSyntaxError) {
        skipSpace()
        guard index == bytes.count else { throw failure("unexpected data after the document") }
    }

    /// Consumes a `null` if one comes next.
    mutating func null() -> Bool {
        skipSpace()
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
              bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l") else { return false }
        index += 4
        return true
    }

    mutating func object(_ member: (inout JSONIn, String) throws(RecordSyntaxError) -> Void) throws(RecordSyntaxError) {
        try expect(UInt8(ascii: "{"))
        depth += 1
        guard depth <= 64 else { throw failure("nested too deeply") }
        if !take(UInt8(ascii: "}")) {
            repeat {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                try member(&self, key)
            } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        }
        depth -= 1
    }

    mutating func array(_ element: (inout JSONIn) throws(RecordSyntaxError) -> Void) throws(RecordSyntaxError) {
        try expect(UInt8(ascii: "["))
        depth += 1
        guard depth <= 64 else { throw failure("nested too deeply") }
        if !take(UInt8(ascii: "]")) {
            repeat { try element(&self) } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        }
        depth -= 1
    }

    mutating func bool() throws(RecordSyntaxError) -> Bool {
        skipSpace()
        if bytes[index...].starts(with: "true".utf8) {
            index += 4
            return true
        }
        if bytes[index...].starts(with: "false".utf8) {
            index += 5
            return false
        }
        throw failure("expected a boolean")
    }

    mutating func integer<T: FixedWidthInteger>() throws(RecordSyntaxError) -> T {
        skipSpace()
        let negative = take(UInt8(ascii: "-"))
        let start = index
        var value: T = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let digit = T(bytes[index] - 0x30)
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { throw failure("integer out of range") }
            value = sum
            index += 1
        }
        guard index > start else { throw failure("expected an integer") }
        return value
    }

    mutating func string() throws(RecordSyntaxError) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // Plain text (no escapes): one copy straight from the input.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            guard bytes[index] >= 0x20 else { throw failure("control character in a string") }
            index += 1
        }
        guard index < bytes.count else { throw failure("unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
        }
        var scalars = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20 else { throw failure("control character in a string") }
            guard byte == UInt8(ascii: "\\") else {
                scalars.append(byte)
                continue
            }
            guard index < bytes.count else { throw failure("unterminated string") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800 && code < 0xDC00, bytes[index...].starts(with: "\\u".utf8) {
                    index += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw failure("invalid surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                scalars.append(contentsOf: String(Character(scalar)).utf8)
            default: throw failure("invalid escape")
            }
        }
        return String(decoding: scalars, as: UTF8.self)
    }

    private mutating func hex4() throws(RecordSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("short \\u escape") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw failure("invalid \\u escape")
            }
            code = code << 4 | UInt32(digit)
            index += 1
        }
        return code
    }

    /// Skips one value of any kind.
    mutating func skip() throws(RecordSyntaxError) {
        skipSpace()
        guard index < bytes.count else { throw failure("expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try object { (input, _) throws(RecordSyntaxError) in try input.skip() }
        case UInt8(ascii: "["): try array { (input) throws(RecordSyntaxError) in try input.skip() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"):
            guard null() else { throw failure("expected a value") }
        default:
            // A number: its characters, validated loosely (only skipped).
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) || "+-.eE".utf8.contains(bytes[index]) { index += 1 }
            guard index > start else { throw failure("expected a value") }
        }
    }
}
