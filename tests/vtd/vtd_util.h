/* Helpers for the VT-d suite: guest memory, register access, table builders. */
#ifndef TESTS_VTD_UTIL_H
#define TESTS_VTD_UTIL_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "emu/emu.h"
#include "emu/vtd/vtd.h"
#include "tests/common/test_util.h"

#define MEM_SIZE (64ull << 20)

struct tenv {
    struct emu_mem *mem;
    struct emu_iommu *io;
    uint64_t next_page;     /* bump allocator for tables */
    uint64_t root;
    uint64_t iq;            /* invalidation queue */
    uint32_t iq_tail;       /* in descriptors */
    unsigned iq_shift;
    uint64_t status;        /* inv-wait status word */
};

static inline void env_init(struct tenv *t, const char *profile)
{
    memset(t, 0, sizeof(*t));
    t->mem = emu_mem_new();
    cr_assert(t->mem);
    cr_assert_eq(emu_mem_map(t->mem, 0, MEM_SIZE, NULL), 0);
    t->io = emu_iommu_new(EMU_VTD, profile, t->mem);
    cr_assert(t->io, "profile %s", profile ? profile : "(null)");
    t->next_page = 0x100000;
}
static inline void env_fini(struct tenv *t)
{
    emu_iommu_free(t->io);
    emu_mem_free(t->mem);
}
static inline uint64_t page(struct tenv *t)
{
    uint64_t p = t->next_page;
    t->next_page += 4096;
    cr_assert(t->next_page < (32ull << 20));
    return p;
}
static inline uint64_t rd(struct tenv *t, uint64_t off, unsigned w) { return emu_mmio_read(t->io, off, w); }
static inline void wr(struct tenv *t, uint64_t off, unsigned w, uint64_t v) { emu_mmio_write(t->io, off, w, v); }
static inline uint64_t m64(struct tenv *t, uint64_t gpa)
{
    uint64_t v = 0;
    cr_assert_eq(emu_mem_read64(t->mem, gpa, &v), 0);
    return v;
}
static inline void w64(struct tenv *t, uint64_t gpa, uint64_t v) { cr_assert_eq(emu_mem_write64(t->mem, gpa, v), 0); }
static inline struct vtd *model(struct tenv *t) { return (struct vtd *)((struct emu_iommu *)t->io)->model; }

/* Linux-style GCMD handshake: keep the persistent enables, set or clear one. */
static inline void gcmd(struct tenv *t, uint32_t bit, bool on)
{
    uint32_t sts = (uint32_t)rd(t, VTD_GSTS, 4) & 0x96ffffffu;
    wr(t, VTD_GCMD, 4, on ? (sts | bit) : (sts & ~bit));
}

/* Root table with TTM; latch it with SRTP. */
static inline void set_root(struct tenv *t, unsigned ttm)
{
    t->root = page(t);
    wr(t, VTD_RTADDR, 8, t->root | ((uint64_t)ttm << 10));
    gcmd(t, GCMD_SRTP, true);
    cr_assert(rd(t, VTD_GSTS, 4) & GCMD_SRTP);
}

/* Legacy: root[bus] -> context[devfn] with TT, AW, DID, SLPTPTR. */
static inline uint64_t legacy_ctx(struct tenv *t, uint16_t rid, unsigned tt, unsigned aw, uint16_t did,
                                  uint64_t slpt)
{
    uint64_t re = t->root + (rid >> 8) * 16;
    uint64_t ct = m64(t, re) & ~0xfffull;
    if (!ct) {
        ct = page(t);
        w64(t, re, ct | 1);
    }
    uint64_t ce = ct + (rid & 0xff) * 16;
    w64(t, ce, slpt | (tt << 2) | 1);
    w64(t, ce + 8, aw | ((uint64_t)did << 8));
    return ce;
}

/* Scalable: root -> context (PASIDE, PDTS=0 => 128 dir entries) -> PASID dir -> table.
 * Returns the gpa of the 64-byte PASID entry; the caller fills it. */
static inline uint64_t sm_pasid_entry(struct tenv *t, uint16_t rid, uint32_t pasid)
{
    unsigned devfn = rid & 0xff;
    uint64_t re = t->root + (rid >> 8) * 16 + (devfn >= 128 ? 8 : 0);
    uint64_t ct = m64(t, re) & ~0xfffull;
    if (!ct) {
        ct = page(t);
        w64(t, re, ct | 1);
    }
    uint64_t ce = ct + (devfn & 0x7f) * 32;
    uint64_t dir = m64(t, ce) & ~0xfffull;
    if (!dir) {
        dir = page(t);
        w64(t, ce, dir | 8 /* PASIDE */ | 1);
    }
    uint64_t de = dir + (pasid >> 6) * 8;
    uint64_t pt = m64(t, de) & ~0xfffull;
    if (!pt) {
        pt = page(t);
        w64(t, de, pt | 1);
    }
    return pt + (pasid & 0x3f) * 64;
}
#define PGTT_FS 1ull
#define PGTT_SS 2ull
#define PGTT_PT 4ull
/* SS PASID entry: AW, PGTT=SS, SSADE, DID, PWSNP. */
static inline uint64_t sm_ss(struct tenv *t, uint16_t rid, uint32_t pasid, uint16_t did, unsigned aw,
                             uint64_t slpt, bool ssade)
{
    uint64_t pe = sm_pasid_entry(t, rid, pasid);
    w64(t, pe, slpt | (ssade ? 1ull << 9 : 0) | (PGTT_SS << 6) | ((uint64_t)aw << 2) | 1);
    w64(t, pe + 8, did | (1ull << 23) /* PWSNP */);
    return pe;
}
static inline uint64_t sm_fs(struct tenv *t, uint16_t rid, uint32_t pasid, uint16_t did, unsigned fspm,
                             uint64_t flpt)
{
    uint64_t pe = sm_pasid_entry(t, rid, pasid);
    w64(t, pe, (PGTT_FS << 6) | 1);
    w64(t, pe + 8, did | (1ull << 23));
    w64(t, pe + 16, flpt | ((uint64_t)fspm << 2));
    return pe;
}

