// The container's init from clone3 to execve, in runc's order. Every failure is sent
// to the parent as one ERROR packet (step, syscall, path, errno) before _exit.
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAP_SYS_ADMIN_BIT 21

static void send_packet(pe_child *child, int type) {
    petrel_packet packet;
    char *raw = (char *)&packet;
    for (size_t i = 0; i < sizeof(packet); i++) raw[i] = 0;
    packet.type = type;
    if (type == PETREL_MSG_ERROR) packet.error = child->error;
    ssize_t n;
    // READY may go out under the container's seccomp filter: write(2), which every profile
    // allows, not sendto(2). (A vanished parent then means SIGPIPE: the init dies, as it should.)
    if (type == PETREL_MSG_READY) {
        do n = write(child->sync_fd, &packet, sizeof(packet)); while (n < 0 && errno == EINTR);
        return;
    }
    do n = send(child->sync_fd, &packet, sizeof(packet), MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    // An error after an early filter that denies sendto(2) with an errno still gets out.
    if (n < 0 && errno != EPIPE && errno != ECONNRESET) {
        do n = write(child->sync_fd, &packet, sizeof(packet)); while (n < 0 && errno == EINTR);
    }
}

static _Noreturn void die(pe_child *child, int status) {
    send_packet(child, PETREL_MSG_ERROR);
    _exit(status);
}

/// A failure after READY. `exec` and `run` still wait on the sync socket until execve
/// closes it; the init's `create` has exited, so its error goes to the fifo for `start`
/// (when it got that far). The init also writes, as runc does, one line to the
/// container's stderr.
static _Noreturn void die_late(pe_child *child, int fifo, int status) {
    send_packet(child, PETREL_MSG_ERROR);
    if (!child->plan->exec_mode) {
        if (fifo >= 0) pe_write_all(fifo, &child->error, sizeof(child->error));
        char line[1024];
        pe_error_line(&child->error, line, sizeof(line));
        pe_write_all(2, line, pe_strlen(line));
    }
    _exit(status);
}

/// Blocks until the parent sends CONTINUE; the parent dying closes the socket.
static void wait_continue(pe_child *child) {
    petrel_packet packet;
    ssize_t n;
    // read(2), not recv: after an early seccomp filter only the plainest calls are sure.
    do n = read(child->sync_fd, &packet, sizeof(packet)); while (n < 0 && errno == EINTR);
    if (n <= 0 || packet.type != PETREL_MSG_CONTINUE) _exit(1);
}

static void reset_signals(void) {
    struct sigaction action;
    char *raw = (char *)&action;
    for (size_t i = 0; i < sizeof(action); i++) raw[i] = 0;
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 65; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &action, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/// The caller's stdio for the process (a shim's pipes) onto 0, 1 and 2, before the host fds
/// are closed. The sources are >= 3 (the plan guarantees it), so no dup clobbers another.
static int install_stdio(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (!plan->stdio_set) return 0;
    for (int fd = 0; fd <= 2; fd++) {
        int source = plan->stdio_fds[fd];
        if (source < 3) return pe_fail(&child->error, EBADF, "stdio", "dup3", "", "stdio fds must be >= 3");
        if (dup3(source, fd, 0) < 0) return pe_fail(&child->error, errno, "stdio", "dup3", "", NULL);
    }
    return 0;
}

/// Closes every fd >= 3 the container must not see, keeping the preserved ones and the
/// few the setup still needs (set CLOEXEC later). Host fds never reach the container.
static int close_inherited_fds(pe_child *child) {
    const petrel_plan *plan = child->plan;
    // The sync socket, the console socket and the id-mapped mount trees, sorted.
    int kept[PE_MAX_KEPT_FDS];
    size_t count = 0;
    kept[count++] = child->sync_fd;
    kept[count++] = plan->console_socket_fd;
    kept[count++] = pe_trusted_proc_fd;
    for (size_t i = 0; i < plan->mount_count && count < PE_MAX_KEPT_FDS; i++) {
        if (plan->mounts[i].tree_fd >= 0) kept[count++] = plan->mounts[i].tree_fd;
    }
    for (size_t i = 1; i < count; i++) {
        int value = kept[i];
        size_t j = i;
        while (j > 0 && kept[j - 1] > value) { kept[j] = kept[j - 1]; j--; }
        kept[j] = value;
    }
    unsigned int from = 3 + (unsigned int)(plan->preserve_fds > 0 ? plan->preserve_fds : 0);
    for (size_t i = 0; i < count; i++) {
        if (kept[i] < 0 || (unsigned int)kept[i] < from) continue;
        if ((unsigned int)kept[i] > from && pe_close_range(from, (unsigned int)kept[i] - 1, 0) != 0) {
            return pe_fail(&child->error, errno, "init", "close_range", "", "closing the host's fds");
        }
        from = (unsigned int)kept[i] + 1;
    }
    if (pe_close_range(from, ~0U, 0) != 0) return pe_fail(&child->error, errno, "init", "close_range", "", "closing the host's fds");
    return 0;
}

int pe_join_namespaces(pe_child *child) {
    const petrel_plan *plan = child->plan;
    // Open every file first, as runc does: once inside a joined user namespace we may no
    // longer be allowed to open another process's /proc/PID/ns files.
    int fds[16];
    size_t owner[16];
    size_t count = 0;
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (!ns->path) continue;
        if (ns->clone_flag == CLONE_NEWPID || ns->clone_flag == CLONE_NEWTIME) continue;  // joined by the parent
        if (count == sizeof(fds) / sizeof(fds[0])) return pe_fail(&child->error, E2BIG, "namespaces", "open", ns->path, "too many namespaces");
        fds[count] = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fds[count] < 0) {
            int err = errno;
            for (size_t k = 0; k < count; k++) close(fds[k]);
            return pe_fail(&child->error, err, "namespaces", "open", ns->path, NULL);
        }
        owner[count++] = i;
    }
    // The user namespace first: it decides what the other joins are allowed to do.
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (size_t k = 0; k < count; k++) {
            const petrel_namespace *ns = &plan->namespaces[owner[k]];
            if ((pass == 0) != (ns->clone_flag == CLONE_NEWUSER)) continue;
            if (setns(fds[k], (int)ns->clone_flag) != 0) {
                rc = pe_fail(&child->error, errno, "namespaces", "setns", ns->path, NULL);
                break;
            }
        }
    }
    for (size_t k = 0; k < count; k++) close(fds[k]);
    return rc;
}

