// Thin wrappers for what Swift cannot import: variadic syscalls, macros, _GNU_SOURCE.
#include "petrel_executor.h"
#include "executor_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <spawn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int petrel_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

int petrel_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

/// Whether any fd of `pid` is the file `fifo` is open on (the init keeps the exec fifo
/// open from create until it has written its byte).
static bool holds_file(pid_t pid, int fifo) {
    struct stat target;
    if (fstat(fifo, &target) != 0) return true;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (!dir) return true;  // cannot tell: keep waiting, as before
    bool found = false;
    struct dirent *entry;
    while (!found && (entry = readdir(dir))) {
        if (entry->d_name[0] == '.') continue;
        struct stat info;
        if (fstatat(dirfd(dir), entry->d_name, &info, 0) == 0 && info.st_dev == target.st_dev && info.st_ino == target.st_ino) found = true;
    }
    closedir(dir);
    return found;
}

int petrel_exec_fifo_release(const char *path, int pidfd, pid_t pid, petrel_error *error) {
    memset(error, 0, sizeof(*error));
    int fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0) return -1;
    // "0", then a petrel_error if the init failed after the byte (see child.c die_late).
    char data[1 + sizeof(petrel_error)];
    size_t got = 0;
    int result = -1;
    // Bounded: an init stuck before the fifo or before execve (a seccomp notification nobody
    // answers) fails `start` with ETIMEDOUT (-2) instead of hanging it.
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= petrel_setup_timeout()) {
            result = -2;
            errno = ETIMEDOUT;
            break;
        }
        struct pollfd fds[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        // Once the byte is in, only the fifo's end matters: the init closes it at execve.
        int ready = poll(fds, pidfd >= 0 && got == 0 ? 2 : 1, 100);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        // Nothing for 100 ms (the init writes at once when it waits for us): is it still there?
        if (ready == 0 && got == 0 && pid > 0 && !holds_file(pid, fifo)) {
            // The init writes its byte before it closes its O_PATH fd of the fifo, so a byte
            // there now means it got past the fifo while /proc was being read (a slow init
            // under load): go on reading, it is not an earlier release.
            ssize_t n = read(fifo, data, sizeof(data));
            if (n > 0) {
                got = (size_t)n;
                continue;
            }
            result = 3;
            break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            char scratch[256];
            bool full = got >= sizeof(data);
            ssize_t n = full ? read(fifo, scratch, sizeof(scratch)) : read(fifo, data + got, sizeof(data) - got);
            if (n > 0) {
                if (!full) got += (size_t)n;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (n == 0 && got > 0) {
                result = got == sizeof(data) ? 2 : 0;
                break;
            }
        }
        if (got == 0 && pidfd >= 0 && (fds[1].revents & POLLIN)) { result = 1; break; }
        // A writer that came and went without a byte: the init is dying; the pidfd says so next.
        if (got == 0 && (fds[0].revents & POLLHUP)) {
            struct pollfd only = {.fd = pidfd, .events = POLLIN};
            if (pidfd < 0 || poll(&only, 1, 1000) > 0) { result = 1; break; }
        }
    }
    if (result == 2) {
        memcpy(error, data + 1, sizeof(*error));
        error->step[sizeof(error->step) - 1] = 0;
        error->syscall[sizeof(error->syscall) - 1] = 0;
        error->path[sizeof(error->path) - 1] = 0;
        error->detail[sizeof(error->detail) - 1] = 0;
    }
    int saved = errno;
    close(fifo);
    errno = saved;
    return result;
}

int petrel_mkfifo(const char *path, unsigned int mode) {
    if (mkfifo(path, (mode_t)mode) != 0) return -1;
    // The umask must not narrow it: the init may run as any user.
    return chmod(path, (mode_t)mode);
}

unsigned long long petrel_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }

int petrel_flock(int fd, int operation) {
    int rc;
    do rc = flock(fd, operation); while (rc != 0 && errno == EINTR);
    return rc;
}

int petrel_send_fd(int socket_fd, int fd, const char *name) {
    // The payload is the fd's name, or a whole JSON document (seccomp listener).
    const char *payload = name && *name ? name : "x";
    struct iovec iov = {.iov_base = (void *)payload, .iov_len = strlen(payload)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t n;
    do n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

/// One recvmsg (EINTR retried, fds received close-on-exec): its byte count or -1, the
/// message flags, and the first fd it carried in `fd` (or -1).
static ssize_t receive_with_fd(int socket_fd, void *buffer, size_t length, int *fd, int *flags) {
    *fd = -1;
    struct iovec iov = {.iov_base = buffer, .iov_len = length};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
    ssize_t n;
    do n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
            break;
        }
    }
    *flags = msg.msg_flags;
    return n;
}

int petrel_recv_fd(int socket_fd) {
    char payload[256];
    int fd, flags;
    if (receive_with_fd(socket_fd, payload, sizeof(payload), &fd, &flags) < 0) return -1;
    if (fd < 0) errno = EBADMSG;
    return fd;
}

int petrel_unix_connect(const char *path) {
    struct sockaddr_un address;
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(address.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int rc;
    do rc = connect(fd, (struct sockaddr *)&address, sizeof(address)); while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int petrel_prctl_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int petrel_waitpid(pid_t pid, int *status) {
    int rc;
    do rc = waitpid(pid, status, 0); while (rc < 0 && errno == EINTR);
    return rc;
}

int petrel_wifexited(int status) { return WIFEXITED(status); }
int petrel_wexitstatus(int status) { return WEXITSTATUS(status); }
int petrel_wifsignaled(int status) { return WIFSIGNALED(status); }
int petrel_wtermsig(int status) { return WTERMSIG(status); }

int petrel_seccomp_flag_supported(unsigned int flag) {
    // WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER.
    if (flag == 32) flag |= 8;
    long rc = syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flag, NULL);
    if (rc == 0) return -1;
    if (errno == EFAULT) return 1;
    return errno == EINVAL ? 0 : -1;
}

static int unix_address(struct sockaddr_un *address, const char *path) {
    memset(address, 0, sizeof(*address));
    address->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(address->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address->sun_path, path);
    return 0;
}

int petrel_unixgram_bind(const char *path) {
    struct sockaddr_un address;
    if (unix_address(&address, path) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int petrel_unixgram_send(const char *path, const void *buf, size_t len) {
    struct sockaddr_un address;
    // systemd's abstract sockets start with '@'.
    if (unix_address(&address, path) != 0) return -1;
    if (address.sun_path[0] == '@') address.sun_path[0] = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    ssize_t n;
    do n = sendto(fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&address,
                  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path))); while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    errno = saved;
    return n < 0 ? -1 : 0;
}

int petrel_wait_readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do rc = poll(&p, 1, timeout_ms); while (rc < 0 && errno == EINTR);
    return rc;
}

int petrel_spawn_actions_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int petrel_open_in_root(const char *root, const char *path) {
    int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    int fd = (int)pe_openat2(dir, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    int saved = errno;
    close(dir);
    errno = saved;
    return fd;
}

ssize_t petrel_recv_packet(int socket_fd, void *buffer, size_t length, int *fd) {
    int flags;
    ssize_t n = receive_with_fd(socket_fd, buffer, length, fd, &flags);
    if (n < 0) return -1;
    if (flags & (MSG_TRUNC | MSG_CTRUNC)) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
        errno = EMSGSIZE;
        return -1;
    }
    return n;
}

int petrel_unshare(int flags) { return unshare(flags); }
