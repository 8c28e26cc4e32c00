#ifndef PETREL_BUILD_ID_H
#define PETREL_BUILD_ID_H
#include <stddef.h>

/// The GNU build ID of the loaded object (executable or shared library) whose code holds
/// `address`, read from its PT_NOTE segments in memory; its length, 0 when the object has
/// none or no loaded object holds `address`. Part of the seccomp filter cache's key
/// (Sources/PetrelRuntime/Linux/SeccompCacheKey.swift): /proc/self/exe cannot serve, as
/// petrel runs from a fresh memfd or overlay each time (specs/protected-binary.md).
size_t petrel_build_id(const void *address, unsigned char *out, size_t capacity);

/// The build ID of the executable petrel's code is linked into.
size_t petrel_own_build_id(unsigned char *out, size_t capacity);
#endif
