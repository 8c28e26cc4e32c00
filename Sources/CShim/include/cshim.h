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
#endif
