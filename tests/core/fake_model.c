#include <stdlib.h>
#include <string.h>

#include "fake_model.h"

static void hook(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    struct fake_state *s = iommu ? iommu->model : NULL;

    if (s && s->ncalls < 16)
        s->calls[s->ncalls++] = (struct fake_hook_call){ reg, old, val };
}

static uint64_t rhook(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t stored)
{
    return ~stored & 0xffffffffu;
}

static const struct emu_field b_fields[] = {
    { "LO", 0, 4 }, { "WO", 8, 4 }, { "HI", 32, 32 }, { NULL, 0, 0 },
};

const struct emu_reg fake_regs[] = {
    { 0x00, 4, 0xA5A5A5A5, 0x0000FFFF, 0x00FF0000, 0, "A", NULL, NULL, NULL },
    { 0x08, 8, 0x0123456789ABCDEFull, 0xFFFFFFFF00000F00ull, 0xF0, 0x0F00, "B", hook, NULL, b_fields },
    { 0x10, 4, 0x12345678, 0xFFFFFFFF, 0, 0, "C", hook, rhook, NULL },
};
const size_t fake_nregs = sizeof(fake_regs) / sizeof(fake_regs[0]);

struct fake_state *fake_state(struct emu_iommu *iommu)
{
    return iommu->model;
}

static int fake_init(struct emu_iommu *iommu, const char *profile)
{
    int rc;

    if (profile && strcmp(profile, "default") && strcmp(profile, "qemu"))
        return -EINVAL;
    iommu->model = calloc(1, sizeof(struct fake_state));
    if (!iommu->model)
        return -ENOMEM;
    rc = emu_regfile_init(&iommu->regs, FAKE_SIZE, fake_regs, fake_nregs);
    if (rc) {
        free(iommu->model);
        iommu->model = NULL;
    }
    return rc;
}

static void fake_fini(struct emu_iommu *iommu)
{
    free(iommu->model);
}

static void fake_reset(struct emu_iommu *iommu)
{
    fake_state(iommu)->resets++;
    emu_regfile_reset(&iommu->regs);
}

static uint64_t fake_mmio_size(const struct emu_iommu *iommu)
{
    return FAKE_SIZE;
}

static uint64_t fake_read(struct emu_iommu *iommu, uint64_t off, unsigned width)
{
    fake_state(iommu)->mmio_reads++;
    if (off >= FAKE_SIZE || width > FAKE_SIZE - off)
        return ~0ull;   /* beyond the block: all-ones, like QEMU's VT-d */
    return emu_regfile_read(iommu, &iommu->regs, off, width);
}

static void fake_write(struct emu_iommu *iommu, uint64_t off, unsigned width, uint64_t val)
{
    fake_state(iommu)->mmio_writes++;
    if (off < FAKE_SIZE && width <= FAKE_SIZE - off)
        emu_regfile_write(iommu, &iommu->regs, off, width, val);
}

static int fake_translate(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
                          bool write, struct emu_xlate *x, struct emu_fault *fault)
{
    fake_state(iommu)->translates++;
    if (iova < 0x10000) {
        *x = (struct emu_xlate){ iova + FAKE_OUT_BASE, 12, EMU_PERM_R | EMU_PERM_W };
        return 0;
    }
    if (iova >= FAKE_BIG_IOVA && iova < FAKE_BIG_IOVA + 0x200000) {
        *x = (struct emu_xlate){ iova - FAKE_BIG_IOVA + FAKE_BIG_OUT, 21, EMU_PERM_R | EMU_PERM_W };
        return 0;
    }
    *fault = (struct emu_fault){ iova, rid, pasid, FAKE_FAULT_REASON, write };
    return write ? -EACCES : -EPERM;
}

static int fake_set_id(struct emu_iommu *iommu, const char *name, uint64_t value)
{
    if (strcmp(name, "cap"))
        return -EINVAL;
    emu_regfile_set(&iommu->regs, 0x10, 4, value);
    return 0;
}

const struct emu_model_ops fake_ops = {
    .model = EMU_VTD,
    .name = "fake",
    .init = fake_init,
    .fini = fake_fini,
    .reset = fake_reset,
    .mmio_size = fake_mmio_size,
    .mmio_read = fake_read,
    .mmio_write = fake_write,
    .translate = fake_translate,
    .set_id = fake_set_id,
};
