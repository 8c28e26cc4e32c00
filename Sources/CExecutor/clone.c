// clone3, or clone(2) where clone3 is missing or filtered.
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

// Set once clone3 failed with ENOSYS/EPERM and clone(2) then worked: later clones of this
// process (the shim makes many) go straight to clone(2). A relaxed atomic: the shim has threads.
static int clone3_unavailable;

long pe_clone(uint64_t flags, int exit_signal, int *pidfd, int cgroup_fd, bool *in_cgroup, const char **syscall_name) {
    *in_cgroup = false;
    bool tried = false;
    if (!__atomic_load_n(&clone3_unavailable, __ATOMIC_RELAXED)) {
        struct clone_args args;
        memset(&args, 0, sizeof(args));
        args.flags = flags | CLONE_PIDFD;
        args.pidfd = (uint64_t)(uintptr_t)pidfd;
        args.exit_signal = (uint64_t)exit_signal;
        if (cgroup_fd >= 0) {
            args.flags |= CLONE_INTO_CGROUP;
            args.cgroup = (uint64_t)cgroup_fd;
        }
        *syscall_name = "clone3";
        long pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid >= 0) {
            *in_cgroup = cgroup_fd >= 0;
            return pid;
        }
        if (errno != ENOSYS && errno != EPERM) return -1;
        tried = true;
    }
    // clone(2) as fork: no new stack; the pidfd goes to parent_tid (the third argument on
    // every architecture, CLONE_BACKWARDS included).
    *syscall_name = "clone";
    long pid = syscall(SYS_clone, (unsigned long)(flags | CLONE_PIDFD) | (unsigned long)exit_signal, NULL, pidfd, NULL, NULL);
    if (pid > 0 && tried) __atomic_store_n(&clone3_unavailable, 1, __ATOMIC_RELAXED);
    return pid;
}

int pe_join_cgroup(int cgroup_fd, pid_t pid) {
    int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char number[24];
    pe_format_int(number, sizeof(number), pid);
    int rc = pe_write_all(fd, number, pe_strlen(number));
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
