// The container process's own settings: sysctls, terminal, cwd, rlimits, user and
// capabilities, no_new_privs, seccomp and the PATH lookup. Runs in the child.
#include "executor_internal.h"

#include <sys/mount.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

/// Written through the trusted procfs handle: the container's /proc/sys may be fake or
/// have a host file mounted over one sysctl (CVE-2025-52881 class).
int pe_sysctls(pe_child *child) {
    const petrel_plan *plan = child->plan;
    for (size_t i = 0; i < plan->sysctl_count; i++) {
        char path[PE_PATH_MAX] = "sys/";
        if (!pe_append(path, sizeof(path), plan->sysctls[i].path)) {
            return pe_fail(&child->error, ENAMETOOLONG, "sysctl", "open", plan->sysctls[i].path, NULL);
        }
        int fd = pe_proc_open(child, path, O_WRONLY | O_TRUNC, "sysctl");
        if (fd < 0) return -1;
        const char *value = plan->sysctls[i].value;
        int rc = pe_write_all(fd, value, pe_strlen(value));
        int err = errno;
        close(fd);
        if (rc != 0) return pe_fail(&child->error, err, "sysctl", "write", plan->sysctls[i].path, value);
    }
    return 0;
}

int pe_send_with_fd(int socket_fd, const void *payload, size_t length, int fd) {
    struct iovec iov = {.iov_base = (void *)payload, .iov_len = length};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    for (size_t i = 0; i < sizeof(control.buf); i++) control.buf[i] = 0;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    *(int *)CMSG_DATA(cmsg) = fd;
    ssize_t n;
    do n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

/// Sends `fd` with a payload naming it (runc sends the pty's name).
static int send_fd(int socket_fd, int fd, const char *name) {
    char payload[64];
    pe_strlcpy(payload, name && *name ? name : "fd", sizeof(payload));
    return pe_send_with_fd(socket_fd, payload, pe_strlen(payload), fd);
}

/// config-linux.md Default Devices: "/dev/console is set up if terminal is enabled ... by
/// bind mounting the pseudoterminal pty to /dev/console". After the root switch, so the
/// path resolves inside the container; by fd on both ends, and never onto a symlink: an
/// image's /dev/console linking to a /proc file would get the pty mounted there
/// (CVE-2025-52565 class).
static int bind_console(pe_child *child, int slave) {
    const unsigned long long strict = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return pe_fail(&child->error, errno, "console", "open", "/", NULL);
    long dev = pe_openat2(root, "dev", O_DIRECTORY | O_RDONLY | O_CLOEXEC, strict);
    close(root);
    if (dev < 0) return pe_fail(&child->error, errno, "console", "openat2", "/dev", errno == ELOOP ? "/dev is a symlink" : NULL);
    int made = openat((int)dev, "console", O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (made >= 0) close(made);
    int rc = 0;
    int target = -1;
    struct stat info;
    if (made < 0 && errno != EEXIST) {
        rc = pe_fail(&child->error, errno, "console", "openat", "/dev/console", "create the mount point");
    } else if ((target = openat((int)dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        rc = pe_fail(&child->error, errno, "console", "openat", "/dev/console", NULL);
    } else if (fstat(target, &info) != 0) {
        rc = pe_fail(&child->error, errno, "console", "fstat", "/dev/console", NULL);
    } else if (!S_ISREG(info.st_mode) && !S_ISCHR(info.st_mode)) {
        rc = pe_fail(&child->error, EPERM, "console", "fstat", "/dev/console",
                     S_ISLNK(info.st_mode) ? "/dev/console is a symlink: refusing to mount the pty on it"
                                           : "/dev/console is not a file or a character device");
    } else {
        rc = pe_bind_fd(child, slave, target, false, false, "console", "/dev/console");
    }
    if (target >= 0) close(target);
    close((int)dev);
    return rc;
}

/// The container's pty multiplexer: /dev/ptmx may be anything the image or a shared /dev
/// made it, so it is opened O_PATH first (symlinks only inside the root, /dev/ptmx is one
/// to pts/ptmx), checked to be the ptmx device (char 5:2) and only then opened for real.
static int open_ptmx(pe_child *child) {
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return pe_fail(&child->error, errno, "console", "open", "/", NULL);
    long path = pe_openat2(root, "dev/ptmx", O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    close(root);
    if (path < 0) return pe_fail(&child->error, errno, "console", "openat2", "/dev/ptmx", NULL);
    struct stat info;
    int master = -1;
    if (fstat((int)path, &info) != 0 || !S_ISCHR(info.st_mode) || major(info.st_rdev) != 5 || minor(info.st_rdev) != 2) {
        pe_fail(&child->error, EPERM, "console", "fstat", "/dev/ptmx", "/dev/ptmx is not the pty multiplexer (char 5:2)");
    } else {
        master = pe_proc_reopen(child, (int)path, O_RDWR | O_NOCTTY, "console");
    }
    close((int)path);
    return master;
}

int pe_console(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (!plan->terminal) return 0;
    int master = open_ptmx(child);
    if (master < 0) return -1;
    int unlock = 0;
    int slave = -1;
    int rc = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) != 0) {
        rc = pe_fail(&child->error, errno, "console", "ioctl", "/dev/ptmx", "TIOCSPTLCK");
    } else if ((slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        rc = pe_fail(&child->error, errno, "console", "ioctl", "/dev/ptmx", "TIOCGPTPEER");
    }
    // The process's user owns its terminal (so it can reopen /dev/tty); the group stays the
    // one devpts gave (gid=5, tty, with the usual mount options), as runc's fixStdioPermissions.
    if (rc == 0 && plan->uid != 0 && fchown(slave, plan->uid, (gid_t)-1) != 0) {
        rc = pe_fail(&child->error, errno, "console", "fchown", "pty", NULL);
    }
    if (rc == 0 && plan->console_rows && plan->console_cols) {
        struct winsize size = {.ws_row = plan->console_rows, .ws_col = plan->console_cols};
        if (ioctl(master, TIOCSWINSZ, &size) != 0) rc = pe_fail(&child->error, errno, "console", "ioctl", "TIOCSWINSZ", NULL);
    }
    if (rc == 0) {
        unsigned int number = 0;
        char name[64] = "/dev/pts/";
        char digits[16];
        if (ioctl(master, TIOCGPTN, &number) == 0) {
            pe_format_int(digits, sizeof(digits), number);
            pe_append(name, sizeof(name), digits);
        }
        if (plan->console_socket_fd < 0) {
            rc = pe_fail(&child->error, EINVAL, "console", "", "", "a terminal needs a console socket");
        } else if (send_fd(plan->console_socket_fd, master, name) != 0) {
            rc = pe_fail(&child->error, errno, "console", "sendmsg", "console socket", NULL);
        }
    }
    close(master);
    if (rc == 0 && !plan->exec_mode) rc = bind_console(child, slave);
    if (rc != 0) {
        if (slave >= 0) close(slave);
        return rc;
    }
    for (int fd = 0; fd <= 2; fd++) {
        if (dup3(slave, fd, 0) < 0) {
            int err = errno;
            close(slave);
            return pe_fail(&child->error, err, "console", "dup3", "pty", NULL);
        }
    }
    close(slave);
    if (ioctl(0, TIOCSCTTY, 0) != 0) return pe_fail(&child->error, errno, "console", "ioctl", "TIOCSCTTY", NULL);
    return 0;
}

int pe_make_cwd(pe_child *child) {
    const char *cwd = child->plan->cwd ? child->plan->cwd : "/";
    char partial[PE_PATH_MAX];
    size_t length = pe_strlen(cwd);
    if (length >= sizeof(partial)) return pe_fail(&child->error, ENAMETOOLONG, "cwd", "mkdir", cwd, NULL);
    // mkdir -p, like runc, before the root turns read-only: a missing cwd is not an error.
    for (size_t i = 1; i <= length; i++) {
        if (i == length || cwd[i] == '/') {
            pe_strlcpy(partial, cwd, i + 1);
            if (mkdir(partial, 0755) != 0 && errno != EEXIST) break;
        }
    }
    return 0;
}

int pe_cwd(pe_child *child, bool report) {
    const char *cwd = child->plan->cwd ? child->plan->cwd : "/";
    if (chdir(cwd) != 0) {
        if (!report) return -1;
        return pe_fail(&child->error, errno, "cwd", "chdir", cwd, NULL);
    }
    // A cwd that resolves outside the container (a leaked fd, CVE-2024-21626) shows up
    // as unreachable: refuse it.
    char check[PE_PATH_MAX];
    long n = syscall(SYS_getcwd, check, sizeof(check));
    if (n < 0) return pe_fail(&child->error, errno, "cwd", "getcwd", cwd, NULL);
    if (check[0] != '/') return pe_fail(&child->error, EPERM, "cwd", "getcwd", cwd, "cwd is outside the container");
    return 0;
}

int pe_rlimits(pe_child *child) {
    const petrel_plan *plan = child->plan;
    for (size_t i = 0; i < plan->rlimit_count; i++) {
        struct rlimit limit = {.rlim_cur = plan->rlimits[i].soft, .rlim_max = plan->rlimits[i].hard};
        if (setrlimit(plan->rlimits[i].resource, &limit) != 0) {
            char number[16];
            pe_format_int(number, sizeof(number), plan->rlimits[i].resource);
            return pe_fail(&child->error, errno, "rlimit", "setrlimit", number, NULL);
        }
    }
    return 0;
}

static int capset_sets(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {
        {.effective = (uint32_t)effective, .permitted = (uint32_t)permitted, .inheritable = (uint32_t)inheritable},
        {.effective = (uint32_t)(effective >> 32), .permitted = (uint32_t)(permitted >> 32),
         .inheritable = (uint32_t)(inheritable >> 32)},
    };
    return (int)syscall(SYS_capset, &header, data);
}

int pe_identity(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (plan->set_capabilities) {
        for (int cap = 0; cap <= child->cap_last; cap++) {
            if (plan->cap_bounding & (1ULL << cap)) continue;
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
                return pe_fail(&child->error, errno, "capabilities", "prctl", "PR_CAPBSET_DROP", NULL);
            }
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
            return pe_fail(&child->error, errno, "capabilities", "prctl", "PR_SET_KEEPCAPS", NULL);
        }
    }
    // Always replace the supplementary groups: never let the host's leak in. A user
    // namespace with setgroups denied refuses even an empty list; that is fine.
    if (pe_setgroups(plan->additional_gid_count, plan->additional_gids) != 0) {
        if (!(errno == EPERM && plan->additional_gid_count == 0)) {
            return pe_fail(&child->error, errno, "user", "setgroups", "", NULL);
        }
    }
    if (pe_setresgid(plan->gid, plan->gid, plan->gid) != 0) {
        char number[16];
        pe_format_int(number, sizeof(number), plan->gid);
        return pe_fail(&child->error, errno, "user", "setresgid", number, NULL);
    }
    if (pe_setresuid(plan->uid, plan->uid, plan->uid) != 0) {
        char number[16];
        pe_format_int(number, sizeof(number), plan->uid);
        return pe_fail(&child->error, errno, "user", "setresuid", number, NULL);
    }
    if (!plan->set_capabilities) return 0;
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
        return pe_fail(&child->error, errno, "capabilities", "prctl", "PR_SET_KEEPCAPS", NULL);
    }
    if (capset_sets(plan->cap_effective, plan->cap_permitted, plan->cap_inheritable) != 0) {
        return pe_fail(&child->error, errno, "capabilities", "capset", "", "effective/permitted/inheritable");
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        return pe_fail(&child->error, errno, "capabilities", "prctl", "PR_CAP_AMBIENT_CLEAR_ALL", NULL);
    }
    for (int cap = 0; cap <= child->cap_last; cap++) {
        if (!(plan->cap_ambient & (1ULL << cap))) continue;
        // The kernel only raises what is both permitted and inheritable; runc (and
        // `runc spec`, which lists no inheritable set) silently skips the rest.
        uint64_t raisable = plan->cap_permitted & plan->cap_inheritable;
        if (!(raisable & (1ULL << cap))) continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
            char number[40] = "PR_CAP_AMBIENT_RAISE ";
            char digits[16];
            pe_format_int(digits, sizeof(digits), cap);
            pe_append(number, sizeof(number), digits);
            return pe_fail(&child->error, errno, "capabilities", "prctl", number, NULL);
        }
    }
    return 0;
}

int pe_no_new_privs(pe_child *child) {
    if (!child->plan->no_new_privileges) return 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return pe_fail(&child->error, errno, "no_new_privileges", "prctl", "PR_SET_NO_NEW_PRIVS", NULL);
    }
    return 0;
}

