/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi v1 host page tables in guest memory (amdvi.md §5.1-§5.3), built
 * the way Linux's amd/io_pgtable.c builds them: the table starts at 3 levels
 * and grows (a new root whose entry 0 points to the old one, then every DTE
 * rewritten and invalidated) up to EFR.HATS + 4 levels; a leaf of a level's
 * default size is a NextLevel-0 entry (4 KiB, 2 MiB, 1 GiB, ...), any other
 * power of two is a NextLevel-7 entry with the size encoded in the address
 * and replicated over 2^((log2(size) - 12) % 9) slots (PAGE_SIZE_PTE), e.g.
 * 64 KiB = 16 level-1 replicas. PDEs carry PR|IR|IW, leaves PR|FC|IR|IW.
 *
 * Dirty tracking (amdvi.md §8): the harvest walks the range, and for every
 * present leaf tests (NO_CLEAR) or atomically test-and-clears (compare-
 * exchange) the D bit (bit 6) of EVERY replica, recording the whole page if
 * any replica was dirty (spec 2.2.3.2: the IOMMU may dirty one replica).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "amdvi_priv.h"
#include "pgtable_util.h"

#define PDE_FLAGS (PTE_PR | PTE_IR | PTE_IW)

static unsigned lvl_shift(unsigned lvl) { return 12 + 9 * (lvl - 1); }   /* lvl 1-based */

/* PM_LEVEL_SIZE(mode): the last IOVA a `mode`-level table translates */
static uint64_t level_size(unsigned mode)
{
    return mode >= 6 ? UINT64_MAX : (1ull << (12 + 9 * mode)) - 1;
}

static uint64_t rd64(struct amdvi_domain *ad, uint64_t gpa)
{
    uint64_t v = 0;

    emu_mem_read64(ad->mem, gpa, &v);
    return v;
}

static void wr64(struct amdvi_domain *ad, uint64_t gpa, uint64_t v)
{
    emu_mem_write64(ad->mem, gpa, v);
}

/* PTE_PAGE_SIZE: 2^(1 + number of trailing ones of pte | 0xfff) */
static uint64_t pte_page_size(uint64_t e)
{
    uint64_t x = ~(e | 0xfffull);
    unsigned tz = x ? (unsigned)__builtin_ctzll(x) : 63;

    return tz >= 63 ? (1ull << 63) : 1ull << (tz + 1);
}

/* Extent of the leaf e at slot i of a level-lvl table: the first replica,
 * the replica count and the page size. A malformed NextLevel-7 size (not
 * strictly between this level's default size and the next one's) counts as
 * one default-size page so that nothing outside the table is touched. */
static void leaf_extent(uint64_t e, unsigned lvl, unsigned i, unsigned *first, unsigned *count,
                        uint64_t *size)
{
    uint64_t span = 1ull << lvl_shift(lvl), sz = span;

    if (PTE_NL(e) == 7) {
        sz = pte_page_size(e);
        if (sz <= span || sz / span > 512 || (lvl == 6 && sz / span > 128))
            sz = span;
    }
    *count = (unsigned)(sz / span);
    *first = i & ~(*count - 1);
    *size = sz;
}

/* The output address of a leaf: the address field with the NextLevel-7
 * size-encoding bits cleared. */
static uint64_t leaf_pa(uint64_t e, uint64_t size)
{
    return e & PM_ADDR_MASK & ~(size - 1);
}

static bool is_pde(uint64_t e, unsigned lvl)
{
    return lvl > 1 && PTE_NL(e) != 0 && PTE_NL(e) != 7;
}

int amdvi_pgtable_init(struct amdvi_domain *ad)
{
    /* v1_alloc_pgtable: one zeroed root, PAGE_MODE_3_LEVEL */
    ad->root = ad->plat->table_alloc(4096);
    ad->mode = 3;
    return ad->root ? 0 : -ENOMEM;
}

/* Free the tables below (and including) t, releasing the guest pages of
 * the leaves still present (free_sub_pt). */
static void free_lvl(struct amdvi_domain *ad, uint64_t t, unsigned lvl)
{
    uint64_t ent[512];
    unsigned i;

    if (!emu_mem_read(ad->mem, t, ent, sizeof(ent))) {
        for (i = 0; i < 512; i++) {
            uint64_t e = ent[i], size;
            unsigned first, count;

            if (!(e & PTE_PR))
                continue;
            if (is_pde(e, lvl)) {
                free_lvl(ad, e & PM_ADDR_MASK, lvl - 1);
                continue;
            }
            leaf_extent(e, lvl, i, &first, &count, &size);
            ad->plat->guest_unmap(leaf_pa(e, size), size);
            i = first + count - 1;
        }
    }
    ad->plat->table_free(t, 4096);
}

