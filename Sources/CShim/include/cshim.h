#ifndef CSHIM_H
#define CSHIM_H

// Glibc's Swift module leaves sys/epoll.h out: re-exported from here.
#include <sys/epoll.h>
// Same for eventfd (the v1 OOM watcher).
#include <sys/eventfd.h>
// What the shim's Swift side cannot express cleanly: sockaddr_un handling. Returns fd or -errno.
// Sockets are SOCK_NONBLOCK | SOCK_CLOEXEC.

// Bind and listen on a filesystem unix socket path (the caller removes a stale one first).
int cshim_unix_listen(const char *path, int backlog);
// Connect a unix stream socket; a connect that is still in progress counts as success.
int cshim_unix_connect(const char *path);
// Accept one connection; -EAGAIN when none is pending.
int cshim_accept(int listen_fd);
// uid of the peer of a connected unix socket, or -errno.
long cshim_peer_uid(int fd);

// prctl is variadic: PR_SET_CHILD_SUBREAPER on the calling process. 0 or -errno.
int cshim_set_subreaper(void);
// posix_spawn of `path` in a new session, with `listen_fd` as fd 3 and stdin/stdout/stderr on
// /dev/null (containerd waits for EOF on start's stdout: the daemon must not hold it).
// Returns the pid or -errno.
int cshim_spawn_daemon(const char *path, char *const argv[], char *const envp[], int listen_fd);

// --- the task service's plumbing (signals, timers, terminals, children) ---

// Blocks SIGCHLD for the (single-threaded) shim and returns a non-blocking CLOEXEC signalfd
// for it, or -errno. Children the executor clones reset their mask; others get it cleared
// by cshim_spawn_logger.
int cshim_sigchld_fd(void);
// Empties a signalfd (the count of signals is not needed: every readiness means "reap").
void cshim_drain_signalfd(int fd);
// waitpid(-1, WNOHANG) for one child. Returns its pid (status in *exit_status: the code, or
// 128+N for a death by signal N), 0 when none is ready, -errno (ECHILD: no children).
int cshim_reap_one(int *exit_status);
// A non-blocking CLOEXEC one-shot timerfd firing after `ms` milliseconds, or -errno.
int cshim_timer_fd(long ms);
// Sets a terminal's size (TIOCSWINSZ). 0 or -errno.
int cshim_set_winsize(int fd, unsigned short rows, unsigned short cols);
// posix_spawn of a logging binary as the runc shim starts one for `binary://` URIs:
// fd 3 = stdout_fd, fd 4 = stderr_fd, fd 5 = ready_fd, stdin/stdout/stderr on /dev/null,
// default signal mask. Returns the pid or -errno.
int cshim_spawn_logger(const char *path, char *const argv[], char *const envp[], int stdout_fd, int stderr_fd, int ready_fd);
// pipe2(O_CLOEXEC). 0 or -errno.
int cshim_pipe(int fds[2]);
// Opens a FIFO or file for the relay: O_NONBLOCK|O_CLOEXEC plus `flags`; -errno on failure.
int cshim_open(const char *path, int flags, int mode);
#endif
