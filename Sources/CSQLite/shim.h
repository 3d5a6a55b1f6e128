#ifndef RETAIN_CSQLITE_SHIM_H
#define RETAIN_CSQLITE_SHIM_H
// Debian: libsqlite3-dev provides sqlite3.h (event logs stored as a SQLite table).
#include <sqlite3.h>
#endif