/* free_clear_pte for the entry at slot i of table t: zero it (every replica
 * of a NextLevel-7 group) and release what it referenced. */
static void clear_entry(struct amdvi_domain *ad, uint64_t t, unsigned lvl, unsigned i, uint64_t e)
{
    unsigned first, count, k;
    uint64_t size;

    if (!(e & PTE_PR)) {
        wr64(ad, t + i * 8ull, 0);
        return;
    }
    if (is_pde(e, lvl)) {
        wr64(ad, t + i * 8ull, 0);
        free_lvl(ad, e & PM_ADDR_MASK, lvl - 1);
        return;
    }
    leaf_extent(e, lvl, i, &first, &count, &size);
    for (k = first; k < first + count; k++) {
        uint64_t exp = e;

        /* the replicas that still match the large mapping (alloc_pte) */
        emu_mem_cmpxchg64(ad->mem, t + k * 8ull, &exp, 0);
    }
    wr64(ad, t + i * 8ull, 0);
    ad->plat->guest_unmap(leaf_pa(e, size), size);
}

/* increase_address_space: new root with entry 0 -> old root, then every
 * DTE of the domain rewritten and invalidated. -ENOMEM at the deepest
 * level an IOMMU of the domain walks. */
static int grow_table(struct amdvi_domain *ad)
{
    uint64_t nt;
    unsigned i;
    int rc = 0;

    pthread_mutex_lock(&amdvi_lock);
    if (ad->mode >= ad->max_level) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 0; i < ad->ndevs; i++) {
        if (ad->mode + 1 > ad->devs[i].au->hpt_level) {
            rc = -ENOMEM;
            goto out;
        }
    }
    nt = ad->plat->table_alloc(4096);
    if (!nt) {
        rc = -ENOMEM;
        goto out;
    }
    wr64(ad, nt, ad->root | PTE_NL_ENC(ad->mode) | PDE_FLAGS);
    ad->root = nt;
    ad->mode++;
    amdvi_domain_update_dtes(ad);
out:
    pthread_mutex_unlock(&amdvi_lock);
    return rc;
}

/* alloc_pte + the store of iommu_v1_map_pages for one page of `size` at
 * iova -> pa (both size aligned). */
static int map_one(struct amdvi_domain *ad, uint64_t iova, uint64_t pa, uint64_t size,
                   uint64_t perm, bool *updated)
{
    unsigned log2 = (unsigned)__builtin_ctzll(size);
    unsigned end_lvl = (log2 - 12) / 9 + 1;             /* PAGE_SIZE_LEVEL, 1-based */
    unsigned count = 1u << ((log2 - 12) % 9), lvl, i, idx;
    uint64_t t, pte;
    int rc;

    while (iova + (size - 1) > level_size(ad->mode) || ad->mode < end_lvl)
        if ((rc = grow_table(ad)))
            return rc;
    t = ad->root;
    for (lvl = ad->mode; lvl > end_lvl;) {
        uint64_t slot = t + ((iova >> lvl_shift(lvl)) & 511) * 8, e = rd64(ad, slot);

        if ((e & PTE_PR) && PTE_NL(e) == 7) {
            /* a replicated large page in the way: tear it down */
            clear_entry(ad, t, lvl, (unsigned)((slot - t) / 8), e);
            *updated = true;
            continue;
        }
        if (!(e & PTE_PR) || PTE_NL(e) == 0) {
            uint64_t nt = ad->plat->table_alloc(4096);

            if (!nt)
                return -ENOMEM;
            if (e & PTE_PR) {
                /* a default-size large page replaced by a table */
                clear_entry(ad, t, lvl, (unsigned)((slot - t) / 8), e);
                *updated = true;
            }
            wr64(ad, slot, nt | PTE_NL_ENC(lvl - 1) | PDE_FLAGS);
            continue;
        }
        if (PTE_NL(e) != lvl - 1)
            return -ENOMEM;             /* "No level skipping support yet" */
        t = e & PM_ADDR_MASK;
        lvl--;
    }
    if (count > 1)
        pte = ((pa | (size - 1)) & ~(size >> 1) & PM_ADDR_MASK) | PTE_NL_ENC(7);
    else
        pte = pa;
    pte |= PTE_PR | PTE_FC | perm;
    idx = (unsigned)((iova >> lvl_shift(end_lvl)) & 511);
    for (i = idx; i < idx + count; i++) {
        uint64_t e = rd64(ad, t + i * 8ull);

        if (e & PTE_PR) {
            clear_entry(ad, t, end_lvl, i, e);
            *updated = true;
        }
    }
    for (i = idx; i < idx + count; i++)
        wr64(ad, t + i * 8ull, pte);
    return 0;
}

/* iommu_pgsize: the largest size of the bitmap that fits the remaining
 * length and the alignment of iova and pa; 4 KiB only without HUGE_PAGES
 * (iommufd maps page by page then). */
