// The cwd and PATH lookup done as the container user while still root: for the case where
// the seccomp filter must be loaded before the user switch (no no_new_privs and no
// CAP_SYS_ADMIN afterwards), so that Petrel's own checks never run under the filter.
#include "executor_internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

static int capget_sets(struct __user_cap_data_struct data[2]) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    return (int)syscall(SYS_capget, &header, data);
}

static int capset_sets(struct __user_cap_data_struct data[2]) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    return (int)syscall(SYS_capset, &header, data);
}

/// Switches only the effective (and so filesystem) ids, the groups and the effective
/// capabilities to the container process's: the real and saved ids stay 0, so everything
/// is restored afterwards. Access checks then see what the process will see after execve.
int pe_lookup_as_user(pe_child *child, bool in_cwd, char *program, size_t size, int *status) {
    const petrel_plan *plan = child->plan;
    *status = 1;
    struct __user_cap_data_struct saved[2];
    if (capget_sets(saved) != 0) return pe_fail(&child->error, errno, "exec", "capget", "", NULL);
    if (pe_setgroups(plan->additional_gid_count, plan->additional_gids) != 0 &&
        !(errno == EPERM && plan->additional_gid_count == 0)) {
        return pe_fail(&child->error, errno, "user", "setgroups", "", NULL);
    }
    if (pe_setresgid((unsigned int)-1, plan->gid, (unsigned int)-1) != 0) {
        return pe_fail(&child->error, errno, "user", "setresgid", "", "effective gid for the PATH lookup");
    }
    if (pe_setresuid((unsigned int)-1, plan->uid, (unsigned int)-1) != 0) {
        return pe_fail(&child->error, errno, "user", "setresuid", "", "effective uid for the PATH lookup");
    }
    // A non-zero euid cleared the effective set; the process will have exactly these.
    if (plan->set_capabilities) {
        struct __user_cap_data_struct wanted[2] = {saved[0], saved[1]};
        wanted[0].effective = (uint32_t)plan->cap_effective & saved[0].permitted;
        wanted[1].effective = (uint32_t)(plan->cap_effective >> 32) & saved[1].permitted;
        if (capset_sets(wanted) != 0) return pe_fail(&child->error, errno, "capabilities", "capset", "", "for the PATH lookup");
    }
    int rc = 0;
    if (!in_cwd && pe_cwd(child, true) != 0) {
        rc = -1;
    } else if (pe_find_executable(child, program, size) != 0) {
        rc = -1;
        *status = 127;
    }
    // Back to root with every capability it had (real and saved uid are still 0).
    if (pe_setresuid((unsigned int)-1, 0, (unsigned int)-1) != 0 || pe_setresgid((unsigned int)-1, 0, (unsigned int)-1) != 0 ||
        capset_sets(saved) != 0) {
        *status = 1;
        return pe_fail(&child->error, errno, "user", "setresuid", "0", "back to root after the PATH lookup");
    }
    return rc;
}
