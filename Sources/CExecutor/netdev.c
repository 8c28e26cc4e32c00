// rtnetlink for linux.netDevices (parent side; see petrel_netdev.h).
#include "executor_internal.h"
#include "petrel_netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_BUFFER 8192
#define MAX_ADDRESSES 64

typedef struct {
    struct nlmsghdr header;
    char payload[1024];
} nl_request;

typedef struct {
    unsigned char family;
    unsigned char prefixlen;
    unsigned char local[16];
    unsigned char address[16];
    int has_local;
    int has_address;
} saved_address;

static unsigned int sequence = 1;

static void request_init(nl_request *request, int type, int flags, const void *body, size_t length) {
    memset(request, 0, sizeof(*request));
    request->header.nlmsg_type = (unsigned short)type;
    request->header.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
    request->header.nlmsg_seq = sequence++;
    request->header.nlmsg_len = (unsigned int)NLMSG_LENGTH(length);
    memcpy(NLMSG_DATA(&request->header), body, length);
}

static void add_attribute(nl_request *request, int type, const void *data, size_t length) {
    struct rtattr *attribute = (struct rtattr *)((char *)&request->header + NLMSG_ALIGN(request->header.nlmsg_len));
    attribute->rta_type = (unsigned short)type;
    attribute->rta_len = (unsigned short)RTA_LENGTH(length);
    memcpy(RTA_DATA(attribute), data, length);
    request->header.nlmsg_len = (unsigned int)(NLMSG_ALIGN(request->header.nlmsg_len) + RTA_ALIGN(attribute->rta_len));
}

static int open_socket(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/// Sends a request and reads replies until its ack (or, for a GET, the one answer, whose
/// ifinfomsg index goes to *index). Returns 0 or -1 with errno from the kernel.
static int transact(int fd, nl_request *request, int *index) {
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do sent = sendto(fd, &request->header, request->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
    while (sent < 0 && errno == EINTR);
    if (sent < 0) return -1;
    char buffer[NL_BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n;
        do n = recv(fd, buffer, sizeof(buffer), 0); while (n < 0 && errno == EINTR);
        if (n < 0) return -1;
        for (struct nlmsghdr *reply = (struct nlmsghdr *)buffer; NLMSG_OK(reply, (unsigned int)n); reply = NLMSG_NEXT(reply, n)) {
            if (reply->nlmsg_seq != request->header.nlmsg_seq) continue;
            if (reply->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *answer = NLMSG_DATA(reply);
                if (answer->error == 0) return 0;
                errno = -answer->error;
                return -1;
            }
            if (reply->nlmsg_type == RTM_NEWLINK && index) {
                struct ifinfomsg *info = NLMSG_DATA(reply);
                *index = info->ifi_index;
                return 0;
            }
        }
    }
}

static int set_up(int fd, int index, int up) {
    struct ifinfomsg info = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_change = IFF_UP, .ifi_flags = up ? IFF_UP : 0};
    nl_request request;
    request_init(&request, RTM_NEWLINK, NLM_F_ACK, &info, sizeof(info));
    return transact(fd, &request, NULL);
}

/// The permanent, global-scope addresses of the interface (what the spec says to keep).
static int save_addresses(int fd, int index, saved_address *saved, size_t *count) {
    struct ifaddrmsg query = {.ifa_family = AF_UNSPEC};
    nl_request request;
    request_init(&request, RTM_GETADDR, NLM_F_DUMP, &query, sizeof(query));
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, &request.header, request.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) return -1;
    char buffer[NL_BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
    *count = 0;
    for (;;) {
        ssize_t n;
        do n = recv(fd, buffer, sizeof(buffer), 0); while (n < 0 && errno == EINTR);
        if (n < 0) return -1;
        for (struct nlmsghdr *reply = (struct nlmsghdr *)buffer; NLMSG_OK(reply, (unsigned int)n); reply = NLMSG_NEXT(reply, n)) {
            if (reply->nlmsg_type == NLMSG_DONE) return 0;
            if (reply->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *answer = NLMSG_DATA(reply);
                errno = answer->error ? -answer->error : EIO;
                return -1;
            }
            if (reply->nlmsg_type != RTM_NEWADDR) continue;
            struct ifaddrmsg *address = NLMSG_DATA(reply);
            if ((int)address->ifa_index != index || address->ifa_scope != RT_SCOPE_UNIVERSE) continue;
            unsigned int flags = address->ifa_flags;
            saved_address entry;
            memset(&entry, 0, sizeof(entry));
            entry.family = address->ifa_family;
            entry.prefixlen = address->ifa_prefixlen;
            size_t width = address->ifa_family == AF_INET ? 4 : 16;
            int length = (int)IFA_PAYLOAD(reply);
            for (struct rtattr *attribute = IFA_RTA(address); RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length)) {
                if (attribute->rta_type == IFA_FLAGS && RTA_PAYLOAD(attribute) >= 4) memcpy(&flags, RTA_DATA(attribute), 4);
                if (RTA_PAYLOAD(attribute) != width) continue;
                if (attribute->rta_type == IFA_LOCAL) { memcpy(entry.local, RTA_DATA(attribute), width); entry.has_local = 1; }
                if (attribute->rta_type == IFA_ADDRESS) { memcpy(entry.address, RTA_DATA(attribute), width); entry.has_address = 1; }
            }
            if (!(flags & IFA_F_PERMANENT) || *count >= MAX_ADDRESSES) continue;
            saved[(*count)++] = entry;
        }
    }
}

