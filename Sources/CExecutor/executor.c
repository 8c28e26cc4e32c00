#include "petrel_executor.h"
