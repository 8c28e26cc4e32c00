// runtime-spec 1.2's process attributes: process.scheduler (sched_setattr), process.ioPriority
// (ioprio_set) and process.execCPUAffinity (sched_setaffinity). Raw syscalls, no malloc;
// the planner checked every value.
#include "executor_internal.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/// struct sched_attr, SCHED_ATTR_SIZE_VER1 (with the utilization clamps, left 0 as runc does).
typedef struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
} pe_sched_attr;

#define PE_IOPRIO_WHO_PROCESS 1
#define PE_SCHED_DEADLINE 6
#define PE_SCHED_FIFO 1
#define PE_SCHED_RR 2

int pe_scheduler_and_io_priority(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (plan->sched_set) {
        pe_sched_attr attr;
        char *raw = (char *)&attr;
        for (size_t i = 0; i < sizeof(attr); i++) raw[i] = 0;
        attr.size = sizeof(attr);
        attr.sched_policy = plan->sched_policy;
        attr.sched_flags = plan->sched_flags;
        attr.sched_nice = plan->sched_nice;
        attr.sched_priority = plan->sched_priority;
        attr.sched_runtime = plan->sched_runtime;
        attr.sched_deadline = plan->sched_deadline;
        attr.sched_period = plan->sched_period;
        if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
            int err = errno;
            const char *detail = NULL;
            if (err == EPERM && plan->sched_policy == PE_SCHED_DEADLINE && plan->sched_cpus_restricted) {
                // runc's words: SCHED_DEADLINE needs an affinity of every CPU (sched_setattr(2)).
                detail = "process scheduler can't be used together with AllowedCPUs (linux.resources.cpu.cpus)";
            } else if (err == EPERM && (plan->sched_policy == PE_SCHED_FIFO || plan->sched_policy == PE_SCHED_RR)) {
                detail = "a real-time policy needs CAP_SYS_NICE and, on a CONFIG_RT_GROUP_SCHED kernel, real-time "
                         "runtime in the container's cgroup (linux.resources.cpu.realtimeRuntime)";
            } else if (err == EPERM) {
                detail = "this policy or a lower nice needs CAP_SYS_NICE in the host's user namespace";
            } else if (err == EBUSY) {
                detail = "not enough SCHED_DEADLINE bandwidth left (runtime/period)";
            } else if (err == EOPNOTSUPP) {
                detail = "the kernel has no utilization clamping (CONFIG_UCLAMP_TASK)";
            } else if (err == EINVAL && (plan->sched_policy == PE_SCHED_FIFO || plan->sched_policy == PE_SCHED_RR)) {
                detail = "the kernel refused the priority";
            }
            return pe_fail(&child->error, err, "process.scheduler", "sched_setattr", "", detail);
        }
    }
    if (plan->ioprio_set && syscall(SYS_ioprio_set, PE_IOPRIO_WHO_PROCESS, 0, plan->ioprio) != 0) {
        int err = errno;
        return pe_fail(&child->error, err, "process.ioPriority", "ioprio_set", "",
                       err == EPERM ? "IOPRIO_CLASS_RT needs CAP_SYS_ADMIN or CAP_SYS_NICE in the host's user namespace" : NULL);
    }
    return 0;
}

int pe_final_cpu_affinity(pe_child *child) {
    const petrel_plan *plan = child->plan;
    if (plan->cpu_final) {
        if (syscall(SYS_sched_setaffinity, 0, PETREL_CPU_MASK_WORDS * sizeof(uint64_t), plan->cpu_final) != 0) {
            int err = errno;
            return pe_fail(&child->error, err, "process.execCPUAffinity.final", "sched_setaffinity", "",
                           err == EINVAL ? "no CPU of the list is online and allowed by the container's cpuset" : NULL);
        }
        return 0;
    }
    // Every CPU: the kernel keeps those the cgroup's cpuset allows. A failure leaves the
    // inherited affinity, as runc's tryResetCPUAffinity does.
    uint64_t all[PETREL_CPU_MASK_WORDS];
    for (size_t i = 0; i < PETREL_CPU_MASK_WORDS; i++) all[i] = ~0ULL;
    (void)syscall(SYS_sched_setaffinity, 0, sizeof(all), all);
    return 0;
}

int pe_parent_initial_affinity(const petrel_plan *plan, uint64_t *saved, petrel_error *error) {
    if (!plan->cpu_initial) return 0;
    long n = syscall(SYS_sched_getaffinity, 0, PETREL_CPU_MASK_WORDS * sizeof(uint64_t), saved);
    if (n < 0) return pe_fail(error, errno, "process.execCPUAffinity.initial", "sched_getaffinity", "", NULL);
    for (size_t i = (size_t)n / sizeof(uint64_t); i < PETREL_CPU_MASK_WORDS; i++) saved[i] = 0;
    if (syscall(SYS_sched_setaffinity, 0, PETREL_CPU_MASK_WORDS * sizeof(uint64_t), plan->cpu_initial) != 0) {
        int err = errno;
        return pe_fail(error, err, "process.execCPUAffinity.initial", "sched_setaffinity", "",
                       err == EINVAL ? "no CPU of the list is online and allowed to the runtime" : NULL);
    }
    return 1;
}

void pe_parent_restore_affinity(const uint64_t *saved) {
    (void)syscall(SYS_sched_setaffinity, 0, PETREL_CPU_MASK_WORDS * sizeof(uint64_t), saved);
}