/// 0: an executable regular file; otherwise the errno that disqualifies it.
static int check_executable(const char *path) {
    struct stat info;
    if (stat(path, &info) != 0) return errno;
    if (!S_ISREG(info.st_mode)) return EACCES;
    if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0) return errno;
    return 0;
}

int pe_find_executable(pe_child *child, char *resolved, size_t size) {
    const char *program = child->plan->exec_path ? child->plan->exec_path : child->plan->argv[0];
    for (const char *c = program; *c; c++) {
        if (*c != '/') continue;
        pe_strlcpy(resolved, program, size);
        int err = check_executable(resolved);
        if (err == 0) return 0;
        return pe_fail(&child->error, err, "exec", "", program, err == ENOENT ? "no such file or directory" : "permission denied");
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char *const *env = child->plan->envp; env && *env; env++) {
        const char *e = *env;
        if (e[0] == 'P' && e[1] == 'A' && e[2] == 'T' && e[3] == 'H' && e[4] == '=') { path = e + 5; }
    }
    bool denied = false;
    const char *start = path;
    for (;;) {
        const char *end = start;
        while (*end && *end != ':') end++;
        size_t length = (size_t)(end - start);
        if (length == 0) {
            resolved[0] = '.';
            resolved[1] = 0;
        } else if (length < size) {
            for (size_t i = 0; i < length; i++) resolved[i] = start[i];
            resolved[length] = 0;
        } else {
            resolved[0] = 0;
        }
        if (resolved[0] && pe_append(resolved, size, "/") && pe_append(resolved, size, program)) {
            int err = check_executable(resolved);
            if (err == 0) return 0;
            if (err == EACCES) denied = true;
        }
        if (*end == 0) break;
        start = end + 1;
    }
    return pe_fail(&child->error, denied ? EACCES : ENOENT, "exec", "", program,
                   denied ? "permission denied" : "executable file not found in $PATH");
}

