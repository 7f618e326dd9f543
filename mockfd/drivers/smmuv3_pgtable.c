/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 page tables in guest memory: VMSAv8-64 LPAE with the 4 KiB granule
 * as Linux io-pgtable-arm.c builds them (smmuv3.md §6, §9.2): ARM_64_LPAE_S1
 * for stage-1 domains, ARM_64_LPAE_S2 for nesting parents; 4 KiB pages,
 * 2 MiB / 1 GiB blocks when alignment, length and HUGE_PAGES allow.
 *
 * Dirty tracking (IO_PGTABLE_QUIRK_ARM_HD): a writable stage-1 leaf is
 * mapped DBM=1 with AP[2]=0, i.e. writable-dirty; the SMMU (CD.HA|HD)
 * clears AP[2] of a writable-clean leaf on a write. The harvest reports a
 * leaf dirty when (pte & (AP_RDONLY|DBM)) == DBM and, unless NO_CLEAR, sets
 * AP[2] back atomically (compare-exchange, retried if the SMMU raced).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pgtable_util.h"
#include "smmuv3_priv.h"

static struct emu_mem *mem(struct smmu_domain *sd) { return sd->su->u->mem; }

static unsigned lvl_shift(unsigned lvl) { return 12 + 9 * (3 - lvl); }

/* index bits of the start-level table (with stage-2 concatenation) */
static unsigned pgd_bits(const struct smmu_domain *sd)
{
    return sd->ias - lvl_shift(sd->start_level);
}

static uint64_t pgd_size(const struct smmu_domain *sd)
{
    uint64_t s = 8ull << pgd_bits(sd);

    return s < 4096 ? 4096 : s;
}

static uint64_t rd64(struct smmu_domain *sd, uint64_t gpa)
{
    uint64_t v = 0;

    emu_mem_read64(mem(sd), gpa, &v);
    return v;
}

static void wr64(struct smmu_domain *sd, uint64_t gpa, uint64_t v)
{
    emu_mem_write64(mem(sd), gpa, v);
}

unsigned smmu_ips_of(unsigned bits)
{
    switch (bits) {
    case 32: return 0;
    case 36: return 1;
    case 40: return 2;
    case 42: return 3;
    case 44: return 4;
    case 48: return 5;
    default: return 6;
    }
}

/* arm_64_lpae_alloc_pgtable_s2: VTCR of the STE (smmuv3.md §4.2, Linux's
 * 19-bit STE_2_VTCR field). SL0 for 4 KiB: 0 -> L2, 1 -> L1, 2 -> L0. */
uint64_t smmu_s2_vtcr(const struct smmu_domain *sd)
{
    uint64_t rgn = sd->su->coherent ? 1 : 0, sh = sd->su->coherent ? 3 : 2;
    uint64_t sl0 = 2 - sd->start_level;

    return (64 - sd->ias) | (sl0 << 6) | (rgn << 8) | (rgn << 10) | (sh << 12) | (0ull << 14) |
           ((uint64_t)smmu_ips_of(sd->oas) << 16);
}

/* arm_lpae_alloc_pgtable: levels from the input size; a stage-2 table whose
 * level-0 table would have at most 16 entries starts one level lower with
 * concatenated tables instead (ARM_LPAE_S2_MAX_CONCAT_PAGES). */
int smmu_pgtable_init(struct smmu_domain *sd)
{
    unsigned va_bits = sd->ias - 12, levels = (va_bits + 8) / 9;

    sd->start_level = 4 - levels;
    if (sd->stage == SMMU_STAGE2 && sd->start_level == 0 && (1u << pgd_bits(sd)) <= 16)
        sd->start_level = 1;
    sd->pgd = smmu_table_alloc(sd->su, pgd_size(sd));
    return sd->pgd ? 0 : -ENOMEM;
}

static uint64_t entries_at(const struct smmu_domain *sd, unsigned lvl)
{
    return lvl == sd->start_level ? 1ull << pgd_bits(sd) : 512;
}

static uint64_t index_at(const struct smmu_domain *sd, unsigned lvl, uint64_t iova)
{
    return (iova >> lvl_shift(lvl)) & (entries_at(sd, lvl) - 1);
}

static bool is_leaf(unsigned lvl, uint64_t pte)
{
    return lvl == 3 || (pte & PTE_TYPE_MASK) == PTE_TYPE_BLOCK;
}

