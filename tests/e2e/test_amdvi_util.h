/* Helpers of the AMD-Vi end-to-end tests: read the hardware state the
 * driver programmed (registers through emu_mmio_read, the device table,
 * page tables and event log through guest memory), as a debugger would. */
#ifndef IOMMU_EMU_TESTS_E2E_AMDVI_UTIL_H
#define IOMMU_EMU_TESTS_E2E_AMDVI_UTIL_H

#include "tests/e2e/e2e_util.h"
#include "mockfd/core/device.h"

#define A_ADDR_MASK 0x000ffffffffff000ull
#define A_EFR       0x30
#define A_EFR2      0x1a0
#define A_CONTROL   0x18
#define A_STATUS    0x2020
#define A_EVTLOG    0x10
#define A_EVT_HEAD  0x2010
#define A_EVT_TAIL  0x2018

/* The model entries of e2e_util.h (one list for every e2e test). */
#define amdvi_model e2e_amdvi
#define amdvi_nodirty_model e2e_amdvi_nodirty
#define amdvi_qemu_model e2e_amdvi_qemu

static inline struct mfd_iommu_unit *a_unit(const struct e2e *e)
{
    struct mfd_pdev *pd = mfd_platform_device(e->dev);

    cr_assert_not_null(pd);
    return pd->unit;
}

static inline uint64_t a_reg(const struct e2e *e, uint64_t off, unsigned w)
{
    return emu_mmio_read(a_unit(e)->hw, off, w);
}

/* Clear Control.EventIntEn (bit 3, amdvi.md §2) through MMIO, as a guest
 * could: no event-log interrupt, so the driver's handler leaves the records
 * in the log for a test to read as raw hardware state. */
static inline void a_mask_event_irq(const struct e2e *e)
{
    uint64_t ctl = a_reg(e, 0x18, 8);

    emu_mmio_write(a_unit(e)->hw, 0x18, 8, ctl & ~(1ull << 3));
}

/* The four qwords of the device's DTE. */
static inline void a_dte(const struct e2e *e, uint64_t q[4])
{
    uint64_t base = a_reg(e, 0, 8) & A_ADDR_MASK;

    cr_assert_eq(emu_mem_read(a_unit(e)->mem, base + (uint64_t)e->m->rid * 32, q, 32), 0);
}

static inline uint64_t a_rd64(const struct e2e *e, uint64_t gpa)
{
    uint64_t v = 0;

    cr_assert_eq(emu_mem_read64(a_unit(e)->mem, gpa, &v), 0);
    return v;
}

/* Walk the device's v1 table for iova by hand (amdvi.md §5.3); returns the
 * leaf and its level (1-based), 0 if not present. */
static inline uint64_t a_leaf(const struct e2e *e, uint64_t iova, unsigned *level)
{
    uint64_t q[4], t, pte = 0;
    unsigned lvl;

    a_dte(e, q);
    t = q[0] & A_ADDR_MASK;
    for (lvl = (q[0] >> 9) & 7; lvl >= 1; lvl--) {
        pte = a_rd64(e, t + ((iova >> (12 + 9 * (lvl - 1))) & 511) * 8);
        if (!(pte & 1))
            return 0;
        if (((pte >> 9) & 7) == 0 || ((pte >> 9) & 7) == 7)
            break;
        t = pte & A_ADDR_MASK;
    }
    if (level)
        *level = lvl;
    return pte;
}

/* Number of event-log entries between head and tail. */
static inline unsigned a_events(const struct e2e *e)
{
    uint32_t h = (uint32_t)a_reg(e, A_EVT_HEAD, 4), t = (uint32_t)a_reg(e, A_EVT_TAIL, 4);

    return ((t - h) & 0x1fff) / 16;
}

/* Event n (0 = oldest unconsumed). */
static inline void a_event(const struct e2e *e, unsigned n, uint64_t ev[2])
{
    uint64_t base = a_reg(e, A_EVTLOG, 8) & A_ADDR_MASK;
    uint32_t h = (uint32_t)a_reg(e, A_EVT_HEAD, 4);

    cr_assert_eq(emu_mem_read(a_unit(e)->mem, base + ((h + n * 16) & 0x1fff), ev, 16), 0);
}

static inline int a_huge_pages(struct e2e *e, bool on)
{
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = IOMMU_OPTION_OP_SET, .object_id = e->ioas, .val64 = on };

    return e2e_ioctl(e->fd, IOMMU_OPTION, &o);
}

/* Dirty bits of [iova, iova + npages * psz) as a string of '0'/'1'. */
static inline void a_dirty_str(struct e2e *e, uint32_t hwpt, uint64_t iova, unsigned npages,
                               uint64_t psz, uint32_t flags, char *out)
{
    uint64_t bm[64] = { 0 };
    unsigned i;

    cr_assert_leq(npages, 64 * 64);
    cr_assert_eq(e2e_get_dirty(e, hwpt, iova, npages * psz, psz, bm, flags), 0);
    for (i = 0; i < npages; i++)
        out[i] = e2e_bit(bm, i) ? '1' : '0';
    out[npages] = '\0';
}

static inline void a_write(struct e2e *e, uint64_t iova, uint8_t val)
{
    uint8_t b[64];

    memset(b, val, sizeof(b));
    cr_assert_eq(e2e_dma(e, iova, b, sizeof(b), true), 0, "DMA write 0x%llx",
                 (unsigned long long)iova);
}

static inline void a_read(struct e2e *e, uint64_t iova, uint8_t expect)
{
    uint8_t b[64];
    unsigned i;

    cr_assert_eq(e2e_dma(e, iova, b, sizeof(b), false), 0);
    for (i = 0; i < sizeof(b); i++)
        cr_assert_eq(b[i], expect);
}

#endif
