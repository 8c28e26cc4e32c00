import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// What checkpoint, restore and features ask of CRIU before any work: is it installed, which
/// version, and does `criu check` pass on this kernel (asked over RPC, CHECK request).
public enum Criu {
    public struct Version: Sendable, Equatable {
        public var major: Int32
        public var minor: Int32
        public var sublevel: Int32

        /// "3.17.1", as `criu --version` prints it.
        public var text: String { sublevel == 0 ? "\(major).\(minor)" : "\(major).\(minor).\(sublevel)" }
        /// runc's numbering (3.17.1 is 31701), for the features annotation.
        public var number: Int { Int(major) * 10000 + Int(minor) * 100 + Int(sublevel) }
    }

    /// runc refuses CRIU older than 3.0 (no swrk features it relies on); so do we.
    static let minimum = Version(major: 3, minor: 0, sublevel: 0)

    /// The installed CRIU's version (VERSION request; CRIU older than 3.0 does not know it).
    public static func version() throws(RuntimeError) -> Version {
        let response = try CriuSwrk.call(CriuRequest(type: .version))
        guard response.success, let found = response.version else {
            throw RuntimeError("criu does not answer a VERSION request: CRIU \(minimum.text) or later is needed")
        }
        return Version(major: found.major, minor: found.minor, sublevel: found.sublevel ?? 0)
    }

    /// CRIU found, new enough, and `criu check` passing: the version, or an error naming what
    /// is missing (CRIU's own log lines when the check fails).
    public static func requireUsable() throws(RuntimeError) -> Version {
        let found = try version()
        guard found.number >= minimum.number else {
            throw RuntimeError("CRIU \(found.text) is too old: checkpoint/restore needs \(minimum.text) or later")
        }
        try check(version: found)
        return found
    }

    /// FEATURE_CHECK for what pre-dump (memory tracking) and --lazy-pages (userfaultfd) need.
    static func requireFeature(memoryTracking: Bool = false, lazyPages: Bool = false, version: Version) throws(RuntimeError) {
        let asked = CriuFeatures(memoryTracking: memoryTracking ? true : nil, lazyPages: lazyPages ? true : nil)
        let response = try CriuSwrk.call(CriuRequest(type: .featureCheck, features: asked))
        let answer = response.features ?? CriuFeatures()
        if memoryTracking && answer.memoryTracking != true {
            throw RuntimeError("CRIU \(version.text) reports no memory tracking on this kernel (soft-dirty bits): pre-dump and --parent-path need it")
        }
        if lazyPages && answer.lazyPages != true {
            throw RuntimeError("CRIU \(version.text) reports no lazy pages on this kernel (userfaultfd): --lazy-pages needs it")
        }
    }

    /// A failed DUMP/PRE_DUMP/RESTORE: CRIU's message when it sent one, the Error lines of
    /// its log, and where the log is.
    /// `kept`: whether the log outlives the failure (a restore's default work directory is in
    /// the state directory, removed with the failed container).
    static func failure(_ type: CriuRequestType, response: CriuResponse, log: String, kept: Bool = true) -> RuntimeError {
        var text = "criu \(type.name) failed"
        if let message = response.errorMessage, !message.isEmpty { text += ": \(message)" }
        if let lines = errorSummary((try? FileSystem.readText(log)) ?? "") { text += ": \(lines)" }
        if let code = response.errno, code != 0 { text += " (\(errnoDescription(code)))" }
        return RuntimeError(text + (kept ? "; log file: \(log)" : " (pass --work-path to keep CRIU's log)"))
    }

    /// What `features` reports: the version found (nil: no CRIU) and why checkpoint cannot
    /// work here, if it cannot.
    public struct Availability: Sendable {
        public var version: Version?
        public var problem: String?
        public var usable: Bool { version != nil && problem == nil }
    }

    public static func availability() -> Availability {
        let found: Version
        do {
            found = try version()
        } catch {
            return Availability(version: nil, problem: error.description)
        }
        do throws(RuntimeError) {
            guard found.number >= minimum.number else {
                throw RuntimeError("CRIU \(found.text) is too old: checkpoint/restore needs \(minimum.text) or later")
            }
            try check(version: found)
            return Availability(version: found, problem: nil)
        } catch {
            return Availability(version: found, problem: error.description)
        }
    }

    /// The CHECK request, with its log in a temporary directory (CRIU's RPC wants an images
    /// directory even for a check): on failure the error carries CRIU's Error lines.
    static func check(version: Version) throws(RuntimeError) {
        var template = Array("/tmp/petrel-criu-check.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw RuntimeError.sys("cannot check criu", "mkdtemp", path: "/tmp") }
        let directory = String(cString: made)
        defer { try? FileSystem.removeTree(directory) }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError.sys("cannot check criu", "open", path: directory) }
        defer { close(fd) }
        var options = CriuOptions()
        options.imagesDirFd = fd
        options.workDirFd = fd
        options.logFile = "check.log"
        options.logLevel = 2
        let response = try CriuSwrk.call(CriuRequest(type: .check, options: options))
        guard !response.success else { return }
        let log = (try? FileSystem.readText(directory + "/check.log")) ?? ""
        throw RuntimeError("criu check failed on this host (CRIU \(version.text)): \(errorSummary(log) ?? "no log")")
    }

    /// CRIU's "Error (file:line): text" lines, joined, without the ones that report a helper
    /// (iptables, ...) exiting non-zero while CRIU probes for optional features.
    static func errorSummary(_ log: String) -> String? {
        var messages: [String] = []
        let marker = Array("Error (".utf8)
        let close = Array("): ".utf8)
        for line in log.utf8.split(separator: UInt8(ascii: "\n")) {
            let bytes = Array(line)
            guard let start = firstIndex(of: marker, in: bytes, from: 0),
                  let end = firstIndex(of: close, in: bytes, from: start + marker.count) else { continue }
            let text = String(decoding: bytes[(end + close.count)...], as: UTF8.self)
            if text.utf8.count >= 15, firstIndex(of: Array("exited, status=".utf8), in: Array(text.utf8), from: 0) != nil { continue }
            messages.append(text)
        }
        return messages.isEmpty ? nil : messages.joined(separator: "; ")
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= needle.count, from <= bytes.count - needle.count else { return nil }
        for index in from...(bytes.count - needle.count) where bytes[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
