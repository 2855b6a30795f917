#ifndef CRASHSIFT_CPOSIX_SHIM_H
#define CRASHSIFT_CPOSIX_SHIM_H
// glibc declares these only under _GNU_SOURCE, which Swift's Glibc module is not built with.
// The prototypes match glibc's <unistd.h> and <stdlib.h>.
extern int syncfs(int fd);
extern int mkostemp(char *template_, int flags);
#endif
