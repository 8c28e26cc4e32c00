// Helpers for `petrel run` in the foreground: relay signals to the container's init and
// wait for it, as runc does. Single-threaded: signals are taken with signalfd-style
// sigwaitinfo, no handlers.
#ifndef PETREL_FOREGROUND_H
#define PETREL_FOREGROUND_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Blocks the signals that are forwarded (everything catchable but SIGCHLD-related ones).
/// Call before the init is started so no signal is lost in between.
void petrel_block_forwarded_signals(void);

/// Forwards every blocked signal to `pid` until `pid` exits; reaps other children too
/// (we may be their subreaper). Returns the raw wait status of `pid`, or -1.
int petrel_forward_signals_until_exit(pid_t pid);

#ifdef __cplusplus
}
#endif

#endif
