// The parent's side: clone the init (clone.c), talk to it over the socketpair, kill or release it.
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/// The parent's own pid or time namespace, saved so it can come back after entering the
/// container's for the clone (pid_for_children / time_for_children only).
typedef struct {
    int saved_pid;
    int saved_time;
} parent_namespaces;

/// Back to the runtime's own pid and time namespaces for children. A failure is an error:
/// every later child (a hook, a second clone) would otherwise land in the container's.
static int restore_parent(parent_namespaces *saved, petrel_error *error) {
    int rc = 0;
    if (saved->saved_pid >= 0) {
        if (setns(saved->saved_pid, CLONE_NEWPID) != 0) {
            rc = pe_fail(error, errno, "namespaces", "setns", "/proc/self/ns/pid", "returning to the runtime's pid namespace");
        }
        close(saved->saved_pid);
        saved->saved_pid = -1;
    }
    if (saved->saved_time >= 0) {
        if (setns(saved->saved_time, CLONE_NEWTIME) != 0 && rc == 0) {
            rc = pe_fail(error, errno, "namespaces", "setns", "/proc/self/ns/time", "returning to the runtime's time namespace");
        }
        close(saved->saved_time);
        saved->saved_time = -1;
    }
    return rc;
}

static int write_time_offsets(const char *offsets, petrel_error *error) {
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return pe_fail(error, errno, "namespaces", "open", "/proc/self/timens_offsets", NULL);
    ssize_t n;
    do n = write(fd, offsets, pe_strlen(offsets)); while (n < 0 && errno == EINTR);
    int err = errno;
    close(fd);
    if (n < 0) return pe_fail(error, err, "namespaces", "write", "/proc/self/timens_offsets", offsets);
    return 0;
}

static int enter_for_children(const petrel_plan *plan, parent_namespaces *saved, petrel_error *error) {
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        bool pid = ns->clone_flag == CLONE_NEWPID;
        bool time = ns->clone_flag == CLONE_NEWTIME;
        if (!pid && !time) continue;
        if (!ns->path && pid) continue;  // a new pid namespace comes from clone3
        if (pid && pe_stage_joins_pid(plan)) continue;  // entered by the first stage (stage.c)
        int *slot = pid ? &saved->saved_pid : &saved->saved_time;
        if (*slot < 0) {
            *slot = open(pid ? "/proc/self/ns/pid" : "/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
            if (*slot < 0) return pe_fail(error, errno, "namespaces", "open", pid ? "/proc/self/ns/pid" : "/proc/self/ns/time", NULL);
        }
        if (!ns->path) {
            if (unshare(CLONE_NEWTIME) != 0) return pe_fail(error, errno, "namespaces", "unshare", "time", NULL);
            // Offsets can only be set while no process lives in the new namespace.
            if (plan->time_offsets && write_time_offsets(plan->time_offsets, error) != 0) return -1;
            continue;
        }
        int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return pe_fail(error, errno, "namespaces", "open", ns->path, NULL);
        int rc = setns(fd, (int)ns->clone_flag);
        int err = errno;
        close(fd);
        if (rc != 0) return pe_fail(error, err, "namespaces", "setns", ns->path, NULL);
    }
    return 0;
}

/// The pid of a pidfd's process in our pid namespace (the first stage may live in the
/// container's, where the pid it saw means nothing here).
static pid_t pidfd_pid(int pidfd) {
    char path[64] = "/proc/self/fdinfo/";
    char number[16];
    pe_format_int(number, sizeof(number), pidfd);
    pe_append(path, sizeof(path), number);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char text[1024];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    char *line = strstr(text, "\nPid:");
    if (!line) return -1;
    line += 5;
    while (*line == ' ' || *line == '\t') line++;
    long value = 0;
    while (*line >= '0' && *line <= '9') value = value * 10 + (*line++ - '0');
    return value > 0 ? (pid_t)value : -1;
}

/// Reaps the first stage and takes over the init it cloned (see stage.c).
static int take_handoff(petrel_child *child, petrel_error *error) {
    int init_pidfd = -1;
    int type = petrel_child_wait(child, &init_pidfd, error);
    int status;
    while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {}
    if (child->pidfd >= 0) close(child->pidfd);
    child->pid = -1;
    child->pidfd = -1;
    pid_t init = type == PETREL_MSG_HANDOFF && init_pidfd >= 0 ? pidfd_pid(init_pidfd) : -1;
    if (init <= 0) {
        if (init_pidfd >= 0) {
            syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, NULL, 0);
            siginfo_t info;
            while (waitid((idtype_t)3 /* P_PIDFD */, (id_t)init_pidfd, &info, WEXITED) < 0 && errno == EINTR) {}
            close(init_pidfd);
        }
        if (type != -1) pe_fail(error, 0, "spawn", "", "", "the first stage did not hand over the init");
        petrel_child_release(child);
        return -1;
    }
    child->pid = init;
    child->pidfd = init_pidfd;
    return 0;
}

