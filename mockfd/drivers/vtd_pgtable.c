/* SPDX-License-Identifier: MIT */
/*
 * VT-d second-stage page tables in guest memory (vtd.md §4.6): map/unmap with
 * 4 KiB / 2 MiB / 1 GiB leaves, and dirty tracking (vtd.md §7): SSADE
 * enable/disable and the harvest, an atomic test-and-clear of the D bit
 * (bit 9) of every present leaf, as Linux's intel read_and_clear_dirty.
 *
 * Tables are walked with one emu_mem_read of the slice of a table a range
 * covers (a driver reading its own coherent tables); every entry update is an
 * aligned 64-bit store, and clearing D is a compare-exchange so that a
 * concurrent hardware A/D update is never lost.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pgtable_util.h"
#include "vtd_priv.h"

#define ADDR_MASK 0x000ffffffffff000ull
#define PRESENT(p) ((p) & (SL_R | SL_W))

static struct emu_mem *mem(struct vtd_domain *vd) { return vd->vu->u->mem; }

static unsigned lvl_shift(unsigned lvl) { return 12 + 9 * (lvl - 1); }

static uint64_t rd64(struct vtd_domain *vd, uint64_t gpa)
{
    uint64_t v = 0;

    emu_mem_read64(mem(vd), gpa, &v);
    return v;
}

static void wr64(struct vtd_domain *vd, uint64_t gpa, uint64_t v)
{
    emu_mem_write64(mem(vd), gpa, v);
}

int vtd_pgtable_init(struct vtd_domain *vd)
{
    vd->pgd = vd->vu->u->plat->table_alloc(4096);
    return vd->pgd ? 0 : -ENOMEM;
}

/* Install leaf `pte` for iova at level `lvl`, allocating the tables above it. */
static int set_leaf(struct vtd_domain *vd, uint64_t iova, unsigned lvl, uint64_t pte)
{
    uint64_t t = vd->pgd;
    unsigned l;

    for (l = vd->levels; l > lvl; l--) {
        uint64_t slot = t + ((iova >> lvl_shift(l)) & 511) * 8, e = rd64(vd, slot);

        if (!PRESENT(e)) {
            uint64_t nt = vd->vu->u->plat->table_alloc(4096);

            if (!nt)
                return -ENOMEM;
            /* non-leaf entries carry R|W: permissions AND across levels */
            e = nt | SL_R | SL_W;
            wr64(vd, slot, e);
        } else if (e & SL_PS) {
            return -EEXIST;              /* inside an existing huge leaf */
        }
        t = e & ADDR_MASK;
    }
    {
        uint64_t slot = t + ((iova >> lvl_shift(lvl)) & 511) * 8, e = rd64(vd, slot);

        if (PRESENT(e)) {
            /* a huge leaf may replace an empty lower table */
            if (lvl == 1 || (e & SL_PS) || !mfd_pt_table_empty(mem(vd), e & ADDR_MASK))
                return -EEXIST;
            wr64(vd, slot, 0);
            vd->vu->u->plat->table_free(e & ADDR_MASK, 4096);
        }
        wr64(vd, slot, pte);
    }
    return 0;
}

struct unmap_ctx {
    uint64_t unmapped;
    uint64_t lo, hi;            /* span of the leaves cleared (hi exclusive) */
    struct mfd_pt_freelist fl;   /* tables unlinked, freed after the flush */
};

/* Clear leaves of [s, last] below table t (level lvl, covering from base);
 * tables whose whole span lies in the range are unlinked onto the freelist. */
static void unmap_lvl(struct vtd_domain *vd, uint64_t t, unsigned lvl, uint64_t base,
                      uint64_t s, uint64_t last, struct unmap_ctx *c)
{
    uint64_t span = 1ull << lvl_shift(lvl), ent[512];
    unsigned i0 = (unsigned)((s - base) >> lvl_shift(lvl));
    unsigned i1 = (unsigned)((last - base) >> lvl_shift(lvl)), i;

    if (emu_mem_read(mem(vd), t + i0 * 8ull, ent, (i1 - i0 + 1) * 8ull))
        return;
    for (i = i0; i <= i1; i++) {
        uint64_t e = ent[i - i0], eb = base + i * span, el = eb + span - 1;

        if (!PRESENT(e))
            continue;
        if (lvl == 1 || (e & SL_PS)) {
            /* Linux intel_iommu_unmap: a large leaf goes as a whole */
            wr64(vd, t + i * 8ull, 0);
            vd->vu->u->plat->guest_unmap(e & ADDR_MASK & ~(span - 1), span);
            c->unmapped += span;
            if (eb < c->lo)
                c->lo = eb;
            if (el + 1 > c->hi || el + 1 == 0)
                c->hi = el + 1;
            continue;
        }
        unmap_lvl(vd, e & ADDR_MASK, lvl - 1, eb, s > eb ? s : eb, last < el ? last : el, c);
        if (s <= eb && el <= last) {
            wr64(vd, t + i * 8ull, 0);
            mfd_pt_fl_add(&c->fl, e & ADDR_MASK);
        }
    }
}

