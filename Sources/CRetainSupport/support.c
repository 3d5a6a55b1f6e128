// Tiny C helpers for hot loops (prefetch hints); the functions are static inline in the header.
#include "retain_support.h"
