// CVE-2019-5736: a process entering a container is a clone of petrel, and anything it
// execve's that resolves to /proc/self/exe (`/evil -> /proc/self/exe`, `#!/proc/self/exe`,
// PT_INTERP /proc/self/exe) runs the petrel binary inside the container, where
// /proc/<pid>/exe hands it to the container. So create/run/exec first re-execute petrel
// from a file nobody can write: the same binary seen through a private read-only overlay
// (fsopen/fsmount, never attached: no copy, nobody can remount it), or else a sealed memfd
// copy (runc 1.1's way). See specs/protected-binary.md.
#include "petrel_protected_exe.h"
#include "petrel_state_root.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#define PE_FSOPEN_CLOEXEC 0x1
#define PE_FSCONFIG_SET_STRING 1
#define PE_FSCONFIG_CMD_CREATE 6
#define PE_FSMOUNT_CLOEXEC 0x1
#define PE_MOUNT_ATTR_RDONLY 0x1
#define PE_MOUNT_ATTR_NOSUID 0x2
#define PE_MOUNT_ATTR_NODEV 0x4
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x1U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x2U
#endif
#define PE_MFD_EXEC 0x10U
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x1
#define F_SEAL_SHRINK 0x2
#define F_SEAL_GROW 0x4
#define F_SEAL_WRITE 0x8
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define PE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/// Set across our own re-exec only, and removed first thing: it stops a loop if the kernel
/// ever runs the protected copy but reports it unprotected. Protection itself is checked
/// on the running file, never taken from the environment.
#define PE_MARKER "_PETREL_PROTECTED_EXE"

extern char **environ;

typedef struct {
    char *text;
    size_t size;
    size_t used;
} pe_message;

static void note(pe_message *m, const char *way, const char *step, int err) {
    if (m->used >= m->size) return;
    int n = snprintf(m->text + m->used, m->size - m->used, "%s%s: %s: %s (errno %d)",
                     m->used ? "; " : "", way, step, strerror(err), err);
    if (n > 0) m->used += (size_t)n;
}

/// Whether this call may put a process into a container. Any argument spelled `create`,
/// `run` or `exec` counts, not only the verb: a global flag taking a value (today --root,
/// --log, --log-format; tomorrow maybe more) can then never hide the verb from this scan.
/// A container id spelled like a verb (`petrel state run`) only costs a re-exec.
static int enters_container(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "create") || !strcmp(argv[i], "run") || !strcmp(argv[i], "exec")) return 1;
    return 0;
}

/// Nobody can open the running file for writing: a sealed memfd (writes fail with EPERM),
/// or a file on a read-only overlay (EROFS; an overlay without an upper layer can never be
/// remounted read-write, and ours is attached nowhere).
static int is_protected(int exe) {
    int seals = fcntl(exe, F_GET_SEALS);
    if (seals >= 0 && (seals & PE_SEALS) == PE_SEALS) return 1;
    struct statfs fs;
    if (fstatfs(exe, &fs) == 0 && fs.f_type == OVERLAYFS_SUPER_MAGIC && (fs.f_flags & ST_RDONLY)) return 1;
    return 0;
}

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_ino == b->st_ino && a->st_size == b->st_size && a->st_mode == b->st_mode &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void reexec(int fd, char **argv) {
    setenv(PE_MARKER, "1", 1);
    syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
    int err = errno;
    unsetenv(PE_MARKER);
    errno = err;
}

/// A new, empty, detached tmpfs as overlay's second layer: overlay wants two lower layers
/// when it has no upper one, and they may not overlap (`/` would). Linux < 6.15 refuses a
/// detached mount as a layer ("failed to clone lowerpath"): -1.
static int empty_layer(pe_message *m) {
    int fs = (int)syscall(SYS_fsopen, "tmpfs", PE_FSOPEN_CLOEXEC);
    if (fs < 0) { note(m, "overlay", "fsopen tmpfs", errno); return -1; }
    int mnt = -1;
    if (syscall(SYS_fsconfig, fs, PE_FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
        note(m, "overlay", "fsconfig create tmpfs", errno);
    } else {
        mnt = (int)syscall(SYS_fsmount, fs, PE_FSMOUNT_CLOEXEC, PE_MOUNT_ATTR_RDONLY | PE_MOUNT_ATTR_NOSUID | PE_MOUNT_ATTR_NODEV);
        if (mnt < 0) note(m, "overlay", "fsmount tmpfs", errno);
    }
    close(fs);
    return mnt;
}

static int has_argument(int argc, char **argv, const char *word) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], word)) return 1;
    return 0;
}

