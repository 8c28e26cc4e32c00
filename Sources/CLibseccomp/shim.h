#ifndef PETREL_CLIBSECCOMP_SHIM_H
#define PETREL_CLIBSECCOMP_SHIM_H
#include <seccomp.h>

// An address inside libseccomp's code, for its build ID (petrel_build_id in CExecutor):
// part of the seccomp filter cache's key. No _GNU_SOURCE here: this module's view of the
// libc headers must match the other C modules' (clang modules refuse two fd_set layouts).
static inline const void *petrel_libseccomp_address(void) {
    return (const void *)seccomp_version;
}
#endif
