// The container's own network namespace starts with `lo` down; runc and crun bring it up,
// and programs expect 127.0.0.1 to work.
#include "executor_internal.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int pe_loopback_up(pe_child *child) {
    const petrel_plan *plan = child->plan;
    bool new_network = false;
    for (size_t i = 0; i < plan->namespace_count; i++) {
        const petrel_namespace *ns = &plan->namespaces[i];
        if (ns->clone_flag == CLONE_NEWNET && !ns->path) new_network = true;
    }
    if (!new_network) return 0;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return pe_fail(&child->error, errno, "network", "socket", "lo", NULL);
    struct ifreq request;
    char *raw = (char *)&request;
    for (size_t i = 0; i < sizeof(request); i++) raw[i] = 0;
    request.ifr_name[0] = 'l';
    request.ifr_name[1] = 'o';
    int rc = ioctl(fd, SIOCGIFFLAGS, &request);
    if (rc == 0 && !(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        rc = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    int err = errno;
    close(fd);
    if (rc != 0) return pe_fail(&child->error, err, "network", "ioctl(SIOCSIFFLAGS)", "lo", "cannot bring the loopback interface up");
    return 0;
}
