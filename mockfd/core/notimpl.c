/* SPDX-License-Identifier: MIT */
/*
 * TEMPORARY weak stand-ins for the entry points later issues implement, so
 * that the dispatch table (main.c) and the public API link today. Each is
 * replaced, by the linker, as soon as its issue lands a strong definition in
 * the file named beside it; delete the line then. Ioctl handlers answer
 * -EOPNOTSUPP ("not supported"), the platform API -1/ENODEV ("no such
 * device"): neither is ever reported as success.
 */
#include "handlers.h"
#include "mockfd_internal.h"

#define WEAK __attribute__((weak))

