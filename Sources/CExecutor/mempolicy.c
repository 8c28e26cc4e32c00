// linux.memoryPolicy in the child: one raw set_mempolicy(2), the mask prepared by Swift.
#include "executor_internal.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int pe_memory_policy(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (!plan->mempolicy_set) return 0;
    if (syscall(SYS_set_mempolicy, plan->mempolicy_mode, plan->mempolicy_nodes, plan->mempolicy_maxnode) != 0) {
        return pe_fail(&child->error, errno, "memoryPolicy", "set_mempolicy", "linux.memoryPolicy",
                       errno == EINVAL ? "the kernel refused the mode, flags or nodes; is every node online?" : NULL);
    }
    return 0;
}
