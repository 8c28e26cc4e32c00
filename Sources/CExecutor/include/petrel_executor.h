// The contract between Petrel's Swift planner and its C executor.
//
// Swift (single-threaded, before any clone) resolves everything in config.json into a
// petrel_plan made of plain C data. petrel_spawn() clones the container's init with
// clone3; the child then runs the whole setup from the plan using raw syscalls only
// (no malloc, no stdio, no Swift), and reports progress and failures to the parent over a
// SOCK_SEQPACKET socketpair (CLOEXEC, so a successful execve closes it).
#ifndef PETREL_EXECUTOR_H
#define PETREL_EXECUTOR_H

#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------

/// One linux.namespaces entry. clone_flag is a CLONE_NEW* value.
/// path == NULL: a new namespace; otherwise join the namespace file at path.
/// Who does what: new user/pid/net/ipc/uts/mnt namespaces come from clone3 flags; a new
/// cgroup namespace is unshared by the child after the parent placed it in its cgroup; a
/// new time namespace is unshared by the parent (time_for_children) before clone. Joined
/// pid and time namespaces are entered by the parent before clone (they only affect
/// children); every other joined namespace is entered by the child, user namespace first.
typedef struct {
    uint64_t clone_flag;
    const char *path;
} petrel_namespace;

enum petrel_mount_kind {
    /// mount(source, target, fstype, flags, data): proc, sysfs, tmpfs, devpts, mqueue, ...
    PETREL_MOUNT_FILESYSTEM = 0,
    /// Bind mount of a host path (source); recursive when `recursive`; then a
    /// MS_BIND|MS_REMOUNT with `flags` when flags != 0 (ro, nosuid, nodev, noexec, ...).
    PETREL_MOUNT_BIND = 1,
    /// A "cgroup" mount on a cgroup v1 or hybrid host: tmpfs at destination, then each
    /// v1 hierarchy from cgroup_v1_subsystems mounted below it. On a cgroup v2 host the
    /// planner emits a PETREL_MOUNT_FILESYSTEM of type cgroup2 instead.
    PETREL_MOUNT_CGROUP_V1 = 2,
};

typedef struct {
    int kind;                    // enum petrel_mount_kind
    const char *source;          // host path for binds; filesystem source otherwise
    const char *destination;     // absolute path inside the container
    const char *fstype;          // NULL for binds
    const char *data;            // comma-joined filesystem options (e.g. "mode=755,size=65536k"), or NULL
    unsigned long flags;         // MS_RDONLY|MS_NOSUID|... (never MS_BIND/MS_REC/propagation)
    unsigned long propagation;   // 0, or MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, | MS_REC for r*
    int recursive;               // rbind
    int target_is_file;          // the target is created as an empty file, not a directory
    // PETREL_MOUNT_CGROUP_V1 only: "cpu,cpuacct", "memory", ... ; NULL terminated.
    const char *const *cgroup_v1_subsystems;
    // PETREL_MOUNT_BIND only. idmapped: tree_fd is a detached, already id-mapped copy of
    // the source (petrel_open_idmapped_tree, made by the parent before the clone: only the
    // host's root may idmap); the child moves it onto the destination instead of binding
    // `source`, then closes it.
    // Not idmapped but tree_fd >= 0 (a user namespace): a plain detached copy of the source,
    // used when the container's root cannot bind `source` itself (EACCES/EPERM), as runc
    // opens bind sources before it enters the user namespace.
    // A read-only sysfs mount in a user namespace without its own network namespace: a
    // non-recursive copy of the host's /sys, moved in if mounting sysfs is refused (EPERM).
    int idmapped;
    int tree_fd;
    // PETREL_MOUNT_CGROUP_V1 only, parallel to cgroup_v1_subsystems (or NULL): the host
    // directory of the container's own cgroup in that hierarchy. Without a cgroup namespace
    // it is bind-mounted (runc does the same), so the container sees its own limits at
    // /sys/fs/cgroup/<subsystem>; with one, only if mounting the hierarchy is refused (EPERM).
    // An empty string or NULL mounts the hierarchy itself (never binds the host's).
    const char *const *cgroup_v1_sources;
    // A cgroup2 filesystem mount: the host directory of the container's own cgroup (v2),
    // bind-mounted when a user namespace may not mount cgroup2 (EPERM), as runc does with a
    // cgroup namespace; NULL: such a mount fails (never the host's whole tree).
    const char *own_cgroup;
    // runc's recursive options (rro, rnosuid, ...): mount_setattr(AT_RECURSIVE) bits applied
    // to the mount and its submounts once it is in place (0 and 0: nothing to do).
    unsigned long long attr_set;
    unsigned long long attr_clr;
    // tmpfs only, runc's tmpcopyup: the new tmpfs gets a copy of the directory it covers.
    int copy_up;
} petrel_mount;

