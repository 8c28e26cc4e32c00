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
    do n = send(child->sync_fd, &packet, sizeof(packet), MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
}

static _Noreturn void die(pe_child *child, int status) {
    send_packet(child, PETREL_MSG_ERROR);
    _exit(status);
}

/// Blocks until the parent sends CONTINUE; the parent dying closes the socket.
static void wait_continue(pe_child *child) {
    petrel_packet packet;
    ssize_t n;
    do n = recv(child->sync_fd, &packet, sizeof(packet), 0); while (n < 0 && errno == EINTR);
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

/// Closes every fd >= 3 the container must not see, keeping the preserved ones and the
/// few the setup still needs (set CLOEXEC later). Host fds never reach the container.
static void close_inherited_fds(pe_child *child) {
    const petrel_plan *plan = child->plan;
    // The sync socket, the console socket and the id-mapped mount trees, sorted.
    int kept[PE_MAX_KEPT_FDS];
    size_t count = 0;
    kept[count++] = child->sync_fd;
    kept[count++] = plan->console_socket_fd;
    for (size_t i = 0; i < plan->mount_count && count < PE_MAX_KEPT_FDS; i++) {
        if (plan->mounts[i].idmapped) kept[count++] = plan->mounts[i].tree_fd;
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
        if ((unsigned int)kept[i] > from) syscall(SYS_close_range, from, (unsigned int)kept[i] - 1, 0);
        from = (unsigned int)kept[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}

static int read_cap_last(void) {
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 40;
    char buf[16];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return 40;
    int value = 0;
    for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) value = value * 10 + (buf[i] - '0');
    return value > 0 && value < 64 ? value : 40;
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

/// The end shared by the init and `exec`: cwd, seccomp (in runc's order), the user switch,
/// READY, the exec fifo (init only), and execve of the program.
static _Noreturn void run_process(pe_child *child) {
    const petrel_plan *plan = child->plan;
    // chdir as root first; a cwd only the container user may enter (root squash) is
    // retried after the switch, as runc does.
    bool in_cwd = pe_cwd(child, false) == 0;
    if (!in_cwd && child->error.step[0]) die(child, 1);
    bool early_seccomp = seccomp_before_identity(plan);
    if (early_seccomp && pe_load_seccomp(child) != 0) die(child, 1);
    if (pe_identity(child) != 0 || pe_no_new_privs(child) != 0) die(child, 1);
    if (!in_cwd && pe_cwd(child, true) != 0) die(child, 1);
    // The listener fd must reach the parent before READY; otherwise load it last.
    if (!early_seccomp && plan->seccomp_notify && pe_load_seccomp(child) != 0) die(child, 1);

    char program[PE_PATH_MAX];
    if (pe_find_executable(child, program, sizeof(program)) != 0) die(child, 127);

    if (child->fifo_fd >= 0) {
        // The init dies with its creator until the container is recorded (a killed create
        // must leave no unrecorded init), then stops dying with it before the parent exits.
        send_packet(child, PETREL_MSG_READY);
        wait_continue(child);
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        send_packet(child, PETREL_MSG_RECORDED);
    } else {
        // Cleared before READY: the parent exits right after it.
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        send_packet(child, PETREL_MSG_READY);
    }

    if (child->fifo_fd >= 0) {
        char path[32] = "/proc/self/fd/";
        char number[16];
        pe_format_int(number, sizeof(number), child->fifo_fd);
        pe_append(path, sizeof(path), number);
        int fifo;
        do fifo = open(path, O_WRONLY | O_CLOEXEC); while (fifo < 0 && errno == EINTR);
        if (fifo < 0) {
            pe_fail(&child->error, errno, "exec fifo", "open", path, NULL);
            _exit(1);
        }
        if (pe_write_all(fifo, "0", 1) != 0) _exit(1);
        close(fifo);
        close(child->fifo_fd);
    }
    if (!early_seccomp && !plan->seccomp_notify && pe_load_seccomp(child) != 0) die(child, 1);

    unsigned int first = 3 + (unsigned int)(plan->preserve_fds > 0 ? plan->preserve_fds : 0);
    syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(program, (char *const *)plan->argv, (char *const *)plan->envp);
    int err = errno;
    pe_fail(&child->error, err, "exec", "execve", program, NULL);
    die(child, err == ENOENT ? 127 : 126);
}

/// `exec`: a new process in an existing container. Same guards as the init (signals reset,
/// non-dumpable until execve, host fds closed, errors reported), no filesystem setup.
static _Noreturn void exec_main(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (pe_join_namespaces(child) != 0) die(child, 1);
    become_namespace_root(child);
    if (plan->terminal && setsid() < 0) {
        pe_fail(&child->error, errno, "exec", "setsid", "", NULL);
        die(child, 1);
    }
    child->cap_last = read_cap_last();
    if (pe_console(child) != 0 || pe_rlimits(child) != 0 || pe_lsm_labels(child) != 0 || pe_personality(child) != 0) die(child, 1);
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

    reset_signals();
    // Nobody in the container may open /proc/<init>/exe (the host binary) while we
    // still run petrel's code; execve makes the process dumpable again.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Armed against the thread that cloned us (CLONE_PARENT from the first stage: still the
    // runtime). A parent that died before this line is caught by wait_continue: its end of
    // the sync socket is closed then (getppid() cannot tell: 0 in a new pid namespace).
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    close_inherited_fds(child);
    wait_continue(child);
    if (plan->exec_mode) exec_main(child);
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
    umask(0);
    child->cap_last = read_cap_last();
    if (pe_prepare_root(child) != 0 || pe_mounts(child) != 0 || pe_devices(child) != 0) die(child, 1);
    if (plan->setup_dev_symlinks && pe_dev_symlinks(child) != 0) die(child, 1);
    if (plan->pause_before_pivot) {
        send_packet(child, PETREL_MSG_MOUNTS_DONE);
        wait_continue(child);
    }
    // sysctls before readonlyPaths, which usually include /proc/sys.
    if (pe_switch_root(child) != 0 || pe_sysctls(child) != 0 || pe_masked_and_readonly_paths(child) != 0) die(child, 1);
    if (pe_make_cwd(child) != 0 || pe_root_readonly(child) != 0) die(child, 1);
    if (pe_console(child) != 0 || pe_rlimits(child) != 0 || pe_lsm_labels(child) != 0 || pe_personality(child) != 0) die(child, 1);
    umask(plan->umask >= 0 ? (mode_t)plan->umask : 022);

    run_process(child);
}