/// A new cgroup namespace is made after the parent placed us in the container's cgroup,
/// so that cgroup becomes its root.
static void unshare_cgroup(pe_child *child) {
    const petrel_plan *plan = child->plan;
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (ns->path || ns->clone_flag != CLONE_NEWCGROUP) continue;
        if (unshare(CLONE_NEWCGROUP) != 0) {
            pe_fail(&child->error, errno, "namespaces", "unshare", "cgroup", NULL);
            die(child, 1);
        }
    }
}

static bool in_user_namespace(const petrel_plan *plan) {
    for (size_t i = 0; i < plan->namespace_count; i++) {
        if (plan->namespaces[i].clone_flag == CLONE_NEWUSER) return true;
    }
    return false;
}

/// Whether the filter must go in before the user switch drops the privilege that
/// loading it needs (no no_new_privs and no CAP_SYS_ADMIN afterwards), as runc does.
static bool seccomp_before_identity(const petrel_plan *plan) {
    if (!plan->seccomp_filter || plan->no_new_privileges) return false;
    if (plan->set_capabilities) return !(plan->cap_effective & (1ULL << CAP_SYS_ADMIN_BIT));
    return plan->uid != 0;
}

/// Become root of a joined or new user namespace (the parent has written the maps): until
/// then our host ids are unmapped there and every file we create fails with EOVERFLOW.
static void become_namespace_root(pe_child *child) {
    if (!in_user_namespace(child->plan)) return;
    if (pe_setresgid(0, 0, 0) != 0 || pe_setresuid(0, 0, 0) != 0) {
        pe_fail(&child->error, errno, "user namespace", "setresuid", "0", "is uid/gid 0 mapped?");
        die(child, 1);
    }
}

/// Marks every fd from `first` close-on-exec (the container keeps only stdio and the
/// preserved ones); a kernel without close_range falls back to walking the fds.
static void mark_cloexec_from(pe_child *child, unsigned int first) {
    if (pe_close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        pe_fail(&child->error, errno, "exec", "close_range", "", "marking fds close-on-exec");
        die(child, 1);
    }
}

