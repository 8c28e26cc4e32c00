// --no-pivot: before the rootfs is moved onto "/" and chrooted into, the host's full procfs
// and sysfs mounts are taken out of the container's mount namespace (runc's msMoveRoot).
// Under chroot they would still be in the namespace, and the kernel lets a user namespace
// mount a fresh, unmasked procfs or sysfs whenever a full one is visible there. Mounts
// copied into a user namespace's mount namespace are locked (they can be neither unmounted
// nor moved there), so for a user-namespaced container the first stage, still privileged,
// first mounts a tmpfs on a subdirectory of each: copied along and locked, it makes the
// kernel count those mounts as not fully visible (fs/namespace.c, mnt_already_visible).
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#define MAX_HIDDEN 256

/// Undoes mountinfo's octal escapes (\040 for a space) in place.
static void unescape(char *s) {
    char *out = s;
    for (char *in = s; *in; in++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
            *out++ = (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
            in += 3;
        } else {
            *out++ = *in;
        }
    }
    *out = 0;
}

static bool under(const char *path, const char *prefix) {
    size_t n = pe_strlen(prefix);
    while (n > 1 && prefix[n - 1] == '/') n--;
    for (size_t i = 0; i < n; i++) if (path[i] != prefix[i]) return false;
    return path[n] == 0 || path[n] == '/';
}

static bool seen(const long *ids, size_t count, long id) {
    for (size_t i = 0; i < count; i++) if (ids[i] == id) return true;
    return false;
}

/// Parses one mountinfo line: a full (root "/") proc or sysfs mount outside the rootfs not
/// handled yet gives its id and mount point (unescaped, in place).
static bool candidate(char *line, const char *rootfs, const long *done, size_t done_count, long *id, char **point, char **type) {
    char *fields[8];
    size_t count = 0;
    char *fstype = NULL;
    for (char *at = line; *at && !fstype;) {
        while (*at == ' ') at++;
        if (!*at) break;
        char *start = at;
        while (*at && *at != ' ') at++;
        if (*at) *at++ = 0;
        if (count < 8) fields[count] = start;
        if (count >= 6 && start[0] == '-' && start[1] == 0) {
            while (*at == ' ') at++;
            fstype = at;
            while (*at && *at != ' ') at++;
            *at = 0;
        }
        count++;
    }
    if (!fstype || count < 6) return false;
    if (!pe_streq(fstype, "proc") && !pe_streq(fstype, "sysfs")) return false;
    if (!pe_streq(fields[3], "/")) return false;
    long value = 0;
    for (const char *c = fields[0]; *c >= '0' && *c <= '9'; c++) value = value * 10 + (*c - '0');
    if (seen(done, done_count, value)) return false;
    unescape(fields[4]);
    if (under(fields[4], rootfs)) return false;
    *id = value;
    *point = fields[4];
    *type = fstype;
    return true;
}

/// Finds the next mount to hide: 1 found (id, path and type copied), 0 none, -1 error.
static int next_mount_typed(pe_child *child, const long *done, size_t done_count, long *id, char *path, size_t size,
                            char *type_out, size_t type_size) {
    int fd = pe_proc_open(child, "self/mountinfo", O_RDONLY | O_CLOEXEC, "pivot_root");
    if (fd < 0) return -1;
    char buffer[8192];
    char line[PE_PATH_MAX * 2];
    size_t length = 0;
    bool overlong = false;
    int found = 0;
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof(buffer));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { found = pe_fail(&child->error, errno, "pivot_root", "read", "/proc/self/mountinfo", NULL); break; }
        if (got == 0) break;
        for (ssize_t i = 0; i < got && found == 0; i++) {
            if (buffer[i] != '\n') {
                if (length + 1 < sizeof(line)) line[length++] = buffer[i]; else overlong = true;
                continue;
            }
            line[length] = 0;
            char *point = NULL;
            char *type = NULL;
            if (!overlong && candidate(line, child->plan->rootfs, done, done_count, id, &point, &type)) {
                pe_strlcpy(path, point, size);
                pe_strlcpy(type_out, type, type_size);
                found = 1;
            }
            length = 0;
            overlong = false;
        }
        if (found) break;
    }
    close(fd);
    return found;
}

static int next_mount(pe_child *child, const long *done, size_t done_count, long *id, char *path, size_t size) {
    char type[8];
    return next_mount_typed(child, done, done_count, id, path, size, type, sizeof(type));
}

