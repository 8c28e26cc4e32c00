#ifndef PETREL_ROOTLESS_H
#define PETREL_ROOTLESS_H
#include <stdint.h>

/// The uid that owns the user namespace owning the namespace at `path` (for a user
/// namespace: its own owner), via NS_GET_USERNS / NS_GET_OWNER_UID; the initial user
/// namespace is owned by 0. Returns 0, or -errno of the failing open/ioctl. Rootless
/// (specs/rootless.md): an unprivileged caller may join only namespaces its own uid owns.
int petrel_namespace_owner_uid(const char *path, int is_user_namespace, uint32_t *uid);

#endif
