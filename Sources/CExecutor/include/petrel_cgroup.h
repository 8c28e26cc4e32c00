// Syscalls the cgroup managers need that Swift cannot import: bpf(2) for the cgroup v2
// device filter (no glibc wrapper), and an O_PATH open (O_PATH is _GNU_SOURCE-only) of a
// cgroup v2 directory for clone3's CLONE_INTO_CGROUP.
#ifndef PETREL_CGROUP_H
#define PETREL_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One eBPF instruction, laid out like the kernel's struct bpf_insn.
typedef struct {
    uint8_t code;
    uint8_t regs;                // dst_reg in the low nibble, src_reg in the high nibble
    int16_t off;
    int32_t imm;
} petrel_bpf_insn;

/// Loads a BPF_PROG_TYPE_CGROUP_DEVICE program. Returns the program fd (CLOEXEC) or -1 with
/// errno set; the verifier's complaint, if any, is copied into log (NUL terminated).
int petrel_bpf_load_device_program(const petrel_bpf_insn *insns, size_t count, const char *license,
                                   char *log, size_t log_size);

/// Attaches a loaded device program to a cgroup directory fd with BPF_F_ALLOW_MULTI.
int petrel_bpf_attach_device_program(int cgroup_fd, int program_fd);

/// Lists the ids of the device programs attached directly to the cgroup. On entry *count is
/// the capacity of ids; on return the number attached. Returns 0 or -1 with errno.
int petrel_bpf_query_device_programs(int cgroup_fd, uint32_t *ids, uint32_t *count);

/// Detaches the device program with the given id from the cgroup. Returns 0 or -1 with errno.
int petrel_bpf_detach_device_program(int cgroup_fd, uint32_t program_id);

/// open(path, O_PATH|O_DIRECTORY|O_CLOEXEC): the fd clone3 needs for CLONE_INTO_CGROUP.
int petrel_open_cgroup_directory(const char *path);

#ifdef __cplusplus
}
#endif

#endif
