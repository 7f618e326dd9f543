/* Shared helpers for the SMMUv3 suite: guest memory layout, Linux-style
 * bring-up through MMIO only, STE/CD/page-table builders, command submission. */
#ifndef TESTS_SMMUV3_HELPERS_H
#define TESTS_SMMUV3_HELPERS_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "emu/smmuv3/smmuv3.h"
#include "tests/common/test_util.h"

#define MEM_SIZE    (64ull << 20)
#define STRTAB_GPA  0x100000ull   /* linear, 256 STEs (LOG2SIZE 8) or 2-level L1 */
#define L2STE_GPA   0x140000ull
#define CMDQ_GPA    0x200000ull
#define CMDQ_LOG2   8
#define EVTQ_GPA    0x210000ull
#define EVTQ_LOG2   6
#define MSI_GPA     0x220000ull
#define CD_GPA      0x300000ull
#define PT_GPA      0x400000ull   /* page-table pool, bump allocated */
#define PT_END      0x1000000ull
#define DATA_GPA    0x1000000ull

/* Stage-1 leaf attributes as Linux io-pgtable builds them (smmuv3.md §9.2). */
#define S1_AF      (1ull << 10)
#define S1_NG      (1ull << 11)
#define S1_UNPRIV  (1ull << 6)
#define S1_RDONLY  (1ull << 7)
#define S1_DBM     (1ull << 51)
#define S1_ATTR    (S1_AF | S1_NG | S1_UNPRIV | (3ull << 8))
#define S2_AF      (1ull << 10)
#define S2_R       (1ull << 6)
#define S2_W       (1ull << 7)
#define S2_DBM     (1ull << 51)
#define S2_ATTR    (S2_AF | S2_R | S2_W | (0xFull << 2) | (3ull << 8))

struct env {
    struct emu_mem *mem;
    struct emu_iommu *u;
    uint64_t pt_next;
    uint32_t cmd_prod;      /* index+wrap, CMDQ_LOG2 */
};

static inline uint32_t R32(struct env *e, uint64_t off) { return (uint32_t)emu_mmio_read(e->u, off, 4); }
static inline uint64_t R64(struct env *e, uint64_t off) { return emu_mmio_read(e->u, off, 8); }
static inline void W32(struct env *e, uint64_t off, uint32_t v) { emu_mmio_write(e->u, off, 4, v); }
static inline void W64(struct env *e, uint64_t off, uint64_t v) { emu_mmio_write(e->u, off, 8, v); }
static inline struct smmu *S(struct env *e) { return (struct smmu *)((struct emu_iommu *)e->u)->model; }

static inline void put64(struct env *e, uint64_t gpa, uint64_t v)
{
    cr_assert_eq(emu_mem_write64(e->mem, gpa, v), 0);
}
static inline uint64_t get64(struct env *e, uint64_t gpa)
{
    uint64_t v = 0;
    cr_assert_eq(emu_mem_read64(e->mem, gpa, &v), 0);
    return v;
}

static inline void env_init(struct env *e, const char *profile)
{
    memset(e, 0, sizeof(*e));
    e->mem = emu_mem_new();
    cr_assert_not_null(e->mem);
    cr_assert_eq(emu_mem_map(e->mem, 0, MEM_SIZE, NULL), 0);
    e->u = emu_iommu_new(EMU_SMMUV3, profile, e->mem);
    cr_assert_not_null(e->u, "profile %s", profile ? profile : "(null)");
    e->pt_next = PT_GPA;
}
static inline void env_fini(struct env *e)
{
    emu_iommu_free(e->u);
    emu_mem_free(e->mem);
}

static inline uint64_t pt_alloc(struct env *e, uint64_t size)
{
    uint64_t a = (e->pt_next + size - 1) & ~(size - 1);
    cr_assert_leq(a + size, PT_END);
    e->pt_next = a + size;
    return a;   /* memory starts zeroed and is never reused */
}

/* Write CR0 and poll CR0ACK as arm_smmu_write_reg_sync does (§3.1). */
static inline void cr0_sync(struct env *e, uint32_t v)
{
    W32(e, SMMU_CR0, v);
    cr_assert_eq(R32(e, SMMU_CR0ACK), v, "CR0ACK 0x%x != CR0 0x%x", R32(e, SMMU_CR0ACK), v);
}