static int add_address(int fd, int index, const saved_address *saved) {
    struct ifaddrmsg body = {.ifa_family = saved->family, .ifa_prefixlen = saved->prefixlen,
                             .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned int)index};
    nl_request request;
    request_init(&request, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &body, sizeof(body));
    size_t width = saved->family == AF_INET ? 4 : 16;
    if (saved->has_local) add_attribute(&request, IFA_LOCAL, saved->local, width);
    if (saved->has_address) add_attribute(&request, IFA_ADDRESS, saved->address, width);
    return transact(fd, &request, NULL);
}

/// A netlink socket inside the namespace at nsfd: sockets keep the namespace they were
/// made in, so the caller enters it just for socket(2). The parent is single-threaded.
static int socket_in(int nsfd, petrel_error *error, const char *name) {
    int saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (saved < 0) return pe_fail(error, errno, "netDevices", "open", name, "/proc/self/ns/net");
    if (setns(nsfd, CLONE_NEWNET) != 0) {
        int err = errno;
        close(saved);
        return pe_fail(error, err, "netDevices", "setns", name, "enter the container's network namespace");
    }
    int fd = open_socket();
    int err = errno;
    if (setns(saved, CLONE_NEWNET) != 0) {
        // Cannot happen for root; if it did, every later network call would go astray.
        close(saved);
        if (fd >= 0) close(fd);
        return pe_fail(error, errno, "netDevices", "setns", name, "return to the runtime's network namespace");
    }
    close(saved);
    if (fd < 0) return pe_fail(error, err, "netDevices", "socket", name, "NETLINK_ROUTE in the container");
    return fd;
}

int petrel_netdev_move(const char *name, const char *new_name, const char *netns_path, petrel_error *error) {
    memset(error, 0, sizeof(*error));
    const char *target = new_name && *new_name ? new_name : name;
    int index = (int)if_nametoindex(name);
    if (index == 0) return pe_fail(error, errno, "netDevices", "if_nametoindex", name, "no such interface in the runtime's network namespace");
    int nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) return pe_fail(error, errno, "netDevices", "open", name, netns_path);
    int host = open_socket();
    if (host < 0) {
        int err = errno;
        close(nsfd);
        return pe_fail(error, err, "netDevices", "socket", name, "NETLINK_ROUTE");
    }
    int container = -1;
    int rc = -1;
    saved_address addresses[MAX_ADDRESSES];
    size_t count = 0;
    if (set_up(host, index, 0) != 0) {
        pe_fail(error, errno, "netDevices", "RTM_NEWLINK", name, "set the link down");
    } else if (save_addresses(host, index, addresses, &count) != 0) {
        pe_fail(error, errno, "netDevices", "RTM_GETADDR", name, "read its addresses");
    } else {
        // Move and rename in one message, so the name never clashes on either side.
        struct ifinfomsg info = {.ifi_family = AF_UNSPEC, .ifi_index = index};
        nl_request request;
        request_init(&request, RTM_NEWLINK, NLM_F_ACK, &info, sizeof(info));
        unsigned int fd32 = (unsigned int)nsfd;
        add_attribute(&request, IFLA_NET_NS_FD, &fd32, sizeof(fd32));
        add_attribute(&request, IFLA_IFNAME, target, pe_strlen(target) + 1);
        if (transact(host, &request, NULL) != 0) {
            pe_fail(error, errno, "netDevices", "RTM_NEWLINK", name,
                    errno == EEXIST ? "an interface of that name already exists in the container" : "move it into the container's network namespace");
        } else {
            rc = 0;
        }
    }
    if (rc == 0) {
        container = socket_in(nsfd, error, name);
        if (container < 0) rc = -1;
    }
    if (rc == 0) {
        // The kernel keeps the index when it is free in the new namespace; look it up by
        // name unless the name is a template the kernel filled in.
        struct ifinfomsg query = {.ifi_family = AF_UNSPEC};
        bool template = strchr(target, '%') != NULL;
        if (template) query.ifi_index = index;
        nl_request request;
        request_init(&request, RTM_GETLINK, 0, &query, sizeof(query));
        if (!template) add_attribute(&request, IFLA_IFNAME, target, pe_strlen(target) + 1);
        int moved = 0;
        if (transact(container, &request, &moved) != 0 || moved <= 0) {
            rc = pe_fail(error, errno ? errno : ENODEV, "netDevices", "RTM_GETLINK", name, "find it in the container");
        }
        for (size_t i = 0; rc == 0 && i < count; i++) {
            if (add_address(container, moved, &addresses[i]) != 0) rc = pe_fail(error, errno, "netDevices", "RTM_NEWADDR", name, "add its address back");
        }
        if (rc == 0 && set_up(container, moved, 1) != 0) rc = pe_fail(error, errno, "netDevices", "RTM_NEWLINK", name, "set the link up");
    }
    if (container >= 0) close(container);
    close(host);
    close(nsfd);
    return rc;
}