int pe_load_seccomp(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (!plan->seccomp_filter) return 0;
    struct sock_fprog program = {
        .len = (unsigned short)plan->seccomp_filter_count,
        .filter = (struct sock_filter *)plan->seccomp_filter,
    };
    unsigned int flags = plan->seccomp_flags;
    if (plan->seccomp_notify) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program);
    if (fd < 0) return pe_fail(&child->error, errno, "seccomp", "seccomp", "", "SECCOMP_SET_MODE_FILTER");
    if (plan->seccomp_notify) {
        petrel_packet packet = {.type = PETREL_MSG_SECCOMP_FD};
        int n = pe_send_with_fd(child->sync_fd, &packet, sizeof(packet), (int)fd);
        int err = errno;
        close((int)fd);
        if (n < 0) return pe_fail(&child->error, err, "seccomp", "sendmsg", "", "listener fd");
    }
    return 0;
}

/// Writes `value` to one of our /proc/<pid>/attr files (the LSM applies it at the next
/// execve), through the trusted procfs handle: a fake /proc in the container would
/// silently swallow the label (CVE-2019-16884, CVE-2023-28642 classes).
static int write_attr(pe_child *child, const char *path, const char *fallback, const char *prefix, const char *value,
                      const char *step) {
    int fd = pe_proc_open(child, path, O_WRONLY, step);
    if (fd < 0 && fallback && child->error.err == ENOENT) fd = pe_proc_open(child, fallback, O_WRONLY, step);
    if (fd < 0) {
        pe_strlcpy(child->error.detail, value, sizeof(child->error.detail));
        return -1;
    }
    char buffer[512] = "";
    pe_append(buffer, sizeof(buffer), prefix);
    pe_append(buffer, sizeof(buffer), value);
    ssize_t n;
    do n = write(fd, buffer, pe_strlen(buffer)); while (n < 0 && errno == EINTR);
    int err = errno;
    close(fd);
    if (n < 0) return pe_fail(&child->error, err, step, "write", path, value);
    return 0;
}

/// linux.personality: the persona survives execve.
int pe_personality(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (plan->personality >= 0 && personality((unsigned long)plan->personality) < 0) {
        return pe_fail(&child->error, errno, "personality", "personality", "linux.personality", NULL);
    }
    return 0;
}

int pe_lsm_labels(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (plan->apparmor_profile &&
        write_attr(child, "self/attr/apparmor/exec", "self/attr/exec", "exec ", plan->apparmor_profile,
                   "apparmor") != 0) {
        return -1;
    }
    if (plan->selinux_label &&
        write_attr(child, "self/attr/exec", NULL, "", plan->selinux_label, "selinux") != 0) {
        return -1;
    }
    return 0;
}
