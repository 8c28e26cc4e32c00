// Id-mapped bind mounts, prepared by the parent before the clone. Only a process with
// CAP_SYS_ADMIN in the user namespace that owns the source's mount (the host's root here)
// may idmap it, so the container's init cannot do it itself: the parent makes a detached,
// id-mapped copy of each source and the child only moves it into place.
#include "executor_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

struct pe_mount_attr {
    unsigned long long attr_set;
    unsigned long long attr_clr;
    unsigned long long propagation;
    unsigned long long userns_fd;
};

static int write_map(pid_t pid, const char *name, const char *map, petrel_error *error) {
    char path[64] = "/proc/";
    char number[16];
    pe_format_int(number, sizeof(number), pid);
    pe_append(path, sizeof(path), number);
    pe_append(path, sizeof(path), "/");
    pe_append(path, sizeof(path), name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return pe_fail(error, errno, "idmap", "open", path, NULL);
    int rc = pe_write_all(fd, map, pe_strlen(map));
    int saved = errno;
    close(fd);
    if (rc != 0) return pe_fail(error, saved, "idmap", "write", path, map);
    return 0;
}

int petrel_userns_open(const char *uid_map, const char *gid_map, petrel_error *error) {
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0) return pe_fail(error, errno, "idmap", "pipe2", "", NULL);
    // A raw clone (no atfork handlers, no locks): the child only waits for the gate to close.
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        char byte;
        close(gate[1]);
        while (read(gate[0], &byte, 1) < 0 && errno == EINTR) {}
        syscall(SYS_exit_group, 0);
        for (;;) {}
    }
    int saved = errno;
    close(gate[0]);
    if (pid < 0) {
        close(gate[1]);
        return pe_fail(error, saved, "idmap", "clone", "", "a user namespace for an id-mapped mount");
    }
    int fd = -1;
    if (write_map((pid_t)pid, "uid_map", uid_map, error) == 0 && write_map((pid_t)pid, "gid_map", gid_map, error) == 0) {
        char path[64] = "/proc/";
        char number[16];
        pe_format_int(number, sizeof(number), pid);
        pe_append(path, sizeof(path), number);
        pe_append(path, sizeof(path), "/ns/user");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) pe_fail(error, errno, "idmap", "open", path, NULL);
    }
    close(gate[1]);
    int status;
    while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {}
    return fd;
}

int petrel_open_idmapped_tree(const char *source, int userns_fd, int recursive_clone, int recursive_idmap,
                              petrel_error *error) {
    unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive_clone ? AT_RECURSIVE : 0);
    long tree = syscall(SYS_open_tree, AT_FDCWD, source, flags);
    if (tree < 0) return pe_fail(error, errno, "idmap", "open_tree", source, NULL);
    struct pe_mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)userns_fd};
    unsigned int at = AT_EMPTY_PATH | (recursive_idmap ? AT_RECURSIVE : 0);
    if (syscall(SYS_mount_setattr, (int)tree, "", at, &attr, sizeof(attr)) != 0) {
        int saved = errno;
        close((int)tree);
        const char *why = saved == EINVAL ? "the filesystem or kernel does not support id-mapped mounts" : NULL;
        return pe_fail(error, saved, "idmap", "mount_setattr", source, why);
    }
    return (int)tree;
}

int petrel_open_bind_tree(const char *source, int recursive, petrel_error *error) {
    unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    long tree = syscall(SYS_open_tree, AT_FDCWD, source, flags);
    if (tree < 0) return pe_fail(error, errno, "mount", "open_tree", source, "the bind mount's source");
    return (int)tree;
}
