import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// Puts a device filter program on a cgroup v2 directory: load, attach next to any
/// program already there (BPF_F_ALLOW_MULTI), then detach the old ones. Attaching first
/// means the cgroup is never without a filter, even for an instant.
enum DeviceFilterLoader {
    static func install(_ program: [BPFInstruction], in path: String) throws(RuntimeError) {
        let cgroup = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard cgroup >= 0 else { throw RuntimeError.sys("cannot open cgroup for its device filter", "open", path: path) }
        defer { close(cgroup) }

        var previous = [UInt32](repeating: 0, count: 64)
        var count = UInt32(previous.count)
        if petrel_bpf_query_device_programs(cgroup, &previous, &count) != 0 { count = 0 }

        let instructions = program.map {
            petrel_bpf_insn(code: $0.code, regs: ($0.src << 4) | ($0.dst & 0x0f), off: $0.offset, imm: $0.imm)
        }
        var log = [CChar](repeating: 0, count: 4096)
        let loaded = instructions.withUnsafeBufferPointer { buffer in
            petrel_bpf_load_device_program(buffer.baseAddress, buffer.count, DeviceFilter.license, &log, log.count)
        }
        guard loaded >= 0 else {
            var error = RuntimeError.sys("cannot load the device filter for cgroup \(path)", "bpf(BPF_PROG_LOAD)")
            let verifier = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !verifier.isEmpty { error.message += " (verifier: \(verifier.split(separator: "\n").suffix(3).joined(separator: "; ")))" }
            throw error
        }
        defer { close(loaded) }
        guard petrel_bpf_attach_device_program(cgroup, loaded) == 0 else {
            throw RuntimeError.sys("cannot attach the device filter to cgroup \(path)", "bpf(BPF_PROG_ATTACH)")
        }
        for id in previous.prefix(Int(count)) where petrel_bpf_detach_device_program(cgroup, id) != 0 {
            Logger.shared.warning("cgroup \(path): cannot detach the previous device filter \(id): \(errnoDescription(errno))")
        }
    }
}