typedef struct {
    const char *path;            // absolute path inside the container, e.g. "/dev/null"
    uint32_t mode;               // S_IFCHR / S_IFBLK / S_IFIFO | permission bits
    uint64_t rdev;               // makedev(major, minor)
    uint32_t uid;
    uint32_t gid;
    int bind_from_host;          // bind-mount the host's node at `path` instead of mknod (user namespaces)
} petrel_device;

typedef struct {
    int resource;                // RLIMIT_*
    uint64_t soft;
    uint64_t hard;
} petrel_rlimit;

typedef struct {
    const char *path;            // below /proc/sys, e.g. "net/ipv4/ip_forward"
    const char *value;
} petrel_sysctl;

typedef struct {
    // --- namespaces and identity ---
    const petrel_namespace *namespaces;
    size_t namespace_count;
    const char *hostname;        // NULL: leave as is
    const char *domainname;      // NULL: leave as is

    // --- filesystem ---
    const char *rootfs;          // absolute, canonical host path of root.path
    int root_readonly;
    unsigned long root_propagation;  // applied to "/" first; the planner defaults to MS_SLAVE|MS_REC
    int no_pivot;                // MS_MOVE + chroot instead of pivot_root
    // No mount namespace (config-linux.md: it is inherited): the init mounts nothing, changes
    // no propagation and only chroots into the rootfs; the validator refused whatever would
    // need a mount (mounts, masked/readonly paths, readonly root, a terminal).
    int shared_mount_namespace;
    const petrel_mount *mounts;
    size_t mount_count;
    const petrel_device *devices;    // default devices followed by linux.devices
    size_t device_count;
    int setup_dev_symlinks;      // /dev/fd, /dev/std{in,out,err}, /dev/ptmx -> pts/ptmx, /dev/core
    const char *const *masked_paths;
    size_t masked_path_count;
    const char *const *readonly_paths;
    size_t readonly_path_count;

    // --- process ---
    const char *const *argv;     // NULL terminated; argv[0] is looked up in PATH from envp
    const char *const *envp;     // NULL terminated
    const char *cwd;             // absolute; created if missing, like runc
    uint32_t uid;
    uint32_t gid;
    const uint32_t *additional_gids;
    size_t additional_gid_count;
    int umask;                   // -1: leave the inherited umask
    int terminal;                // allocate a pty inside the container
    int console_socket_fd;       // connected unix socket for the pty master (SCM_RIGHTS); -1 if none
    int stdio_set;               // 1: stdio_fds become fds 0, 1, 2 (the shim's pipes); 0: inherit the caller's
    int stdio_fds[3];            // each >= 3, caller's fds (closed in the child after the dup)
    uint16_t console_rows;       // 0: leave
    uint16_t console_cols;
    int no_new_privileges;
    int set_capabilities;        // 0: process.capabilities absent, leave caps as inherited
    uint64_t cap_bounding;       // bit masks, bit N = capability N
    uint64_t cap_effective;
    uint64_t cap_inheritable;
    uint64_t cap_permitted;
    uint64_t cap_ambient;
    // The kernel's highest capability (libcap's cap_max_bits() - 1 in the parent, which asks
    // the kernel with PR_CAPBSET_READ, never the container's possibly fake
    // /proc/sys/kernel/cap_last_cap): the bounding set is dropped up to it.
    int cap_last;
    const petrel_rlimit *rlimits;
    size_t rlimit_count;
    int set_oom_score_adj;
    int oom_score_adj;
    const petrel_sysctl *sysctls;
    size_t sysctl_count;

    // --- seccomp (compiled by Swift with libseccomp, loaded last, just before execve) ---
    const void *seccomp_filter;  // struct sock_filter array, NULL: none
    size_t seccomp_filter_count; // instructions
    unsigned int seccomp_flags;  // SECCOMP_FILTER_FLAG_*
    int seccomp_notify;          // the filter returns a listener fd; it is sent to the parent (PETREL_MSG_SECCOMP_FD)

    // --- file descriptors ---
    int preserve_fds;            // fds 3 .. 3+preserve_fds-1 stay open across exec; all others >= 3 are closed

    // --- the create/start gate ---
    // Host path of the exec fifo. The child opens it O_PATH before pivot_root; after
    // reporting READY it reopens it O_WRONLY through /proc/self/fd (blocks until `start`
    // opens it for reading), writes one byte, then loads seccomp and execs.
    // NULL: exec right after READY, or with await_start after the start's CONTINUE.
    const char *exec_fifo;
    // `run` (no exec fifo): after READY the init waits for one more PETREL_MSG_CONTINUE on
    // the sync socket (the parent has recorded the container and run the startContainer
    // hooks), clears its death signal, loads seccomp and execs. Until that CONTINUE it dies
    // with the parent. A failure after READY goes back as an ERROR packet; execve closes
    // the socket (CLOEXEC), as for `exec`.
    int await_start;

    // --- cgroups ---
    int cgroup_fd;               // O_PATH|O_DIRECTORY fd of a cgroup v2 dir for CLONE_INTO_CGROUP; -1: none

    // --- synchronisation with the parent ---
    // The child always waits for one PETREL_MSG_CONTINUE right after clone (the parent writes
    // uid/gid maps and joins cgroups first). When pause_before_pivot is set it also sends
    // PETREL_MSG_MOUNTS_DONE after mounts/devices, before pivot_root, and waits for another
    // PETREL_MSG_CONTINUE (createRuntime/prestart hooks run in between).
    int pause_before_pivot;

    // --- LSM labels (checked against the host by the planner) ---
    const char *apparmor_profile;    // NULL: none; else written as "exec PROFILE" before exec
    const char *selinux_label;       // NULL: none; else the exec label (/proc/self/attr/exec)

    // --- exec into a running container ---
    // Every namespace has a path (the init's /proc/PID/ns/*): the child joins them and
    // skips all filesystem setup (mounts, devices, root switch, paths, hostname, sysctls),
    // then sets up the process as usual. setsid only with a terminal, like runc.
    int exec_mode;
    // The program to execve when it is not argv[0] looked up in PATH (hooks: `path` with
    // their own argv[0]). NULL: argv[0].
    const char *exec_path;
    // --- time namespace and personality ---
    // Written to /proc/self/timens_offsets by the parent right after it unshares the new time
    // namespace, before any process is in it ("monotonic S N\nboottime S N\n"). NULL: none.
    const char *time_offsets;
    int personality;             // -1: unchanged; else the persona set with personality(2) before exec
    // --- NUMA memory policy (linux.memoryPolicy), set_mempolicy(2) by the process itself ---
    int mempolicy_set;           // 0: keep the inherited policy
    int mempolicy_mode;          // MPOL_* | MPOL_F_* (checked by the planner)
    const unsigned long *mempolicy_nodes;  // node bit mask, NULL for none
    unsigned long mempolicy_maxnode;       // set_mempolicy's maxnode (bits + 1), 0 with no mask
    // --- process.scheduler and process.ioPriority (runtime-spec 1.2) ---
    // Set by the process on itself once it is in its namespaces and cgroup, still root with
    // every capability (before the user switch, seccomp and exec), as runc does.
    int sched_set;               // 0: keep the inherited policy
    uint32_t sched_policy;       // SCHED_* (checked by the planner)
    uint64_t sched_flags;        // SCHED_FLAG_*
    int32_t sched_nice;
    uint32_t sched_priority;     // SCHED_FIFO / SCHED_RR only
    uint64_t sched_runtime;      // SCHED_DEADLINE only, nanoseconds
    uint64_t sched_deadline;
    uint64_t sched_period;
    int sched_cpus_restricted;   // linux.resources.cpu.cpus set: explains an EPERM (SCHED_DEADLINE)
    int ioprio_set;              // 0: keep the inherited I/O priority
    int ioprio;                  // IOPRIO_PRIO_VALUE(class, level), ioprio_set(IOPRIO_WHO_PROCESS, 0, .)
    // --- CPU affinity (process.execCPUAffinity; exec only) ---
    // Masks of PETREL_CPU_MASK_WORDS words. cpu_initial: petrel_spawn runs on these CPUs while
    // it clones (the child inherits them before it joins the cgroup), then restores its own.
    // cpu_final: the process's affinity once it is in its cgroup; NULL: every CPU, which the
    // kernel narrows to the cgroup's cpuset (runc 1.3: the runtime's own affinity is not
    // inherited).
    const uint64_t *cpu_initial;
    const uint64_t *cpu_final;
} petrel_plan;

