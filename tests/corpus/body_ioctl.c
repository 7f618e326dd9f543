/* SPDX-License-Identifier: MIT */
/* The ioctl harness body, compiled into the corpus suite exactly as the
 * fuzzers compile it (one shared source, fuzz/harness_ioctl.c). */
#include "fuzz/harness_ioctl.c"