/* arm_lpae_prot_to_pte */
static uint64_t prot_to_pte(const struct smmu_domain *sd, unsigned prot)
{
    uint64_t pte = PTE_AF;

    if (sd->stage == SMMU_STAGE1) {
        pte |= PTE_NG;
        if (!(prot & MFD_PROT_WRITE) && (prot & MFD_PROT_READ))
            pte |= PTE_AP_RDONLY;
        else if (sd->dirty && (prot & MFD_PROT_WRITE))
            pte |= PTE_DBM;             /* writable-dirty from the start */
        pte |= PTE_AP_UNPRIV;           /* not IOMMU_PRIV */
        if (prot & MFD_PROT_CACHE)
            pte |= PTE_ATTRIDX_CACHE;
    } else {
        if (prot & MFD_PROT_READ)
            pte |= PTE_HAP_READ;
        if (prot & MFD_PROT_WRITE)
            pte |= PTE_HAP_WRITE;
        pte |= (prot & MFD_PROT_CACHE) ? PTE_MEMATTR_OIWB : (0x5ull << 2);
    }
    /* IOMMU_CACHE: inner shareable, else outer shareable */
    pte |= (prot & MFD_PROT_CACHE) ? PTE_SH_IS : (2ull << 8);
    return pte;
}

/* __arm_lpae_map: install leaf `pte` at level lvl, with tables above it. */
static int set_leaf(struct smmu_domain *sd, uint64_t iova, unsigned lvl, uint64_t pte)
{
    uint64_t t = sd->pgd, slot, e;
    unsigned l;

    for (l = sd->start_level; l < lvl; l++) {
        slot = t + index_at(sd, l, iova) * 8;
        e = rd64(sd, slot);
        if (!(e & PTE_VALID)) {
            uint64_t nt = sd->su->u->plat->table_alloc(4096);

            if (!nt)
                return -ENOMEM;
            e = nt | PTE_TYPE_TABLE;
            wr64(sd, slot, e);
        } else if (is_leaf(l, e)) {
            return -EEXIST;             /* inside an existing block */
        }
        t = e & PTE_ADDR_MASK;
    }
    slot = t + index_at(sd, lvl, iova) * 8;
    e = rd64(sd, slot);
    if (e & PTE_VALID) {
        /* a block may replace an empty table left by an earlier unmap */
        if (lvl == 3 || is_leaf(lvl, e) || !mfd_pt_table_empty(mem(sd), e & PTE_ADDR_MASK))
            return -EEXIST;
        wr64(sd, slot, 0);
        sd->su->u->plat->table_free(e & PTE_ADDR_MASK, 4096);
    }
    wr64(sd, slot, pte);
    return 0;
}

struct unmap_ctx {
    uint64_t unmapped;
    uint64_t lo, hi;                    /* span of cleared leaves, hi exclusive */
    uint64_t min_leaf, max_leaf;
    struct mfd_pt_freelist fl;          /* tables unlinked, freed after the flush */
};

static void unmap_lvl(struct smmu_domain *sd, uint64_t t, unsigned lvl, uint64_t base,
                      uint64_t s, uint64_t last, struct unmap_ctx *c)
{
    uint64_t span = 1ull << lvl_shift(lvl), ent[8192];
    uint64_t i0 = (s - base) >> lvl_shift(lvl), i1 = (last - base) >> lvl_shift(lvl), i;

    if (i1 - i0 + 1 > 8192 || emu_mem_read(mem(sd), t + i0 * 8, ent, (i1 - i0 + 1) * 8))
        return;
    for (i = i0; i <= i1; i++) {
        uint64_t e = ent[i - i0], eb = base + i * span, el = eb + span - 1;

        if (!(e & PTE_VALID))
            continue;
        if (is_leaf(lvl, e)) {
            /* a block goes as a whole (iommufd unmaps whole areas) */
            wr64(sd, t + i * 8, 0);
            sd->su->u->plat->guest_unmap(e & PTE_ADDR_MASK & ~(span - 1), span);
            c->unmapped += span;
            if (eb < c->lo)
                c->lo = eb;
            if (el + 1 > c->hi)
                c->hi = el + 1;
            if (span < c->min_leaf)
                c->min_leaf = span;
            if (span > c->max_leaf)
                c->max_leaf = span;
            continue;
        }
        unmap_lvl(sd, e & PTE_ADDR_MASK, lvl + 1, eb, s > eb ? s : eb, last < el ? last : el, c);
        if (s <= eb && el <= last) {
            wr64(sd, t + i * 8, 0);
            mfd_pt_fl_add(&c->fl, e & PTE_ADDR_MASK);
        }
    }
}