/// Words of a CPU mask in the plan: 8192 CPUs.
#define PETREL_CPU_MASK_WORDS 128

// ---------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------

enum petrel_message {
    PETREL_MSG_CONTINUE = 1,     // parent -> child
    PETREL_MSG_READY = 2,        // child -> parent: set up, about to wait on the exec fifo or the start (or exec)
    PETREL_MSG_ERROR = 3,        // child -> parent: a petrel_error follows in the same packet
    PETREL_MSG_MOUNTS_DONE = 4,  // child -> parent: see pause_before_pivot
    PETREL_MSG_SECCOMP_FD = 5,   // child -> parent: seccomp listener fd attached (SCM_RIGHTS)
    PETREL_MSG_HANDOFF = 6,      // first stage -> parent: the init's pidfd attached (SCM_RIGHTS); see petrel_spawn
    PETREL_MSG_RECORDED = 7,     // init -> parent, with an exec fifo: after READY the init waits for a CONTINUE
                                 // (the parent has written the container's record), clears its death signal,
                                 // then sends this. Until then it dies with the parent.
};

/// A failure inside the executor: which step, which syscall, on what path, and errno.
typedef struct {
    int32_t err;                 // errno, 0 if not a syscall failure
    char step[48];               // the setup step, e.g. "mount", "pivot_root", "exec"
    char syscall[32];            // the failing syscall, e.g. "openat2"
    char path[512];              // the path or value involved (may be empty)
    char detail[256];            // extra human words (may be empty)
} petrel_error;