int pe_hide_host_pseudo_filesystems(pe_child *child) {
    long done[MAX_HIDDEN];
    size_t done_count = 0;
    char path[PE_PATH_MAX];
    while (done_count < MAX_HIDDEN) {
        long id = 0;
        int found = next_mount(child, done, done_count, &id, path, sizeof(path));
        if (found < 0) return -1;
        if (found == 0) return 0;
        done[done_count++] = id;
        // Never let the unmount propagate back to the host.
        if (mount(NULL, path, NULL, MS_SLAVE | MS_REC, NULL) != 0) {
            if (errno == ENOENT) continue;  // a parent of it is already gone
            return pe_fail(&child->error, errno, "pivot_root", "mount", path, "make the host's procfs/sysfs a slave");
        }
        if (umount2(path, MNT_DETACH) == 0) continue;
        if (errno != EINVAL && errno != EPERM) return pe_fail(&child->error, errno, "pivot_root", "umount2", path, NULL);
        // Locked (a joined user namespace): cover it instead.
        if (mount("tmpfs", path, "tmpfs", 0, NULL) != 0) {
            return pe_fail(&child->error, errno, "pivot_root", "mount", path, "cover the host's procfs/sysfs");
        }
    }
    return pe_fail(&child->error, E2BIG, "pivot_root", "umount2", "/proc/self/mountinfo", "too many procfs and sysfs mounts to hide");
}

/// Covers a subdirectory of `point` that the setup never uses: the first of `names` there.
static int cover_below(pe_child *child, const char *point, const char *const *names) {
    for (const char *const *name = names; *name; name++) {
        char path[PE_PATH_MAX];
        pe_strlcpy(path, point, sizeof(path));
        if (!pe_append(path, sizeof(path), "/") || !pe_append(path, sizeof(path), *name)) break;
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") == 0) return 0;
        if (errno != ENOENT && errno != ENOTDIR) return pe_fail(&child->error, errno, "namespaces", "mount", path, "lock the host's procfs/sysfs");
    }
    return pe_fail(&child->error, ENOENT, "namespaces", "mount", point, "no directory to lock the host's procfs/sysfs with");
}

int pe_no_pivot_lock_types(const petrel_plan *plan) {
    if (!plan->no_pivot) return 0;
    bool user = false, new_mount = false;
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (ns->clone_flag == CLONE_NEWUSER) user = true;
        if (ns->clone_flag == CLONE_NEWNS && !ns->path) new_mount = true;
    }
    if (!user || !new_mount) return 0;
    int types = PE_LOCK_PROC | PE_LOCK_SYSFS;
    for (size_t i = 0; i < plan->mount_count; i++) {
        const petrel_mount *m = &plan->mounts[i];
        if (m->kind != PETREL_MOUNT_FILESYSTEM || !m->fstype) continue;
        if (pe_streq(m->fstype, "proc")) types &= ~PE_LOCK_PROC;
        if (pe_streq(m->fstype, "sysfs")) types &= ~PE_LOCK_SYSFS;
    }
    return types;
}

int pe_lock_host_pseudo_filesystems(pe_child *child) {
    int types = pe_no_pivot_lock_types(child->plan);
    static const char *const proc_names[] = {"sys", "fs", "driver", NULL};
    static const char *const sys_names[] = {"firmware", "kernel", "fs", NULL};
    if (unshare(CLONE_NEWNS) != 0) return pe_fail(&child->error, errno, "namespaces", "unshare", "mount", "--no-pivot");
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) != 0) {
        return pe_fail(&child->error, errno, "namespaces", "mount", "/", "make it a slave (--no-pivot)");
    }
    if (pe_proc_attach(child) != 0) return -1;
    long done[MAX_HIDDEN];
    size_t done_count = 0;
    char path[PE_PATH_MAX];
    char type[8];
    while (done_count < MAX_HIDDEN) {
        long id = 0;
        int found = next_mount_typed(child, done, done_count, &id, path, sizeof(path), type, sizeof(type));
        if (found < 0) return -1;
        if (found == 0) return 0;
        done[done_count++] = id;
        bool proc = pe_streq(type, "proc");
        if (!(types & (proc ? PE_LOCK_PROC : PE_LOCK_SYSFS))) continue;
        if (cover_below(child, path, proc ? proc_names : sys_names) != 0) return -1;
    }
    return pe_fail(&child->error, E2BIG, "namespaces", "mount", "/proc/self/mountinfo", "too many procfs and sysfs mounts to lock");
}
