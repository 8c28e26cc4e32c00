// Fault injection with strace: a runtime call killed (SIGKILL) on entry to its Nth syscall,
// then `delete --force`, then a leak check. See FaultInjectionTests.swift.

import Foundation
import Testing

/// One syscall of a recorded run, and how strace names it for an injection: strace counts
/// invocations per syscall name (`inject=S:when=M` hits the Mth call of S, not the Mth
/// syscall), so a stage is (name, occurrence).
struct SyscallStage: CustomStringConvertible, Sendable {
    var index: Int
    var name: String
    var occurrence: Int
    var line: String

    var description: String {
        "stage \(index) (\(name) #\(occurrence): \(line.prefix(140)))"
    }
}

enum FaultInjector {
    static let strace: String? = Harness.which("strace")

    /// Why the suite cannot run here, or nil.
    static let unavailableReason: String? = {
        if let reason = Harness.unavailableReason { return reason }
        if strace == nil { return "strace not installed (scripts/setup installs it)" }
        return nil
    }()

    static var enabled: ConditionTrait {
        .enabled(if: unavailableReason == nil, Comment(rawValue: unavailableReason ?? "strace available"))
    }

    /// PETREL_FAULT_STAGES: how many stages per verb ("all" for every candidate). The default
    /// keeps the suite around a minute on the host; the emulated guest gets fewer.
    static var stageBudget: Int {
        let value = ProcessInfo.processInfo.environment["PETREL_FAULT_STAGES"] ?? ""
        if value == "all" { return Int.max }
        if let number = Int(value), number > 0 { return number }
        return isEmulated ? 3 : 24
    }

    /// The cgroup v2 guest (vm-run) is emulated, ~10x slower: its CPU says "QEMU TCG CPU".
    static let isEmulated: Bool = {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return cpuinfo.contains("QEMU TCG")
    }()

    /// The syscalls of the traced process (no -f: the runtime itself, not the init it clones),
    /// from `strace -o FILE`.
    static func parse(_ trace: String) -> [SyscallStage] {
        var counts: [String: Int] = [:]
        var result: [SyscallStage] = []
        for raw in trace.split(separator: "\n") {
            let line = String(raw)
            guard let open = line.firstIndex(of: "("), line.first?.isLowercase == true else { continue }
            let name = String(line[..<open])
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            counts[name, default: 0] += 1
            result.append(SyscallStage(index: result.count, name: name, occurrence: counts[name] ?? 1, line: line))
        }
        return result
    }

    /// Syscalls with effects worth dying on (and just after).
    static let interesting: Set<String> = [
        "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "write", "pwrite64",
        "clone", "clone3", "fork", "vfork", "sendto", "sendmsg", "recvmsg", "recvfrom", "flock", "mknodat", "mknod",
        "kill", "pidfd_send_signal", "pidfd_open", "wait4", "waitid", "mount", "umount2", "setns", "socketpair",
        "connect", "symlinkat", "linkat", "fchmod", "chmod", "fchown", "ftruncate",
    ]

    /// A bounded, representative set of stages: from the first syscall touching `marker` (the
    /// state root: nothing before it has effects outside the process), every interesting one
    /// (openat only when it creates or writes, or names the state or a cgroup), every 10th
    /// one, and always the one right after a clone. Evenly thinned to `budget`.
    static func stages(_ all: [SyscallStage], marker: String, budget: Int) -> [SyscallStage] {
        guard let start = all.firstIndex(where: { $0.line.contains(marker) }) else { return [] }
        var picked: [Int] = []
        var mustKeep: Set<Int> = []
        for stage in all[start...] {
            var take = interesting.contains(stage.name) || (stage.index - start) % 10 == 0
            if stage.name == "openat" {
                take = take || stage.line.contains("O_CREAT") || stage.line.contains("O_WRONLY") || stage.line.contains("O_RDWR")
                    || stage.line.contains(marker) || stage.line.contains("/sys/fs/cgroup")
            }
            if stage.index > 0, ["clone", "clone3"].contains(all[stage.index - 1].name) {
                take = true
                mustKeep.insert(stage.index)
            }
            if ["clone", "clone3", "rename"].contains(stage.name) { mustKeep.insert(stage.index) }
            // exit_group kills nothing new: the process is ending anyway.
            if stage.name == "exit_group" { take = false }
            if take { picked.append(stage.index) }
        }
        guard picked.count > budget else { return picked.map { all[$0] } }
        var chosen = Set(mustKeep.intersection(picked).sorted().prefix(budget))
        let rest = picked.filter { !chosen.contains($0) }
        let room = budget - chosen.count
        if room > 0 {
            for k in 0..<room { chosen.insert(rest[k * rest.count / room]) }
        }
        return chosen.sorted().map { all[$0] }
    }
}

