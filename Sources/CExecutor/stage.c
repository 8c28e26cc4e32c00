// The first stage, for namespace sets clone3 flags cannot express (runc's nsexec order):
// joining a user namespace that must own new namespaces (a Kubernetes pod's containers),
// or creating a user namespace after joining namespaces the host owns. It joins, makes the
// new namespaces with unshare, clones the init into them with CLONE_PARENT (so the init
// is still the runtime's child) and hands the init's pidfd to the parent. Also an
// unprivileged `exec` (specs/rootless.md): only after joining the container's user
// namespace may it enter the pid namespace that namespace owns.
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NEW_BY_UNSHARE (CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)

bool pe_stage_joins_pid(const petrel_plan *plan) {
    if (geteuid() == 0) return false;
    bool joined_user = false, joined_pid = false;
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (!ns->path) continue;
        if (ns->clone_flag == CLONE_NEWUSER) joined_user = true;
        if (ns->clone_flag == CLONE_NEWPID) joined_pid = true;
    }
    return joined_user && joined_pid;
}

bool pe_needs_first_stage(const petrel_plan *plan) {
    if (pe_stage_joins_pid(plan)) return true;
    bool joined_user = false, new_user = false, new_other = false, joined_other = false;
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (ns->clone_flag == CLONE_NEWUSER) {
            if (ns->path) joined_user = true; else new_user = true;
        } else if (ns->clone_flag & (NEW_BY_UNSHARE | CLONE_NEWCGROUP)) {
            if (ns->clone_flag == CLONE_NEWPID && ns->path) continue;  // entered by the parent
            if (ns->path) joined_other = true;
            else if (ns->clone_flag != CLONE_NEWCGROUP) new_other = true;
        }
    }
    // --no-pivot in a user namespace: the host's procfs or sysfs is locked before it (nopivot.c).
    if (pe_no_pivot_lock_types(plan) != 0) return true;
    return (joined_user && new_other) || (new_user && joined_other);
}

static _Noreturn void fail(int sync_fd, petrel_error *error) {
    petrel_packet packet;
    char *raw = (char *)&packet;
    for (size_t i = 0; i < sizeof(packet); i++) raw[i] = 0;
    packet.type = PETREL_MSG_ERROR;
    packet.error = *error;
    ssize_t n;
    do n = send(sync_fd, &packet, sizeof(packet), MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    _exit(1);
}

static void hand_off(int sync_fd, int pidfd) {
    petrel_packet packet;
    char *raw = (char *)&packet;
    for (size_t i = 0; i < sizeof(packet); i++) raw[i] = 0;
    packet.type = PETREL_MSG_HANDOFF;
    // If the parent is gone the init dies with it (PDEATHSIG); nothing more to do here.
    pe_send_with_fd(sync_fd, &packet, sizeof(packet), pidfd);
}

_Noreturn void pe_first_stage_main(const petrel_plan *plan, int sync_fd) {
    pe_child state;
    char *raw = (char *)&state;
    for (size_t i = 0; i < sizeof(state); i++) raw[i] = 0;
    state.plan = plan;
    state.sync_fd = sync_fd;
    state.root_fd = -1;
    state.fifo_fd = -1;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

    if (pe_no_pivot_lock_types(plan) != 0 && pe_lock_host_pseudo_filesystems(&state) != 0) fail(sync_fd, &state.error);
    // Opened before any join: inside the container's user namespace another process's
    // /proc/PID/ns files may no longer open.
    int pid_ns = -1;
    const char *pid_ns_path = "";
    for (size_t i = 0; i < plan->namespace_count && pe_stage_joins_pid(plan); i++) {
        if (plan->namespaces[i].clone_flag != CLONE_NEWPID || !plan->namespaces[i].path) continue;
        pid_ns_path = plan->namespaces[i].path;
        pid_ns = open(pid_ns_path, O_RDONLY | O_CLOEXEC);
        if (pid_ns < 0) {
            pe_fail(&state.error, errno, "namespaces", "open", pid_ns_path, NULL);
            fail(sync_fd, &state.error);
        }
    }
    if (pe_join_namespaces(&state) != 0) fail(sync_fd, &state.error);
    if (pid_ns >= 0) {
        // Now with the capabilities of the user namespace that owns it (pid_for_children).
        if (setns(pid_ns, CLONE_NEWPID) != 0) {
            pe_fail(&state.error, errno, "namespaces", "setns", pid_ns_path, NULL);
            fail(sync_fd, &state.error);
        }
        close(pid_ns);
    }
    int flags = 0;
    bool new_user = false;
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (ns->path) continue;
        if (ns->clone_flag == CLONE_NEWUSER) new_user = true;
        else if (ns->clone_flag & NEW_BY_UNSHARE) flags |= (int)ns->clone_flag;
    }
    // The user namespace first, so that it owns the others.
    if (new_user && unshare(CLONE_NEWUSER) != 0) {
        pe_fail(&state.error, errno, "namespaces", "unshare", "user", NULL);
        fail(sync_fd, &state.error);
    }
    if (flags && unshare(flags) != 0) {
        pe_fail(&state.error, errno, "namespaces", "unshare", "", "mount/network/ipc/uts/pid");
        fail(sync_fd, &state.error);
    }
    // A new pid namespace only applies to children: the init is the first one.
    int pidfd = -1;
    bool in_cgroup;
    const char *clone_name;
    // exit_signal must be 0 with CLONE_PARENT: the kernel uses ours. The init inherits our
    // cgroup (the container's, or the parent moves it there after the hand-off).
    long pid = pe_clone(CLONE_PARENT, 0, &pidfd, -1, &in_cgroup, &clone_name);
    if (pid == 0) pe_child_main(plan, sync_fd, true);
    if (pid < 0) {
        pe_fail(&state.error, errno, "spawn", clone_name, "", "the init, from the first stage");
        fail(sync_fd, &state.error);
    }
    hand_off(sync_fd, pidfd);
    _exit(0);
}
