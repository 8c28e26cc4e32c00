// The default state root and the "in a user namespace" test, shared by the protected
// re-exec (before Swift runs) and the Swift command line (see petrel_state_root.h).
#include "petrel_state_root.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int petrel_running_in_userns(void) {
    int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[256];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0) return 0;
    text[n] = 0;
    // The initial namespace's map is the single line "0 0 4294967295".
    unsigned long inside = 1, outside = 1, count = 0;
    char *cursor = text;
    inside = strtoul(cursor, &cursor, 10);
    outside = strtoul(cursor, &cursor, 10);
    count = strtoul(cursor, &cursor, 10);
    while (*cursor == ' ' || *cursor == '\n') cursor++;
    return !(inside == 0 && outside == 0 && count == 4294967295UL && *cursor == 0);
}

static int honors_xdg_runtime_dir(void) {
    if (geteuid() != 0) return 1;
    if (!petrel_running_in_userns()) return 0;
    // Root of a user namespace made by a rootless engine (rootlesskit): runc honors the
    // variable there only for a non-root $USER.
    const char *user = getenv("USER");
    return user && *user && strcmp(user, "root") != 0;
}

int petrel_default_state_root(char *buffer, size_t size) {
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    const char *base = xdg && *xdg && honors_xdg_runtime_dir() ? xdg : "/run";
    size_t length = strlen(base);
    if (length + sizeof("/petrel") > size) return -1;
    memcpy(buffer, base, length);
    memcpy(buffer + length, "/petrel", sizeof("/petrel"));
    return 0;
}