/// A message packet: the child sends {type, error} even when type != ERROR.
typedef struct {
    int32_t type;                // enum petrel_message
    petrel_error error;
} petrel_packet;

/// The running init, as seen by the parent.
typedef struct {
    pid_t pid;                   // host pid of the container's init
    int sync_fd;                 // parent end of the socketpair
    int pidfd;                   // pidfd of the child (from CLONE_PIDFD), -1 if unavailable
} petrel_child;

// ---------------------------------------------------------------------------------------
// API (call from a single-threaded process)
// ---------------------------------------------------------------------------------------

/// Clones the container's init. On success returns 0 with *child filled; the child is
/// waiting for petrel_child_continue(). On failure returns -1 with *error filled and
/// nothing left running.
int petrel_spawn(const petrel_plan *plan, petrel_child *child, petrel_error *error);

/// Sends PETREL_MSG_CONTINUE. Returns 0, or -1 with *error.
int petrel_child_continue(petrel_child *child, petrel_error *error);

/// Waits for the next message from the child. Returns the message type
/// (PETREL_MSG_READY / PETREL_MSG_MOUNTS_DONE / PETREL_MSG_SECCOMP_FD), or -1 with *error
/// filled: either the child's own report (PETREL_MSG_ERROR) or a description of how it
/// died (socket closed). For PETREL_MSG_SECCOMP_FD, *received_fd gets the fd.
int petrel_child_wait(petrel_child *child, int *received_fd, petrel_error *error);
/// How long the parent waits for the init at each step of its setup (seconds; default
/// PETREL_DEFAULT_SETUP_TIMEOUT). A wait that runs out fails with step "timeout", syscall
/// "poll", path naming what was waited for, errno ETIMEDOUT.
#define PETREL_DEFAULT_SETUP_TIMEOUT 300
void petrel_set_setup_timeout(int seconds);
int petrel_setup_timeout(void);
/// After READY from an `exec` process: waits until execve closes the sync socket (0), or
/// the process reports why it failed after READY (-1, `error` filled).
int petrel_child_wait_exec(petrel_child *child, petrel_error *error);

/// A user namespace fd with the given maps ("containerID hostID size" lines, each ending
/// in a newline), held by a short-lived process that is reaped before this returns. For
/// id-mapped mounts. Returns the fd (CLOEXEC) or -1 with *error.
int petrel_userns_open(const char *uid_map, const char *gid_map, petrel_error *error);