static uint64_t pick_size(struct amdvi_domain *ad, uint64_t iova, uint64_t pa, uint64_t left)
{
    uint64_t bm = ad->dom.pgsize_bitmap, merge = iova | pa;
    unsigned top;

    if (!ad->dom.allow_huge)
        return 4096;
    top = 63 - (unsigned)__builtin_clzll(left);
    if (top < 63)
        bm &= (2ull << top) - 1;
    if (merge)
        bm &= (merge & -merge) | ((merge & -merge) - 1);
    /* a leaf must sit at or below the deepest root this domain may get */
    if (12 + 9 * ad->max_level < 64)
        bm &= (1ull << (12 + 9 * ad->max_level)) - 1;
    bm &= ~0xfffull;
    return bm ? 1ull << (63 - __builtin_clzll(bm)) : 4096;
}

struct unmap_ctx {
    uint64_t unmapped;
    uint64_t lo, last;          /* span of the leaves cleared (inclusive) */
};

/* Clear the leaves of [s, last] below table t (level lvl, covering from
 * base); a large leaf goes as a whole (iommu_v1_unmap_pages). Tables stay,
 * as in Linux, until the domain is freed. */
static void unmap_lvl(struct amdvi_domain *ad, uint64_t t, unsigned lvl, uint64_t base,
                      uint64_t s, uint64_t last, struct unmap_ctx *c)
{
    uint64_t span = 1ull << lvl_shift(lvl), ent[512];
    unsigned i0 = (unsigned)((s - base) >> lvl_shift(lvl));
    unsigned i1 = (unsigned)((last - base) >> lvl_shift(lvl)), i;

    if (emu_mem_read(ad->mem, t + i0 * 8ull, ent, (i1 - i0 + 1) * 8ull))
        return;
    for (i = i0; i <= i1; i++) {
        uint64_t e = ent[i - i0], eb = base + i * span, el = eb + span - 1, size, gb;
        unsigned first, count, k;

        if (!(e & PTE_PR))
            continue;
        if (is_pde(e, lvl)) {
            if (PTE_NL(e) == lvl - 1)
                unmap_lvl(ad, e & PM_ADDR_MASK, lvl - 1, eb, s > eb ? s : eb,
                          last < el ? last : el, c);
            continue;
        }
        leaf_extent(e, lvl, i, &first, &count, &size);
        for (k = first; k < first + count; k++)
            wr64(ad, t + k * 8ull, 0);
        ad->plat->guest_unmap(leaf_pa(e, size), size);
        gb = base + first * span;
        c->unmapped += size;
        if (gb < c->lo)
            c->lo = gb;
        if (gb + size - 1 > c->last)
            c->last = gb + size - 1;
        i = first + count - 1;
    }
}

static uint64_t amdvi_unmap(struct mfd_domain *d, uint64_t iova, uint64_t len)
{
    struct amdvi_domain *ad = to_amdvi(d);
    struct unmap_ctx c = { .lo = UINT64_MAX };
    uint64_t last, top = level_size(ad->mode);

    if (!len || iova > top)
        return 0;
    last = mfd_pt_clip_last(iova, len, top);
    unmap_lvl(ad, ad->root, ad->mode, 0, iova, last, &c);
    if (c.unmapped) {
        /* amd_iommu_iotlb_sync over the gathered range */
        pthread_mutex_lock(&amdvi_lock);
        amdvi_domain_flush_pages(ad, c.lo, c.last - c.lo + 1 ? c.last - c.lo + 1 : CMD_ALL_PAGES);
        pthread_mutex_unlock(&amdvi_lock);
    }
    return c.unmapped;
}

static int amdvi_map(struct mfd_domain *d, uint64_t iova, uint64_t paddr, uint64_t len,
                     unsigned prot)
{
    struct amdvi_domain *ad = to_amdvi(d);
    const struct mfd_platform_ops *p = ad->plat;
    uint64_t pos = 0, perm = 0;
    bool updated = false;
    int rc;

    if (!len)
        return 0;
    if ((iova | paddr | len) & 4095 || iova + len - 1 < iova)
        return -EINVAL;
    if (prot & MFD_PROT_READ)
        perm |= PTE_IR;
    if (prot & MFD_PROT_WRITE)
        perm |= PTE_IW;
    /* iommu_v1_map_pages: neither IR nor IW is -EINVAL */
    if (!perm)
        return -EINVAL;
    rc = p->guest_map(paddr, len);
    if (rc)
        return rc;
    while (pos < len) {
        uint64_t size = pick_size(ad, iova + pos, paddr + pos, len - pos);

        rc = map_one(ad, iova + pos, paddr + pos, size, perm, &updated);
        if (rc)
            goto undo;
        pos += size;
    }
    /* entries were replaced: flush them (amd_iommu_domain_flush_pages) */
    if (updated) {
        pthread_mutex_lock(&amdvi_lock);
        amdvi_domain_flush_pages(ad, iova, len);
        pthread_mutex_unlock(&amdvi_lock);
    }
    return 0;
undo:
    /* iommu_map unmaps what it mapped; amdvi_unmap releases those pages */
    if (pos)
        amdvi_unmap(d, iova, pos);
    p->guest_unmap(paddr + pos, len - pos);
    return rc;
}

