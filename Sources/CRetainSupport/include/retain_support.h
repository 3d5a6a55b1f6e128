#ifndef RETAIN_SUPPORT_H
#define RETAIN_SUPPORT_H
#include "retain_pow5.h"  // 128-bit powers of five for NumberParser (generated)
/// Hints the CPU to fetch the cache line holding `p` for writing (hot loops with random access).
static inline void retain_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }
/// Hints the CPU to fetch the cache line holding `p` for reading.
static inline void retain_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }
/// Swaps the directory entries `from` and `to` atomically (both must exist): Linux
/// `renameat2(RENAME_EXCHANGE)` through syscall(2), macOS `renamex_np(RENAME_SWAP)`.
/// Returns 0, or -1 with errno set (EINVAL or ENOSYS: the kernel or file system cannot swap).
int retain_rename_exchange(const char *from, const char *to);
#endif
