/// runc's conversions between the spec's (cgroup v1 flavoured) numbers and cgroup files.
public enum CgroupConversions {
    /// cpu.shares (2..262144) to cpu.weight (1..10000): runc's
    /// ConvertCPUSharesToCgroupV2Value, `1 + ((shares-2)*9999)/262142`; 0 means unset.
    /// Shares are clamped to the kernel's v1 range first, so 1 cannot underflow.
    public static func cpuWeight(shares: UInt64) -> UInt64 {
        guard shares != 0 else { return 0 }
        let clamped = min(max(shares, 2), 262_144)
        return 1 + ((clamped - 2) * 9999) / 262_142
    }

    /// blkio.weight (10..1000) to io.weight (1..10000): `1 + (weight-10)*9999/990`.
    public static func ioWeight(blkioWeight: UInt16) -> UInt64 {
        guard blkioWeight != 0 else { return 0 }
        let clamped = UInt64(min(max(blkioWeight, 10), 1000))
        return 1 + (clamped - 10) * 9999 / 990
    }

    /// memory.swap.max from the spec's memory+swap total (runc's
    /// ConvertMemorySwapToCgroupV2Value). 0 is "unset", -1 is "max".
    public static func swapV2(swap: Int64, limit: Int64) throws(RuntimeError) -> Int64 {
        // Like v1: an unlimited memory with swap left unset means unlimited swap as well.
        if limit == -1 && swap == 0 { return -1 }
        if swap == -1 || swap == 0 { return swap }
        if limit == 0 || limit == -1 {
            throw RuntimeError("linux.resources.memory.swap: unable to set swap limit without memory limit")
        }
        if limit < 0 { throw RuntimeError("linux.resources.memory.limit: invalid memory value: \(limit)") }
        if swap < limit {
            throw RuntimeError("linux.resources.memory.swap: memory+swap limit (\(swap)) should be >= memory limit (\(limit))")
        }
        return swap - limit
    }

    /// runc's numToStr for v2 files: 0 is "leave as is", -1 is "max".
    public static func v2Limit(_ value: Int64) -> String? {
        switch value {
        case 0: nil
        case -1: "max"
        default: String(value)
        }
    }

    /// Hugepage sizes the way the spec and runc name them: 2048 kB → "2MB", 1048576 kB → "1GB".
    public static func hugePageSizeName(kilobytes: UInt64) -> String {
        var value = kilobytes
        var units = ["KB", "MB", "GB", "TB", "PB"][...]
        while value >= 1024, value % 1024 == 0, units.count > 1 {
            value /= 1024
            units = units.dropFirst()
        }
        return "\(value)\(units.first ?? "KB")"
    }
}
