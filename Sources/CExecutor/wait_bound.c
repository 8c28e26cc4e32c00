// Every wait of the parent on the container's init is bounded (specs/cli.md, "Timeouts"):
// an init stuck in setup (a frozen cgroup, a seccomp notification nobody answers) must not
// hang create, exec or start forever.
#include "executor_internal.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

static int setup_timeout_seconds = PETREL_DEFAULT_SETUP_TIMEOUT;

void petrel_set_setup_timeout(int seconds) {
    if (seconds > 0) setup_timeout_seconds = seconds;
}

int petrel_setup_timeout(void) { return setup_timeout_seconds; }

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

long long pe_setup_deadline(void) { return now_ms() + (long long)setup_timeout_seconds * 1000; }

int pe_wait_readable_until(int fd, long long deadline, const char *what, petrel_error *error) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) return pe_fail(error, ETIMEDOUT, "timeout", "poll", what, NULL);
        struct pollfd one = {.fd = fd, .events = POLLIN};
        int ready = poll(&one, 1, left > 60000 ? 60000 : (int)left);
        if (ready > 0) return 0;
        if (ready < 0 && errno != EINTR) return pe_fail(error, errno, "timeout", "poll", what, NULL);
    }
}

int pe_wait_readable(int fd, const char *what, petrel_error *error) {
    return pe_wait_readable_until(fd, pe_setup_deadline(), what, error);
}
