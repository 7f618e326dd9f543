/* SPDX-License-Identifier: MIT */
/*
 * MMIO-stream harness of one hardware model, chosen at build time with
 * -DFUZZ_MODEL=EMU_VTD / EMU_AMDVI / EMU_SMMUV3 (mk/fuzz.mk builds one binary
 * per model: mmio_vtd, mmio_amdvi, mmio_smmuv3). Input format and per-input
 * reset: fuzz/harness_mmio.h.
 */
#include "fuzz/harness_mmio.h"

#ifndef FUZZ_MODEL
#error "build with -DFUZZ_MODEL=EMU_VTD, EMU_AMDVI or EMU_SMMUV3"
#endif

static void fuzz_setup(void)
{
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    (void)fuzz_mmio_one(FUZZ_MODEL, data, len);
}

#include "fuzz/entry.h"
