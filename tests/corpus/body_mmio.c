/* SPDX-License-Identifier: MIT */
/* The MMIO harness body, compiled into the corpus suite exactly as the
 * fuzzers compile it (one shared source, fuzz/harness_mmio.c). */
#include "fuzz/harness_mmio.c"