/// Written by the parent (inside a user namespace the child could not open it), below the
/// trusted procfs handle and checked to be a procfs file.
static int write_oom_score_adj(petrel_child *child, int value, petrel_error *error) {
    char path[64];
    char number[24];
    pe_format_int(number, sizeof(number), child->pid);
    pe_strlcpy(path, number, sizeof(path));
    pe_append(path, sizeof(path), "/oom_score_adj");
    pe_format_int(number, sizeof(number), value);
    const unsigned long long strict = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = pe_openat2(pe_trusted_proc_fd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW, strict);
    int rc = -1;
    if (fd >= 0 && !pe_on_procfs((int)fd)) errno = EXDEV;
    else if (fd >= 0) rc = pe_write_all((int)fd, number, pe_strlen(number));
    int err = errno;
    if (fd >= 0) close((int)fd);
    if (rc == 0) return 0;
    petrel_child_abort(child);
    char display[72] = "/proc/";
    pe_append(display, sizeof(display), path);
    return pe_fail(error, err, "oom_score_adj", "write", display, number);
}

int petrel_spawn(const petrel_plan *plan, petrel_child *child, petrel_error *error) {
    memset(error, 0, sizeof(*error));
    child->pid = -1;
    child->sync_fd = -1;
    child->pidfd = -1;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        return pe_fail(error, errno, "spawn", "socketpair", "", NULL);
    }
    parent_namespaces saved = {-1, -1};
    if (enter_for_children(plan, &saved, error) != 0) {
        petrel_error ignored;
        restore_parent(&saved, &ignored);  // the first error is the one to report
        close(pair[0]);
        close(pair[1]);
        return -1;
    }
    // The child's procfs handle (see procfs.c), from our mount namespace: the host's.
    pe_trusted_proc_fd = pe_open_trusted_proc(error);
    if (pe_trusted_proc_fd < 0) {
        petrel_error ignored;
        restore_parent(&saved, &ignored);  // the first error is the one to report
        close(pair[0]);
        close(pair[1]);
        return -1;
    }
    bool first_stage = pe_needs_first_stage(plan);
    uint64_t flags = CLONE_PIDFD;
    for (size_t i = 0; i < plan->namespace_count && !first_stage; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (ns->path || ns->clone_flag == CLONE_NEWCGROUP || ns->clone_flag == CLONE_NEWTIME) continue;
        flags |= ns->clone_flag;
    }
    // process.execCPUAffinity.initial: the child starts on these CPUs, before its cgroup.
    uint64_t saved_affinity[PETREL_CPU_MASK_WORDS];
    int affinity = pe_parent_initial_affinity(plan, saved_affinity, error);
    if (affinity < 0) {
        petrel_error ignored;
        restore_parent(&saved, &ignored);
        close(pe_trusted_proc_fd);
        pe_trusted_proc_fd = -1;
        close(pair[0]);
        close(pair[1]);
        return -1;
    }
    int pidfd = -1;
    bool in_cgroup = false;
    const char *clone_name = "clone3";
    pe_caller_euid = geteuid();
    long pid = pe_clone(flags, SIGCHLD, &pidfd, plan->cgroup_fd, &in_cgroup, &clone_name);
    if (pid == 0) {
        close(pair[0]);
        if (first_stage) pe_first_stage_main(plan, pair[1]);
        pe_child_main(plan, pair[1], false);
    }
    int clone_errno = errno;
    if (affinity > 0) pe_parent_restore_affinity(saved_affinity);
    petrel_error restore_error;
    memset(&restore_error, 0, sizeof(restore_error));
    int restored = restore_parent(&saved, &restore_error);
    close(pair[1]);
    if (pid < 0) {
        close(pair[0]);
        close(pe_trusted_proc_fd);
        pe_trusted_proc_fd = -1;
        return pe_fail(error, clone_errno, "spawn", clone_name, "",
                       plan->cgroup_fd >= 0 && pe_streq(clone_name, "clone3") ? "with CLONE_INTO_CGROUP" : NULL);
    }
    child->pid = (pid_t)pid;
    child->sync_fd = pair[0];
    child->pidfd = pidfd;
    if (restored != 0) {
        close(pe_trusted_proc_fd);
        pe_trusted_proc_fd = -1;
        petrel_child_abort(child);
        *error = restore_error;
        return -1;
    }
    int rc = first_stage ? take_handoff(child, error) : 0;
    if (rc == 0 && plan->cgroup_fd >= 0 && !in_cgroup && pe_join_cgroup(plan->cgroup_fd, child->pid) != 0) {
        // clone(2) has no CLONE_INTO_CGROUP: the init (or exec'd process) joins before it is
        // let go, as on cgroup v1, so no container code runs outside the cgroup.
        int err = errno;
        petrel_child_abort(child);
        rc = pe_fail(error, err, "spawn", "write", "cgroup.procs", "joining the container's cgroup after clone(2)");
    }
    if (rc == 0 && plan->set_oom_score_adj) rc = write_oom_score_adj(child, plan->oom_score_adj, error);
    close(pe_trusted_proc_fd);
    pe_trusted_proc_fd = -1;
    return rc;
}

