#ifndef CRASHSIFT_CARCHIVE_SHIM_H
#define CRASHSIFT_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
