// no-clone3 PROGRAM [ARGS...]: runs PROGRAM under a seccomp filter that answers clone3 with
// ENOSYS, as Docker's default profile does (Docker-in-Docker, CI runners, kind nodes) and as
// valgrind does. The tests run Petrel under it to exercise its clone(2) fallback.
// Build: cc -static -O2 -o no-clone3 scripts/no-clone3.c   (run as root: no no_new_privs)
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "no-clone3: unsupported architecture"
#endif

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: no-clone3 PROGRAM [ARGS...]\n");
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0) {
        fprintf(stderr, "no-clone3: cannot install the seccomp filter: %s\n", strerror(errno));
        return 125;
    }
    // The filter must hold: without it clone3(NULL, 0) fails with EINVAL, not ENOSYS.
    if (syscall(__NR_clone3, NULL, 0) != -1 || errno != ENOSYS) {
        fprintf(stderr, "no-clone3: clone3 is not filtered\n");
        return 125;
    }
    execv(argv[1], argv + 1);
    fprintf(stderr, "no-clone3: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
}
