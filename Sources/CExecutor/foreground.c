#include "petrel_foreground.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void forwarded_set(sigset_t *set) {
    sigfillset(set);
    // Never hold back the signals that mean "this process itself is broken".
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
    sigdelset(set, SIGABRT);
    sigdelset(set, SIGTRAP);
    sigdelset(set, SIGSYS);
}

void petrel_block_forwarded_signals(void) {
    sigset_t set;
    forwarded_set(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

int petrel_forward_signals_until_exit(pid_t pid) {
    sigset_t set;
    forwarded_set(&set);
    for (;;) {
        // The init may already be gone before any SIGCHLD was queued for us.
        int status = 0;
        pid_t reaped;
        while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
            if (reaped == pid) return status;
        }
        if (reaped < 0 && errno == ECHILD) return -1;

        siginfo_t info;
        int sig = sigwaitinfo(&set, &info);
        if (sig < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (sig == SIGCHLD) continue;
        // SIGWINCH and friends go on as well: the container decides what they mean.
        kill(pid, sig);
    }
}

int petrel_console_pair(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
}

static void copy_window_size(int master) {
    struct winsize size;
    if (ioctl(0, TIOCGWINSZ, &size) == 0) ioctl(master, TIOCSWINSZ, &size);
}

/// Writes all of buf; gives up quietly when the other side is gone.
static void write_all(int fd, const char *buf, ssize_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, (size_t)len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        buf += n;
        len -= n;
    }
}

/// Copies what is ready on `from` to `to`. Returns 0 at end of input (EOF or EIO: the
/// pty's last slave closed), 1 otherwise.
static int pump(int from, int to) {
    char buf[8192];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
    if (n <= 0) return 0;
    write_all(to, buf, n);
    return 1;
}

int petrel_relay_terminal_until_exit(pid_t pid, int master) {
    sigset_t set;
    forwarded_set(&set);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) return -1;
    struct termios saved;
    int raw = isatty(0) && tcgetattr(0, &saved) == 0;
    if (raw) {
        struct termios mode = saved;
        cfmakeraw(&mode);
        tcsetattr(0, TCSANOW, &mode);
        copy_window_size(master);
    }
    int status = -1;
    int input_open = 1, output_open = 1, exited = 0;
    while (!exited || output_open) {
        // Reap first: the process may be gone before any SIGCHLD was read.
        int raw_status = 0;
        pid_t reaped;
        while ((reaped = waitpid(-1, &raw_status, WNOHANG)) > 0) {
            if (reaped == pid) { status = raw_status; exited = 1; }
        }
        if (reaped < 0 && errno == ECHILD && !exited) break;
        struct pollfd fds[3] = {
            {.fd = sfd, .events = POLLIN},
            {.fd = output_open ? master : -1, .events = POLLIN},
            {.fd = input_open && !exited ? 0 : -1, .events = POLLIN},
        };
        // After the exit only drain what the pty still holds.
        int ready = poll(fds, 3, exited ? 100 : -1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) break;
        if (ready == 0) break;  // drained
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            if (read(sfd, &info, sizeof(info)) == (ssize_t)sizeof(info) && info.ssi_signo != SIGCHLD) {
                if (info.ssi_signo == SIGWINCH) copy_window_size(master);
                kill(pid, (int)info.ssi_signo);
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) output_open = pump(master, 1);
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(0, master)) input_open = 0;
        }
    }
    if (raw) tcsetattr(0, TCSANOW, &saved);
    close(sfd);
    return status;
}
