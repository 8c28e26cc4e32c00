#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// `events`: runc's JSON lines. With `statsOnly`, one stats event. Otherwise a stats
    /// event every `interval` nanoseconds and an oom event whenever the cgroup's oom_kill
    /// count rises, until the container stops. The count is polled every 100 ms: one file
    /// read, cheaper than a thread or an eventfd registration per container.
    public func events(_ id: String, statsOnly: Bool, interval: Int64, emit: (String) -> Void) throws(RuntimeError) {
        guard interval > 0 else { throw RuntimeError("duration interval must be greater than 0") }
        let record = try store.load(id)
        guard status(of: record) != .stopped else { throw RuntimeError("container with id \(id) is not running") }
        let manager = try cgroupManager(record)
        let quotedID = JSONText.quote(id)
        func stats() { emit("{\"type\":\"stats\",\"id\":\(quotedID),\"data\":\(manager.stats().json)}") }
        if statsOnly {
            stats()
            return
        }
        var kills = manager.oomKillCount() ?? 0
        func checkOOM() {
            let now = manager.oomKillCount() ?? kills
            while kills < now {
                kills += 1
                emit("{\"type\":\"oom\",\"id\":\(quotedID)}")
            }
        }
        let tick: Int64 = 100_000_000
        var nextStats = monotonicNanoseconds() + interval
        while isAlive(record) {
            checkOOM()
            let now = monotonicNanoseconds()
            if now >= nextStats {
                stats()
                nextStats += interval * max(1, (now - nextStats) / interval + 1)
            }
            let wait = min(tick, max(0, nextStats - monotonicNanoseconds()))
            var pause = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&pause, &remaining) != 0 && errno == EINTR { pause = remaining }
        }
        // An OOM kill of the init itself is reported before the stream ends.
        checkOOM()
    }

    private func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
