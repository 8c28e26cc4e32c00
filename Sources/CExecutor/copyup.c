// runc's tmpcopyup: the contents of a directory copied into the tmpfs that covers it.
// Runs in the child: no malloc, stack buffers, bounded depth. The source lies in the
// (untrusted) rootfs: nothing is followed, FIFOs and devices are never opened.
#include "executor_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

/// Deeper trees are refused, not truncated (crun and runc recurse without a bound).
#define COPY_MAX_DEPTH 64

struct pe_linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/// Extended attributes, as far as they fit the buffers and the target filesystem takes
/// them (tmpfs keeps security.* and trusted.*, user.* only on newer kernels).
static void copy_xattrs(int from, int to) {
    char names[4096];
    char value[4096];
    ssize_t length = flistxattr(from, names, sizeof(names));
    for (ssize_t at = 0; length > 0 && at < length;) {
        const char *name = names + at;
        ssize_t size = fgetxattr(from, name, value, sizeof(value));
        if (size >= 0) (void)fsetxattr(to, name, value, (size_t)size, 0);
        at += (ssize_t)pe_strlen(name) + 1;
    }
}

/// Owner, then mode (chown clears set-id bits), then times: on `fd` itself when name is "".
static void copy_metadata(int dir, const char *name, int fd, const struct stat *info) {
    if (fd >= 0) {
        (void)fchown(fd, info->st_uid, info->st_gid);  // unmapped ids in a user namespace: keep ours
        (void)fchmod(fd, info->st_mode & 07777);
    } else {
        (void)fchownat(dir, name, info->st_uid, info->st_gid, AT_SYMLINK_NOFOLLOW);
        if (!S_ISLNK(info->st_mode)) (void)fchmodat(dir, name, info->st_mode & 07777, 0);
    }
    struct timespec times[2] = {info->st_atim, info->st_mtim};
    if (fd >= 0) (void)futimens(fd, times);
    else (void)utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW);
}

static int copy_file(pe_child *child, int from_dir, int to_dir, const char *name, const struct stat *info, const char *display) {
    int in = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0) return pe_fail(&child->error, errno, "mount", "openat", display, "tmpcopyup");
    struct stat opened;
    if (fstat(in, &opened) != 0 || !S_ISREG(opened.st_mode)) {
        close(in);
        return 0;  // swapped for something else while we looked: not ours to copy
    }
    int out = openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        int err = errno;
        close(in);
        return pe_fail(&child->error, err, "mount", "openat", display, "tmpcopyup");
    }
    char buffer[16384];
    int rc = 0;
    for (;;) {
        ssize_t got = read(in, buffer, sizeof(buffer));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { rc = pe_fail(&child->error, errno, "mount", "read", display, "tmpcopyup"); break; }
        if (got == 0) break;
        for (ssize_t done = 0; done < got;) {
            ssize_t put = write(out, buffer + done, (size_t)(got - done));
            if (put < 0 && errno == EINTR) continue;
            if (put < 0) { rc = pe_fail(&child->error, errno, "mount", "write", display, "tmpcopyup"); break; }
            done += put;
        }
        if (rc != 0) break;
    }
    if (rc == 0) {
        (void)fchown(out, info->st_uid, info->st_gid);
        (void)fchmod(out, info->st_mode & 07777);
        copy_xattrs(in, out);
        struct timespec times[2] = {info->st_atim, info->st_mtim};
        (void)futimens(out, times);
    }
    close(in);
    close(out);
    return rc;
}

static int copy_directory(pe_child *child, int from, int to, int depth, const char *display);

static int copy_entry(pe_child *child, int from, int to, const char *name, int depth, const char *display) {
    struct stat info;
    if (fstatat(from, name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return 0;
        return pe_fail(&child->error, errno, "mount", "fstatat", display, "tmpcopyup");
    }
    if (S_ISREG(info.st_mode)) return copy_file(child, from, to, name, &info, display);
    if (S_ISLNK(info.st_mode)) {
        char target[PE_PATH_MAX];
        ssize_t length = readlinkat(from, name, target, sizeof(target) - 1);
        if (length < 0) return pe_fail(&child->error, errno, "mount", "readlinkat", display, "tmpcopyup");
        target[length] = 0;
        if (symlinkat(target, to, name) != 0) return pe_fail(&child->error, errno, "mount", "symlinkat", display, "tmpcopyup");
        copy_metadata(to, name, -1, &info);
        return 0;
    }
    if (S_ISDIR(info.st_mode)) {
        if (depth >= COPY_MAX_DEPTH) {
            return pe_fail(&child->error, ELOOP, "mount", "mkdirat", display, "tmpcopyup: the directory tree is too deep to copy");
        }
        if (mkdirat(to, name, 0700) != 0) return pe_fail(&child->error, errno, "mount", "mkdirat", display, "tmpcopyup");
        int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_from < 0) return pe_fail(&child->error, errno, "mount", "openat", display, "tmpcopyup");
        int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_to < 0) {
            int err = errno;
            close(sub_from);
            return pe_fail(&child->error, err, "mount", "openat", display, "tmpcopyup");
        }
        int rc = copy_directory(child, sub_from, sub_to, depth + 1, display);
        if (rc == 0) copy_metadata(to, "", sub_to, &info);
        if (rc == 0) copy_xattrs(sub_from, sub_to);
        close(sub_from);
        close(sub_to);
        return rc;
    }
    // FIFOs, sockets and device nodes: recreated, never opened. A user namespace may not
    // make devices: skip those as runc's copy does when it cannot.
    if (mknodat(to, name, info.st_mode, info.st_rdev) != 0) {
        if (errno == EPERM) return 0;
        return pe_fail(&child->error, errno, "mount", "mknodat", display, "tmpcopyup");
    }
    copy_metadata(to, name, -1, &info);
    return 0;
}

static int copy_directory(pe_child *child, int from, int to, int depth, const char *display) {
    char buffer[4096] __attribute__((aligned(8)));
    for (;;) {
        long length = syscall(SYS_getdents64, from, buffer, sizeof(buffer));
        if (length < 0) return pe_fail(&child->error, errno, "mount", "getdents64", display, "tmpcopyup");
        if (length == 0) return 0;
        for (long at = 0; at < length;) {
            const struct pe_linux_dirent64 *entry = (const struct pe_linux_dirent64 *)(buffer + at);
            at += entry->d_reclen;
            const char *name = entry->d_name;
            if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
            if (copy_entry(child, from, to, name, depth, display) != 0) return -1;
        }
    }
}

int pe_copy_up(pe_child *child, int from_dir, int to_dir, const char *display) {
    int rc = copy_directory(child, from_dir, to_dir, 0, display);
    if (rc == 0) copy_xattrs(from_dir, to_dir);
    return rc;
}