static uint64_t top_last(struct vtd_domain *vd)
{
    unsigned sh = lvl_shift(vd->levels) + 9;

    return sh >= 64 ? UINT64_MAX : (1ull << sh) - 1;
}

static uint64_t vtd_unmap(struct mfd_domain *d, uint64_t iova, uint64_t len)
{
    struct vtd_domain *vd = to_vtd(d);
    struct unmap_ctx c = { .lo = UINT64_MAX };
    uint64_t last;

    if (!len || iova > top_last(vd))
        return 0;
    last = mfd_pt_clip_last(iova, len, top_last(vd));
    unmap_lvl(vd, vd->pgd, vd->levels, 0, iova, last, &c);
    if (c.unmapped) {
        pthread_mutex_lock(&vd->vu->lock);
        vtd_flush_iotlb_psi(vd->vu, vd->did, c.lo, c.hi - c.lo);
        pthread_mutex_unlock(&vd->vu->lock);
    } else if (c.fl.n) {
        pthread_mutex_lock(&vd->vu->lock);
        vtd_flush_iotlb_dsi(vd->vu, vd->did);
        pthread_mutex_unlock(&vd->vu->lock);
    }
    mfd_pt_fl_release(&c.fl, vd->vu->u->plat);
    return c.unmapped;
}

static int vtd_map(struct mfd_domain *d, uint64_t iova, uint64_t paddr, uint64_t len,
                   unsigned prot)
{
    struct vtd_domain *vd = to_vtd(d);
    const struct mfd_platform_ops *p = vd->vu->u->plat;
    unsigned sllps = CAP_SLLPS(vd->vu->cap);
    uint64_t pos = 0, perm = 0;
    int rc;

    if (!len)
        return 0;
    if ((iova | paddr | len) & 4095)
        return -EINVAL;
    if (iova + len - 1 < iova || iova + len - 1 > d->aperture_end)
        return -EINVAL;
    if (prot & MFD_PROT_READ)
        perm |= SL_R;
    if (prot & MFD_PROT_WRITE)
        perm |= SL_W;
    /* force snooping (set_pte_snp): SNP, bit 11 of a second-stage leaf,
     * legal with ECAP.SC (VT-d spec 9.8; vtd.md §3) */
    if (d->enforce_cache_coherency)
        perm |= 1ull << 11;
    rc = p->guest_map(paddr, len);
    if (rc)
        return rc;
    while (pos < len) {
        uint64_t va = iova + pos, pa = paddr + pos, left = len - pos, size = 4096;
        unsigned lvl = 1, l;

        /* the largest leaf alignment, length, HUGE_PAGES and CAP.SLLPS allow */
        for (l = 3; l >= 2 && d->allow_huge; l--) {
            uint64_t sz = 1ull << lvl_shift(l);

            if ((sllps & (1u << (l - 2))) && !((va | pa) & (sz - 1)) && left >= sz &&
                l <= vd->levels) {
                lvl = l;
                size = sz;
                break;
            }
        }
        rc = set_leaf(vd, va, lvl, pa | perm | (lvl > 1 ? SL_PS : 0));
        if (rc)
            goto undo;
        pos += size;
    }
    /* not-present -> present needs a flush only in caching mode */
    if (vd->vu->cap & CAP_CM) {
        pthread_mutex_lock(&vd->vu->lock);
        vtd_flush_iotlb_psi(vd->vu, vd->did, iova, len);
        pthread_mutex_unlock(&vd->vu->lock);
    }
    return 0;
undo:
    if (pos) {
        /* vtd_unmap releases the guest pages of the leaves it clears */
        uint64_t done = vtd_unmap(d, iova, pos);

        if (done < len)
            p->guest_unmap(paddr + done, len - done);
    } else {
        p->guest_unmap(paddr, len);
    }
    return rc;
}

/* Free every table below t (leaves still present are released too). */
static void free_lvl(struct vtd_domain *vd, uint64_t t, unsigned lvl)
{
    uint64_t ent[512];
    unsigned i;

    if (!emu_mem_read(mem(vd), t, ent, sizeof(ent))) {
        for (i = 0; i < 512; i++) {
            uint64_t e = ent[i];

            if (!PRESENT(e))
                continue;
            if (lvl == 1 || (e & SL_PS))
                vd->vu->u->plat->guest_unmap(e & ADDR_MASK & ~((1ull << lvl_shift(lvl)) - 1),
                                             1ull << lvl_shift(lvl));
            else
                free_lvl(vd, e & ADDR_MASK, lvl - 1);
        }
    }
    vd->vu->u->plat->table_free(t, 4096);
}

static void vtd_free(struct mfd_domain *d)
{
    struct vtd_domain *vd = to_vtd(d);

    /* The core detached every device first; drop anything the hardware
     * might still cache for this DID before its tables go back to the pool. */
    pthread_mutex_lock(&vd->vu->lock);
    vtd_flush_iotlb_dsi(vd->vu, vd->did);
    pthread_mutex_unlock(&vd->vu->lock);
    free_lvl(vd, vd->pgd, vd->levels);
    vtd_did_free(vd->vu, vd->did);
    free(vd);
}