/* Linux-style bring-up (smmuv3.md §3, §4.1): linear stream table of 256
 * StreamIDs, or 2-level with SPLIT=8 when two_level. */
static inline void bringup_ex(struct env *e, bool two_level, uint32_t extra_cr0)
{
    W32(e, SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT);
    cr_assert_eq(R32(e, SMMU_GBPA) & GBPA_UPDATE, 0);
    cr0_sync(e, 0);
    W32(e, SMMU_CR1, 0x0D75);
    W32(e, SMMU_CR2, CR2_RECINVSID);
    if (two_level) {
        W64(e, SMMU_STRTAB_BASE, STRTAB_GPA);
        W32(e, SMMU_STRTAB_BASE_CFG, (1u << 16) | (8u << 6) | 16u);
    } else {
        W64(e, SMMU_STRTAB_BASE, STRTAB_GPA);
        W32(e, SMMU_STRTAB_BASE_CFG, 8u);
    }
    W64(e, SMMU_CMDQ_BASE, CMDQ_GPA | CMDQ_LOG2);
    W32(e, SMMU_CMDQ_PROD, 0);
    W32(e, SMMU_CMDQ_CONS, 0);
    W64(e, SMMU_EVENTQ_BASE, EVTQ_GPA | EVTQ_LOG2);
    W32(e, SMMU_EVENTQ_PROD, 0);
    W32(e, SMMU_EVENTQ_CONS, 0);
    e->cmd_prod = 0;
    cr0_sync(e, CR0_CMDQEN);
    cr0_sync(e, CR0_CMDQEN | CR0_EVENTQEN);
    W32(e, SMMU_IRQ_CTRL, 0);
    W32(e, SMMU_IRQ_CTRL, IRQ_GERROR_EN | IRQ_EVENTQ_EN);
    cr_assert_eq(R32(e, SMMU_IRQ_CTRLACK), IRQ_GERROR_EN | IRQ_EVENTQ_EN);
    cr0_sync(e, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN | extra_cr0);
}
static inline void bringup(struct env *e) { bringup_ex(e, false, 0); }

/* Submit one command and kick PROD. Returns CMDQ_CONS afterwards. */
static inline uint32_t cmd(struct env *e, uint64_t c0, uint64_t c1)
{
    uint32_t idx = e->cmd_prod & ((1u << CMDQ_LOG2) - 1);
    put64(e, CMDQ_GPA + idx * 16ull, c0);
    put64(e, CMDQ_GPA + idx * 16ull + 8, c1);
    e->cmd_prod = (e->cmd_prod + 1) & ((2u << CMDQ_LOG2) - 1);
    W32(e, SMMU_CMDQ_PROD, e->cmd_prod);
    return R32(e, SMMU_CMDQ_CONS);
}
static inline void cmd_sync(struct env *e) { cmd(e, CMD_SYNC, 0); }
static inline void cfgi_all(struct env *e) { cmd(e, CMD_CFGI_STE_RANGE, 31); cmd_sync(e); }
static inline void tlbi_all(struct env *e) { cmd(e, CMD_TLBI_NSNH_ALL, 0); cmd_sync(e); }

static inline void ste_put(struct env *e, uint32_t sid, const uint64_t ste[8])
{
    for (int i = 0; i < 8; i++)
        put64(e, STRTAB_GPA + sid * 64ull + 8ull * i, ste[i]);
}

