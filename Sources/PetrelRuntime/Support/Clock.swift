#if canImport(Glibc)
import Glibc
#endif

/// Timestamps in the formats runc writes: RFC 3339 with nanoseconds for `created`,
/// seconds for log lines.
public enum Clock {
    /// Seconds on the monotonic clock (timeouts).
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    public static func rfc3339(nanoseconds: Bool) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return rfc3339(seconds: Int64(now.tv_sec), nanoseconds: nanoseconds ? Int(now.tv_nsec) : nil)
    }

    /// UTC fields by arithmetic: glibc's gmtime_r reads /etc/localtime on its first call
    /// (tzset), two system calls and a file parse per create for a zone never used.
    static func rfc3339(seconds: Int64, nanoseconds: Int?) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let date = "\(pad(Int(year), 4))-\(pad(month, 2))-\(pad(day, 2))"
        let time = "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        guard let nanoseconds else { return "\(date)T\(time)Z" }
        // Go's RFC3339Nano drops trailing zeros of the fraction.
        var fraction = pad(nanoseconds, 9)
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(date)T\(time)Z" : "\(date)T\(time).\(fraction)Z"
    }

    /// Proleptic Gregorian year, month, day of a day count from 1970-01-01 (H. Hinnant's
    /// civil_from_days).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
