// Internal pieces of the executor. Everything reachable from the child after clone3 uses
// raw syscalls and stack buffers only: no malloc, no stdio, no locks.
#ifndef PETREL_EXECUTOR_INTERNAL_H
#define PETREL_EXECUTOR_INTERNAL_H

#include "petrel_executor.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PE_PATH_MAX 4096
/// Fds the child keeps open through its setup (sync, console, id-mapped mount trees).
#define PE_MAX_KEPT_FDS 256

/// State of the child while it sets the container up.
typedef struct {
    const petrel_plan *plan;
    int sync_fd;
    int root_fd;          // O_PATH of the rootfs bind mount (before pivot)
    int fifo_fd;          // O_PATH of the exec fifo, -1 if none
    int cap_last;         // the kernel's last capability (probed, never read from the container)
    int proc_fd;          // the trusted procfs handle (procfs.c)
    char proc_pid[16];    // our pid as that procfs sees it
    petrel_error error;
} pe_child;

// --- raw identity syscalls ---
// glibc's setresuid/setgroups wrappers signal every thread the *parent* had (nptl setxid);
// in a clone3 child those threads do not exist and the wrapper can hang. The raw
// syscalls change only the calling thread, which is the whole child.
#include <sys/syscall.h>
#include <unistd.h>
static inline int pe_setresuid(unsigned int r, unsigned int e, unsigned int s) { return (int)syscall(SYS_setresuid, r, e, s); }
static inline int pe_setresgid(unsigned int r, unsigned int e, unsigned int s) { return (int)syscall(SYS_setresgid, r, e, s); }
static inline int pe_setgroups(size_t count, const unsigned int *groups) { return (int)syscall(SYS_setgroups, count, groups); }

// --- util.c ---
size_t pe_strlcpy(char *dst, const char *src, size_t size);
size_t pe_strlen(const char *s);
bool pe_streq(const char *a, const char *b);
/// Appends `src` to the NUL-terminated `dst` (bounded). Returns false on truncation.
bool pe_append(char *dst, size_t size, const char *src);
/// Decimal formatting without stdio.
void pe_format_int(char *dst, size_t size, long long value);
/// Fills an error; returns -1 so callers can `return pe_fail(...)`.
int pe_fail(petrel_error *error, int err, const char *step, const char *syscall, const char *path, const char *detail);
/// Writes all of buf to fd (retrying EINTR / short writes).
int pe_write_all(int fd, const void *buf, size_t len);

// --- wait_bound.c ---
/// A monotonic deadline (ms) the setup timeout from now.
long long pe_setup_deadline(void);
/// Waits until fd is readable or hung up: 0, or -1 with *error (ETIMEDOUT at the deadline;
/// `what` names what was waited for).
int pe_wait_readable_until(int fd, long long deadline, const char *what, petrel_error *error);
int pe_wait_readable(int fd, const char *what, petrel_error *error);

// --- procfs.c ---
/// The host's /proc, opened by the parent just before the clone (the child inherits the
/// fd and the value); -1 otherwise.
extern int pe_trusted_proc_fd;
/// The runtime's euid, taken before the clone: inside a new user namespace geteuid()
/// answers the overflow id, then 0 as soon as the parent has written uid_map (a race).
extern uid_t pe_caller_euid;
long pe_openat2(int dirfd, const char *path, int flags, unsigned long long resolve);
/// Whether fd lives on a procfs (fstatfs PROC_SUPER_MAGIC).
bool pe_on_procfs(int fd);
/// Opens the host's /proc (O_PATH) and checks it is procfs. The fd, or -1 with *error.
int pe_open_trusted_proc(petrel_error *error);
/// Takes the trusted handle into child->proc_fd and learns our pid in it.
int pe_proc_attach(pe_child *child);
/// Opens `path` ("sys/...", "self/attr/...") below the trusted handle: no symlink, magic
/// link or mount crossed, and the file checked to be on procfs. The fd or -1.
int pe_proc_open(pe_child *child, const char *path, int flags, const char *step);
/// Reopens our own `fd` with `flags` through the trusted handle's <pid>/fd/N and checks
/// it is the same file. The new fd or -1.
int pe_proc_reopen(pe_child *child, int fd, int flags, const char *step);
/// The verified O_PATH directory <pid>/fd below the trusted handle (for pe_proc_reopen_in
/// later, when a seccomp filter may refuse openat2 and fstatfs). The fd or -1.
int pe_proc_fd_directory(pe_child *child, const char *step);
/// Reopens our own `fd` through `fds` (from pe_proc_fd_directory). The new fd or -1.
int pe_proc_reopen_in(pe_child *child, int fds, int fd, int flags, const char *step);

