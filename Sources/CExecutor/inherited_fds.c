// Which fds the caller passed: recorded before main, when nothing of ours is open yet.
// _GNU_SOURCE comes from the target settings.
#include "petrel_fds.h"

#include <fcntl.h>
#include <unistd.h>

static int first_free_fd = -1;

__attribute__((constructor)) static void record_first_free_fd(void) {
    // The lowest free fd overall; when it is below 3 ask for the lowest free one from 3.
    int fd = open("/", O_PATH | O_CLOEXEC);
    if (fd < 0) return;
    if (fd >= 3) {
        first_free_fd = fd;
    } else {
        int above = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (above >= 0) {
            first_free_fd = above;
            close(above);
        }
    }
    close(fd);
}

int petrel_first_free_fd_at_start(void) { return first_free_fd; }
