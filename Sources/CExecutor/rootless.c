// Who owns a namespace, for the rootless checks before anything is created (see
// petrel_rootless.h). In C: ioctl is variadic, which Swift cannot call.
#include "petrel_rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PE_NSIO 0xb7
#define PE_NS_GET_USERNS _IO(PE_NSIO, 0x1)
#define PE_NS_GET_OWNER_UID _IO(PE_NSIO, 0x4)

int petrel_namespace_owner_uid(const char *path, int is_user_namespace, uint32_t *uid) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int user = fd;
    if (!is_user_namespace) {
        user = ioctl(fd, PE_NS_GET_USERNS);
        int saved = errno;
        close(fd);
        if (user < 0) return -saved;
    }
    uid_t owner = 0;
    int rc = ioctl(user, PE_NS_GET_OWNER_UID, &owner);
    int saved = errno;
    close(user);
    if (rc != 0) return -saved;
    *uid = (uint32_t)owner;
    return 0;
}
