/* SPDX-License-Identifier: MIT */
/*
 * VT-d second-stage and first-stage page walks with accessed/dirty updates
 * (vtd.md §4.6-4.7, §7.3; VT-d spec §3.6-3.7, §9.7-9.8).
 */
#include "vtd.h"

static int fail(struct vtd_err *e, uint32_t reason)
{
    e->reason = reason;
    e->qualified = true;
    return -EFAULT;
}

/* Atomic OR of `bits` into the entry at gpa, as hardware's locked
 * read-modify-write does (VT-d spec §3.7.2: A/D updates are atomic).
 * 0, or -EFAULT if the entry vanished from guest memory. */
static int set_bits(struct emu_iommu *iommu, uint64_t gpa, uint64_t seen, uint64_t bits,
                    uint64_t *now, const char *what)
{
    uint64_t exp = seen;
    for (int i = 0; i < 64; i++) {
        if ((exp & bits) == bits) {
            *now = exp;
            return 0;
        }
        int r = emu_mem_cmpxchg64(iommu->mem, gpa, &exp, exp | bits);
        if (r < 0)
            return -EFAULT;
        if (r == 1) {
            *now = exp | bits;
            if (emu_tracing(iommu)) {
                struct emu_trace_rec rec = { .kind = EMU_TRACE_AD_UPDATE, .a = gpa, .b = *now,
                                             .width = 8, .what = what, .pasid = EMU_NO_PASID };
                emu_trace(iommu, &rec);
            }
            return 0;
        }
    }
    return -EFAULT;   /* pathological contention: report as a failed update */
}

static const char *const ss_names[6] = { "", "sl pte L1", "sl pte L2", "sl pte L3", "sl pte L4", "sl pte L5" };
static const char *const fs_names[6] = { "", "fl pte L1", "fl pte L2", "fl pte L3", "fl pte L4", "fl pte L5" };

/* Second stage (EPT-like format, vtd.md §4.6). */
static int walk_ss(struct emu_iommu *iommu, const struct vtd_ctx *c, uint64_t iova, bool write,
                   struct vtd_walk *w, struct vtd_err *e)
{
    struct vtd *v = VTD(iommu);
    const bool sm = c->scalable;
    unsigned agaw = 30 + 9 * (c->levels - 2);
    unsigned limit = CAP_MGAW(v->cap) + 1 < agaw ? CAP_MGAW(v->cap) + 1 : agaw;
    if (limit < 64 && (iova >> limit))
        return fail(e, sm ? FR_SGN_BEYOND : FR_ADDR_BEYOND);
    /* Bits 51:HAW are reserved in every entry (62:52 and 63 are ignored);
     * SNP (11) is reserved in non-leaf entries, and in leaves unless
     * snoop control or scalable mode (vtd.md §4.6). */
    uint64_t above = v->haw_mask & ((1ull << 52) - 1);
    bool snp_ok = sm || (v->ecap & ECAP_SC);
    unsigned sllps = CAP_SLLPS(v->cap);
    uint64_t table = c->ptptr;
    uint8_t perm = EMU_PERM_R | EMU_PERM_W;
    bool update_ad = sm && c->ad;
    for (unsigned lvl = c->levels; lvl >= 1; lvl--) {
        unsigned shift = 12 + 9 * (lvl - 1);
        uint64_t gpa = table + ((iova >> shift) & 0x1ff) * 8;
        uint64_t pte;
        if (emu_fetch(iommu, ss_names[lvl], gpa, &pte, 8)) {
            if (lvl == c->levels)
                return fail(e, sm ? FR_SS_PTR : FR_CTX_INV);
            return fail(e, sm ? FR_SS_ACCESS : FR_PTE_ACCESS);
        }
        if (!(pte & 3)) {
            /* Legacy mode reports a non-present entry as a permission fault. */
            if (sm)
                return fail(e, FR_SS_NP);
            return fail(e, write ? FR_WRITE : FR_READ);
        }
        /* Bit 7 is PS only above L1: an L1 entry is always a 4 KiB leaf
         * and its bit 7 is ignored (vtd.md §4.6, QEMU's L1 reserved mask). */
        bool ps = lvl > 1 && (pte & (1ull << 7));
        bool leaf = lvl == 1 || ps;
        uint64_t rsv = above;
        if (ps) {
            /* PS is reserved above L3, and at L2/L3 unless SLLPS allows. */
            if (lvl > 3 || !(sllps & (1u << (lvl - 2))))
                return fail(e, sm ? FR_SS_RSVD : FR_PTE_RSVD);
            rsv |= ((1ull << shift) - 1) & ~0xfffull;  /* frame low bits */
        }
        if (!leaf || !snp_ok)
            rsv |= 1ull << 11;
        if (pte & rsv)
            return fail(e, sm ? FR_SS_RSVD : FR_PTE_RSVD);
        if (!(pte & 1))
            perm &= ~EMU_PERM_R;
        if (!(pte & 2))
            perm &= ~EMU_PERM_W;
        bool denied = write ? !(perm & EMU_PERM_W) : !(perm & EMU_PERM_R);
        if (leaf && denied)
            return fail(e, sm ? (write ? FR_SGN_WRITE : FR_SGN_READ) : (write ? FR_WRITE : FR_READ));
        uint64_t now = pte;
        if (update_ad) {
            /* vtd.md §7.3: A on every entry used, D on the leaf of a
             * permitted write; SSS.5 if the walk is not snooped. */
            uint64_t need = 1ull << 8;
            if (leaf && write)
                need |= 1ull << 9;
            if ((pte & need) != need) {
                if (!c->snooped)
                    return fail(e, FR_SS_NOSNOOP);
                if (set_bits(iommu, gpa, pte, need, &now, (need >> 9) ? "AD" : "A"))
                    return fail(e, FR_SS_AD_FAIL);
            }
        }
        if (leaf) {
            uint64_t frame = pte & ((1ull << 52) - 1) & ~((1ull << shift) - 1);
            w->out_base = frame;
            w->shift = (uint8_t)shift;
            w->perm = perm;
            w->leaf_gpa = gpa;
            w->dirty = !update_ad || (now & (1ull << 9));
            return 0;
        }
        table = pte & ((1ull << 52) - 1) & ~0xfffull;
    }
    return fail(e, sm ? FR_SS_RSVD : FR_PTE_RSVD);   /* unreachable: L1 is a leaf */
}