/// The end shared by the init and `exec`: cwd, seccomp (in runc's order), the user switch,
/// READY, the start (init only: the exec fifo, or `run`'s CONTINUE), and execve of the program.
/// Petrel's own checks (cwd, the PATH lookup) and the fd sweep run before any filter is
/// loaded, so a profile never has to allow them (it once trapped faccessat2/newfstatat).
/// After the filter: execve only; with a notify filter also READY and the exec fifo (the
/// listener fd must reach the parent first); with the early filter (it must precede the
/// user switch) the switch itself, READY and the exec fifo, as in runc.
static _Noreturn void run_process(pe_child *child) {
    const petrel_plan *plan = child->plan;
    // chdir as root first; a cwd only the container user may enter (root squash) is
    // retried as that user, as runc does.
    bool in_cwd = pe_cwd(child, false) == 0;
    if (!in_cwd && child->error.step[0]) die(child, 1);
    char program[PE_PATH_MAX];
    bool early_seccomp = seccomp_before_identity(plan);
    unsigned int first = 3 + (unsigned int)(plan->preserve_fds > 0 ? plan->preserve_fds : 0);
    // The exec fifo is reopened through the trusted procfs (the container's /proc/self/fd
    // may be anything); its directory is opened and verified before any filter, so the
    // filter only has to allow openat and write on the way to execve.
    int fifo_directory = -1;
    if (child->fifo_fd >= 0 && (fifo_directory = pe_proc_fd_directory(child, "exec fifo")) < 0) die(child, 1);
    if (early_seccomp) {
        int status = 1;
        if (pe_lookup_as_user(child, in_cwd, program, sizeof(program), &status) != 0) die(child, status);
        mark_cloexec_from(child, first);
        if (pe_load_seccomp(child) != 0) die(child, 1);
        if (pe_identity(child) != 0 || pe_no_new_privs(child) != 0) die(child, 1);
    } else {
        if (pe_identity(child) != 0 || pe_no_new_privs(child) != 0) die(child, 1);
        if (!in_cwd && pe_cwd(child, true) != 0) die(child, 1);
        if (pe_find_executable(child, program, sizeof(program)) != 0) die(child, 127);
        mark_cloexec_from(child, first);
        // The listener fd must reach the parent before READY; otherwise load it last.
        if (plan->seccomp_notify && pe_load_seccomp(child) != 0) die(child, 1);
    }

    if (child->fifo_fd >= 0) {
        // The init dies with its creator until the container is recorded (a killed create
        // must leave no unrecorded init), then stops dying with it before the parent exits.
        send_packet(child, PETREL_MSG_READY);
        wait_continue(child);
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        send_packet(child, PETREL_MSG_RECORDED);
    } else if (plan->await_start) {
        // `run`: the start comes over the sync socket; the init dies with its creator until
        // then, and stops dying with it before execve (the parent exits once that is done).
        send_packet(child, PETREL_MSG_READY);
        wait_continue(child);
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    } else {
        // Cleared before READY: the parent exits right after it.
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        send_packet(child, PETREL_MSG_READY);
    }

    // The fifo stays open (CLOEXEC) until execve: `start` reads to its end, so it learns
    // whether the program runs or why not.
    int fifo = -1;
    if (child->fifo_fd >= 0) {
        fifo = pe_proc_reopen_in(child, fifo_directory, child->fifo_fd, O_WRONLY, "exec fifo");
        if (fifo < 0) die_late(child, -1, 1);
        if (pe_write_all(fifo, "0", 1) != 0) {
            pe_fail(&child->error, errno, "exec fifo", "write", "exec.fifo", NULL);
            die_late(child, -1, 1);
        }
        close(fifo_directory);
        close(child->fifo_fd);
    }
    if (!early_seccomp && !plan->seccomp_notify && pe_load_seccomp(child) != 0) die_late(child, fifo, 1);

    execve(program, (char *const *)plan->argv, (char *const *)plan->envp);
    int err = errno;
    pe_fail(&child->error, err, "exec", "execve", program, NULL);
    die_late(child, fifo, err == ENOENT ? 127 : 126);
}

/// `exec`: a new process in an existing container. Same guards as the init (signals reset,
/// non-dumpable until execve, host fds closed, errors reported), no filesystem setup.
static _Noreturn void exec_main(pe_child *child, bool namespaces_done) {
    const petrel_plan *plan = child->plan;
    if (!namespaces_done && pe_join_namespaces(child) != 0) die(child, 1);
    become_namespace_root(child);
    // Its own session, terminal or not (as runc): otherwise it stays in the caller's
    // host process group and `kill(0, sig)` from the container reaches host processes.
    if (setsid() < 0) {
        pe_fail(&child->error, errno, "exec", "setsid", "", NULL);
        die(child, 1);
    }
    child->cap_last = plan->cap_last;
    if (pe_console(child) != 0 || pe_rlimits(child) != 0 || pe_lsm_labels(child) != 0 || pe_personality(child) != 0) die(child, 1);
    if (pe_memory_policy(child) != 0 || pe_scheduler_and_io_priority(child) != 0) die(child, 1);
    if (plan->umask >= 0) umask((mode_t)plan->umask);
    run_process(child);
}