/// What a container may leave on the host, limited to what names this test's container:
/// mount lines, cgroup directories under the test's own cgroup prefix (every hierarchy),
/// processes whose cmdline or cgroup mention the id or the sandbox, state entries.
struct LeakSnapshot: Equatable, CustomStringConvertible {
    var mounts: Set<String> = []
    var cgroups: Set<String> = []
    var processes: Set<String> = []
    var state: Set<String> = []

    static func take(ids: [String], sandbox: String, root: String, cgroupPrefix: String) -> LeakSnapshot {
        var snapshot = LeakSnapshot()
        let needles = ids + [sandbox, cgroupPrefix]
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in mountinfo.split(separator: "\n") where needles.contains(where: { line.contains($0) }) {
            snapshot.mounts.insert(String(line))
        }
        for mountPoint in cgroupMountPoints() {
            for directory in directories(below: mountPoint + cgroupPrefix) { snapshot.cgroups.insert(directory) }
        }
        let me = getpid()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != me, Harness.processAlive(Int(pid)) else { continue }
            let cmdline = ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data())
                .map { $0 == 0 ? UInt8(ascii: " ") : $0 }
            let command = String(decoding: cmdline, as: UTF8.self)
            let cgroup = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
            // The strace running the command names it too: it is ours and ends with it.
            if command.hasPrefix(FaultInjector.strace ?? "strace") { continue }
            if needles.contains(where: { command.contains($0) || cgroup.contains($0) }) {
                snapshot.processes.insert("\(pid) [\(command.prefix(120))] cgroup \(cgroup.split(separator: "\n").first ?? "")")
            }
        }
        snapshot.state = Set((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
        return snapshot
    }

    /// What `self` has that `before` had not.
    func leaked(since before: LeakSnapshot) -> LeakSnapshot {
        LeakSnapshot(mounts: mounts.subtracting(before.mounts), cgroups: cgroups.subtracting(before.cgroups),
                     processes: processes.subtracting(before.processes), state: state.subtracting(before.state))
    }

    var isEmpty: Bool { mounts.isEmpty && cgroups.isEmpty && processes.isEmpty && state.isEmpty }

    var description: String {
        var parts: [String] = []
        if !mounts.isEmpty { parts.append("mounts: " + mounts.sorted().joined(separator: "; ")) }
        if !cgroups.isEmpty { parts.append("cgroups: " + cgroups.sorted().joined(separator: ", ")) }
        if !processes.isEmpty { parts.append("processes: " + processes.sorted().joined(separator: "; ")) }
        if !state.isEmpty { parts.append("state entries: " + state.sorted().joined(separator: ", ")) }
        return parts.isEmpty ? "nothing" : parts.joined(separator: " | ")
    }

    /// Every cgroup and cgroup2 mount point of the host (each v1 hierarchy, the unified one).
    static func cgroupMountPoints() -> [String] {
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        var points: [String] = []
        for line in mountinfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, let type = halves[1].split(separator: " ").first,
                  type == "cgroup" || type == "cgroup2" else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count > 4 { points.append(String(fields[4])) }
        }
        return points
    }

    /// The directory and every directory below it, if it exists.
    static func directories(below path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
        var result = [path]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            result += directories(below: path + "/" + name)
        }
        return result
    }
}

extension Sandbox {
    /// Runs the runtime (with --root) under strace, no injection, and returns its syscalls.
    func traceRuntime(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [SyscallStage] {
        let strace = try #require(FaultInjector.strace)
        let file = dir + "/trace-\(Harness.randomToken())"
        let result = Child(strace, ["-o", file, Harness.binary, "--root", root] + args, ioDirectory: dir + "/io").wait()
        try #require(result.succeeded, "the traced call must succeed: \(result)", sourceLocation: sourceLocation)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return FaultInjector.parse(try String(contentsOfFile: file, encoding: .utf8))
    }

    /// Runs the runtime (with --root) under strace, killed on entry to `stage`'s syscall.
    func runtimeKilled(at stage: SyscallStage, _ args: [String]) -> Output {
        let strace = FaultInjector.strace ?? "strace"
        return Child(strace, ["-o", "/dev/null", "-e", "inject=\(stage.name):signal=KILL:when=\(stage.occurrence)",
                              Harness.binary, "--root", root] + args, ioDirectory: dir + "/io").wait()
    }
}