static int vtd_set_dirty_tracking(struct mfd_domain *d, bool enable)
{
    struct vtd_domain *vd = to_vtd(d);
    bool old = vd->dirty_tracking;
    int rc;

    /* intel_iommu_set_dirty_tracking: no-op when already in that state */
    if (old == enable)
        return 0;
    /* new attachments pick SSADE up from the domain (vtd_ctx.c) */
    vd->dirty_tracking = enable;
    rc = vtd_for_each_binding_ssade(vd, enable);
    if (rc)
        vd->dirty_tracking = old;
    return rc;
}

struct dirty_ctx {
    unsigned flags;
    struct mfd_dirty_bitmap *bm;
    uint64_t s, last;           /* requested range */
};

static void dirty_lvl(struct vtd_domain *vd, uint64_t t, unsigned lvl, uint64_t base,
                      uint64_t s, uint64_t last, struct dirty_ctx *c)
{
    uint64_t span = 1ull << lvl_shift(lvl), buf[512];
    unsigned i0 = (unsigned)((s - base) >> lvl_shift(lvl));
    unsigned i1 = (unsigned)((last - base) >> lvl_shift(lvl)), i;
    const uint64_t *tp = vd->vu->u->plat->table_ptr ? vd->vu->u->plat->table_ptr(t) : NULL;
    const uint64_t *ent;

    if (tp) {
        ent = tp + i0;
    } else {
        if (emu_mem_read(mem(vd), t + i0 * 8ull, buf, (i1 - i0 + 1) * 8ull))
            return;
        ent = buf;
    }
    if (lvl == 1) {
        /* fast path: a table with no D bit at all costs one pass of loads */
        uint64_t acc = 0, a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        unsigned n = i1 - i0 + 1;

        /* four independent accumulators: the loads are not serialised
         * behind one OR chain (relaxed atomic loads do not vectorise) */
        for (i = 0; i + 4 <= n; i += 4) {
            a0 |= __atomic_load_n(&ent[i], __ATOMIC_RELAXED);
            a1 |= __atomic_load_n(&ent[i + 1], __ATOMIC_RELAXED);
            a2 |= __atomic_load_n(&ent[i + 2], __ATOMIC_RELAXED);
            a3 |= __atomic_load_n(&ent[i + 3], __ATOMIC_RELAXED);
        }
        for (; i < n; i++)
            acc |= __atomic_load_n(&ent[i], __ATOMIC_RELAXED);
        if (!((acc | a0 | a1 | a2 | a3) & SL_D))
            return;
    }
    for (i = i0; i <= i1; i++) {
        uint64_t e = __atomic_load_n(&ent[i - i0], __ATOMIC_RELAXED), eb = base + i * span,
                 el = eb + span - 1;

        if (!PRESENT(e))
            continue;
        if (lvl == 1 || (e & SL_PS)) {
            if (!(e & SL_D))
                continue;
            if (!(c->flags & MFD_DIRTY_NO_CLEAR)) {
                /* atomic test-and-clear of D (vtd.md §7.4): retry if the
                 * hardware set A/D meanwhile; stop if the leaf changed */
                uint64_t exp = e;

                while (exp & SL_D) {
                    int r = emu_mem_cmpxchg64(mem(vd), t + i * 8ull, &exp, exp & ~SL_D);

                    if (r != 0)
                        break;
                }
            }
            /* The whole leaf, every bit it covers: the bitmap engine clips
             * to the user's range and carries bits past the current window
             * to the next one (a huge leaf straddling windows, §9). */
            mfd_dirty_record(c->bm, eb, span);
            continue;
        }
        dirty_lvl(vd, e & ADDR_MASK, lvl - 1, eb, s > eb ? s : eb, last < el ? last : el, c);
    }
}

static int vtd_read_and_clear_dirty(struct mfd_domain *d, uint64_t iova, uint64_t len,
                                    unsigned flags, struct mfd_dirty_bitmap *bm)
{
    struct vtd_domain *vd = to_vtd(d);
    struct dirty_ctx c = { .flags = flags, .bm = bm, .s = iova };

    /* intel: "dirty tracking is off but a bitmap was given" is -EINVAL;
     * with no bitmap the call only clears stale D bits */
    if (!vd->dirty_tracking && bm)
        return -EINVAL;
    if (!len || iova > top_last(vd))
        return 0;
    c.last = mfd_pt_clip_last(iova, len, top_last(vd));
    dirty_lvl(vd, vd->pgd, vd->levels, 0, iova, c.last, &c);
    return 0;
}

const struct mfd_domain_ops vtd_domain_ops = {
    .map = vtd_map,
    .unmap = vtd_unmap,
    .free = vtd_free,
};

const struct mfd_domain_ops vtd_domain_dirty_ops = {
    .map = vtd_map,
    .unmap = vtd_unmap,
    .free = vtd_free,
    .set_dirty_tracking = vtd_set_dirty_tracking,
    .read_and_clear_dirty = vtd_read_and_clear_dirty,
};
