/* SPDX-License-Identifier: MIT */
/* Shared body of the MMIO-stream harnesses; see harness_mmio.h. */
#include "fuzz/harness_mmio.h"

#include <string.h>

static const char *const profiles[4] = { "default", "qemu", "nodirty", "default" };

enum emu_model fuzz_mmio_model(const char *name)
{
    if (!strcmp(name, "vtd"))
        return EMU_VTD;
    if (!strcmp(name, "amdvi"))
        return EMU_AMDVI;
    if (!strcmp(name, "smmuv3"))
        return EMU_SMMUV3;
    return (enum emu_model)0;
}

long fuzz_mmio_one(enum emu_model model, const uint8_t *data, size_t len)
{
    struct emu_mem *mem;
    struct emu_iommu *iommu;
    const char *profile = profiles[len ? data[0] & 3 : 0];
    long ops = -1;

    mem = emu_mem_new();
    if (!mem)
        return -1;
    if (emu_mem_map(mem, FUZZ_MMIO_WIN_BASE, FUZZ_MMIO_WIN_LEN, NULL))
        goto out_mem;
    iommu = emu_iommu_new(model, profile, mem);
    if (!iommu)
        goto out_mem;
    ops = (long)emu_apply_stream(iommu, len ? data + 1 : data, len ? len - 1 : 0);
    emu_iommu_free(iommu);
out_mem:
    emu_mem_free(mem);
    return ops;
}