// --- fds.c (child) ---
/// close_range(from, to, flags) that also works where the kernel lacks close_range or
/// CLOSE_RANGE_CLOEXEC (or a seccomp filter refuses it): walks /proc/self/fd, or loops up
/// to the fd limit. 0, or -1 with errno set.
int pe_close_range(unsigned int from, unsigned int to, unsigned int flags);

// --- util.c (child) ---
/// One line for a human, as runc prints it: "exec /bin/x: no such file or directory".
/// Lowercase errno text (Go's wording); no malloc, no locale.
void pe_error_line(const petrel_error *error, char *line, size_t size);

// --- rootfs.c (child) ---
int pe_prepare_root(pe_child *child);
int pe_mounts(pe_child *child);
int pe_devices(pe_child *child);
int pe_dev_symlinks(pe_child *child);
int pe_switch_root(pe_child *child);
int pe_masked_and_readonly_paths(pe_child *child);
int pe_root_readonly(pe_child *child);
/// Opens `path` (absolute inside the container) below root_fd without ever leaving the
/// rootfs, creating missing directories, and the last component as a file when
/// `last_is_file`. Returns an O_PATH fd or -1 with child->error set.
int pe_open_in_root(pe_child *child, const char *path, bool create, bool last_is_file, const char *step);
/// A copy of the mount at source_fd (open_tree, OPEN_TREE_CLONE), read-only when asked,
/// attached onto target_fd (move_mount): no path is resolved. 0 or -1 with child->error.
/// tmpcopyup: copies the directory `from_dir` (O_RDONLY) into `to_dir` (a fresh tmpfs):
/// files, directories, symlinks, special files, owners, modes, times, xattrs; no malloc.
int pe_copy_up(pe_child *child, int from_dir, int to_dir, const char *display);
/// --no-pivot: unmounts (or covers) the host's full procfs and sysfs mounts outside the
/// rootfs in the container's mount namespace, as runc's msMoveRoot does.
int pe_hide_host_pseudo_filesystems(pe_child *child);
/// --no-pivot with a new mount namespace owned by a user namespace: which host filesystems
/// the first stage must lock, PE_LOCK_PROC | PE_LOCK_SYSFS (those the container does not
/// mount itself: its own mount needs a visible one and, once there, is visible itself).
#define PE_LOCK_PROC 1
#define PE_LOCK_SYSFS 2
int pe_no_pivot_lock_types(const petrel_plan *plan);
/// The first stage, before it enters the user namespace: a private mount namespace where a
/// tmpfs covers a subdirectory of each host procfs/sysfs to lock, so that the locked copies
/// keep the container from mounting a new, unmasked one.
int pe_lock_host_pseudo_filesystems(pe_child *child);
/// Makes a read-only /dev tmpfs read-only once its submounts, devices and links are in place.
int pe_finish_dev(pe_child *child);
int pe_bind_fd(pe_child *child, int source_fd, int target_fd, bool recursive, bool readonly, const char *step,
               const char *display);

