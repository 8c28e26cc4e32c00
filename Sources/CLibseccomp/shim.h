#ifndef PETREL_CLIBSECCOMP_SHIM_H
#define PETREL_CLIBSECCOMP_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stddef.h>
#include <seccomp.h>

// The file libseccomp's code was loaded from (a shared object, or the executable itself when
// linked statically), NULL when the dynamic linker cannot say: part of the seccomp filter
// cache's key, since a distribution may patch the syscall tables without changing the version.
static inline const char *petrel_libseccomp_object(void) {
    Dl_info info;
    if (dladdr((const void *)seccomp_version, &info) == 0 || info.dli_fname == NULL) return NULL;
    return info.dli_fname;
}
#endif
