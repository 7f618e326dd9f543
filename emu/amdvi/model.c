/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi model entry points (struct emu_model_ops): init/reset/fini with
 * profiles, MMIO access and raw ID overrides. See docs/amdvi.md.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amdvi.h"

#define AMDVI_IOTLB_ENTRIES 4096

static int amdvi_init(struct emu_iommu *iommu, const char *profile)
{
    uint64_t efr, efr2;
    if (amdvi_parse_profile(profile, &efr, &efr2))
        return -EINVAL;
    struct amdvi *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->efr = efr;
    s->efr2 = efr2;
    s->tlb = emu_iotlb_new(AMDVI_IOTLB_ENTRIES);
    if (!s->tlb) {
        free(s);
        return -ENOMEM;
    }
    int rc = emu_regfile_init(&iommu->regs, AMDVI_MMIO_SIZE, amdvi_regs, amdvi_nregs);
    if (rc) {
        emu_iotlb_free(s->tlb);
        free(s);
        return rc;
    }
    iommu->model = s;
    return 0;
}

static void amdvi_fini(struct emu_iommu *iommu)
{
    struct amdvi *s = AMDVI(iommu);
    if (!s)
        return;
    emu_regfile_fini(&iommu->regs);
    emu_iotlb_free(s->tlb);
    free(s);
    iommu->model = NULL;
}

static void amdvi_reset(struct emu_iommu *iommu)
{
    struct amdvi *s = AMDVI(iommu);
    emu_regfile_reset(&iommu->regs);
    /* §2: EFR/EFR2 are implementation constants, from the profile. */
    amdvi_set_reg(iommu, AMDVI_EFR, s->efr);
    amdvi_set_reg(iommu, AMDVI_EFR2, s->efr2);
    amdvi_sync_mirrors(iommu);
    emu_iotlb_inval_all(s->tlb);
    memset(s->dcache, 0, sizeof(s->dcache));
    s->cmd_halted = false;
    s->evt_stopped = false;
    s->in_cmd = false;
    s->irq_count = s->msi_writes = s->events_logged = s->events_dropped = s->cmds_done = 0;
    amdvi_update_status(iommu);
}

static uint64_t amdvi_mmio_size(const struct emu_iommu *iommu)
{
    /* §1.1: 512 KiB with performance counters (EFR.PCSup), else 16 KiB. */
    return (AMDVI(iommu)->efr & EFR_PCSUP) ? AMDVI_MMIO_SIZE_PC : AMDVI_MMIO_SIZE;
}

/*
 * §1.1: reserved space reads 0 and ignores writes; any width 1..8 and any
 * alignment goes to the register engine (a 64-bit register written as two
 * dwords sees two writes, low then high). The performance-counter space of a
 * PCSup profile (0x4000..0x7FFFF) is not modelled: it reads 0.
 */
static uint64_t amdvi_mmio_read(struct emu_iommu *iommu, uint64_t off, unsigned width)
{
    if (width < 1 || width > 8 || off >= AMDVI_MMIO_SIZE)
        return 0;
    if (off + width > AMDVI_MMIO_SIZE)
        width = (unsigned)(AMDVI_MMIO_SIZE - off);
    return emu_regfile_read(iommu, &iommu->regs, off, width);
}

static void amdvi_mmio_write(struct emu_iommu *iommu, uint64_t off, unsigned width, uint64_t val)
{
    if (width < 1 || width > 8 || off >= AMDVI_MMIO_SIZE)
        return;
    if (off + width > AMDVI_MMIO_SIZE)
        width = (unsigned)(AMDVI_MMIO_SIZE - off);
    emu_regfile_write(iommu, &iommu->regs, off, width, val);
}

static int amdvi_set_id(struct emu_iommu *iommu, const char *name, uint64_t value)
{
    struct amdvi *s = AMDVI(iommu);
    if (!name)
        return -EINVAL;
    if (!strcasecmp(name, "efr"))
        s->efr = value;
    else if (!strcasecmp(name, "efr2"))
        s->efr2 = value;
    else
        return -EINVAL;
    return 0;
}

const struct emu_model_ops emu_amdvi_ops = {
    .model = EMU_AMDVI,
    .name = "amdvi",
    .init = amdvi_init,
    .fini = amdvi_fini,
    .reset = amdvi_reset,
    .mmio_size = amdvi_mmio_size,
    .mmio_read = amdvi_mmio_read,
    .mmio_write = amdvi_mmio_write,
    .translate = amdvi_translate,
    .set_id = amdvi_set_id,
};