_Noreturn void pe_child_main(const petrel_plan *plan, int sync_fd, bool namespaces_done) {
    pe_child state;
    char *raw = (char *)&state;
    for (size_t i = 0; i < sizeof(state); i++) raw[i] = 0;
    pe_child *child = &state;
    child->plan = plan;
    child->sync_fd = sync_fd;
    child->root_fd = -1;
    child->fifo_fd = -1;
    child->proc_fd = -1;

    reset_signals();
    // Nobody in the container may open /proc/<init>/exe (the host binary) while we
    // still run petrel's code; execve makes the process dumpable again.
    // Rootless (specs/rootless.md): a non-dumpable process's /proc files belong to the
    // host's root, so an unprivileged parent could not write our uid_map, gid_map and
    // setgroups. Until CONTINUE (sent once they are written) we stay dumpable, as runc's
    // nsexec does: nothing of the container runs yet, and only the caller's own uid (who
    // could ptrace its petrel anyway) may open our /proc files meanwhile.
    bool maps_by_unprivileged_parent = !plan->exec_mode && pe_caller_euid != 0 && in_user_namespace(plan);
    if (!maps_by_unprivileged_parent) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Armed against the thread that cloned us (CLONE_PARENT from the first stage: still the
    // runtime). A parent that died before this line is caught by wait_continue: its end of
    // the sync socket is closed then (getppid() cannot tell: 0 in a new pid namespace).
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (install_stdio(child) != 0 || close_inherited_fds(child) != 0) die(child, 1);
    wait_continue(child);
    if (maps_by_unprivileged_parent) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Now in the container's cgroup (CLONE_INTO_CGROUP, or the parent moved us before CONTINUE).
    if (pe_final_cpu_affinity(child) != 0) die(child, 1);
    if (pe_proc_attach(child) != 0) die(child, 1);
    if (plan->exec_mode) exec_main(child, namespaces_done);
    // Opened with our original host ids: the state directory is root-only, and in a user
    // namespace we are about to become an unprivileged host uid.
    if (plan->exec_fifo) {
        child->fifo_fd = open(plan->exec_fifo, O_PATH | O_CLOEXEC);
        if (child->fifo_fd < 0) {
            pe_fail(&child->error, errno, "exec fifo", "open", plan->exec_fifo, NULL);
            die(child, 1);
        }
    }

    if (!namespaces_done && pe_join_namespaces(child) != 0) die(child, 1);
    unshare_cgroup(child);
    become_namespace_root(child);
    if (setsid() < 0) {
        pe_fail(&child->error, errno, "init", "setsid", "", NULL);
        die(child, 1);
    }
    if (plan->hostname && sethostname(plan->hostname, pe_strlen(plan->hostname)) != 0) {
        pe_fail(&child->error, errno, "hostname", "sethostname", plan->hostname, NULL);
        die(child, 1);
    }
    if (plan->domainname && setdomainname(plan->domainname, pe_strlen(plan->domainname)) != 0) {
        pe_fail(&child->error, errno, "domainname", "setdomainname", plan->domainname, NULL);
        die(child, 1);
    }
    if (pe_loopback_up(child) != 0) die(child, 1);
    umask(0);
    child->cap_last = plan->cap_last;
    if (pe_prepare_root(child) != 0 || pe_mounts(child) != 0 || pe_devices(child) != 0) die(child, 1);
    if (plan->setup_dev_symlinks && pe_dev_symlinks(child) != 0) die(child, 1);
    if (pe_finish_dev(child) != 0) die(child, 1);
    if (plan->pause_before_pivot) {
        send_packet(child, PETREL_MSG_MOUNTS_DONE);
        wait_continue(child);
    }
    // sysctls before readonlyPaths, which usually include /proc/sys.
    if (pe_switch_root(child) != 0 || pe_sysctls(child) != 0 || pe_masked_and_readonly_paths(child) != 0) die(child, 1);
    if (pe_make_cwd(child) != 0 || pe_root_readonly(child) != 0) die(child, 1);
    if (pe_console(child) != 0 || pe_rlimits(child) != 0 || pe_lsm_labels(child) != 0 || pe_personality(child) != 0) die(child, 1);
    if (pe_memory_policy(child) != 0 || pe_scheduler_and_io_priority(child) != 0) die(child, 1);
    umask(plan->umask >= 0 ? (mode_t)plan->umask : 022);

    run_process(child);
}

