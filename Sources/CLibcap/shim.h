#ifndef PETREL_CLIBCAP_SHIM_H
#define PETREL_CLIBCAP_SHIM_H
#include <sys/capability.h>
#endif
