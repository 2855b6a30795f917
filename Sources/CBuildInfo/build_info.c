#include "crashsift_build_info.h"

#ifndef CRASHSIFT_GIT_COMMIT
#define CRASHSIFT_GIT_COMMIT ""
#endif

const char *crashsift_baked_commit(void) { return CRASHSIFT_GIT_COMMIT; }
