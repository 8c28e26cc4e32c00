#if canImport(Glibc)
import Glibc
#endif

/// One cgroup file write that resources map to.
public struct CgroupWrite: Equatable, Sendable, CustomStringConvertible {
    /// Which directory: on v1 a controller of the hierarchy the file lives in ("memory"),
    /// or "unified" for the cgroup2 directory (always "unified" on v2).
    public var controller: String
    public var file: String
    public var value: String
    /// errnos that mean "this kernel cannot do it" rather than failure: the write is skipped
    /// (runc ignores the same cases, e.g. memory.swap.max when swap accounting is off).
    public var tolerated: [Int32]
    /// The config field left unapplied when a tolerated errno skips the write (a warning);
    /// nil when the skip changes nothing (e.g. "max" swap without swap accounting).
    public var field: String?

    public init(_ controller: String, _ file: String, _ value: String, tolerated: [Int32] = [], field: String? = nil) {
        self.controller = controller
        self.file = file
        self.value = value
        self.tolerated = tolerated
        self.field = field
    }

    public var description: String { "\(file)=\(JSONText.quote(value))" }
}

/// Values read from the cgroup before mapping, because runc's choices depend on them.
public struct CgroupFacts: Sendable, Equatable {
    /// v1: memory.limit_in_bytes now; decides whether swap or memory is written first.
    public var memoryLimit: UInt64?
    /// memory.current (v2) / memory.usage_in_bytes (v1), for memory.checkBeforeUpdate.
    public var memoryUsage: UInt64?
    /// v1: memory.memsw.limit_in_bytes exists (swap accounting is on).
    public var swapAccounting = true
    /// v1: blkio.weight exists (CFQ); otherwise only the BFQ files blkio.bfq.weight* do.
    public var blkioWeightFile = true
    /// v2: io.bfq.weight exists (per-device weights need the BFQ scheduler).
    public var bfqWeight = false
    /// v1: controllers that have a v1 hierarchy on this host.
    public var v1Controllers: Set<String> = []
    /// Controllers enabled for the container's cgroup2 directory (cgroup.controllers there).
    public var unifiedControllers: Set<String> = []

    public init() {}
}

/// What a LinuxResources value becomes on one cgroup version.
public struct CgroupSettingsPlan: Sendable, Equatable {
    public var writes: [CgroupWrite] = []
    /// Settings this version or host has no file for, skipped like runc does; each is a
    /// warning naming its JSON path ("linux.resources.memory.swappiness (no cgroup v2 ...)").
    public var ignored: [String] = []

    public init(writes: [CgroupWrite] = [], ignored: [String] = []) {
        self.writes = writes
        self.ignored = ignored
    }

    mutating func write(_ controller: String, _ file: String, _ value: String, tolerated: [Int32] = [], field: String? = nil) {
        writes.append(CgroupWrite(controller, file, value, tolerated: tolerated, field: field))
    }
}