int petrel_child_continue(petrel_child *child, petrel_error *error) {
    petrel_packet packet;
    memset(&packet, 0, sizeof(packet));
    packet.type = PETREL_MSG_CONTINUE;
    ssize_t n;
    do n = send(child->sync_fd, &packet, sizeof(packet), MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n < 0) return pe_fail(error, errno, "init", "send", "sync socket", "the container's init is gone");
    return 0;
}

/// Describes how the child ended when it closed the socket without a report.
static int describe_exit(petrel_child *child, petrel_error *error) {
    if (child->pidfd >= 0) {
        struct pollfd fd = {.fd = child->pidfd, .events = POLLIN};
        poll(&fd, 1, 1000);
    }
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, (id_t)child->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0) {
        char number[16];
        pe_format_int(number, sizeof(number), info.si_status);
        if (info.si_code == CLD_EXITED) {
            return pe_fail(error, 0, "init", "", "", info.si_status == 0 ? "the container's init exited before reporting" : "the container's init exited before reporting (status != 0)");
        }
        pe_fail(error, 0, "init", "", "", "the container's init was killed by signal ");
        pe_append(error->detail, sizeof(error->detail), number);
        return -1;
    }
    return pe_fail(error, 0, "init", "", "", "the container's init closed its socket without reporting");
}

int petrel_child_wait(petrel_child *child, int *received_fd, petrel_error *error) {
    memset(error, 0, sizeof(*error));
    if (received_fd) *received_fd = -1;
    petrel_packet packet;
    memset(&packet, 0, sizeof(packet));
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = {.iov_base = &packet, .iov_len = sizeof(packet)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
    if (pe_wait_readable(child->sync_fd, "the container init's next setup step", error) != 0) return -1;
    ssize_t n;
    do n = recvmsg(child->sync_fd, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n < 0) return pe_fail(error, errno, "init", "recvmsg", "sync socket", NULL);
    if (n == 0) return describe_exit(child, error);
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            int fd = *(int *)CMSG_DATA(cmsg);
            if (received_fd) *received_fd = fd; else close(fd);
        }
    }
    if (packet.type == PETREL_MSG_ERROR) {
        *error = packet.error;
        error->step[sizeof(error->step) - 1] = 0;
        error->syscall[sizeof(error->syscall) - 1] = 0;
        error->path[sizeof(error->path) - 1] = 0;
        error->detail[sizeof(error->detail) - 1] = 0;
        return -1;
    }
    return packet.type;
}

int petrel_child_wait_exec(petrel_child *child, petrel_error *error) {
    memset(error, 0, sizeof(*error));
    long long deadline = pe_setup_deadline();
    for (;;) {
        petrel_packet packet;
        memset(&packet, 0, sizeof(packet));
        if (pe_wait_readable_until(child->sync_fd, deadline, "the process to execute its program", error) != 0) return -1;
        ssize_t n;
        do n = recv(child->sync_fd, &packet, sizeof(packet), 0); while (n < 0 && errno == EINTR);
        if (n < 0) return pe_fail(error, errno, "exec", "recv", "sync socket", NULL);
        if (n == 0) return 0;
        if (packet.type != PETREL_MSG_ERROR) continue;
        *error = packet.error;
        error->step[sizeof(error->step) - 1] = 0;
        error->syscall[sizeof(error->syscall) - 1] = 0;
        error->path[sizeof(error->path) - 1] = 0;
        error->detail[sizeof(error->detail) - 1] = 0;
        return -1;
    }
}

void petrel_child_abort(petrel_child *child) {
    if (child->pid > 0) {
        if (child->pidfd >= 0) syscall(SYS_pidfd_send_signal, child->pidfd, SIGKILL, NULL, 0);
        else kill(child->pid, SIGKILL);
        int status;
        while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {}
        child->pid = -1;
    }
    petrel_child_release(child);
}

void petrel_child_release(petrel_child *child) {
    if (child->sync_fd >= 0) close(child->sync_fd);
    if (child->pidfd >= 0) close(child->pidfd);
    child->sync_fd = -1;
    child->pidfd = -1;
}
