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

/// Like petrel_forward_signals_until_exit, while relaying a terminal: the caller's stdin
/// goes to the pty `master`, the pty's output to stdout. The caller's tty (if stdin is
/// one) is put in raw mode and restored; its size is copied to the pty now and on
/// SIGWINCH. Output left in the pty after the exit is drained. Returns the raw wait
/// status of `pid`, or -1.
int petrel_relay_terminal_until_exit(pid_t pid, int master);

/// A connected AF_UNIX stream pair (CLOEXEC) for a console socket the runtime itself
/// receives the pty master on. Returns 0 or -1.
int petrel_console_pair(int fds[2]);

#ifdef __cplusplus
}
#endif

#endif
