#include "petrel_foreground.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

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
