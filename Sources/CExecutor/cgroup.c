#include "petrel_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(petrel_bpf_insn) == sizeof(struct bpf_insn), "petrel_bpf_insn must match struct bpf_insn");

static int bpf(int command, union bpf_attr *attr) {
    return (int)syscall(__NR_bpf, command, attr, sizeof(*attr));
}

int petrel_bpf_load_device_program(const petrel_bpf_insn *insns, size_t count, const char *license,
                                   char *log, size_t log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insn_cnt = (uint32_t)count;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.license = (uint64_t)(uintptr_t)license;
    attr.prog_flags = 0;
    if (log != NULL && log_size > 0) log[0] = 0;
    int fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0 || log == NULL || log_size == 0) return fd;
    // Load again with the verifier log only on failure: logging costs time on success.
    int saved = errno;
    attr.log_level = 1;
    attr.log_size = (uint32_t)log_size;
    attr.log_buf = (uint64_t)(uintptr_t)log;
    (void)bpf(BPF_PROG_LOAD, &attr);
    log[log_size - 1] = 0;
    errno = saved;
    return -1;
}

int petrel_bpf_attach_device_program(int cgroup_fd, int program_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)program_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return bpf(BPF_PROG_ATTACH, &attr);
}

int petrel_bpf_query_device_programs(int cgroup_fd, uint32_t *ids, uint32_t *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)cgroup_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *count;
    if (bpf(BPF_PROG_QUERY, &attr) != 0) return -1;
    *count = attr.query.prog_cnt;
    return 0;
}

int petrel_bpf_detach_device_program(int cgroup_fd, uint32_t program_id) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = program_id;
    int program_fd = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (program_fd < 0) return -1;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)program_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    int result = bpf(BPF_PROG_DETACH, &attr);
    int saved = errno;
    close(program_fd);
    errno = saved;
    return result;
}

int petrel_open_cgroup_directory(const char *path) {
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}
