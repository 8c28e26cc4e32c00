// linux.netDevices: moving a host network interface into the container's network
// namespace over rtnetlink. Runs in the (single-threaded) parent after the init is cloned.
#ifndef PETREL_NETDEV_H
#define PETREL_NETDEV_H

#include "petrel_executor.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Moves the interface `name` of the caller's network namespace into the namespace at
/// `netns_path`, renamed to `new_name` (NULL or "": keep the name; "%d" lets the kernel
/// number it), in one RTM_NEWLINK, as runtime-spec 1.3 asks: the link is set down first,
/// its permanent addresses of global scope are added back inside, and it is set up there.
/// Returns 0, or -1 with *error (step "netDevices", the interface in `path`).
int petrel_netdev_move(const char *name, const char *new_name, const char *netns_path, petrel_error *error);

#ifdef __cplusplus
}
#endif

#endif