/* STE builders (§4.2, as arm_smmu_make_*_ste). */
static inline void ste_s1(uint64_t ste[8], uint64_t cdptr, unsigned cdmax, unsigned fmt, unsigned dss)
{
    memset(ste, 0, 64);
    ste[0] = 1 | (5ull << 1) | ((uint64_t)fmt << 4) | cdptr | ((uint64_t)cdmax << 59);
    ste[1] = dss | (1ull << 2) | (1ull << 4) | (3ull << 6);
}
static inline uint64_t vtcr(unsigned t0sz, unsigned sl0, unsigned tg, unsigned ps)
{
    return (uint64_t)t0sz | ((uint64_t)sl0 << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) |
           ((uint64_t)tg << 14) | ((uint64_t)ps << 16);
}
static inline void ste_add_s2(uint64_t ste[8], unsigned vmid, uint64_t vt, uint64_t ttb, bool ha, bool hd)
{
    ste[0] = (ste[0] & ~0xEull) | 1 | ((((ste[0] >> 1) & 5) == 5 ? 7ull : 6ull) << 1);
    ste[2] = vmid | (vt << 32) | (1ull << 51) | (1ull << 58) | ((uint64_t)ha << 56) | ((uint64_t)hd << 55);
    ste[3] = ttb;
}
static inline void ste_s2(uint64_t ste[8], unsigned vmid, uint64_t vt, uint64_t ttb, bool ha, bool hd)
{
    memset(ste, 0, 64);
    ste[0] = 1 | (6ull << 1);
    ste_add_s2(ste, vmid, vt, ttb, ha, hd);
}

/* CD builder (§5.2, as arm_smmu_make_s1_cd): TG0 encoding 0 4K, 1 64K, 2 16K. */
static inline void cd_make(uint64_t cd[8], unsigned t0sz, unsigned tg0, uint64_t ttb0, unsigned asid,
                           bool ha, bool hd)
{
    memset(cd, 0, 64);
    cd[0] = t0sz | ((uint64_t)tg0 << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 30) |
            (1ull << 31) | (5ull << 32) | (1ull << 41) | (1ull << 45) | (1ull << 46) | (1ull << 47) |
            ((uint64_t)asid << 48) | ((uint64_t)hd << 42) | ((uint64_t)ha << 43);
    cd[1] = ttb0;
    cd[3] = 0x0000000000ff04ffull;
}
static inline void cd_put(struct env *e, uint64_t gpa, const uint64_t cd[8])
{
    for (int i = 0; i < 8; i++)
        put64(e, gpa + 8ull * i, cd[i]);
}

static inline unsigned gshift_of_tg0(unsigned tg0) { return tg0 == 0 ? 12 : tg0 == 1 ? 16 : 14; }
static inline unsigned s1_start(unsigned g, unsigned ia) { return 3u - (ia - g - 1u) / (g - 3u); }

/* Map va -> pa with a leaf at leaf_level, allocating tables as needed.
 * root must already be allocated (size of the initial table). */
static inline uint64_t pt_map(struct env *e, uint64_t root, unsigned g, unsigned start, unsigned ia,
                              uint64_t va, uint64_t pa, unsigned leaf_level, uint64_t attrs)
{
    unsigned stride = g - 3;
    uint64_t table = root;

    for (unsigned level = start;; level++) {
        unsigned shift = g + (3 - level) * stride;
        unsigned nbits = level == start ? ia - shift : stride;
        uint64_t slot = table + ((va >> shift) & ((1ull << nbits) - 1)) * 8;
        uint64_t d;

        if (level == leaf_level) {
            put64(e, slot, (pa & ~((1ull << shift) - 1)) | attrs | (level == 3 ? 3 : 1));
            return slot;
        }
        d = get64(e, slot);
        if (!(d & 1)) {
            uint64_t t = pt_alloc(e, 1ull << g);
            put64(e, slot, t | 3);
            table = t;
        } else {
            table = d & ((1ull << 48) - 1) & ~((1ull << g) - 1);
        }
    }
}

static inline int dma(struct env *e, uint32_t sid, uint32_t ssid, uint64_t iova, void *buf, size_t len,
                      bool write, struct emu_fault *f)
{
    return emu_dma(e->u, sid, ssid, iova, buf, len, write, f);
}

/* Event record n (index in the queue). */
static inline void evt_get(struct env *e, unsigned n, uint64_t rec[4])
{
    for (int i = 0; i < 4; i++)
        rec[i] = get64(e, EVTQ_GPA + (n & ((1u << EVTQ_LOG2) - 1)) * 32ull + 8ull * i);
}
static inline unsigned evt_count(struct env *e)
{
    return (R32(e, SMMU_EVENTQ_PROD) - R32(e, SMMU_EVENTQ_CONS)) & ((2u << EVTQ_LOG2) - 1);
}

#endif