static void amdvi_free(struct mfd_domain *d)
{
    struct amdvi_domain *ad = to_amdvi(d);

    /* amd_iommu_domain_free: every device was detached (and the IOTLB
     * flushed) first; free the table and the DomainID */
    free_lvl(ad, ad->root, ad->mode);
    amdvi_domid_free(ad->id);
    free(ad->devs);
    free(ad);
}

struct dirty_ctx {
    unsigned flags;
    struct mfd_dirty_bitmap *bm;
};

/* pte_test_and_clear_dirty over the replicas first..first+count-1 */
static bool test_and_clear(struct amdvi_domain *ad, uint64_t t, unsigned first, unsigned count,
                           unsigned flags)
{
    bool dirty = false;
    unsigned k;

    for (k = first; k < first + count; k++) {
        uint64_t a = t + k * 8ull, e = rd64(ad, a);

        if (flags & MFD_DIRTY_NO_CLEAR) {
            if (e & PTE_HD)
                return true;
            continue;
        }
        /* test_and_clear_bit(IOMMU_PTE_HD_BIT): atomic against the
         * hardware's own locked A/D update (amdvi.md §8.1) */
        while (e & PTE_HD) {
            int r = emu_mem_cmpxchg64(ad->mem, a, &e, e & ~PTE_HD);

            if (r != 0) {
                dirty |= r == 1;
                break;
            }
        }
    }
    return dirty;
}

static void dirty_lvl(struct amdvi_domain *ad, uint64_t t, unsigned lvl, uint64_t base,
                      uint64_t s, uint64_t last, struct dirty_ctx *c)
{
    uint64_t span = 1ull << lvl_shift(lvl), ent[512];
    unsigned i0 = (unsigned)((s - base) >> lvl_shift(lvl));
    unsigned i1 = (unsigned)((last - base) >> lvl_shift(lvl)), i;

    if (emu_mem_read(ad->mem, t + i0 * 8ull, ent, (i1 - i0 + 1) * 8ull))
        return;
    for (i = i0; i <= i1; i++) {
        uint64_t e = ent[i - i0], eb = base + i * span, el = eb + span - 1, size;
        unsigned first, count;

        if (!(e & PTE_PR))
            continue;
        if (is_pde(e, lvl)) {
            if (PTE_NL(e) == lvl - 1)
                dirty_lvl(ad, e & PM_ADDR_MASK, lvl - 1, eb, s > eb ? s : eb,
                          last < el ? last : el, c);
            continue;
        }
        leaf_extent(e, lvl, i, &first, &count, &size);
        /* The whole page, every bit it covers; the bitmap engine clips to
         * the user's range and carries bits past the current window. */
        if (test_and_clear(ad, t, first, count, c->flags))
            mfd_dirty_record(c->bm, base + first * span, size);
        i = first + count - 1;
    }
}

static int amdvi_read_and_clear_dirty(struct mfd_domain *d, uint64_t iova, uint64_t len,
                                      unsigned flags, struct mfd_dirty_bitmap *bm)
{
    struct amdvi_domain *ad = to_amdvi(d);
    struct dirty_ctx c = { .flags = flags, .bm = bm };
    uint64_t last, top;
    bool on;

    /* amd_iommu_read_and_clear_dirty: tracking off with a bitmap is
     * -EINVAL; with no bitmap the call only clears stale D bits */
    pthread_mutex_lock(&amdvi_lock);
    on = ad->dirty_tracking;
    top = level_size(ad->mode);
    pthread_mutex_unlock(&amdvi_lock);
    if (!on && bm)
        return -EINVAL;
    if (!len || iova > top)
        return 0;
    last = mfd_pt_clip_last(iova, len, top);
    dirty_lvl(ad, ad->root, ad->mode, 0, iova, last, &c);
    return 0;
}

const struct mfd_domain_ops amdvi_domain_ops = {
    .map = amdvi_map,
    .unmap = amdvi_unmap,
    .free = amdvi_free,
};

const struct mfd_domain_ops amdvi_domain_dirty_ops = {
    .map = amdvi_map,
    .unmap = amdvi_unmap,
    .free = amdvi_free,
    .set_dirty_tracking = amdvi_set_dirty_tracking,
    .read_and_clear_dirty = amdvi_read_and_clear_dirty,
};
