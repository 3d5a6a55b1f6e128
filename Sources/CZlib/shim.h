#ifndef RETAIN_CZLIB_SHIM_H
#define RETAIN_CZLIB_SHIM_H
// Debian: zlib1g-dev provides zlib.h (streaming inflate of .csv.gz event logs).
#include <zlib.h>
#endif