/* Map iova -> pa in a second-stage (fs=false) or first-stage table of
 * `levels` levels, with a leaf at `leaf_lvl` (1: 4K, 2: 2M, 3: 1G).
 * perm bits are the leaf's low bits (SS: R=1 W=2; FS: P|RW|US). Returns the
 * leaf entry gpa. Intermediate entries get full permissions. */
static inline uint64_t map(struct tenv *t, uint64_t top, unsigned levels, bool fs, uint64_t iova,
                           uint64_t pa, unsigned leaf_lvl, uint64_t perm)
{
    uint64_t table = top;
    for (unsigned l = levels; l > leaf_lvl; l--) {
        uint64_t e = table + ((iova >> (12 + 9 * (l - 1))) & 0x1ff) * 8;
        uint64_t v = m64(t, e);
        if (!(v & (fs ? 1 : 3))) {
            v = page(t) | (fs ? 7 : 3);
            w64(t, e, v);
        }
        table = v & 0xffffffffff000ull;
    }
    uint64_t e = table + ((iova >> (12 + 9 * (leaf_lvl - 1))) & 0x1ff) * 8;
    w64(t, e, pa | perm | (leaf_lvl > 1 ? 0x80 : 0));
    return e;
}
static inline uint64_t slpath(struct tenv *t, uint64_t top, unsigned levels, uint64_t iova, unsigned lvl)
{
    /* gpa of the entry at level lvl on the walk of iova (tables must exist). */
    uint64_t table = top;
    for (unsigned l = levels; l > lvl; l--)
        table = m64(t, table + ((iova >> (12 + 9 * (l - 1))) & 0x1ff) * 8) & 0xffffffffff000ull;
    return table + ((iova >> (12 + 9 * (lvl - 1))) & 0x1ff) * 8;
}

/* Queued invalidation with 128- or 256-bit descriptors, 1 page (QS=0). */
static inline void qi_setup(struct tenv *t, bool dw)
{
    t->iq = page(t);
    t->status = page(t);
    t->iq_shift = dw ? 5 : 4;
    t->iq_tail = 0;
    wr(t, VTD_IQT, 8, 0);
    wr(t, VTD_IQA, 8, t->iq | (dw ? 1ull << 11 : 0));
    gcmd(t, GCMD_QIE, true);
    cr_assert(rd(t, VTD_GSTS, 4) & GCMD_QIE);
}
static inline void qi_put(struct tenv *t, uint64_t q0, uint64_t q1)
{
    uint64_t entries = 4096 >> t->iq_shift;
    uint64_t a = t->iq + ((uint64_t)t->iq_tail << t->iq_shift);
    w64(t, a, q0);
    w64(t, a + 8, q1);
    if (t->iq_shift == 5) {
        w64(t, a + 16, 0);
        w64(t, a + 24, 0);
    }
    t->iq_tail = (uint32_t)((t->iq_tail + 1) % entries);
}
static inline void qi_kick(struct tenv *t) { wr(t, VTD_IQT, 8, (uint64_t)t->iq_tail << t->iq_shift); }
/* Submit one descriptor followed by an inv-wait with status write; true if
 * the status word was written. */
static inline bool qi_sync(struct tenv *t, uint64_t q0, uint64_t q1)
{
    w64(t, t->status, 0);
    if (q0)
        qi_put(t, q0, q1);
    qi_put(t, 0x5 | (1 << 5) | (0x1234ull << 32), t->status);
    qi_kick(t);
    return (m64(t, t->status) & 0xffffffff) == 0x1234;
}

static inline int dma(struct tenv *t, uint16_t rid, uint32_t pasid, uint64_t iova, void *buf, size_t len,
                      bool write, struct emu_fault *f)
{
    return emu_dma(t->io, rid, pasid, iova, buf, len, write, f);
}
static inline uint32_t frcd_count(struct tenv *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < model(t)->nfr; i++)
        n += (uint32_t)(rd(t, model(t)->fro_off + 16 * i + 8, 8) >> 63);
    return n;
}

#endif