/// A detached copy of the mount at `source` (open_tree OPEN_TREE_CLONE, with submounts when
/// `recursive_clone`), id-mapped through userns_fd (mount_setattr MOUNT_ATTR_IDMAP, on the
/// submounts too when `recursive_idmap`). Returns the tree fd (CLOEXEC) or -1 with *error.
/// A detached copy of the mount at `source` (open_tree OPEN_TREE_CLONE, with submounts when
/// `recursive`), made by the parent for a user-namespaced container's bind mounts: the
/// container's root may not be able to reach the source (a 0700 directory of the host's
/// root). Returns the tree fd (CLOEXEC) or -1 with *error.
int petrel_open_bind_tree(const char *source, int recursive, petrel_error *error);
int petrel_open_idmapped_tree(const char *source, int userns_fd, int recursive_clone, int recursive_idmap,
                              petrel_error *error);

/// Kills the child (SIGKILL), reaps it, closes the parent's fds. Safe to call twice.
void petrel_child_abort(petrel_child *child);

/// Closes the parent's fds without touching the process.
void petrel_child_release(petrel_child *child);

// ---------------------------------------------------------------------------------------
// Thin wrappers Swift cannot import (variadic syscalls, macros, _GNU_SOURCE-only symbols)
// ---------------------------------------------------------------------------------------

int petrel_pidfd_open(pid_t pid, unsigned int flags);
/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34; close_range with a /proc walk
/// as fallback): the spawned program gets no fd from `from` on. 0 or an errno.
int petrel_spawn_actions_closefrom(posix_spawn_file_actions_t *actions, int from);
/// Whether the kernel knows a SECCOMP_FILTER_FLAG_* (1), not (0), or cannot tell (-1): a
/// NULL program fails with EFAULT after the flags passed the check, EINVAL before.
int petrel_seccomp_flag_supported(unsigned int flag);
int petrel_pidfd_send_signal(int pidfd, int sig);
/// Opens `path` for reading without blocking and waits until a writer delivers a byte, or
/// the process behind pidfd exits; then reads to the end (the init keeps the fifo open
/// until its execve). Returns 0 when the program was executed, 1 when the process exited
/// before the byte, 2 when it failed after it (`error` filled), 3 when the init (`pid`) no
/// longer holds the fifo at all (an earlier start released it and was killed before
/// removing the fifo: no byte will ever come), -2 when the setup timeout ran out first
/// (errno ETIMEDOUT), -1 on error (errno set).
int petrel_exec_fifo_release(const char *path, int pidfd, pid_t pid, petrel_error *error);
int petrel_mkfifo(const char *path, unsigned int mode);
/// Opens `path` for reading (O_NONBLOCK, O_NOCTTY, CLOEXEC) resolved inside the directory
/// `root` (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). The fd or -1 (errno set).
int petrel_open_in_root(const char *root, const char *path);
unsigned long long petrel_makedev(unsigned int major, unsigned int minor);
int petrel_flock(int fd, int operation);
/// Sends fd over a connected unix socket with SCM_RIGHTS (one byte payload `name`).
int petrel_send_fd(int socket_fd, int fd, const char *name);
/// Receives an fd sent with SCM_RIGHTS; returns it or -1.
int petrel_recv_fd(int socket_fd);
/// One packet of a SOCK_SEQPACKET socket into buffer, with the fd it carries (SCM_RIGHTS,
/// close-on-exec) in *fd or -1 there (CRIU's orphan-pts-master notify carries the pty
/// master). Returns the packet's length, or -1 with errno (EMSGSIZE: it did not fit).
ssize_t petrel_recv_packet(int socket_fd, void *buffer, size_t length, int *fd);
/// unshare(2) (glibc declares it only with _GNU_SOURCE, which Swift's import lacks).
int petrel_unshare(int flags);
/// Connects a SOCK_STREAM unix socket to path; returns the fd (CLOEXEC) or -1.
int petrel_unix_connect(const char *path);
int petrel_prctl_set_child_subreaper(void);
/// A bound SOCK_DGRAM unix socket at path (an old file there is replaced); fd or -1.
int petrel_unixgram_bind(const char *path);
/// One datagram to the unix socket at path ("@name": abstract). 0 or -1.
int petrel_unixgram_send(const char *path, const void *buf, size_t len);
/// poll(POLLIN) with a timeout: >0 readable, 0 timed out, -1 error.
int petrel_wait_readable(int fd, int timeout_ms);
/// Wait for `pid` and return its raw wait status, retrying on EINTR; -1 on error.
int petrel_waitpid(pid_t pid, int *status);
int petrel_wifexited(int status);
int petrel_wexitstatus(int status);
int petrel_wifsignaled(int status);
int petrel_wtermsig(int status);

#ifdef __cplusplus
}
#endif

#endif
