#ifndef PETREL_MEMFD_H
#define PETREL_MEMFD_H
/// memfd_create(name, MFD_CLOEXEC): Glibc's Swift module hides it behind _GNU_SOURCE.
int petrel_memfd_create(const char *name);
#endif
