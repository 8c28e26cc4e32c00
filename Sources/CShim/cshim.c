#include "cshim.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <unistd.h>

static int fill_addr(struct sockaddr_un *sa, const char *path) {
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(sa->sun_path)) return -ENAMETOOLONG;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, n);
    return 0;
}

int cshim_unix_listen(const char *path, int backlog) {
    struct sockaddr_un sa;
    int rc = fill_addr(&sa, path);
    if (rc < 0) return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int cshim_unix_connect(const char *path) {
    struct sockaddr_un sa;
    int rc = fill_addr(&sa, path);
    if (rc < 0) return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS && errno != EAGAIN) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int cshim_accept(int listen_fd) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

long cshim_peer_uid(int fd) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return -errno;
    return (long)cred.uid;
}

int cshim_set_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

int cshim_spawn_daemon(const char *path, char *const argv[], char *const envp[], int listen_fd) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    pid_t pid = -1;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc) return -rc;
    rc = posix_spawnattr_init(&attr);
    if (rc) { posix_spawn_file_actions_destroy(&fa); return -rc; }
    // dup2 onto 3 clears FD_CLOEXEC there (glibc also does so when listen_fd is already 3).
    if (!rc) rc = posix_spawn_file_actions_adddup2(&fa, listen_fd, 3);
    if (!rc) rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc) rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (!rc) rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    // Whatever else containerd (or a shell) left open must not reach the daemon: an inherited
    // pipe would keep a reader of start's output waiting for EOF.
    if (!rc) rc = posix_spawn_file_actions_addclosefrom_np(&fa, 4);
    if (!rc) rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    if (!rc) rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc ? -rc : pid;
}

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>

int cshim_sigchld_fd(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -errno;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void cshim_drain_signalfd(int fd) {
    struct signalfd_siginfo info[8];
    while (read(fd, info, sizeof(info)) > 0) {}
}

int cshim_reap_one(int *exit_status) {
    int status = 0;
    pid_t pid;
    do { pid = waitpid(-1, &status, WNOHANG); } while (pid < 0 && errno == EINTR);
    if (pid < 0) return -errno;
    if (pid == 0) return 0;
    if (WIFEXITED(status)) *exit_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) *exit_status = 128 + WTERMSIG(status);
    else *exit_status = 255;
    return pid;
}

int cshim_timer_fd(long ms) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return -errno;
    if (ms <= 0) ms = 1;
    struct itimerspec spec = {0};
    spec.it_value.tv_sec = ms / 1000;
    spec.it_value.tv_nsec = (ms % 1000) * 1000000L;
    if (timerfd_settime(fd, 0, &spec, NULL) != 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int cshim_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize size = {.ws_row = rows, .ws_col = cols};
    return ioctl(fd, TIOCSWINSZ, &size) == 0 ? 0 : -errno;
}

int cshim_spawn_logger(const char *path, char *const argv[], char *const envp[], int stdout_fd, int stderr_fd, int ready_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    // The sources are CLOEXEC and above 5 (the caller makes sure), so dup2 clears CLOEXEC.
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 3);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 4);
    posix_spawn_file_actions_adddup2(&actions, ready_fd, 5);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, path, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -rc;
}

int cshim_open(const char *path, int flags, int mode) {
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, mode);
    return fd < 0 ? -errno : fd;
}

int cshim_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}
