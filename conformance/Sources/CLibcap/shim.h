#ifndef PETREL_CONFORMANCE_CLIBCAP_SHIM_H
#define PETREL_CONFORMANCE_CLIBCAP_SHIM_H
#include <sys/capability.h>
#endif
