import Foundation
import Testing

/// config.json fuzzing (issue 11): a seeded mutator over the valid config of
/// scripts/make-bundle. Every case runs `create` (and `delete --force` when it worked) and
/// must end without a signal death or a hang, with a message whenever it fails, leaving no
/// state directory and no cgroup.
///
/// PETREL_FUZZ_CASES (default 200) and PETREL_FUZZ_SEED (default 0x5eed) choose the run; a
/// failing case is reported with its number and the config text, so it can be replayed.
@Suite(Harness.enabled)
struct ConfigFuzz {
    static let cases = Int(ProcessInfo.processInfo.environment["PETREL_FUZZ_CASES"] ?? "") ?? 200
    static let seed = UInt64(ProcessInfo.processInfo.environment["PETREL_FUZZ_SEED"] ?? "") ?? 0x5eed

    @Test("seeded config.json mutations: no crash, no hang, every error has a message, nothing leaks")
    func fuzzCreate() throws {
        let t = try Sandbox()
        defer { t.cleanup() }
        let parent = "pit-fuzz-\(Harness.randomToken())"
        let base = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: t.configPath)))
        var random = SplitMix64(seed: Self.seed)
        defer { Self.removeCgroupParents(parent) }
        var failures = 0
        var successes = 0
        for number in 0..<Self.cases {
            let id = "pit-fz\(number)-\(Harness.randomToken(6))"
            var mutator = Mutator(random: random)
            let text = mutator.mutate(base, cgroupsPath: "/\(parent)/\(id)")
            random = mutator.random
            try text.write(to: URL(fileURLWithPath: t.configPath))
            let result = t.runtime(["create", "--bundle", t.bundle, id], timeout: 20)
            let replay = "case \(number) (seed \(Self.seed)), config: \(String(decoding: text.prefix(2000), as: UTF8.self).debugDescription)"
            #expect(!result.timedOut, "hang: \(replay)")
            #expect(!(129...192).contains(result.status), "signal death: \(result)\n\(replay)")
            if result.status == 0 {
                successes += 1
                let deleted = t.runtime(["delete", "--force", id], timeout: 20)
                #expect(deleted.status == 0, "\(deleted)\n\(replay)")
            } else {
                failures += 1
                #expect(!result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no message: \(result)\n\(replay)")
            }
            #expect(!t.hasStateDir(id), "state left: \(result)\n\(replay)")
            let leftovers = Self.cgroupDirectories(parent).filter { $0.hasSuffix("/" + id) }
            #expect(leftovers.isEmpty, "cgroup left: \(leftovers)\n\(replay)")
        }
        #expect(t.listedIDs().isEmpty)
        print("config fuzz: \(Self.cases) cases (seed \(Self.seed)): \(failures) refused, \(successes) created")
        #expect(failures > 0 && successes > 0, "the mutator makes both valid and invalid configs: \(failures) failed, \(successes) worked")
    }

    /// The fuzz parent cgroup in every hierarchy (v2: one, v1: one per controller).
    static func cgroupParents(_ parent: String) -> [String] {
        let root = "/sys/fs/cgroup"
        var parents = [root + "/" + parent]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            parents.append("\(root)/\(entry)/\(parent)")
        }
        return parents.filter { FileManager.default.fileExists(atPath: $0) }
    }

    static func cgroupDirectories(_ parent: String) -> [String] {
        cgroupParents(parent).flatMap { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { FileManager.default.fileExists(atPath: "\(directory)/\($0)/cgroup.procs") }
                .map { "\(directory)/\($0)" }
        }
    }

    static func removeCgroupParents(_ parent: String) {
        for directory in cgroupParents(parent) { rmdir(directory) }
    }
}

/// Deterministic randomness (Steele et al.'s SplitMix64).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}

/// The mutations: structural ones on the parsed JSON (drop, retype, huge numbers, deep
/// nesting, unknown enum values, bad paths, duplicate keys) then textual ones (truncation,
/// random bytes). Raw JSON (numbers beyond Double, nesting) goes in through placeholders.
struct Mutator {
    var random: SplitMix64
    private var raw: [String: String] = [:]

