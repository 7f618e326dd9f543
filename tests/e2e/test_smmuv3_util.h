/* Helpers of the SMMUv3 end-to-end tests: read what the driver programmed
 * (registers through emu_mmio_read, stream table, CDs, page tables and the
 * event queue through guest memory), as a debugger would. */
#ifndef IOMMU_EMU_TESTS_E2E_SMMUV3_UTIL_H
#define IOMMU_EMU_TESTS_E2E_SMMUV3_UTIL_H

#include "tests/e2e/e2e_util.h"
#include "mockfd/core/device.h"

#define S_IDR0            0x000
#define S_IDR1            0x004
#define S_IIDR            0x018
#define S_AIDR            0x01c
#define S_CR0             0x020
#define S_CR0ACK          0x024
#define S_CR1             0x028
#define S_CR2             0x02c
#define S_IRQ_CTRLACK     0x054
#define S_GERROR          0x060
#define S_GERRORN         0x064
#define S_STRTAB_BASE     0x080
#define S_STRTAB_BASE_CFG 0x088
#define S_CMDQ_BASE       0x090
#define S_CMDQ_PROD       0x098
#define S_CMDQ_CONS       0x09c
#define S_EVTQ_BASE       0x0a0
#define S_EVTQ_PROD       0x100a8
#define S_EVTQ_CONS       0x100ac

#define S_ADDR_51_6  0x000fffffffffffc0ull
#define S_ADDR_51_4  0x000ffffffffffff0ull
#define S_ADDR_51_12 0x000ffffffffff000ull
#define S_PTE_ADDR   0x0000fffffffff000ull

/* The models (e2e_util.h): default: HTTU=2 + COHACC, SSIDSIZE 20; nodirty:
 * HTTU=0; ha-only: HTTU=1; qemu: no HTTU, no MSI (CMD_SYNC polled through
 * CMDQ_CONS), SSIDSIZE 0; with OAS 48 instead of QEMU's 44, since pinned
 * pages are guest-physical at their user VA (47 bits) and io-pgtable refuses
 * paddr >> oas (-ERANGE) */
#define smmu_model e2e_smmuv3
#define smmu_nodirty_model e2e_smmuv3_nodirty
#define smmu_qemu_model e2e_smmuv3_qemu
E2E_MODEL(smmu_haonly_model, "smmuv3:ha-only", 0x120, false, true, 20, E2E_SMMUV3_COMMON,
          .nest_parent_rc = 0);

static inline struct emu_iommu *s_hw(const struct e2e *e)
{
    struct mfd_pdev *pd = mfd_platform_device(e->dev);

    cr_assert_not_null(pd);
    return pd->unit->hw;
}

static inline struct emu_mem *s_mem(const struct e2e *e)
{
    return emu_iommu_mem(s_hw(e));
}

static inline uint64_t s_reg(const struct e2e *e, uint64_t off, unsigned w)
{
    return emu_mmio_read(s_hw(e), off, w);
}

/* IRQ_CTRL = GERROR_IRQEN only (smmuv3.md §3.5), with its IRQ_CTRLACK
 * handshake: no event-queue interrupt, so the driver's handler leaves the
 * records in the queue for a test to read as raw hardware state. */
static inline void s_mask_eventq_irq(const struct e2e *e)
{
    emu_mmio_write(s_hw(e), 0x050, 4, 1);
    cr_assert_eq(s_reg(e, S_IRQ_CTRLACK, 4), 1);
}

static inline uint64_t s_get64(const struct e2e *e, uint64_t gpa)
{
    uint64_t v = 0;

    cr_assert_eq(emu_mem_read64(s_mem(e), gpa, &v), 0, "read gpa 0x%llx",
                 (unsigned long long)gpa);
    return v;
}

/* The STE of sid as the SMMU would find it (smmuv3.md §4.1). */
static inline uint64_t s_ste_gpa(const struct e2e *e, uint32_t sid)
{
    uint64_t base = s_reg(e, S_STRTAB_BASE, 8) & S_ADDR_51_6;
    uint32_t cfg = (uint32_t)s_reg(e, S_STRTAB_BASE_CFG, 4);
    unsigned split = (cfg >> 6) & 0x1f;
    uint64_t l1;

    if (((cfg >> 16) & 3) == 0)
        return base + sid * 64ull;
    l1 = s_get64(e, base + (sid >> split) * 8ull);
    cr_assert_neq(l1 & 0x1f, 0, "L1STD of sid 0x%x invalid", sid);
    return (l1 & S_ADDR_51_6) + (sid & ((1u << split) - 1)) * 64ull;
}

static inline void s_ste(const struct e2e *e, uint32_t sid, uint64_t ste[8])
{
    uint64_t g = s_ste_gpa(e, sid);

    for (int i = 0; i < 8; i++)
        ste[i] = s_get64(e, g + 8ull * i);
}

/* CD 0 of an S1 STE (linear or 2-level with 64 KiB leaves, §5.1). */
static inline uint64_t s_cd0_gpa(const struct e2e *e, uint32_t sid)
{
    uint64_t ste[8], ptr;

    s_ste(e, sid, ste);
    ptr = ste[0] & S_ADDR_51_6;
    if (((ste[0] >> 4) & 3) && (ste[0] >> 59)) {
        uint64_t l1 = s_get64(e, ptr);

        cr_assert(l1 & 1, "L1CD 0 invalid");
        return l1 & S_ADDR_51_12;
    }
    return ptr;
}

static inline void s_cd0(const struct e2e *e, uint32_t sid, uint64_t cd[8])
{
    uint64_t g = s_cd0_gpa(e, sid);

    for (int i = 0; i < 8; i++)
        cd[i] = s_get64(e, g + 8ull * i);
}

/* The leaf descriptor of iova in a 4 KiB-granule table rooted at ttb
 * (start level 0, 48-bit input); *level gets its level. 0 if none. */
static inline uint64_t s_leaf(const struct e2e *e, uint64_t ttb, uint64_t iova, unsigned *level)
{
    uint64_t t = ttb & S_PTE_ADDR;

    for (unsigned l = 0; l < 4; l++) {
        unsigned sh = 12 + 9 * (3 - l);
        uint64_t d = s_get64(e, t + ((iova >> sh) & 511) * 8);

        if (!(d & 1))
            return 0;
        if (l == 3 || (d & 3) == 1) {
            *level = l;
            return d;
        }
        t = d & S_PTE_ADDR;
    }
    return 0;
}

/* Event queue: number of records between CONS and PROD (§1.4). */
static inline unsigned s_evt_count(const struct e2e *e)
{
    unsigned qs = (unsigned)(s_reg(e, S_EVTQ_BASE, 8) & 0x1f);
    uint32_t prod = (uint32_t)s_reg(e, S_EVTQ_PROD, 4), cons = (uint32_t)s_reg(e, S_EVTQ_CONS, 4);

    return (prod - cons) & ((2u << qs) - 1);
}

static inline void s_evt(const struct e2e *e, unsigned n, uint64_t rec[4])
{
    uint64_t base = s_reg(e, S_EVTQ_BASE, 8);
    unsigned qs = (unsigned)(base & 0x1f);
    uint64_t g = (base & 0x000fffffffffffe0ull) + (n & ((1u << qs) - 1)) * 32ull;

    for (int i = 0; i < 4; i++)
        rec[i] = s_get64(e, g + 8ull * i);
}

#endif
