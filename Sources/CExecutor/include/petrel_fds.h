#ifndef PETREL_FDS_H
#define PETREL_FDS_H

/// The lowest fd number >= 3 that was free when the process started (recorded by a
/// constructor before any Swift code could open a file). `--preserve-fds N` is only
/// sound when fds 3..3+N-1 were all passed by the caller, i.e. N <= this - 3: otherwise
/// the runtime's own files (locks, logs, fifos) would take those numbers and be handed
/// to the container.
int petrel_first_free_fd_at_start(void);

#endif