static uint64_t top_last(const struct smmu_domain *sd)
{
    return (1ull << sd->ias) - 1;
}

static uint64_t smmu_unmap(struct mfd_domain *d, uint64_t iova, uint64_t len)
{
    struct smmu_domain *sd = to_smmu(d);
    struct unmap_ctx c = { .lo = UINT64_MAX, .min_leaf = UINT64_MAX };
    uint64_t last;

    if (!len || iova > top_last(sd))
        return 0;
    last = mfd_pt_clip_last(iova, len, top_last(sd));
    unmap_lvl(sd, sd->pgd, sd->start_level, 0, iova, last, &c);
    if (c.unmapped || c.fl.n) {
        /* iotlb_sync of the gather: leaf invalidation of the cleared range,
         * or a walk (non-leaf) invalidation when tables were unlinked */
        bool leaf = !c.fl.n && c.min_leaf == c.max_leaf;
        uint64_t granule = leaf ? c.min_leaf : 4096;

        if (!c.unmapped) {
            c.lo = iova;
            c.hi = last + 1;
        }
        pthread_mutex_lock(&sd->su->lock);
        smmu_tlb_inv_range(sd, c.lo, c.hi - c.lo, granule, leaf);
        pthread_mutex_unlock(&sd->su->lock);
    }
    mfd_pt_fl_release(&c.fl, sd->su->u->plat);
    return c.unmapped;
}

static int smmu_map(struct mfd_domain *d, uint64_t iova, uint64_t paddr, uint64_t len,
                    unsigned prot)
{
    struct smmu_domain *sd = to_smmu(d);
    const struct mfd_platform_ops *p = sd->su->u->plat;
    uint64_t pos = 0, attr;
    int rc;

    if (!len)
        return 0;
    if ((iova | paddr | len) & 4095)
        return -EINVAL;
    if (iova + len - 1 < iova || iova + len - 1 > d->aperture_end)
        return -ERANGE;                 /* arm_lpae_map_pages: iova beyond ias */
    if (paddr + len - 1 >= (1ull << sd->oas) || paddr + len - 1 < paddr)
        return -ERANGE;                 /* paddr beyond oas */
    /* arm_lpae_map_pages: no permissions, nothing to map */
    if (!(prot & (MFD_PROT_READ | MFD_PROT_WRITE)))
        return 0;
    attr = prot_to_pte(sd, prot);
    rc = p->guest_map(paddr, len);
    if (rc)
        return rc;
    while (pos < len) {
        uint64_t va = iova + pos, pa = paddr + pos, left = len - pos, size = 4096;
        unsigned lvl = 3, l;

        /* the largest block alignment, length and HUGE_PAGES allow */
        for (l = 1; l <= 2 && d->allow_huge; l++) {
            uint64_t sz = 1ull << lvl_shift(l);

            if (l >= sd->start_level && !((va | pa) & (sz - 1)) && left >= sz) {
                lvl = l;
                size = sz;
                break;
            }
        }
        rc = set_leaf(sd, va, lvl, pa | attr | (lvl == 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK));
        if (rc)
            goto undo;
        pos += size;
    }
    /* invalid -> valid needs no TLB maintenance on SMMUv3 */
    return 0;
undo:
    if (pos) {
        uint64_t done = smmu_unmap(d, iova, pos);

        if (done < len)
            p->guest_unmap(paddr + done, len - done);
    } else {
        p->guest_unmap(paddr, len);
    }
    return rc;
}

static void free_lvl(struct smmu_domain *sd, uint64_t t, unsigned lvl, uint64_t tsize)
{
    uint64_t n = tsize / 8, i, *ent = malloc(tsize);

    if (ent && !emu_mem_read(mem(sd), t, ent, tsize)) {
        for (i = 0; i < n; i++) {
            uint64_t e = ent[i], span = 1ull << lvl_shift(lvl);

            if (!(e & PTE_VALID))
                continue;
            if (is_leaf(lvl, e))
                sd->su->u->plat->guest_unmap(e & PTE_ADDR_MASK & ~(span - 1), span);
            else
                free_lvl(sd, e & PTE_ADDR_MASK, lvl + 1, 4096);
        }
    }
    free(ent);
    smmu_table_free(sd->su, t, tsize);
}