// --- process.c (child) ---
/// One sendmsg of `payload` with `fd` attached (SCM_RIGHTS), retrying EINTR. 0 or -1.
int pe_send_with_fd(int socket_fd, const void *payload, size_t length, int fd);
int pe_sysctls(pe_child *child);
int pe_console(pe_child *child);
int pe_make_cwd(pe_child *child);
/// chdir to process.cwd; with report == false a failure is silent (retried later).
int pe_cwd(pe_child *child, bool report);
int pe_rlimits(pe_child *child);
int pe_identity(pe_child *child);
int pe_no_new_privs(pe_child *child);
/// Finds argv[0] in PATH; fills `resolved`. Returns 0 or -1 with child->error set.
int pe_find_executable(pe_child *child, char *resolved, size_t size);
int pe_load_seccomp(pe_child *child);
/// AppArmor profile / SELinux label for the coming execve.
int pe_lsm_labels(pe_child *child);
int pe_personality(pe_child *child);
// --- lookup.c (child) ---
/// The cwd retry (when !in_cwd) and pe_find_executable, with the container user's
/// effective ids, groups and capabilities, then back to root. -1 with child->error set
/// and *status the exit status (127: not found).
int pe_lookup_as_user(pe_child *child, bool in_cwd, char *program, size_t size, int *status);
// --- mempolicy.c (child) ---
/// linux.memoryPolicy: set_mempolicy(2) for this process (inherited across execve).
int pe_memory_policy(pe_child *child);
// --- attributes.c ---
/// process.scheduler and process.ioPriority on this process (root, before the user switch).
int pe_scheduler_and_io_priority(pe_child *child);
/// process.execCPUAffinity.final once in the cgroup, or every CPU (the cgroup's cpuset).
int pe_final_cpu_affinity(pe_child *child);
/// Parent side: runs on cpu_initial while cloning. 0: nothing to do, 1: `saved` (of
/// PETREL_CPU_MASK_WORDS words) holds the affinity to restore, -1 with *error.
int pe_parent_initial_affinity(const petrel_plan *plan, uint64_t *saved, petrel_error *error);
void pe_parent_restore_affinity(const uint64_t *saved);
/// The init. namespaces_done: a first stage already joined and made its namespaces.
_Noreturn void pe_child_main(const petrel_plan *plan, int sync_fd, bool namespaces_done);
/// setns into every namespace joined by path (user first), except pid and time.
int pe_join_namespaces(pe_child *child);

// --- network.c ---
/// Brings `lo` up in a new network namespace (nothing for a joined or the host's one).
int pe_loopback_up(pe_child *child);

// --- clone.c ---
/// clone3 with CLONE_PIDFD (*pidfd) and exit_signal, born in cgroup_fd (CLONE_INTO_CGROUP)
/// when cgroup_fd >= 0. Where clone3 is missing or filtered (ENOSYS, or EPERM: Docker's
/// default seccomp profile, valgrind) it is clone(2) with the same flags, remembered for the
/// rest of the process; the child is then not in cgroup_fd (*in_cgroup false) and the caller
/// moves it there before it runs any container code. *syscall_name names the call for
/// errors. Returns like fork: the pid, 0 in the child, -1 with errno.
long pe_clone(uint64_t flags, int exit_signal, int *pidfd, int cgroup_fd, bool *in_cgroup, const char **syscall_name);
/// Writes pid to cgroup.procs in the cgroup directory cgroup_fd: 0, or -1 with errno.
int pe_join_cgroup(int cgroup_fd, pid_t pid);

// --- stage.c ---
/// Whether the namespaces need a first stage: a joined user namespace must own the new
/// namespaces, and namespaces owned by the host can only be joined before a new user
/// namespace is made; clone3 flags can do neither.
bool pe_needs_first_stage(const petrel_plan *plan);
/// A non-root caller joining a user and a pid namespace (rootless exec): the first stage
/// enters the pid namespace after the user namespace, not the parent.
bool pe_stage_joins_pid(const petrel_plan *plan);
/// Joins, unshares, clones the init (CLONE_PARENT) and hands its pidfd to the parent.
_Noreturn void pe_first_stage_main(const petrel_plan *plan, int sync_fd);

#endif
