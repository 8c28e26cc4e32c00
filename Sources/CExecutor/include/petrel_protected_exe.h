#ifndef PETREL_PROTECTED_EXE_H
#define PETREL_PROTECTED_EXE_H
#include <stddef.h>

/// CVE-2019-5736: for `create`, `run` and `exec` (the verbs whose process enters a
/// container), makes sure the running petrel executable cannot be opened for writing
/// through /proc/<pid>/exe, re-executing itself through a read-only overlay (or a sealed
/// memfd copy) when it is not. Returns only when protected (or for the other verbs): 0; or
/// -1 with a one-line reason in `message` when neither way works.
/// Call first thing in main: the process must still be single-threaded.
int petrel_protect_exe(int argc, char **argv, char *message, size_t size);

/// The same for a process that puts processes into containers whatever its arguments (the
/// shim's daemon, which runs the runtime in-process): always protected, with `state_root`
/// (made when missing) as the overlay's second layer.
int petrel_protect_process(int argc, char **argv, const char *state_root, char *message, size_t size);

#endif
