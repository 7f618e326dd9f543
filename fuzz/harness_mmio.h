/* SPDX-License-Identifier: MIT */
/*
 * Body of the MMIO-stream harnesses (fuzz/mmio.c for AFL++ and libFuzzer,
 * tests/corpus/ for corpus replay). One input:
 *
 *   byte 0      header: bits 1..0 pick the model profile
 *               (0 "default", 1 "qemu", 2 "nodirty", 3 "default")
 *   bytes 1..   an emu_apply_stream() stream (emu/core/stream.h)
 *
 * Every input runs on a fresh model and a fresh guest-memory window
 * [FUZZ_MMIO_WIN_BASE, +FUZZ_MMIO_WIN_LEN), so no state survives from one
 * input to the next (AFL++ persistent mode needs that for stability, peers.md
 * §3.1). Guest memory is an anonymous mapping: only pages the input touches
 * cost anything.
 */
#ifndef IOMMU_EMU_FUZZ_HARNESS_MMIO_H
#define IOMMU_EMU_FUZZ_HARNESS_MMIO_H

#include <stddef.h>
#include <stdint.h>

#include "emu/emu.h"

#define FUZZ_MMIO_WIN_BASE 0x0ull
#define FUZZ_MMIO_WIN_LEN  (4ull << 20)

/* Run one input on a fresh instance of `model`. Returns the number of stream
 * operations applied, or -1 if the model could not be created (a model that
 * has not landed yet: the caller treats that as "nothing to fuzz"). */
long fuzz_mmio_one(enum emu_model model, const uint8_t *data, size_t len);

/* Model of a harness name ("vtd", "amdvi", "smmuv3"), 0 if unknown. */
enum emu_model fuzz_mmio_model(const char *name);

#endif
