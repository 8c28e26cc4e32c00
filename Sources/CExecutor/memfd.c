#include <sys/mman.h>
#include "petrel_memfd.h"

int petrel_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }
