import Foundation
import CExecutor
import CLibseccomp
import OCI
import Testing
@testable import PetrelRuntime

@Suite struct SeccompCacheKeyTests {
    static func profile(_ json: String) throws -> LinuxSeccomp {
        try OCIJSON.decode(LinuxSeccomp.self, from: Array(json.utf8))
    }

    static func key(_ json: String) throws -> [UInt8] {
        try #require(try SeccompCacheKey.key(profile(json)))
    }

    static let base = """
        {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
         "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
        """

    @Test func sameMeaningSameKey() throws {
        let key = try Self.key(Self.base)
        // Layout, key order, and spellings the compiler reads alike.
        let equivalent = [
            """
            {"syscalls":[{"action":"SCMP_ACT_ALLOW","names":["read","write"],"args":[]},{"args":[{"op":"SCMP_CMP_EQ","value":8,"index":0,"valueTwo":0}],
            "action":"SCMP_ACT_ALLOW","names":["personality"]}],"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X86"],
            "defaultErrnoRet":1,"defaultAction":"SCMP_ACT_ERRNO","listenerMetadata":"m","flags":["SECCOMP_FILTER_FLAG_TSYNC"]}
            """,
            // The native architecture is always first: listing it is the same filter.
            Self.base.replacingOccurrences(of: #"["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]"#, with: #"["SCMP_ARCH_X86"]"#),
        ]
        for json in equivalent {
            #expect(try Self.key(json) == key, "\(json)")
        }
        #expect(try Self.key(#"{"defaultAction":"SCMP_ACT_KILL"}"#) == Self.key(#"{"defaultAction":"SCMP_ACT_KILL_THREAD","architectures":[],"syscalls":[]}"#))
    }

    @Test func differentFilterDifferentKey() throws {
        let variants = [
            Self.base,
            Self.base.replacingOccurrences(of: #""defaultAction": "SCMP_ACT_ERRNO""#, with: #""defaultAction": "SCMP_ACT_KILL_PROCESS""#),
            Self.base.replacingOccurrences(of: #""defaultAction": "SCMP_ACT_ERRNO""#, with: #""defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38"#),
            Self.base.replacingOccurrences(of: #"["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]"#, with: #"["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"]"#),
            Self.base.replacingOccurrences(of: #"["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]"#, with: #"["SCMP_ARCH_X86_64"]"#),
            Self.base.replacingOccurrences(of: #"["read", "write"]"#, with: #"["write", "read"]"#),
            Self.base.replacingOccurrences(of: #"["read", "write"]"#, with: #"["read", "writev"]"#),
            Self.base.replacingOccurrences(of: #"["read", "write"]"#, with: #"["readwrite"]"#),
            Self.base.replacingOccurrences(of: #""value": 8"#, with: #""value": 9"#),
            Self.base.replacingOccurrences(of: #""value": 8"#, with: #""value": 8, "valueTwo": 1"#),
            Self.base.replacingOccurrences(of: #""index": 0"#, with: #""index": 1"#),
            Self.base.replacingOccurrences(of: #""SCMP_CMP_EQ""#, with: #""SCMP_CMP_NE""#),
            Self.base.replacingOccurrences(of: #""action": "SCMP_ACT_ALLOW","#, with: #""action": "SCMP_ACT_LOG","#),
            Self.base.replacingOccurrences(of: #"{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}"#,
                                           with: #"{"names": ["read", "write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}"#),
            Self.base.replacingOccurrences(of: #""architectures""#, with: #""flags": ["SECCOMP_FILTER_FLAG_LOG"], "architectures""#),
        ]
        var keys: [[UInt8]] = []
        for json in variants {
            let key = try Self.key(json)
            #expect(!keys.contains(key), "\(json)")
            keys.append(key)
        }
        // Rule order decides the order libseccomp adds rules in.
        let swapped = """
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                           "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
                          {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]}
            """
        #expect(try !keys.contains(Self.key(swapped)))
    }

    @Test func unknownArchitectureIsNotCached() throws {
        #expect(try SeccompCacheKey.key(Self.profile(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]}"#)) == nil)
    }

    @Test func canonicalStringsCannotRunTogether() {
        var one = CanonicalWriter(), two = CanonicalWriter()
        one.string("ab"); one.string("c")
        two.string("a"); two.string("bc")
        #expect(one.bytes != two.bytes)
    }

    @Test func sha256StreamsInAnyChunks() {
        let message = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let whole = SHA256.hash(message)
        for chunk in [1, 3, 55, 56, 63, 64, 65, 200] {
            var hasher = SHA256()
            var index = 0
            while index < message.count {
                let end = min(index + chunk, message.count)
                hasher.update(message[index..<end])
                index = end
            }
            #expect(hasher.finalize() == whole, "chunk \(chunk)")
        }
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // The SHA extensions (where the CPU has them) and the Swift rounds agree on every length.
        var data: [UInt8] = []
        var seed: UInt32 = 1
        for length in 0..<300 {
            var one = SHA256(), other = SHA256(portable: true)
            one.update(data)
            other.update(data)
            #expect(one.finalize() == other.finalize(), "length \(length)")
            seed = seed &* 1_664_525 &+ 1_013_904_223
            data.append(UInt8(truncatingIfNeeded: seed >> 24))
        }
        // FIPS 180-4's two-block examples.
        #expect(sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(sha256Hex(Array(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                                 + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8))
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }
}

@Suite struct SeccompCacheFileTests {
    static let program = try? SeccompCompiler.compile(LinuxSeccomp(
        defaultAction: .errno, architectures: [.x86_64, .x86, .x32],
        syscalls: [LinuxSyscall(names: ["read", "write", "exit_group"], action: .allow),
                   LinuxSyscall(names: ["personality"], action: .allow, args: [LinuxSeccompArg(index: 0, value: 8, op: .equalTo)])])).program
    static let key = SHA256.hash(Array("a key".utf8))

    /// A fresh directory standing for a --root.
    static func temporaryRoot() throws -> String {
        var template = Array("/tmp/petrel-seccomp-cache-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        return String(cString: try #require(made))
    }

    @Test func compiledProgramsPassTheKernelChecks() throws {
        let program = try #require(Self.program)
        #expect(SeccompProgram.check(program) == nil)
    }

    static func insn(_ code: UInt16, _ jt: UInt8 = 0, _ jf: UInt8 = 0, k: UInt32 = 0) -> [UInt8] {
        withUnsafeBytes(of: code) { Array($0) } + [jt, jf] + withUnsafeBytes(of: k) { Array($0) }
    }

    @Test func damagedProgramsAreRefused() throws {
        let ret = Self.insn(0x06, k: 0x7FFF_0000)
        let good = Self.insn(0x20, k: 4) + Self.insn(0x15, 1, 0, k: 0xC000_003E) + ret + ret
        #expect(SeccompProgram.check(good) == nil)
        #expect(SeccompProgram.check([]) != nil)
        #expect(SeccompProgram.check(Array(good.dropLast(3))) != nil, "not whole instructions")
        #expect(SeccompProgram.check(Array(good.dropLast(8)) + Self.insn(0x20, k: 0)) != nil, "no return at the end")
        #expect(SeccompProgram.check(Self.insn(0x20, k: 4) + Self.insn(0x15, 2, 0, k: 1) + ret + ret) != nil, "jt beyond the end")
        #expect(SeccompProgram.check(Self.insn(0x20, k: 4) + Self.insn(0x15, 0, 2, k: 1) + ret + ret) != nil, "jf beyond the end")
        #expect(SeccompProgram.check(Self.insn(0x05, k: 2) + ret + ret) != nil, "ja beyond the end")
        #expect(SeccompProgram.check(Self.insn(0x05, k: 1) + ret + ret) == nil)
        #expect(SeccompProgram.check(Self.insn(0x02) + ret) != nil, "scratch memory")
        #expect(SeccompProgram.check(Self.insn(0x20, k: 64) + ret) != nil, "beyond seccomp_data")
        #expect(SeccompProgram.check(Self.insn(0x20, k: 6) + ret) != nil, "unaligned load")
        #expect(SeccompProgram.check(Self.insn(0x34, k: 0) + ret) != nil, "division by zero")
        #expect(SeccompProgram.check(Self.insn(0x64, k: 32) + ret) != nil, "shift by 32")
        #expect(SeccompProgram.check(Self.insn(0x94, k: 3) + ret) != nil, "mod is not a seccomp opcode")
        #expect(SeccompProgram.check(Array(repeating: ret, count: 4097).flatMap { $0 }) != nil, "more than BPF_MAXINSNS")
        #expect(SeccompProgram.check(Array(repeating: ret, count: 4096).flatMap { $0 }) == nil)
    }

    @Test func fileRoundTripsAndRefusesEveryDamage() throws {
        let program = try #require(Self.program)
        let file = SeccompCache.encode(key: Self.key, program: program)
        #expect(try SeccompCache.decode(file, key: Self.key).get() == program)
        let otherKey = SHA256.hash(Array("another key".utf8))
        #expect(throws: RuntimeError("holds the filter of another profile")) { try SeccompCache.decode(file, key: otherKey).get() }
        #expect(throws: RuntimeError.self) { try SeccompCache.decode(Array(file.dropLast()), key: Self.key).get() }
        #expect(throws: RuntimeError.self) { try SeccompCache.decode(Array(file.prefix(60)), key: Self.key).get() }
        for index in [0, 9, 41, 50, file.count - 40, file.count - 1] {
            var flipped = file
            flipped[index] ^= 0x01
            #expect(throws: RuntimeError.self, "byte \(index)") { try SeccompCache.decode(flipped, key: Self.key).get() }
        }
        // A consistent file (checksum recomputed) for a program the kernel would refuse.
        let broken = SeccompCache.encode(key: Self.key, program: Array(program.dropLast(8)))
        #expect(throws: RuntimeError.self) { try SeccompCache.decode(broken, key: Self.key).get() }
    }

    @Test func missStoreHitThenDamageIsAMiss() throws {
        let program = try #require(Self.program)
        let root = try Self.temporaryRoot() + "/state"
        defer { _ = try? FileSystem.removeTree(String(root.dropLast(6))) }
        let cache = SeccompCache(root: root)
        #expect(cache.lookup(Self.key) == .miss)
        cache.store(Self.key, program: program)
        #expect(cache.lookup(Self.key) == .hit(program))
        var info = stat()
        #expect(stat(cache.directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let path = cache.directory + "/" + hexString(Self.key)
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)

        // Truncated: a miss, and the file is gone.
        #expect(truncate(path, 100) == 0)
        #expect(cache.lookup(Self.key) == .miss)
        #expect(!FileSystem.exists(path))
        // Another key's file under this key's name.
        let other = SHA256.hash(Array("other".utf8))
        let foreign = SeccompCache.encode(key: other, program: program)
        try FileSystem.writeAtomically(path, foreign, mode: 0o600)
        #expect(cache.lookup(Self.key) == .miss)
        // Group-writable, or a symlink to a good file: not trusted.
        cache.store(Self.key, program: program)
        #expect(chmod(path, 0o620) == 0)
        #expect(cache.lookup(Self.key) == .miss)
        cache.store(Self.key, program: program)
        #expect(rename(path, path + "-real") == 0 && symlink(path + "-real", path) == 0)
        #expect(cache.lookup(Self.key) == .miss)
    }

    @Test func aDirectoryOthersCanWriteIsNotUsed() throws {
        let program = try #require(Self.program)
        let root = try Self.temporaryRoot()
        defer { _ = try? FileSystem.removeTree(root) }
        let cache = SeccompCache(root: root)
        cache.store(Self.key, program: program)
        #expect(cache.lookup(Self.key) == .hit(program))
        #expect(chmod(cache.directory, 0o777) == 0)
        #expect(cache.lookup(Self.key) == .unusable)
        if geteuid() == 0 {  // only root can give it away
            #expect(chmod(cache.directory, 0o700) == 0 && chown(cache.directory, 65534, 65534) == 0)
            #expect(cache.lookup(Self.key) == .unusable)
        }
        // A symlink in its place is not followed.
        #expect(rename(cache.directory, root + "/elsewhere") == 0 && symlink(root + "/elsewhere", cache.directory) == 0)
        #expect(cache.lookup(Self.key) == .unusable)
        cache.store(SHA256.hash(Array("new".utf8)), program: program)
        #expect(try FileSystem.listDirectory(root + "/elsewhere").count == 1, "nothing written through the symlink")
    }

    @Test func theOldestEntriesAreEvicted() throws {
        let program = try #require(Self.program)
        let root = try Self.temporaryRoot()
        defer { _ = try? FileSystem.removeTree(root) }
        let cache = SeccompCache(root: root)
        let keys = (0..<(SeccompCache.maxEntries + 3)).map { SHA256.hash(Array("key \($0)".utf8)) }
        for (index, key) in keys.enumerated() {
            cache.store(key, program: program)
            // Distinct, increasing mtimes whatever the file system's granularity.
            var times = [timespec(tv_sec: 1_000_000 + index, tv_nsec: 0), timespec(tv_sec: 1_000_000 + index, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, cache.directory + "/" + hexString(key), &times, 0)
        }
        let names = try FileSystem.listDirectory(cache.directory)
        #expect(names.count == SeccompCache.maxEntries)
        #expect(!names.contains(hexString(keys[0])) && !names.contains(hexString(keys[1])))
        #expect(names.contains(hexString(keys[keys.count - 1])))
    }
}

@Suite struct SeccompCacheEnvironmentTests {
    /// The test binary links libseccomp dynamically in a debug build: both IDs are found and differ.
    @Test func buildIDsAreFound() {
        var own = [UInt8](repeating: 0, count: 64), library = [UInt8](repeating: 0, count: 64)
        let ownLength = own.withUnsafeMutableBufferPointer { petrel_own_build_id($0.baseAddress, $0.count) }
        let libraryLength = library.withUnsafeMutableBufferPointer { petrel_build_id(petrel_libseccomp_address(), $0.baseAddress, $0.count) }
        #expect(ownLength >= 16 && libraryLength >= 16)
        print("seccomp cache: own build id \(hexString(own.prefix(ownLength))), libseccomp's \(hexString(library.prefix(libraryLength)))")
        #expect(SeccompCacheKey.environment != nil)
    }
}

@Suite struct SeccompCacheCompileTests {
    /// Warm, cold and uncached compiles give the same program, load flags and listener.
    @Test func warmCompileEqualsCold() throws {
        let root = try SeccompCacheFileTests.temporaryRoot()
        defer { _ = try? FileSystem.removeTree(root) }
        let cache = SeccompCache(root: root)
        let profiles = [
            LinuxSeccomp(defaultAction: .allow, flags: [.log, .specAllow], listenerPath: "/l",
                         syscalls: [LinuxSyscall(names: ["mkdir"], action: .notify)]),
            LinuxSeccomp(defaultAction: .errno, architectures: [.x86_64, .x86, .x32], flags: [.waitKillableRecv],
                         syscalls: [LinuxSyscall(names: ["read", "write", "clone3_not_yet"], action: .allow),
                                    LinuxSyscall(names: ["personality"], action: .allow,
                                                 args: [LinuxSeccompArg(index: 0, value: 8, op: .equalTo)])]),
        ]
        for profile in profiles {
            let uncached = try SeccompCompiler.compile(profile)
            let cold = try SeccompCompiler.compile(profile, cache: cache)
            let key = try #require(try SeccompCacheKey.key(profile))
            #expect(cache.lookup(key) == .hit(uncached.program))
            let warm = try SeccompCompiler.compile(profile, cache: cache)
            #expect(cold == uncached && warm == uncached)
        }
        #expect(try SeccompCompiler.compile(profiles[0], cache: cache).usesNotify)
        #expect(try SeccompCompiler.compile(profiles[0], cache: cache).flags == 6)
    }
}
