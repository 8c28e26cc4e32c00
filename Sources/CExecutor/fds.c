// Closing (or marking close-on-exec) ranges of fds on every kernel Petrel accepts:
// close_range needs 5.9 and CLOSE_RANGE_CLOEXEC 5.11. Runs in the child: no malloc.
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PE_FD_LOOP_CAP (1U << 20)  // fs.nr_open's default and usual ceiling

/// The highest fd number a walk has seen: later fallbacks without /proc go at least there.
static unsigned int highest_seen;

static void close_one(unsigned int fd, unsigned int flags) {
    if (flags & CLOSE_RANGE_CLOEXEC) {
        int current = fcntl((int)fd, F_GETFD);
        if (current >= 0 && !(current & FD_CLOEXEC)) fcntl((int)fd, F_SETFD, current | FD_CLOEXEC);
    } else {
        close((int)fd);
    }
}

static unsigned int parse_fd(const char *name, bool *ok) {
    unsigned long value = 0;
    *ok = name[0] != 0;
    for (const char *p = name; *p; p++) {
        if (*p < '0' || *p > '9' || value > 0x7fffffffUL) { *ok = false; return 0; }
        value = value * 10 + (unsigned long)(*p - '0');
    }
    return (unsigned int)value;
}

/// Walks /proc/self/fd, which must be a real procfs (after pivot_root the path is the
/// container's, and a rootfs without /proc could fake it). 0, or -1 when unusable.
static int walk_proc(unsigned int from, unsigned int to, unsigned int flags) {
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    if (!pe_on_procfs(dir)) {
        close(dir);
        return -1;
    }
    char buffer[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            close(dir);
            return -1;
        }
        if (n == 0) break;
        for (long offset = 0; offset < n;) {
            // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
            unsigned short reclen = *(unsigned short *)(buffer + offset + 16);
            const char *name = buffer + offset + 19;
            offset += reclen;
            bool ok;
            unsigned int fd = parse_fd(name, &ok);
            if (!ok || (int)fd == dir) continue;
            if (fd > highest_seen) highest_seen = fd;
            if (fd >= from && fd <= to) close_one(fd, flags);
        }
    }
    close(dir);
    return 0;
}

/// Every number up to the fd limits (and what a walk saw): the last resort.
static void loop_to_limit(unsigned int from, unsigned int to, unsigned int flags) {
    struct rlimit limit;
    unsigned int bound = highest_seen + 1;
    if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &limit) == 0) {
        // An fd may lie above a limit lowered after it was opened: take the larger one.
        rlim_t larger = limit.rlim_max > limit.rlim_cur ? limit.rlim_max : limit.rlim_cur;
        if (larger > bound) bound = larger > PE_FD_LOOP_CAP ? PE_FD_LOOP_CAP : (unsigned int)larger;
    }
    if (bound < 1024) bound = 1024;
    for (unsigned int fd = from; fd <= to && fd < bound; fd++) close_one(fd, flags);
}

int pe_close_range(unsigned int from, unsigned int to, unsigned int flags) {
    if (from > to) return 0;
    if (syscall(SYS_close_range, from, to, flags) == 0) return 0;
    // ENOSYS before 5.9, EINVAL for CLOSE_RANGE_CLOEXEC before 5.11 (or a filter).
    if (errno != ENOSYS && errno != EINVAL && errno != EPERM) return -1;
    if (walk_proc(from, to, flags) != 0) loop_to_limit(from, to, flags);
    return 0;
}