/// mkdir -p with the state store's mode (StateStore: FileSystem.makeDirectories, 0700).
static void make_directories(const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf)) return;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char saved = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return;
        buf[i] = saved;
    }
}

/// The directory `root` as a layer: O_PATH, made first (mkdir -p) when missing and `make`.
static int open_layer(const char *root, int make) {
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && make) {
        make_directories(root);
        fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    return fd;
}

/// The state root (--root, default petrel_default_state_root: /run/petrel, or
/// $XDG_RUNTIME_DIR/petrel for a non-root user, the same function Swift's Globals use so
/// the two never name different roots): a caller-only directory of ours that is not
/// the binary's, as runc 1.2 uses its state directory. `create` and `run` make it here when
/// it is missing (they would a moment later anyway), so that the very first call on a
/// fresh root takes the overlay too. Its content is never reachable: only the binary's file
/// of the overlay is ever opened, and nothing else refers to the mount.
static int state_root_layer(int argc, char **argv) {
    const char *root = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--root") && i + 1 < argc) root = argv[++i];
        else if (!strncmp(argv[i], "--root=", 7)) root = argv[i] + 7;
    }
    char fallback[4096];
    if (!root) root = petrel_default_state_root(fallback, sizeof(fallback)) == 0 ? fallback : "/run/petrel";
    return open_layer(root, has_argument(argc, argv, "create") || has_argument(argc, argv, "run"));
}

/// A read-only overlay of `binary_dir` over `layer`, made with the new mount API and
/// attached nowhere (no upper layer: it can never become writable); -1 on failure.
static int overlay(int binary_dir, int layer, pe_message *m) {
    char lower[64];
    snprintf(lower, sizeof(lower), "/proc/self/fd/%d:/proc/self/fd/%d", binary_dir, layer);
    int fs = (int)syscall(SYS_fsopen, "overlay", PE_FSOPEN_CLOEXEC);
    int mnt = -1;
    if (fs < 0) {
        note(m, "overlay", "fsopen", errno);
    } else if (syscall(SYS_fsconfig, fs, PE_FSCONFIG_SET_STRING, "lowerdir", lower, 0) != 0) {
        note(m, "overlay", "fsconfig lowerdir", errno);
    } else if (syscall(SYS_fsconfig, fs, PE_FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
        note(m, "overlay", "fsconfig create", errno);
    } else {
        mnt = (int)syscall(SYS_fsmount, fs, PE_FSMOUNT_CLOEXEC,
                           PE_MOUNT_ATTR_RDONLY | PE_MOUNT_ATTR_NOSUID | PE_MOUNT_ATTR_NODEV);
        if (mnt < 0) note(m, "overlay", "fsmount", errno);
    }
    if (fs >= 0) close(fs);
    return mnt;
}

/// The binary re-opened through the overlay and checked to be the very same file (it may
/// have been replaced since we started: then the memfd copy is taken); execveat on success.
static void exec_from(int mnt, const char *base, const struct stat *running, char **argv, pe_message *m) {
    int fd = openat(mnt, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) { note(m, "overlay", "open the binary", errno); return; }
    struct stat seen;
    if (fstat(fd, &seen) != 0 || !same_file(running, &seen) || !is_protected(fd)) {
        note(m, "overlay", "verify the binary", ESTALE);
        close(fd);
        return;
    }
    reexec(fd, argv);
    note(m, "overlay", "execveat", errno);
    close(fd);
}

/// The state root a caller other than the CLI names (the shim: its own), made when missing.
static const char *layer_override;

static void via_overlay(int argc, char **argv, const struct stat *running, pe_message *m) {
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0) { note(m, "overlay", "readlink /proc/self/exe", n < 0 ? errno : ENOENT); return; }
    path[n] = 0;
    char *slash = strrchr(path, '/');
    if (!slash || path[0] != '/') { note(m, "overlay", "readlink /proc/self/exe", ENOENT); return; }
    *slash = 0;
    int dir = open(path[0] ? path : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) { note(m, "overlay", "open the binary's directory", errno); return; }
    for (int attempt = 0; attempt < 2; attempt++) {
        int layer = attempt == 0 ? (layer_override ? open_layer(layer_override, 1) : state_root_layer(argc, argv)) : empty_layer(m);
        if (layer < 0) {
            if (attempt == 0) note(m, "overlay", "open --root", errno);
            continue;
        }
        int mnt = overlay(dir, layer, m);
        close(layer);
        if (mnt < 0) continue;
        exec_from(mnt, slash + 1, running, argv, m);
        close(mnt);
        break;  // the overlay was made: a second one would not see another file
    }
    close(dir);
}