    init(random: SplitMix64) { self.random = random }

    enum Step: CaseIterable { case drop, retype, hugeNumber, deepNesting, unknownEnum, badPath, duplicateKey, truncate, randomBytes }

    mutating func mutate(_ base: Any, cgroupsPath: String) -> Data {
        var config = base
        setValue(&config, at: ["linux", "cgroupsPath"], cgroupsPath)
        setValue(&config, at: ["process", "args"], ["sleep", "10"])
        let count = 1 + random.below(3)
        var textual: [Step] = []
        for _ in 0..<count {
            let step = random.pick(Step.allCases)
            switch step {
            case .truncate, .randomBytes, .duplicateKey: textual.append(step)
            default: structural(step, &config)
            }
        }
        // The cgroup path stays the test's own: a fuzzed one could name a host cgroup.
        setValue(&config, at: ["linux", "cgroupsPath"], cgroupsPath)
        var text = (try? JSONSerialization.data(withJSONObject: config, options: [.fragmentsAllowed])) ?? Data("{}".utf8)
        if !raw.isEmpty {
            var string = String(decoding: text, as: UTF8.self)
            for (marker, value) in raw { string = string.replacingOccurrences(of: "\"\(marker)\"", with: value) }
            text = Data(string.utf8)
        }
        for step in textual { textualStep(step, &text) }
        return text
    }

    // MARK: Structural

    private mutating func structural(_ step: Step, _ config: inout Any) {
        let paths = Self.paths(config)
        guard let path = paths.isEmpty ? nil : random.pick(paths) else { return }
        switch step {
        case .drop:
            setValue(&config, at: path, nil)
        case .retype:
            setValue(&config, at: path, random.pick(["text", 7, -1, true, NSNull(), [] as [Any], ["k": "v"], [1, "x"] as [Any], 0.5] as [Any]))
        case .hugeNumber:
            let marker = "@@raw\(raw.count)@@"
            raw[marker] = random.pick(["1e308", "-1e308", "18446744073709551616", "18446744073709551615", "9223372036854775808",
                                       "-9223372036854775809", "4294967296", "-1", "1.5", "1e-400", "0.0", "-0"])
            setValue(&config, at: path, marker)
        case .deepNesting:
            let marker = "@@raw\(raw.count)@@"
            let depth = random.pick([64, 1000, 10000, 100000])
            let object = random.below(2) == 0
            raw[marker] = String(repeating: object ? "{\"a\":" : "[", count: depth) + "1" + String(repeating: object ? "}" : "]", count: depth)
            setValue(&config, at: path, marker)
        case .unknownEnum:
            let targets: [([Any], [String])] = [
                (["linux", "namespaces", random.below(6), "type"], ["bogus", "PID", "", "user ", "cgroup2"]),
                (["linux", "rootfsPropagation"], ["bogus", "rshared ", "SHARED"]),
                (["process", "rlimits", 0, "type"], ["RLIMIT_BOGUS", "rlimit_nofile", ""]),
                (["process", "capabilities", "bounding", 0], ["CAP_BOGUS", "cap_kill", "CAP_"]),
                (["linux", "resources", "devices", 0, "type"], ["z", "cb", ""]),
                (["linux", "resources", "devices", 0, "access"], ["rwmx", "q", ""]),
                (["mounts", random.below(7), "type"], ["bogusfs", "", "proc\u{1}"]),
                (["mounts", random.below(7), "options", 0], ["bogus-option", "rbind,ro", "size=-1", "mode=99999"]),
                (["ociVersion"], ["0.0.0", "1.0.2-dev", "banana", ""]),
                (["process", "user", "umask"], ["octal"]),
            ]
            let (target, values) = random.pick(targets)
            setValue(&config, at: target, random.pick(values))
        case .badPath:
            let long = "/" + String(repeating: "x", count: 5000)
            let targets: [([Any], [Any])] = [
                (["root", "path"], ["", "/nonexistent", "../../../../../../", "rootfs/../../../../", "rootfs\u{0}x", long, "/dev/null", "/proc/self/root"]),
                (["mounts", random.below(7), "destination"], ["relative", "", "/../../../etc", "/proc/../..", long, "/dev/../../tmp/x", "/\u{0}"]),
                (["mounts", random.below(7), "source"], ["", "/nonexistent", long, "../../.."]),
                (["process", "cwd"], ["relative", "", "/nonexistent/deep", "/proc/self/fd/0", long]),
                (["process", "args"], [[""], ["/nonexistent"], ["../../bin/sh"], [long], [] as [String]]),
                (["linux", "namespaces", random.below(6), "path"], ["/nonexistent", "/dev/null", "relative", "/proc/self/ns/../../.."]),
                (["linux", "maskedPaths", random.below(10)], ["relative", "/../../etc/shadow", long, ""]),
                (["linux", "readonlyPaths", random.below(6)], ["relative", "/../..", long, ""]),
                (["hostname"], [long, "bad\u{0}name", ""]),
            ]
            let (target, values) = random.pick(targets)
            setValue(&config, at: target, random.pick(values))
        default:
            break
        }
    }