/* First stage (IA-32e paging format, vtd.md §4.7). Requests here are user
 * requests (no PRIV attribute), so U/S must be 1 at every level. */
static int walk_fs(struct emu_iommu *iommu, const struct vtd_ctx *c, uint64_t iova, bool write,
                   struct vtd_walk *w, struct vtd_err *e)
{
    struct vtd *v = VTD(iommu);
    unsigned vbits = c->levels == 5 ? 57 : 48;
    int64_t sx = (int64_t)(iova << (64 - vbits)) >> (64 - vbits);
    if ((uint64_t)sx != iova)
        return fail(e, FR_FS_NONCANON);
    uint64_t above = v->haw_mask & ((1ull << 52) - 1);
    uint64_t table = c->ptptr;
    uint8_t perm = EMU_PERM_R | EMU_PERM_W;
    bool user = true;
    for (unsigned lvl = c->levels; lvl >= 1; lvl--) {
        unsigned shift = 12 + 9 * (lvl - 1);
        uint64_t gpa = table + ((iova >> shift) & 0x1ff) * 8;
        uint64_t pte;
        if (emu_fetch(iommu, fs_names[lvl], gpa, &pte, 8))
            return fail(e, lvl == c->levels ? FR_FS_PTR : FR_FS_ACCESS);
        if (!(pte & 1))
            return fail(e, FR_FS_NP);
        bool ps = (lvl == 2 || lvl == 3) && (pte & (1ull << 7));
        uint64_t rsv = above;
        if (lvl >= 4)
            rsv |= 1ull << 7;                     /* PS reserved in PML4E/PML5E */
        if (ps) {
            if (lvl == 3 && !(v->cap & CAP_FL1GP))
                return fail(e, FR_FS_RSVD);
            rsv |= ((1ull << shift) - 1) & ~0x1fffull;  /* bit 12 is PAT */
        }
        if (pte & rsv)
            return fail(e, FR_FS_RSVD);
        if (!(pte & 2))
            perm &= ~EMU_PERM_W;
        if (!(pte & 4))
            user = false;
        bool leaf = lvl == 1 || ps;
        if (leaf) {
            if (!user)
                return fail(e, FR_FS_PRIV);
            if (write && !(perm & EMU_PERM_W))
                return fail(e, FR_SGN_WRITE);
        }
        /* Architectural A (bit 5) on every level, D (bit 6) on the leaf of a
         * write, atomically (vtd.md §4.7; QEMU does it non-atomically). */
        uint64_t need = 1ull << 5, now = pte;
        if (leaf && write)
            need |= 1ull << 6;
        if ((pte & need) != need &&
            set_bits(iommu, gpa, pte, need, &now, (need >> 6) ? "AD" : "A"))
            return fail(e, FR_FS_AD_FAIL);
        if (leaf) {
            w->out_base = pte & ((1ull << 52) - 1) & ~((1ull << shift) - 1);
            w->shift = (uint8_t)shift;
            w->perm = perm;
            w->leaf_gpa = gpa;
            w->dirty = now & (1ull << 6);
            return 0;
        }
        table = pte & ((1ull << 52) - 1) & ~0xfffull;
    }
    return fail(e, FR_FS_RSVD);
}

int vtd_walk(struct emu_iommu *iommu, const struct vtd_ctx *c, uint64_t iova, bool write,
             struct vtd_walk *w, struct vtd_err *e)
{
    VTD(iommu)->stat_walks++;
    if (c->mode == VTD_M_FS)
        return walk_fs(iommu, c, iova, write, w, e);
    return walk_ss(iommu, c, iova, write, w, e);
}
