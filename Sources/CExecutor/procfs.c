// A procfs handle the container cannot tamper with. The parent opens the host's /proc
// before the clone; the child resolves every proc file it writes (sysctls, LSM attributes)
// or reopens (the exec fifo) below that fd, never through the container's /proc, which may
// be fake (a tmpfs, a bind of a host directory) or carry mounts over single files
// (CVE-2025-52881, CVE-2019-16884, CVE-2023-28642 classes).
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int pe_trusted_proc_fd = -1;
uid_t pe_caller_euid;

/// No symlink, no magic link, no mount crossing, never above the proc root.
#define STRICT_PROC_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

long pe_openat2(int dirfd, const char *path, int flags, unsigned long long resolve) {
    struct open_how how = {.flags = (unsigned long long)flags, .mode = 0, .resolve = resolve};
    // EAGAIN: a rename or mount elsewhere on the system raced a ".." step of a confined
    // lookup (RESOLVE_IN_ROOT/BENEATH), and the kernel could not prove it stayed inside;
    // openat2(2) says to retry. Bounded, so a sustained attack ends in an error.
    long fd;
    int tries = 0;
    do fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 256);
    return fd;
}

bool pe_on_procfs(int fd) {
    struct statfs info;
    return fstatfs(fd, &info) == 0 && info.f_type == PROC_SUPER_MAGIC;
}

int pe_open_trusted_proc(petrel_error *error) {
    int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return pe_fail(error, errno, "procfs", "open", "/proc", NULL);
    if (!pe_on_procfs(fd)) {
        close(fd);
        return pe_fail(error, EXDEV, "procfs", "fstatfs", "/proc", "the host's /proc is not procfs");
    }
    return fd;
}

int pe_proc_attach(pe_child *child) {
    child->proc_fd = pe_trusted_proc_fd;
    if (child->proc_fd < 0) return pe_fail(&child->error, EBADF, "procfs", "", "/proc", "no procfs handle");
    // "self" is a symlink, which the strict lookups refuse: name ourselves by number as
    // that proc instance sees us (the host's pid namespace).
    char link[sizeof(child->proc_pid)];
    ssize_t n = readlinkat(child->proc_fd, "self", link, sizeof(link) - 1);
    if (n <= 0) return pe_fail(&child->error, n < 0 ? errno : EINVAL, "procfs", "readlinkat", "/proc/self", NULL);
    link[n] = 0;
    for (ssize_t i = 0; i < n; i++) {
        if (link[i] < '0' || link[i] > '9') return pe_fail(&child->error, EINVAL, "procfs", "readlinkat", "/proc/self", link);
    }
    pe_strlcpy(child->proc_pid, link, sizeof(child->proc_pid));
    return 0;
}

/// "self/x" -> "<pid>/x"; other paths unchanged. False when it does not fit.
static bool proc_relative(const pe_child *child, const char *path, char *out, size_t size) {
    while (*path == '/') path++;
    if (path[0] == 's' && path[1] == 'e' && path[2] == 'l' && path[3] == 'f' && (path[4] == '/' || path[4] == 0)) {
        pe_strlcpy(out, child->proc_pid, size);
        return pe_append(out, size, path + 4);
    }
    return pe_strlcpy(out, path, size) == pe_strlen(path);
}

int pe_proc_open(pe_child *child, const char *path, int flags, const char *step) {
    char display[PE_PATH_MAX] = "/proc/";
    pe_append(display, sizeof(display), path);
    char relative[PE_PATH_MAX];
    if (!proc_relative(child, path, relative, sizeof(relative))) {
        return pe_fail(&child->error, ENAMETOOLONG, step, "openat2", display, NULL);
    }
    long fd = pe_openat2(child->proc_fd, relative, flags | O_CLOEXEC | O_NOFOLLOW, STRICT_PROC_RESOLVE);
    if (fd < 0) return pe_fail(&child->error, errno, step, "openat2", display, NULL);
    if (!pe_on_procfs((int)fd)) {
        close((int)fd);
        return pe_fail(&child->error, EXDEV, step, "fstatfs", display, "not a procfs file");
    }
    return (int)fd;
}

int pe_proc_fd_directory(pe_child *child, const char *step) {
    char dir[48];
    pe_strlcpy(dir, child->proc_pid, sizeof(dir));
    pe_append(dir, sizeof(dir), "/fd");
    long fds = pe_openat2(child->proc_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, STRICT_PROC_RESOLVE);
    if (fds < 0) return pe_fail(&child->error, errno, step, "openat2", "/proc/self/fd", NULL);
    if (!pe_on_procfs((int)fds)) {
        close((int)fds);
        return pe_fail(&child->error, EXDEV, step, "fstatfs", "/proc/self/fd", "not a procfs directory");
    }
    return (int)fds;
}

int pe_proc_reopen_in(pe_child *child, int fds, int fd, int flags, const char *step) {
    char number[16];
    pe_format_int(number, sizeof(number), fd);
    // The magic link is the one last step, taken from a directory already verified.
    int reopened;
    do reopened = openat(fds, number, flags | O_CLOEXEC); while (reopened < 0 && errno == EINTR);
    if (reopened < 0) return pe_fail(&child->error, errno, step, "openat", "/proc/self/fd", number);
    // Defence in depth; a seccomp profile loaded before this point may refuse fstat, and
    // then the verified directory alone has to do.
    struct stat want, got;
    if (fstat(fd, &want) == 0 && fstat(reopened, &got) == 0 && (want.st_dev != got.st_dev || want.st_ino != got.st_ino)) {
        close(reopened);
        return pe_fail(&child->error, EXDEV, step, "fstat", "/proc/self/fd", "the reopened file is not the original");
    }
    return reopened;
}

int pe_proc_reopen(pe_child *child, int fd, int flags, const char *step) {
    int fds = pe_proc_fd_directory(child, step);
    if (fds < 0) return -1;
    int reopened = pe_proc_reopen_in(child, fds, fd, flags, step);
    close(fds);
    return reopened;
}