/* free_io_pgtable_ops: TLB flush of the context, then the tables; then the
 * ASID / VMID goes back (arm_smmu_domain_free_paging). */
static void smmu_free(struct mfd_domain *d)
{
    struct smmu_domain *sd = to_smmu(d);

    pthread_mutex_lock(&sd->su->lock);
    smmu_tlb_inv_context(sd);
    pthread_mutex_unlock(&sd->su->lock);
    free_lvl(sd, sd->pgd, sd->start_level, pgd_size(sd));
    smmu_id_free(sd->su, sd);
    free(sd);
}

/* arm_smmu_set_dirty_tracking: nothing to do, CD.HA|HD are set for the
 * domain's whole life (smmuv3.md §9.4). */
static int smmu_set_dirty_tracking(struct mfd_domain *d, bool enable)
{
    (void)d, (void)enable;
    return 0;
}

struct dirty_ctx {
    unsigned flags;
    struct mfd_dirty_bitmap *bm;
};

static void dirty_lvl(struct smmu_domain *sd, uint64_t t, unsigned lvl, uint64_t base,
                      uint64_t s, uint64_t last, struct dirty_ctx *c)
{
    uint64_t span = 1ull << lvl_shift(lvl), ent[8192];
    uint64_t i0 = (s - base) >> lvl_shift(lvl), i1 = (last - base) >> lvl_shift(lvl), i;

    if (i1 - i0 + 1 > 8192 || emu_mem_read(mem(sd), t + i0 * 8, ent, (i1 - i0 + 1) * 8))
        return;
    for (i = i0; i <= i1; i++) {
        uint64_t e = ent[i - i0], eb = base + i * span, el = eb + span - 1;

        if (!(e & PTE_VALID))
            continue;
        if (is_leaf(lvl, e)) {
            /* iopte_writeable_dirty */
            if ((e & (PTE_AP_RDONLY | PTE_DBM)) != PTE_DBM)
                continue;
            if (!(c->flags & MFD_DIRTY_NO_CLEAR)) {
                /* iopte_set_writeable_clean: atomic set of AP[2] */
                uint64_t exp = e;

                while (!(exp & PTE_AP_RDONLY)) {
                    if (emu_mem_cmpxchg64(mem(sd), t + i * 8, &exp, exp | PTE_AP_RDONLY) != 0)
                        break;
                }
            }
            /* the whole leaf (a block counts as all dirty) */
            mfd_dirty_record(c->bm, eb, span);
            if (!sd->gather_valid || eb < sd->gather_start)
                sd->gather_start = eb;
            if (!sd->gather_valid || el > sd->gather_end)
                sd->gather_end = el;
            sd->gather_valid = true;
            continue;
        }
        dirty_lvl(sd, e & PTE_ADDR_MASK, lvl + 1, eb, s > eb ? s : eb, last < el ? last : el, c);
    }
}

/* arm_lpae_read_and_clear_dirty: stage-1 tables only. */
static int smmu_read_and_clear_dirty(struct mfd_domain *d, uint64_t iova, uint64_t len,
                                     unsigned flags, struct mfd_dirty_bitmap *bm)
{
    struct smmu_domain *sd = to_smmu(d);
    struct dirty_ctx c = { .flags = flags, .bm = bm };
    uint64_t last;

    if (sd->stage != SMMU_STAGE1)
        return -EINVAL;
    if (!len || iova > top_last(sd))
        return 0;
    last = mfd_pt_clip_last(iova, len, top_last(sd));
    dirty_lvl(sd, sd->pgd, sd->start_level, 0, iova, last, &c);
    return 0;
}

const struct mfd_domain_ops smmu_domain_ops = {
    .map = smmu_map,
    .unmap = smmu_unmap,
    .free = smmu_free,
};

const struct mfd_domain_ops smmu_domain_dirty_ops = {
    .map = smmu_map,
    .unmap = smmu_unmap,
    .free = smmu_free,
    .set_dirty_tracking = smmu_set_dirty_tracking,
    .read_and_clear_dirty = smmu_read_and_clear_dirty,
};
