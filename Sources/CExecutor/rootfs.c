// The container's filesystem: propagation, the rootfs bind, spec mounts, devices, the
// root switch, masked and read-only paths. Runs in the child: stack buffers only.
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

// The new mount API (glibc 2.36 declares it in sys/mount.h; older headers do not).
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#define PE_FSCONFIG_SET_FLAG 0
#define PE_FSCONFIG_CMD_CREATE 6

struct pe_setattr {
    unsigned long long attr_set;
    unsigned long long attr_clr;
    unsigned long long propagation;
    unsigned long long userns_fd;
};

/// Resolution for paths inside the container after the root switch: never out of the
/// root, never through a symlink (the container may have planted or swapped one).
#define STRICT_IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/// "/proc/self/fd/N" for mounting onto an fd resolved safely inside the rootfs.
static void fd_path(char *buf, size_t size, int fd) {
    char number[16];
    pe_strlcpy(buf, "/proc/self/fd/", size);
    pe_format_int(number, sizeof(number), fd);
    pe_append(buf, size, number);
}

/// The mount flags that a read-only remount must keep (the kernel refuses to clear
/// locked flags in a user namespace).
static unsigned long locked_flags(const char *path) {
    struct statvfs info;
    unsigned long flags = 0;
    if (statvfs(path, &info) != 0) return 0;
    if (info.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (info.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (info.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (info.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (info.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (info.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    return flags;
}

/// Symlinks followed while creating a mount destination (the kernel's own limit).
#define PE_MAX_CREATE_LINKS 40

static int open_in_root(pe_child *child, const char *path, bool create, bool last_is_file, const char *step, int links);

/// A dangling symlink met while creating `path`: continue at its target (resolved inside the
/// root like everything else), followed by the rest of the path, as runc and crun do.
static int follow_dangling(pe_child *child, int parent, const char *prefix, size_t start, const char *rest,
                           bool last_is_file, const char *step, int links) {
    char target[PE_PATH_MAX];
    ssize_t length = readlinkat(parent, prefix + start, target, sizeof(target) - 1);
    if (length < 0) return pe_fail(&child->error, errno, step, "readlinkat", prefix, NULL);
    target[length] = 0;
    if (links >= PE_MAX_CREATE_LINKS) return pe_fail(&child->error, ELOOP, step, "openat2", prefix, "too many symlinks");
    char next[PE_PATH_MAX];
    next[0] = 0;
    if (target[0] != '/') {
        // Relative to the link's directory.
        pe_strlcpy(next, "/", sizeof(next));
        if (start > 0) {
            char dir[PE_PATH_MAX];
            pe_strlcpy(dir, prefix, sizeof(dir));
            dir[start - 1] = 0;
            pe_append(next, sizeof(next), dir);
            pe_append(next, sizeof(next), "/");
        }
    }
    bool fits = pe_append(next, sizeof(next), target);
    if (*rest) fits = fits && pe_append(next, sizeof(next), "/") && pe_append(next, sizeof(next), rest);
    if (!fits) return pe_fail(&child->error, ENAMETOOLONG, step, "openat2", prefix, NULL);
    return open_in_root(child, next, true, last_is_file, step, links + 1);
}

int pe_open_in_root(pe_child *child, const char *path, bool create, bool last_is_file, const char *step) {
    return open_in_root(child, path, create, last_is_file, step, 0);
}

static int open_in_root(pe_child *child, const char *path, bool create, bool last_is_file, const char *step, int links) {
    const unsigned long long resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    // The path relative to the root, without leading slashes.
    while (*path == '/') path++;
    if (*path == 0) {
        long fd = pe_openat2(child->root_fd, ".", O_PATH | O_CLOEXEC, resolve);
        if (fd < 0) return pe_fail(&child->error, errno, step, "openat2", "/", NULL);
        return (int)fd;
    }
    long fd = pe_openat2(child->root_fd, path, O_PATH | O_CLOEXEC, resolve);
    if (fd >= 0 || errno != ENOENT || !create) {
        if (fd < 0) return pe_fail(&child->error, errno, step, "openat2", path, NULL);
        return (int)fd;
    }
    // Walk the components, creating what is missing. Each step resolves inside the root,
    // so a symlink in the rootfs can never lead the creation out to the host.
    char prefix[PE_PATH_MAX];
    size_t length = pe_strlen(path);
    if (length >= sizeof(prefix)) return pe_fail(&child->error, ENAMETOOLONG, step, "openat2", path, NULL);
    size_t start = 0;
    while (start < length) {
        size_t end = start;
        while (end < length && path[end] != '/') end++;
        if (end == start) { start++; continue; }
        bool last = true;
        for (size_t i = end; i < length; i++) if (path[i] != '/') { last = false; break; }
        for (size_t i = 0; i < end; i++) prefix[i] = path[i];
        prefix[end] = 0;
        long existing = pe_openat2(child->root_fd, prefix, O_PATH | O_CLOEXEC, resolve);
        if (existing >= 0) {
            close((int)existing);
        } else if (errno != ENOENT) {
            return pe_fail(&child->error, errno, step, "openat2", prefix, NULL);
        } else {
            long parent;
            if (start == 0) {
                parent = pe_openat2(child->root_fd, ".", O_PATH | O_CLOEXEC, resolve);
            } else {
                prefix[start - 1] = 0;
                parent = pe_openat2(child->root_fd, prefix, O_PATH | O_CLOEXEC, resolve);
                prefix[start - 1] = '/';
            }
            if (parent < 0) return pe_fail(&child->error, errno, step, "openat2", prefix, NULL);
            const char *name = prefix + start;
            struct stat link_info;
            if (fstatat((int)parent, name, &link_info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(link_info.st_mode)) {
                const char *rest = path + end;
                while (*rest == '/') rest++;
                int followed = follow_dangling(child, (int)parent, prefix, start, rest, last_is_file, step, links);
                close((int)parent);
                return followed;
            }
            int rc;
            if (last && last_is_file) {
                rc = openat((int)parent, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (rc >= 0) { close(rc); rc = 0; }
            } else {
                rc = mkdirat((int)parent, name, 0755);
            }
            int saved = errno;
            close((int)parent);
            if (rc < 0 && saved != EEXIST) {
                return pe_fail(&child->error, saved, step, last && last_is_file ? "openat" : "mkdirat", prefix, NULL);
            }
        }
        start = end + 1;
    }
    fd = pe_openat2(child->root_fd, path, O_PATH | O_CLOEXEC, resolve);
    if (fd < 0) return pe_fail(&child->error, errno, step, "openat2", path, NULL);
    return (int)fd;
}

int pe_prepare_root(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (plan->shared_mount_namespace) {
        // The host's mount namespace: nothing here may mount or change propagation.
        int fd = open(plan->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return pe_fail(&child->error, errno, "rootfs", "open", plan->rootfs, NULL);
        child->root_fd = fd;
        return 0;
    }
    unsigned long propagation = plan->root_propagation ? plan->root_propagation : (MS_SLAVE | MS_REC);
    // pivot_root refuses shared mounts and an unbindable "/" refuses the rootfs bind below:
    // keep "/" a slave until after the switch, where pe_switch_root applies them.
    if (propagation & (MS_SHARED | MS_UNBINDABLE)) propagation = MS_SLAVE | MS_REC;
    // Recursive: the mount holding the bundle (a shared /run on systemd hosts) must follow,
    // or the rootfs bind joins its peer group and pivot_root refuses it (slave, private).
    propagation |= MS_REC;
    if (mount(NULL, "/", NULL, propagation, NULL) != 0) {
        return pe_fail(&child->error, errno, "rootfs", "mount", "/ (propagation)", NULL);
    }
    if (mount(plan->rootfs, plan->rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) {
        return pe_fail(&child->error, errno, "rootfs", "mount", plan->rootfs, "bind the rootfs onto itself");
    }
    int fd = open(plan->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return pe_fail(&child->error, errno, "rootfs", "open", plan->rootfs, NULL);
    child->root_fd = fd;
    return 0;
}

/// Mounts onto the fd's path, reporting the container path on failure.
static int mount_on(pe_child *child, int target_fd, const char *display, const char *source, const char *fstype,
                    unsigned long flags, const char *data) {
    char target[32];
    fd_path(target, sizeof(target), target_fd);
    if (mount(source, target, fstype, flags, data) != 0) {
        return pe_fail(&child->error, errno, "mount", "mount", display, fstype);
    }
    return 0;
}

/// Re-resolves `path` (now covered by a new mount) and applies a remount or propagation.
static int adjust_mount(pe_child *child, const char *path, unsigned long flags) {
    int fd = pe_open_in_root(child, path, false, false, "mount");
    if (fd < 0) return -1;
    char target[32];
    fd_path(target, sizeof(target), fd);
    int rc = 0;
    if (flags & MS_REMOUNT) flags |= locked_flags(target);
    if (mount(NULL, target, NULL, flags, NULL) != 0) {
        rc = pe_fail(&child->error, errno, "mount", "mount", path, (flags & MS_REMOUNT) ? "remount" : "propagation");
    }
    close(fd);
    return rc;
}

static int mount_cgroup_v1(pe_child *child, const petrel_mount *m, int target_fd) {
    unsigned long flags = m->flags;
    bool cgroupns = false;
    for (size_t i = 0; i < child->plan->namespace_count; i++) {
        if (child->plan->namespaces[i].clone_flag == CLONE_NEWCGROUP) cgroupns = true;
    }
    if (mount_on(child, target_fd, m->destination, "tmpfs", "tmpfs", flags & ~MS_RDONLY, "mode=755") != 0) return -1;
    int dir = pe_open_in_root(child, m->destination, false, false, "mount");
    if (dir < 0) return -1;
    int rc = 0;
    for (const char *const *sub = m->cgroup_v1_subsystems; sub && *sub && rc == 0; sub++) {
        // "name=systemd" is mounted at "systemd" with the none,name= options.
        const char *name = *sub;
        char data[256];
        bool named = name[0] == 'n' && name[1] == 'a' && name[2] == 'm' && name[3] == 'e' && name[4] == '=';
        if (named) {
            pe_strlcpy(data, "none,", sizeof(data));
            pe_append(data, sizeof(data), name);
            name += 5;
        } else {
            pe_strlcpy(data, name, sizeof(data));
        }
        char display[PE_PATH_MAX];
        pe_strlcpy(display, m->destination, sizeof(display));
        pe_append(display, sizeof(display), "/");
        pe_append(display, sizeof(display), name);
        if (mkdirat(dir, name, 0755) != 0 && errno != EEXIST) {
            rc = pe_fail(&child->error, errno, "mount", "mkdirat", display, NULL);
            break;
        }
        int sub_fd = pe_open_in_root(child, display, false, false, "mount");
        if (sub_fd < 0) { rc = -1; break; }
        const char *own = m->cgroup_v1_sources ? m->cgroup_v1_sources[sub - m->cgroup_v1_subsystems] : NULL;
        // Without a cgroup namespace the container's own cgroup is bound (runc does the same);
        // with one the hierarchy is mounted, and bound only if that is refused (EPERM: a user
        // namespace that does not own the cgroup namespace), as runc emulates cgroupns on v2.
        // Never the host's whole hierarchy.
        bool known = own && *own;
        bool bind_own = !cgroupns && known;
        if (!bind_own) {
            rc = mount_on(child, sub_fd, display, "cgroup", "cgroup", flags, data);
            if (rc != 0 && child->error.err == EPERM && known) bind_own = true;
        }
        if (bind_own) {
            rc = mount_on(child, sub_fd, display, own, NULL, MS_BIND | MS_REC, NULL);
            if (rc == 0 && (flags & MS_RDONLY)) rc = adjust_mount(child, display, MS_BIND | MS_REMOUNT | flags);
        } else if (rc != 0 && child->error.err == EPERM) {
            pe_strlcpy(child->error.detail,
                       "a user namespace may not mount this cgroup v1 hierarchy, and the container's own cgroup there is not known",
                       sizeof(child->error.detail));
        }
        close(sub_fd);
        // Co-mounted controllers ("cpu,cpuacct") are also reachable by each name.
        if (rc == 0 && !named) {
            char part[64];
            size_t n = 0;
            bool comounted = false;
            for (const char *c = name; *c; c++) if (*c == ',') comounted = true;
            for (const char *c = name; comounted; c++) {
                if (*c == ',' || *c == 0) {
                    part[n] = 0;
                    if (n > 0 && symlinkat(name, dir, part) != 0 && errno != EEXIST) {
                        rc = pe_fail(&child->error, errno, "mount", "symlinkat", part, NULL);
                        break;
                    }
                    n = 0;
                    if (*c == 0) break;
                } else if (n + 1 < sizeof(part)) {
                    part[n++] = *c;
                }
            }
        }
    }
    close(dir);
    if (rc == 0 && (flags & MS_RDONLY)) rc = adjust_mount(child, m->destination, MS_BIND | MS_REMOUNT | MS_RDONLY | flags);
    return rc;
}

/// Puts the parent's id-mapped copy of the source in place (see idmap.c).
static int move_tree(pe_child *child, const petrel_mount *m, int target_fd) {
    long rc = syscall(SYS_move_mount, m->tree_fd, "", target_fd, "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int saved = errno;
    close(m->tree_fd);
    if (rc != 0) return pe_fail(&child->error, saved, "mount", "move_mount", m->destination, m->idmapped ? "id-mapped" : NULL);
    return 0;
}

/// proc and sysfs go on a plain directory reached without any symlink: a rootfs whose
/// /proc is a symlink would otherwise put the real procfs elsewhere and leave a fake one
/// at /proc (CVE-2023-28642 class; runc: "must be mounted on ordinary directory").
static int open_plain_directory(pe_child *child, const petrel_mount *m) {
    const char *relative = m->destination;
    while (*relative == '/') relative++;
    if (*relative == 0) relative = ".";
    const unsigned long long strict = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = pe_openat2(child->root_fd, relative, O_PATH | O_CLOEXEC, strict);
    if (fd < 0 && errno == ENOENT) {
        int made = pe_open_in_root(child, m->destination, true, false, "mount");
        if (made < 0) return -1;
        close(made);
        fd = pe_openat2(child->root_fd, relative, O_PATH | O_CLOEXEC, strict);
    }
    if (fd < 0) {
        return pe_fail(&child->error, errno, "mount", "openat2", m->destination,
                       errno == ELOOP ? "proc and sysfs must be mounted on a plain directory, not through a symlink" : NULL);
    }
    struct stat info;
    if (fstat((int)fd, &info) != 0 || !S_ISDIR(info.st_mode)) {
        close((int)fd);
        return pe_fail(&child->error, ENOTDIR, "mount", "fstat", m->destination, "proc and sysfs must be mounted on a plain directory");
    }
    return (int)fd;
}

static bool destination_exists(pe_child *child, const char *path) {
    while (*path == '/') path++;
    long fd = pe_openat2(child->root_fd, *path ? path : ".", O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0) return false;
    close((int)fd);
    return true;
}

/// A read-only tmpfs on /dev is mounted writable, filled (submounts, devices, links) and made
/// read-only by pe_finish_dev, as runc does.
static bool is_readonly_dev(const petrel_mount *m) {
    return m->kind == PETREL_MOUNT_FILESYSTEM && (m->flags & MS_RDONLY) && pe_streq(m->fstype, "tmpfs") &&
           pe_streq(m->destination, "/dev");
}

int pe_finish_dev(pe_child *child) {
    for (size_t i = 0; i < child->plan->mount_count; i++) {
        const petrel_mount *m = &child->plan->mounts[i];
        if (is_readonly_dev(m) && adjust_mount(child, m->destination, MS_BIND | MS_REMOUNT | m->flags) != 0) return -1;
    }
    return 0;
}

static bool has_mode_option(const char *data) {
    for (const char *at = data; at && *at; at++) {
        if ((at == data || at[-1] == ',') && at[0] == 'm' && at[1] == 'o' && at[2] == 'd' && at[3] == 'e' && at[4] == '=') return true;
    }
    return false;
}

/// A tmpfs. Over an existing directory it keeps that directory's mode unless `mode=` is
/// given (runc chmods it); with tmpcopyup it starts with a copy of what it covers: the
/// covered directory is opened before the mount hides it, the tmpfs is filled while still
/// writable, then made read-only if asked.
static int mount_tmpfs(pe_child *child, const petrel_mount *m, int target, bool existed) {
    char data[2048];
    const char *options = m->data;
    struct stat covered_info;
    bool covered_dir = existed && fstat(target, &covered_info) == 0 && S_ISDIR(covered_info.st_mode);
    if (covered_dir && !has_mode_option(m->data)) {
        char mode[16];
        unsigned int bits = covered_info.st_mode & 07777;
        size_t n = 0;
        char digits[8];
        do { digits[n++] = (char)('0' + (bits & 7)); bits >>= 3; } while (bits && n < sizeof(digits));
        pe_strlcpy(mode, "mode=0", sizeof(mode));
        size_t at = pe_strlen(mode);
        while (n > 0 && at + 1 < sizeof(mode)) mode[at++] = digits[--n];
        mode[at] = 0;
        data[0] = 0;
        if (m->data && *m->data) {
            pe_strlcpy(data, m->data, sizeof(data));
            pe_append(data, sizeof(data), ",");
        }
        if (!pe_append(data, sizeof(data), mode)) return pe_fail(&child->error, E2BIG, "mount", "mount", m->destination, "tmpfs options");
        options = data;
    }
    int covered = -1;
    if (m->copy_up && covered_dir) {
        char path[32];
        fd_path(path, sizeof(path), target);
        covered = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (covered < 0) return pe_fail(&child->error, errno, "mount", "open", m->destination, "tmpcopyup");
    }
    unsigned long flags = covered >= 0 || is_readonly_dev(m) ? (m->flags & ~(unsigned long)MS_RDONLY) : m->flags;
    int rc = mount_on(child, target, m->destination, m->source, m->fstype, flags, options);
    if (rc == 0 && covered >= 0) {
        int fresh = pe_open_in_root(child, m->destination, false, false, "mount");
        int root = -1;
        if (fresh >= 0) {
            char path[32];
            fd_path(path, sizeof(path), fresh);
            root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (root < 0) pe_fail(&child->error, errno, "mount", "open", m->destination, "tmpcopyup");
            close(fresh);
        }
        rc = root < 0 ? -1 : pe_copy_up(child, covered, root, m->destination);
        if (rc == 0) (void)fchown(root, covered_info.st_uid, covered_info.st_gid);
        if (root >= 0) close(root);
        if (rc == 0 && (m->flags & MS_RDONLY) && !is_readonly_dev(m)) rc = adjust_mount(child, m->destination, MS_BIND | MS_REMOUNT | m->flags);
    }
    if (covered >= 0) close(covered);
    return rc;
}

/// runc's recursive options: mount_setattr(AT_RECURSIVE) on the mount and its submounts.
static int set_recursive_attributes(pe_child *child, const petrel_mount *m) {
    int fd = pe_open_in_root(child, m->destination, false, false, "mount");
    if (fd < 0) return -1;
    struct pe_setattr attr = {.attr_set = m->attr_set, .attr_clr = m->attr_clr};
    int rc = 0;
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) != 0) {
        rc = pe_fail(&child->error, errno, "mount", "mount_setattr", m->destination, "recursive mount options (rro, rnosuid, ...)");
    }
    close(fd);
    return rc;
}

static int one_mount(pe_child *child, const petrel_mount *m) {
    bool bind = m->kind == PETREL_MOUNT_BIND;
    bool pseudo = m->kind == PETREL_MOUNT_FILESYSTEM && (pe_streq(m->fstype, "proc") || pe_streq(m->fstype, "sysfs"));
    bool existed = destination_exists(child, m->destination);
    int target = pseudo ? open_plain_directory(child, m)
                        : pe_open_in_root(child, m->destination, true, bind && m->target_is_file, "mount");
    if (target < 0) return -1;
    int rc;
    bool moved;
    switch (m->kind) {
    case PETREL_MOUNT_BIND:
        if (m->idmapped) {
            rc = move_tree(child, m, target);
        } else {
            rc = mount_on(child, target, m->destination, m->source, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL);
            if (rc != 0 && m->tree_fd >= 0 && (child->error.err == EACCES || child->error.err == EPERM)) {
                // The container's root cannot reach the source: the parent's copy, made before
                // the user namespace existed, goes there instead.
                rc = move_tree(child, m, target);
            } else if (m->tree_fd >= 0) {
                close(m->tree_fd);
            }
            if (rc != 0) {
                pe_strlcpy(child->error.detail, "bind ", sizeof(child->error.detail));
                pe_append(child->error.detail, sizeof(child->error.detail), m->source);
            }
        }
        if (rc == 0 && m->flags != 0) rc = adjust_mount(child, m->destination, MS_BIND | MS_REMOUNT | m->flags);
        break;
    case PETREL_MOUNT_CGROUP_V1:
        rc = mount_cgroup_v1(child, m, target);
        break;
    default:
        moved = false;
        rc = pe_streq(m->fstype, "tmpfs") ? mount_tmpfs(child, m, target, existed)
                                          : mount_on(child, target, m->destination, m->source, m->fstype, m->flags, m->data);
        if (rc != 0 && child->error.err == EPERM && pe_streq(m->fstype, "sysfs") && m->tree_fd >= 0 && (m->flags & MS_RDONLY)) {
            // A user namespace without its own network namespace may not mount sysfs: the
            // parent's copy of the host's /sys, without submounts (no host cgroup tree,
            // securityfs, debugfs), read-only. Never the recursive tree.
            rc = move_tree(child, m, target);
            moved = true;
            if (rc == 0) rc = adjust_mount(child, m->destination, MS_BIND | MS_REMOUNT | MS_RDONLY | m->flags);
        } else if (rc != 0 && child->error.err == EPERM && pe_streq(m->fstype, "sysfs") && (m->flags & MS_RDONLY) &&
                   (m->attr_set & MOUNT_ATTR_RDONLY)) {
            // Rootless (specs/rootless.md): nobody could make the non-recursive copy above
            // (open_tree needs the host's CAP_SYS_ADMIN) and the kernel refuses a
            // non-recursive bind of /sys here (its submounts are locked), so runc's and
            // crun's recursive bind of the host's /sys, made read-only recursively below
            // (attr_set): no submount, /sys/fs/cgroup included, is writable (CVE-2023-25809).
            rc = mount_on(child, target, m->destination, "/sys", NULL, MS_BIND | MS_REC, NULL);
            if (rc == 0) rc = adjust_mount(child, m->destination, MS_BIND | MS_REMOUNT | MS_RDONLY | m->flags);
        } else if (rc != 0 && child->error.err == EPERM && pe_streq(m->fstype, "sysfs")) {
            pe_strlcpy(child->error.detail,
                       "a user namespace may not mount sysfs without its own network namespace (read-only: the host's, without submounts)",
                       sizeof(child->error.detail));
        } else if (rc != 0 && child->error.err == EPERM && pe_streq(m->fstype, "cgroup2") && m->own_cgroup) {
            // cgroup2 cannot be mounted from a user namespace without its own cgroup
            // namespace: bind the container's own cgroup, as runc does (never the host's tree).
            rc = mount_on(child, target, m->destination, m->own_cgroup, NULL, MS_BIND | MS_REC, NULL);
            if (rc == 0 && (m->flags & MS_RDONLY)) rc = adjust_mount(child, m->destination, MS_BIND | MS_REMOUNT | m->flags);
        } else if (rc != 0 && child->error.err == EPERM && pe_streq(m->fstype, "cgroup2")) {
            pe_append(child->error.detail, sizeof(child->error.detail),
                      ": a user namespace may not mount cgroup2 without its own cgroup namespace");
        }
        if (m->tree_fd >= 0 && !moved) close(m->tree_fd);
        break;
    }
    close(target);
    if (rc == 0 && m->propagation != 0) rc = adjust_mount(child, m->destination, m->propagation);
    if (rc == 0 && (m->attr_set || m->attr_clr)) rc = set_recursive_attributes(child, m);
    return rc;
}

int pe_mounts(pe_child *child) {
    for (size_t i = 0; i < child->plan->mount_count; i++) {
        if (one_mount(child, &child->plan->mounts[i]) != 0) return -1;
    }
    return 0;
}

/// Splits "/dev/a/b" into an O_PATH fd of "/dev/a" (created) and the name "b".
static int open_parent(pe_child *child, const char *path, const char **name, const char *step) {
    char parent[PE_PATH_MAX];
    size_t length = pe_strlcpy(parent, path, sizeof(parent));
    while (length > 1 && parent[length - 1] == '/') parent[--length] = 0;
    size_t slash = length;
    while (slash > 0 && parent[slash - 1] != '/') slash--;
    *name = path + slash;
    parent[slash] = 0;
    return pe_open_in_root(child, parent, true, false, step);
}

int pe_devices(pe_child *child) {
    const petrel_plan *plan = child->plan;
    for (size_t i = 0; i < plan->device_count; i++) {
        const petrel_device *device = &plan->devices[i];
        if (device->bind_from_host) {
            int target = pe_open_in_root(child, device->path, true, true, "device");
            if (target < 0) return -1;
            int rc = mount_on(child, target, device->path, device->path, NULL, MS_BIND, NULL);
            close(target);
            if (rc != 0) { pe_strlcpy(child->error.step, "device", sizeof(child->error.step)); return -1; }
            continue;
        }
        const char *name;
        int parent = open_parent(child, device->path, &name, "device");
        if (parent < 0) return -1;
        // O_PATH fds cannot be used by mknodat on every kernel: reopen the dir for real.
        char dir_path[32];
        fd_path(dir_path, sizeof(dir_path), parent);
        int dir = open(dir_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        close(parent);
        if (dir < 0) return pe_fail(&child->error, errno, "device", "open", device->path, NULL);
        int rc = 0;
        // config-linux.md: a file at the path that does not match the device is an error.
        struct stat existing;
        if (fstatat(dir, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
            ((existing.st_mode & S_IFMT) != (device->mode & S_IFMT) ||
             ((existing.st_mode & S_IFMT) != S_IFIFO && existing.st_rdev != (dev_t)device->rdev))) {
            close(dir);
            return pe_fail(&child->error, EEXIST, "device", "mknodat", device->path, "a file that is not this device is there");
        }
        if (unlinkat(dir, name, 0) != 0 && errno != ENOENT) {
            rc = pe_fail(&child->error, errno, "device", "unlinkat", device->path, NULL);
        } else if (mknodat(dir, name, device->mode, (dev_t)device->rdev) != 0) {
            rc = pe_fail(&child->error, errno, "device", "mknodat", device->path, NULL);
        } else if (fchownat(dir, name, device->uid, device->gid, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = pe_fail(&child->error, errno, "device", "fchownat", device->path, NULL);
        } else if (fchmodat(dir, name, device->mode & 07777, 0) != 0) {
            rc = pe_fail(&child->error, errno, "device", "fchmodat", device->path, NULL);
        }
        close(dir);
        if (rc != 0) return -1;
    }
    return 0;
}

int pe_dev_symlinks(pe_child *child) {
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
    };
    int parent = pe_open_in_root(child, "/dev", true, false, "dev symlinks");
    if (parent < 0) return -1;
    char dir_path[32];
    fd_path(dir_path, sizeof(dir_path), parent);
    int dev = open(dir_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    close(parent);
    if (dev < 0) return pe_fail(&child->error, errno, "dev symlinks", "open", "/dev", NULL);
    int rc = 0;
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]) && rc == 0; i++) {
        if (symlinkat(links[i][0], dev, links[i][1]) != 0 && errno != EEXIST) {
            rc = pe_fail(&child->error, errno, "dev symlinks", "symlinkat", links[i][1], NULL);
        }
    }
    if (rc == 0 && access("/proc/kcore", F_OK) == 0) {
        if (symlinkat("/proc/kcore", dev, "core") != 0 && errno != EEXIST) {
            rc = pe_fail(&child->error, errno, "dev symlinks", "symlinkat", "/dev/core", NULL);
        }
    }
    // /dev/ptmx must be the container's devpts multiplexer, not the host's.
    struct stat pts;
    if (rc == 0 && fstatat(dev, "pts/ptmx", &pts, AT_SYMLINK_NOFOLLOW) == 0) {
        if (unlinkat(dev, "ptmx", 0) != 0 && errno != ENOENT) {
            rc = pe_fail(&child->error, errno, "dev symlinks", "unlinkat", "/dev/ptmx", NULL);
        } else if (symlinkat("pts/ptmx", dev, "ptmx") != 0) {
            rc = pe_fail(&child->error, errno, "dev symlinks", "symlinkat", "/dev/ptmx", NULL);
        }
    }
    close(dev);
    return rc;
}

int pe_switch_root(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (fchdir(child->root_fd) != 0) return pe_fail(&child->error, errno, "pivot_root", "fchdir", plan->rootfs, NULL);
    if (plan->shared_mount_namespace) {
        if (chroot(".") != 0) return pe_fail(&child->error, errno, "pivot_root", "chroot", plan->rootfs, "no mount namespace");
    } else if (plan->no_pivot) {
        if (pe_hide_host_pseudo_filesystems(child) != 0) return -1;
        if (mount(plan->rootfs, "/", NULL, MS_MOVE, NULL) != 0) {
            return pe_fail(&child->error, errno, "pivot_root", "mount", plan->rootfs, "MS_MOVE to /");
        }
        if (chroot(".") != 0) return pe_fail(&child->error, errno, "pivot_root", "chroot", plan->rootfs, NULL);
    } else {
        // runc's trick: stack the old root under the new one, then detach it.
        int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (old_root < 0) return pe_fail(&child->error, errno, "pivot_root", "open", "/", NULL);
        if (syscall(SYS_pivot_root, ".", ".") != 0) {
            int err = errno;
            close(old_root);
            return pe_fail(&child->error, err, "pivot_root", "pivot_root", plan->rootfs, NULL);
        }
        int rc = 0;
        if (fchdir(old_root) != 0) {
            rc = pe_fail(&child->error, errno, "pivot_root", "fchdir", "old root", NULL);
        } else if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) != 0) {
            rc = pe_fail(&child->error, errno, "pivot_root", "mount", "old root", "make it a slave");
        } else if (umount2(".", MNT_DETACH) != 0) {
            rc = pe_fail(&child->error, errno, "pivot_root", "umount2", "old root", NULL);
        }
        close(old_root);
        if (rc != 0) return rc;
    }
    if (chdir("/") != 0) return pe_fail(&child->error, errno, "pivot_root", "chdir", "/", NULL);
    close(child->root_fd);
    child->root_fd = -1;
    if (!plan->shared_mount_namespace && (plan->root_propagation & (MS_SHARED | MS_UNBINDABLE))) {
        if (mount(NULL, "/", NULL, plan->root_propagation, NULL) != 0) {
            return pe_fail(&child->error, errno, "rootfs", "mount", "/", "rootfsPropagation");
        }
    }
    return 0;
}

int pe_bind_fd(pe_child *child, int source_fd, int target_fd, bool recursive, bool readonly, const char *step,
               const char *display) {
    unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    long tree = syscall(SYS_open_tree, source_fd, "", flags);
    if (tree < 0) return pe_fail(&child->error, errno, step, "open_tree", display, NULL);
    int rc = 0;
    struct pe_setattr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (readonly && syscall(SYS_mount_setattr, (int)tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
        rc = pe_fail(&child->error, errno, step, "mount_setattr", display, "read-only");
    } else if (syscall(SYS_move_mount, (int)tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
        rc = pe_fail(&child->error, errno, step, "move_mount", display, NULL);
    }
    close((int)tree);
    return rc;
}

/// A new read-only, empty tmpfs attached onto target_fd (a masked directory).
static int empty_tmpfs_onto(pe_child *child, int target_fd, const char *display) {
    long fs = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0) return pe_fail(&child->error, errno, "masked path", "fsopen", display, "tmpfs");
    int rc = 0;
    long mnt = -1;
    if (syscall(SYS_fsconfig, (int)fs, PE_FSCONFIG_SET_FLAG, "ro", NULL, 0) != 0 ||
        syscall(SYS_fsconfig, (int)fs, PE_FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
        rc = pe_fail(&child->error, errno, "masked path", "fsconfig", display, "tmpfs");
    } else if ((mnt = syscall(SYS_fsmount, (int)fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY)) < 0) {
        rc = pe_fail(&child->error, errno, "masked path", "fsmount", display, "tmpfs");
    } else if (syscall(SYS_move_mount, (int)mnt, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
        rc = pe_fail(&child->error, errno, "masked path", "move_mount", display, "tmpfs");
    }
    if (mnt >= 0) close((int)mnt);
    close((int)fs);
    return rc;
}

/// The container's /dev/null, reached without a symlink and checked to be the null device
/// (1:3): anything else would turn masking into a bind of an attacker's choice
/// (CVE-2025-31133 class).
static int open_dev_null(pe_child *child, int root) {
    long fd = pe_openat2(root, "dev/null", O_PATH | O_CLOEXEC, STRICT_IN_ROOT);
    if (fd < 0) {
        return pe_fail(&child->error, errno, "masked path", "openat2", "/dev/null",
                       errno == ELOOP ? "/dev/null is a symlink: refusing to mask with it" : "masking files needs /dev/null");
    }
    struct stat info;
    if (fstat((int)fd, &info) != 0 || !S_ISCHR(info.st_mode) || major(info.st_rdev) != 1 || minor(info.st_rdev) != 3) {
        close((int)fd);
        return pe_fail(&child->error, EPERM, "masked path", "fstat", "/dev/null",
                       "/dev/null is not the null device (char 1:3): refusing to mask with it");
    }
    return (int)fd;
}

/// Opens a masked or read-only path below `root` (the container's "/"). 1: opened, 0: the
/// path does not exist (skipped, as runc does), -1: error.
static int open_protected_path(pe_child *child, int root, const char *path, const char *step, int *fd) {
    const char *relative = path;
    while (*relative == '/') relative++;
    long opened = pe_openat2(root, *relative ? relative : ".", O_PATH | O_CLOEXEC, STRICT_IN_ROOT);
    if (opened >= 0) { *fd = (int)opened; return 1; }
    if (errno == ENOENT) return 0;
    return pe_fail(&child->error, errno, step, "openat2", path, errno == ELOOP ? "the path is or goes through a symlink" : NULL);
}

int pe_masked_and_readonly_paths(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (plan->readonly_path_count == 0 && plan->masked_path_count == 0) return 0;
    // After the root switch: paths are resolved below the container's own "/", by fd.
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return pe_fail(&child->error, errno, "masked path", "open", "/", NULL);
    int dev_null = -1;
    int rc = 0;
    for (size_t i = 0; i < plan->readonly_path_count && rc == 0; i++) {
        const char *path = plan->readonly_paths[i];
        int target = -1;
        int found = open_protected_path(child, root, path, "readonly path", &target);
        if (found < 0) { rc = -1; break; }
        if (found == 0) continue;
        rc = pe_bind_fd(child, target, target, true, true, "readonly path", path);
        close(target);
    }
    for (size_t i = 0; i < plan->masked_path_count && rc == 0; i++) {
        const char *path = plan->masked_paths[i];
        int target = -1;
        int found = open_protected_path(child, root, path, "masked path", &target);
        if (found < 0) { rc = -1; break; }
        if (found == 0) continue;
        struct stat info;
        if (fstat(target, &info) != 0) {
            rc = pe_fail(&child->error, errno, "masked path", "fstat", path, NULL);
        } else if (S_ISDIR(info.st_mode)) {
            rc = empty_tmpfs_onto(child, target, path);
        } else {
            if (dev_null < 0) dev_null = open_dev_null(child, root);
            rc = dev_null < 0 ? -1 : pe_bind_fd(child, dev_null, target, false, false, "masked path", path);
        }
        close(target);
    }
    if (dev_null >= 0) close(dev_null);
    close(root);
    return rc;
}

int pe_root_readonly(pe_child *child) {
    if (!child->plan->root_readonly) return 0;
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
    if (mount(NULL, "/", NULL, flags, NULL) == 0) return 0;
    if (mount(NULL, "/", NULL, flags | locked_flags("/"), NULL) == 0) return 0;
    return pe_fail(&child->error, errno, "readonly root", "mount", "/", "remount read-only");
}
