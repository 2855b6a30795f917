#ifndef CRASHSIFT_CPOSIX_SHIM_H
#define CRASHSIFT_CPOSIX_SHIM_H
// glibc declares these only under _GNU_SOURCE, which Swift's Glibc module is not built with.
// The prototypes match glibc's <unistd.h>, <stdlib.h> and <stdio.h>.
#include <sys/prctl.h>
#include <signal.h>
#include <spawn.h>
extern int syncfs(int fd);
extern int mkostemp(char *template_, int flags);
// renameat2(2) (glibc 2.28); flags from <linux/fs.h>.
extern int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                     unsigned int flags);
// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every fd >= from.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
#define CRASHSIFT_RENAME_EXCHANGE (1 << 1)
// copy_file_range(2) (glibc 2.27): the kernel copies between two files, sharing blocks where the
// filesystem can, without the bytes passing through the process.
#include <sys/types.h>
extern ssize_t copy_file_range(int fd_in, __off64_t *off_in, int fd_out, __off64_t *off_out,
                               size_t len, unsigned int flags);
// lseek(2) whence values of glibc's <unistd.h> under _GNU_SOURCE (Linux 3.1+): the next data at
// or after the offset, the next hole (end of file counts as one). ENXIO past the last data.
#define CRASHSIFT_SEEK_DATA 3
#define CRASHSIFT_SEEK_HOLE 4

// glibc's heap policy of both executables, set first thing in main. glibc starts mapping blocks
// of 128 KiB and more on their own, but raises that threshold to the size of each mapped block
// freed (up to 32 MiB); after that, big transient buffers (a PDB's assembled DBI, TPI or IPI
// stream, tens of MB each) come from the heap and stay resident once freed: measured while
// deriving a 421 MB PDB, 65 MB still resident after a 33 MB stream was read and dropped. A fixed
// threshold (mallopt(3) M_MMAP_THRESHOLD, which also turns the adjustment off) of 1 MiB maps
// those buffers and gives them back when freed, and keeps the pipeline's smaller per-dump
// buffers on the heap (its stages measured unchanged, BENCHMARKS.md "Large PDBs").
#include <malloc.h>
#define CRASHSIFT_MMAP_THRESHOLD (1 << 20)
static inline int crashsift_return_large_blocks_when_freed(void) {
  return mallopt(M_MMAP_THRESHOLD, CRASHSIFT_MMAP_THRESHOLD);
}

// After a big symbol table's arrays are freed: glibc keeps freed heap in each thread's arena until
// the top of that arena is free, so a table derived on one worker thread stayed resident while
// another thread derived the next (two 421 MB PDBs one after the other on two threads: 373 MB
// peak). malloc_trim(3) returns every arena's free pages to the kernel.
static inline void crashsift_give_back_free_heap(void) {
  malloc_trim(0);
}

// prctl is variadic, which Swift cannot call: a worker asks to die with its parent.
static inline int crashsift_die_with_parent(void) {
  return prctl(PR_SET_PDEATHSIG, SIGKILL);
}

// A worker that traps must not run the system's crash handler (a core_pattern pipe ignores
// RLIMIT_CORE): not dumpable.
static inline int crashsift_no_core_dumps(void) {
  return prctl(PR_SET_DUMPABLE, 0);
}
// ioctl is variadic too. FICLONE = _IOW(0x94, 9, int) (<linux/fs.h>): make `dest` share `src`'s
// blocks (a reflink; Btrfs, XFS, bcachefs, OCFS2); other filesystems refuse with EOPNOTSUPP,
// EINVAL, ENOTTY or EXDEV.
#include <sys/ioctl.h>
static inline int crashsift_reflink(int dest, int src) {
  return ioctl(dest, 0x40049409, src);
}
#endif