/// A copy of the running binary in a memfd, sealed against any write, resize or new seal.
static void via_memfd(int exe, const struct stat *running, char **argv, pe_message *m) {
    int fd = (int)syscall(SYS_memfd_create, "petrel", MFD_CLOEXEC | MFD_ALLOW_SEALING | PE_MFD_EXEC);
    if (fd < 0 && errno == EINVAL)  // before Linux 6.3 (no MFD_EXEC): executable anyway
        fd = (int)syscall(SYS_memfd_create, "petrel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) { note(m, "memfd", "memfd_create", errno); return; }
    off_t offset = 0;
    while (offset < running->st_size) {
        ssize_t n = sendfile(fd, exe, &offset, (size_t)(running->st_size - offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { note(m, "memfd", "sendfile", n < 0 ? errno : EIO); close(fd); return; }
    }
    if (fcntl(fd, F_ADD_SEALS, PE_SEALS) != 0) { note(m, "memfd", "F_ADD_SEALS", errno); close(fd); return; }
    reexec(fd, argv);
    note(m, "memfd", "execveat", errno);
    close(fd);
}

/// Set once the running file was seen protected (by the early constructor, then `main`
/// need not look again), and once the marker was consumed: a second call must still know
/// this process is the re-executed one, or it would re-execute again forever.
static int verified_protected, marker_seen;

int petrel_protect_exe(int argc, char **argv, char *message, size_t size) {
    if (verified_protected) return 0;
    int fresh_marker = getenv(PE_MARKER) != NULL;
    int again = marker_seen || fresh_marker;
    if (fresh_marker) {
        marker_seen = 1;
        unsetenv(PE_MARKER);
        // execveat(fd, "") names the process after the fd number on older kernels.
        const char *name = argc > 0 ? strrchr(argv[0], '/') : NULL;
        if (argc > 0) prctl(PR_SET_NAME, name ? name + 1 : argv[0], 0, 0, 0);
    }
    if (!layer_override && !enters_container(argc, argv)) return 0;

    pe_message m = {message, size, 0};
    if (size) message[0] = 0;
    int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (exe < 0) {
        note(&m, "protect", "open /proc/self/exe", errno);
        return -1;
    }
    if (is_protected(exe)) {
        close(exe);
        verified_protected = 1;
        return 0;
    }
    struct stat running;
    if (again) {
        note(&m, "protect", "re-executed binary is still writable", EPERM);
    } else if (fstat(exe, &running) != 0) {
        note(&m, "protect", "fstat /proc/self/exe", errno);
    } else {
        via_overlay(argc, argv, &running, &m);
        via_memfd(exe, &running, argv, &m);
    }
    close(exe);
    return -1;
}

int petrel_protect_process(int argc, char **argv, const char *state_root, char *message, size_t size) {
    layer_override = state_root;
    return petrel_protect_exe(argc, argv, message, size);
}

// The petrel executable is linked with `main` defined as `petrel_main` (SwiftPM); the test
// bundle links petrel's module with a `main` of its own, and the shim has no petrel_main.
extern int main(int, char **);
extern int petrel_main(int, char **) __attribute__((weak));

/// The same protection, earlier: before the Swift runtime's own initializers and `main`, so
/// that the process about to be replaced costs only libc's start (~100 K instructions and
/// ~50 page faults less per create/run/exec). glibc passes argc/argv/envp to initializers,
/// static binaries included. Only in the petrel executable itself (never the test bundle or
/// the shim, which link this library too); failures are left to ProtectedExecutable.ensure,
/// which repeats the attempt and reports them.
__attribute__((constructor(101))) static void protect_early(int argc, char **argv, char **envp) {
    (void)envp;
    if (!petrel_main || (void *)petrel_main != (void *)main) return;
    char message[1];
    (void)petrel_protect_exe(argc, argv, message, 0);
}