    /// Every path to a value in the document (keys and indices).
    static func paths(_ value: Any, prefix: [Any] = []) -> [[Any]] {
        var result: [[Any]] = prefix.isEmpty ? [] : [prefix]
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() { result += paths(object[key] as Any, prefix: prefix + [key]) }
        } else if let array = value as? [Any] {
            for (index, element) in array.enumerated() { result += paths(element, prefix: prefix + [index]) }
        }
        return result
    }

    /// Sets (nil: removes) the value at `path`; missing objects on the way are made, an
    /// index past an array's end appends.
    func setValue(_ root: inout Any, at path: [Any], _ value: Any?) {
        guard let first = path.first else {
            if let value { root = value }
            return
        }
        let rest = Array(path.dropFirst())
        if let key = first as? String {
            var object = root as? [String: Any] ?? [:]
            if rest.isEmpty {
                object[key] = value
            } else {
                var child: Any = object[key] ?? [String: Any]()
                setValue(&child, at: rest, value)
                object[key] = child
            }
            root = object
        } else if let index = first as? Int {
            var array = root as? [Any] ?? []
            if index < array.count {
                if rest.isEmpty {
                    if let value { array[index] = value } else { array.remove(at: index) }
                } else {
                    var child = array[index]
                    setValue(&child, at: rest, value)
                    array[index] = child
                }
            } else if let value, rest.isEmpty {
                array.append(value)
            }
            root = array
        }
    }

    // MARK: Textual

    private mutating func textualStep(_ step: Step, _ text: inout Data) {
        guard !text.isEmpty else { return }
        switch step {
        case .truncate:
            text = text.prefix(random.below(text.count))
        case .randomBytes:
            for _ in 0..<(1 + random.below(8)) {
                let at = text.startIndex + random.below(text.count)
                text[at] = random.pick([0x00, 0xff, 0xc3, 0x22, 0x5c, 0x7b, 0x5d, 0x2c, UInt8(truncatingIfNeeded: random.next())])
            }
        case .duplicateKey:
            // A key of the document again, right after some '{': a duplicate where it exists.
            let string = String(decoding: text, as: UTF8.self)
            let keys = Self.paths((try? JSONSerialization.jsonObject(with: text)) ?? [:]).compactMap { $0.last as? String }
            let braces = string.indices.filter { string[$0] == "{" }
            guard let key = keys.isEmpty ? nil : random.pick(keys), !braces.isEmpty else { return }
            let brace = random.pick(braces)
            let value = random.pick(["\"dup\"", "1", "null", "[]", "{}", "true"])
            var mutated = string
            mutated.insert(contentsOf: "\"\(key)\":\(value),", at: mutated.index(after: brace))
            text = Data(mutated.utf8)
        default:
            break
        }
    }
}
