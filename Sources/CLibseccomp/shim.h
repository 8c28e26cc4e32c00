#ifndef PETREL_CLIBSECCOMP_SHIM_H
#define PETREL_CLIBSECCOMP_SHIM_H
#include <seccomp.h>
#endif
