#ifndef PETREL_STATE_ROOT_H
#define PETREL_STATE_ROOT_H
#include <stddef.h>

/// The default state root (--root): runc's rule, $XDG_RUNTIME_DIR/petrel for a non-root
/// effective uid (or root in a user namespace whose $USER is not root) when
/// XDG_RUNTIME_DIR is set, else /run/petrel. One definition for the C code that runs
/// before Swift (protected_exe.c) and for Swift's Globals, so the two never disagree.
/// Writes a NUL-terminated path; returns 0, or -1 when `size` is too small.
int petrel_default_state_root(char *buffer, size_t size);

/// 1 when this process is in a user namespace other than the initial one (its uid_map is
/// not the identity of the whole range), else 0: runc's userns.RunningInUserNS.
int petrel_running_in_userns(void);

#endif
