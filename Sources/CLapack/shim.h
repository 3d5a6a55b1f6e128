#ifndef RETAIN_CLAPACK_SHIM_H
#define RETAIN_CLAPACK_SHIM_H
// Debian: libopenblas-dev provides cblas.h (OpenBLAS), liblapacke-dev provides lapacke.h.
#include <cblas.h>
#include <lapacke.h>
// Declared by OpenBLAS' cblas.h; repeated so the intent is visible.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
