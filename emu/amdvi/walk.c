/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi DMA translation (amdvi.md §4, §5, §8): DTE lookup, IOTLB, the v1
 * (host) and v2 (guest, GCR3) page-table walks, host/guest A/D updates done
 * atomically, permission checks and IO_PAGE_FAULT / hardware-error events.
 */
#include "amdvi.h"

struct walk_ctx {
    struct emu_iommu *iommu;
    struct amdvi_dte_slot *slot;
    const struct amdvi_dte *d;
    uint16_t devid;
    uint32_t pasid;        /* request PASID or EMU_NO_PASID */
    uint32_t tag;          /* IOTLB pasid tag */
    bool gn;               /* guest translation of a PASID request (event GN) */
    bool write;
    uint64_t iova;
    struct emu_fault *fault;
};

/* §7.3 IO_PAGE_FAULT: 47:32 DomainID, or PASID with GN=1; flags PR/PE/RZ/RW.
 * DTE.SE suppresses all of them for the device, DTE.SA repeats for the same
 * address (§7.1); *fault is filled either way. */
static int page_fault(struct walk_ctx *c, uint64_t flags)
{
    const struct amdvi_dte *d = c->d;
    uint32_t id = c->gn ? c->pasid : d->domid;
    flags |= (c->write ? EVF_RW : 0) | (c->gn ? EVF_GN : 0);
    uint64_t q0 = amdvi_evt_q0(AMDVI_EVT_IO_PAGE_FAULT, c->devid, id, flags);
    bool log = !d->se;
    if (log && d->sa && c->slot->has_last_fault && c->slot->last_fault == c->iova)
        log = false;
    if (log) {
        c->slot->has_last_fault = true;
        c->slot->last_fault = c->iova;
    }
    return amdvi_raise(c->iommu, c->fault, AMDVI_EVT_IO_PAGE_FAULT, c->devid, c->pasid, c->iova,
                       c->write, q0, c->iova, log);
}

/* §7.3 PAGE_TAB_HARDWARE_ERROR: a table read outside memory (master abort);
 * the address is the SPA of the entry. */
static int pt_error(struct walk_ctx *c, uint64_t gpa)
{
    uint32_t id = c->gn ? c->pasid : c->d->domid;
    uint64_t flags = EVF_TYPE_MASTER_ABORT | (c->write ? EVF_RW : 0) | (c->gn ? EVF_GN : 0);
    uint64_t q0 = amdvi_evt_q0(AMDVI_EVT_PAGE_TAB_HW_ERR, c->devid, id, flags);
    return amdvi_raise(c->iommu, c->fault, AMDVI_EVT_PAGE_TAB_HW_ERR, c->devid, c->pasid,
                       c->iova, c->write, q0, gpa & ~7ull, true);
}

/*
 * §8.1 (spec 2.2.7.4): set A/D only when needed, with a locked 64-bit
 * read-modify-write: re-read; if the bits are already there nothing is
 * written; if anything else in the entry changed the walk restarts.
 * 0, -EAGAIN (entry changed), -EFAULT (entry no longer in memory).
 */
static int ad_update(struct walk_ctx *c, uint64_t gpa, uint64_t *e, uint64_t bits)
{
    if ((*e & bits) == bits)
        return 0;
    uint64_t seen = *e;
    int rc = emu_mem_cmpxchg64(c->iommu->mem, gpa, &seen, seen | bits);
    if (rc < 0)
        return -EFAULT;
    if (rc == 0) {
        if ((seen ^ *e) & ~(PTE_A | PTE_D))
            return -EAGAIN;
        uint64_t want = seen | bits;
        if (seen != want) {
            rc = emu_mem_cmpxchg64(c->iommu->mem, gpa, &seen, want);
            if (rc != 1)
                return rc < 0 ? -EFAULT : -EAGAIN;
        }
        seen = want;
    } else {
        seen |= bits;
    }
    uint64_t added = seen & ~*e & (PTE_A | PTE_D);
    *e = seen;
    if (added && emu_tracing(c->iommu)) {
        struct emu_trace_rec r = {.kind = EMU_TRACE_AD_UPDATE, .a = gpa, .b = seen,
                                  .width = 8, .rid = c->devid, .pasid = c->pasid,
                                  .what = added == (PTE_A | PTE_D) ? "AD"
                                          : added == PTE_A        ? "A"
                                                                  : "D"};
        emu_trace(c->iommu, &r);
    }
    return 0;
}

static const char *const v1_names[7] = {"", "v1 L1", "v1 L2", "v1 L3", "v1 L4", "v1 L5", "v1 L6"};
static const char *const v2_names[6] = {"", "v2 L1", "v2 L2", "v2 L3", "v2 L4", "v2 L5"};
static const char *const gcr3_names[4] = {"", "GCR3 L1", "GCR3 L2", "GCR3 L3"};

static unsigned perm_of(uint64_t e)
{
    return ((e & PTE_IR) ? EMU_PERM_R : 0) | ((e & PTE_IW) ? EMU_PERM_W : 0);
}

/* The translation a leaf PTE gives (§5.3 / §5.4 alike): its page frame,
 * aligned down to the page size 2^shift (a NextLevel-7 page may reach
 * 2^63; shift 64 covers everything), plus the offset of iova inside it.
 * write_ok: a cached copy lets writes through without a walk (§8.1). */
static void leaf_out(struct emu_xlate *x, uint64_t e, uint64_t iova, unsigned shift,
                     unsigned perm, bool write_ok, bool *dirty)
{
    uint64_t size_m1 = shift >= 64 ? ~0ull : (1ull << shift) - 1;

    x->out = ((e & PTE_ADDR_MASK) & ~size_m1) | (iova & size_m1);
    x->shift = (uint8_t)shift;
    x->perm = (uint8_t)perm;
    *dirty = write_ok;
}

/* §5.3: the v1 (host) walk from DTE.Mode down to a leaf. */
static int walk_v1(struct walk_ctx *c, struct emu_xlate *x, bool *dirty, uint64_t *leaf_gpa)
{
    const struct amdvi_dte *d = c->d;
    const uint64_t iova = c->iova;
    unsigned level = d->mode;
    /* §5.1: IOVA bits above the root level's range fault. */
    if (level < 6 && (iova >> (12 + 9 * level)))
        return page_fault(c, 0);
    const bool ha = d->had != 0, hd = d->had == 3;
    const unsigned need = c->write ? EMU_PERM_W : EMU_PERM_R;
    unsigned perm = (d->ir ? EMU_PERM_R : 0) | (d->iw ? EMU_PERM_W : 0);
    uint64_t table = d->root;
    for (;;) {
        unsigned sh = 12 + 9 * (level - 1);
        uint64_t gpa = table + ((iova >> sh) & 0x1FF) * 8;
        uint64_t e;
        if (emu_fetch(c->iommu, v1_names[level], gpa, &e, 8))
            return pt_error(c, gpa);                      /* step 2 */
        if (!(e & PTE_PR))
            return page_fault(c, 0);                      /* step 3 */
        unsigned nl = (unsigned)emu_bits(e, 11, 9);
        bool leaf = nl == 0 || nl == 7;
        unsigned pshift = sh;
        if (e & (leaf ? PTE_RSVD_MASK : PDE_RSVD_MASK))
            return page_fault(c, EVF_PR | EVF_RZ);        /* step 5 */
        if (!leaf) {
            /* Step 4: NextLevel must be below the current level; skipped
             * levels need their IOVA index bits to be 0. QEMU ignores
             * NextLevel and always descends one level (§9 item 20). */
            if (nl >= level)
                return page_fault(c, EVF_PR | EVF_RZ);
            if (nl < level - 1 && emu_bits(iova, sh - 1, 12 + 9 * nl))
                return page_fault(c, EVF_PR);
        } else if (nl == 7) {
            /* Step 8: size from the trailing ones of the address; VBox
             * requires default(L) < size < default(L+1). */
            pshift = amdvi_nl7_shift(e);
            if (pshift <= sh || pshift >= sh + 9)
                return page_fault(c, EVF_PR | EVF_RZ);
        }
        perm &= perm_of(e);                               /* step 6, per level */
        if ((perm & need) != need)
            return page_fault(c, EVF_PR | EVF_PE);
        if (ha) {                                         /* step 9, §8.1 */
            uint64_t bits = PTE_A | ((leaf && hd && c->write) ? PTE_D : 0);
            int rc = ad_update(c, gpa, &e, bits);
            if (rc == -EAGAIN)
                return rc;
            if (rc)
                return pt_error(c, gpa);
        }
        if (leaf) {
            /* A cached translation lets writes through without a walk only if
             * D is already set or dirty tracking is off (§8.1). */
            leaf_out(x, e, iova, pshift, perm, !hd || (e & PTE_D), dirty);
            *leaf_gpa = gpa;
            return 0;
        }
        table = e & PTE_ADDR_MASK;
        level = nl;
    }
}

/* §5.4: GCR3 table (1-3 levels per DTE.GLX, indexed by PASID) then an
 * x86-64 style 4/5-level table with A/D set by the IOMMU. */
static int walk_v2(struct walk_ctx *c, struct emu_xlate *x, bool *dirty, uint64_t *leaf_gpa)
{
    const struct amdvi_dte *d = c->d;
    struct amdvi *s = AMDVI(c->iommu);
    const uint64_t iova = c->iova;
    const uint32_t pasid = c->tag;
    unsigned glv = d->glx + 1u;
    if ((uint64_t)pasid >> (9 * glv))
        return page_fault(c, 0);
    uint64_t t = d->gcr3;
    for (unsigned l = glv; l >= 1; l--) {
        uint64_t gpa = t + ((pasid >> (9 * (l - 1))) & 0x1FF) * 8;
        uint64_t e;
        if (emu_fetch(c->iommu, gcr3_names[l], gpa, &e, 8))
            return pt_error(c, gpa);
        if (!(e & 1))
            return page_fault(c, 0);
        if (e & emu_mask(63, 52))
            return page_fault(c, EVF_PR | EVF_RZ);
        t = e & PTE_ADDR_MASK;
    }
    unsigned levels = d->gpt_levels;
    unsigned top = 12 + 9 * levels - 1;                   /* 47 or 56 */
    uint64_t hi = iova >> top;
    if (hi != 0 && hi != (~0ull >> top))                  /* non-canonical */
        return page_fault(c, 0);
    const bool gd = !(s->ctrl & CTRL_GDUPD_DIS);
    unsigned perm = EMU_PERM_R | EMU_PERM_W;
    for (unsigned l = levels;; l--) {
        unsigned sh = 12 + 9 * (l - 1);
        uint64_t gpa = t + ((iova >> sh) & 0x1FF) * 8;
        uint64_t e;
        if (emu_fetch(c->iommu, v2_names[l], gpa, &e, 8))
            return pt_error(c, gpa);
        if (!(e & 1))
            return page_fault(c, 0);
        bool ps = (e >> 7) & 1;
        bool leaf = l == 1 || (ps && l <= 3);
        if ((ps && l >= 4) || ((e >> 63) && !(s->efr & EFR_NXSUP)) ||
            (leaf && l > 1 && emu_bits(e, sh - 1, 13)))
            return page_fault(c, EVF_PR | EVF_RZ);
        if (!(e & 2))
            perm &= ~EMU_PERM_W;
        if (c->write && !(perm & EMU_PERM_W))
            return page_fault(c, EVF_PR | EVF_PE);
        uint64_t bits = PTE_A | ((leaf && c->write && gd) ? PTE_D : 0);
        int rc = ad_update(c, gpa, &e, bits);
        if (rc == -EAGAIN)
            return rc;
        if (rc)
            return pt_error(c, gpa);
        if (leaf) {
            leaf_out(x, e, iova, sh, perm, !gd || (e & PTE_D), dirty);
            *leaf_gpa = gpa;
            return 0;
        }
        t = e & PTE_ADDR_MASK;
    }
}

static int identity(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
                    unsigned perm, struct emu_xlate *x, const char *why)
{
    x->out = iova;
    x->shift = 12;
    x->perm = (uint8_t)perm;
    (void)iommu, (void)rid, (void)pasid, (void)why;  /* the core traces TRANSLATE */
    return 0;
}

int amdvi_translate(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
                    bool write, struct emu_xlate *x, struct emu_fault *fault)
{
    struct amdvi *s = AMDVI(iommu);
    const unsigned rw = EMU_PERM_R | EMU_PERM_W;
    /* DeviceID is 16 bits (§4); higher requester-ID bits are not part of it. */
    uint16_t devid = (uint16_t)rid;
    /* §3.1: IommuEn=0 passes DMA through untranslated. §4.3: the MSI window
     * is never DMA-translated (interrupt remapping is not modelled, so such
     * requests go through untranslated, as QEMU's interrupt region would
     * receive them). */
    if (!(s->ctrl & CTRL_IOMMU_EN))
        return identity(iommu, devid, pasid, iova, rw, x, "disabled");
    if ((iova >> 20) == 0xFEE)
        return identity(iommu, devid, pasid, iova, rw, x, "interrupt window");

    struct amdvi_dte_slot *slot;
    int rc = amdvi_get_dte(iommu, devid, write, iova, pasid, &slot, fault);
    if (rc)
        return rc;
    const struct amdvi_dte *d = &slot->dte;
    /* §4.1: V=0: no translation, full access, no event. */
    if (!d->v)
        return identity(iommu, devid, pasid, iova, rw, x, "DTE.V=0");
    bool has_pasid = pasid != EMU_NO_PASID;
    if (d->illegal) {
        uint64_t q0 = amdvi_evt_q0(AMDVI_EVT_ILLEGAL_DTE, devid, has_pasid ? pasid : 0,
                                   EVF_RZ | (write ? EVF_RW : 0) | (has_pasid ? EVF_GN : 0));
        return amdvi_raise(iommu, fault, AMDVI_EVT_ILLEGAL_DTE, devid, pasid, iova, write, q0,
                           iova & ~3ull, true);
    }
    /* §1.2 exclusion range: requests of devices with DTE.EX (or all with
     * Allow) inside [base, limit | 0xFFF] bypass translation. */
    uint64_t exb = s->excl_base;
    if (__builtin_expect(exb & 1, 0) && (d->ex || (exb & 2)) && !has_pasid) {
        if (iova >= (exb & PTE_ADDR_MASK) && iova <= s->excl_limit)
            return identity(iommu, devid, pasid, iova, rw, x, "exclusion range");
    }
    struct walk_ctx c = {.iommu = iommu, .slot = slot, .d = d, .devid = devid, .pasid = pasid,
                         .tag = AMDVI_TLB_NOPASID, .write = write, .iova = iova,
                         .fault = fault};
    /* §4.1: V=1,TV=0: no usable root; the request is terminated (VBox logs
     * IO_PAGE_FAULT; QEMU blocks it silently). */
    if (!d->tv)
        return page_fault(&c, 0);
    bool gt = d->gv && (s->ctrl & CTRL_GT_EN);
    bool v2 = false;
    if (has_pasid && gt) {
        /* PASIDs wider than EFR.PASmax+1 bits are not accepted. */
        unsigned pw = (unsigned)emu_bits(s->efr, 36, 32) + 1;
        c.gn = true;
        c.tag = pasid;
        if (pw < 32 && (pasid >> pw))
            return page_fault(&c, 0);
        v2 = true;
    } else if (!has_pasid && gt && d->giov) {
        c.tag = 0;   /* §4.1 GIoV: requests without PASID use the PASID 0 table */
        v2 = true;
    }
    /* A PASID request to a device without guest translation is translated
     * by the host table, the PASID being ignored (docs/amdvi.md). */
    const unsigned need = write ? EMU_PERM_W : EMU_PERM_R;
    if (!v2) {
        unsigned perm = (d->ir ? EMU_PERM_R : 0) | (d->iw ? EMU_PERM_W : 0);
        if (d->mode == 0) {
            /* §4.1 Mode 0: IOVA = SPA, DTE.IR/IW still checked. */
            if ((perm & need) != need)
                return page_fault(&c, EVF_PR | EVF_PE);
            return identity(iommu, devid, pasid, iova, perm, x, "Mode 0");
        }
        /* Mode above HATS+4: VBox raises IO_PAGE_FAULT (§4.5). */
        if (d->mode > emu_bits(s->efr, 11, 10) + 4)
            return page_fault(&c, 0);
    }
    struct emu_tlb_entry *te = emu_iotlb_lookup(s->tlb, devid, d->domid, c.tag, iova);
    if (te && (te->perm & need) == need && (!write || te->dirty)) {
        uint64_t m = (te->shift >= 64) ? ~0ull : (1ull << te->shift) - 1;
        x->out = te->out | (iova & m);
        x->shift = te->shift;
        x->perm = te->perm;
        return 0;
    }
    bool dirty = false;
    uint64_t leaf_gpa = 0;
    for (int tries = 0;; tries++) {
        rc = v2 ? walk_v2(&c, x, &dirty, &leaf_gpa) : walk_v1(&c, x, &dirty, &leaf_gpa);
        if (rc != -EAGAIN)
            break;
        if (tries >= 16)
            return pt_error(&c, leaf_gpa);
    }
    if (rc)
        return rc;
    uint64_t m = (x->shift >= 64) ? ~0ull : (1ull << x->shift) - 1;
    struct emu_tlb_entry ne = {.iova = iova & ~m, .out = x->out & ~m, .leaf_gpa = leaf_gpa,
                               .sid = devid, .domain = d->domid, .pasid = c.tag,
                               .shift = x->shift, .perm = x->perm, .dirty = dirty,
                               .valid = true, .user = v2};
    emu_iotlb_insert(s->tlb, &ne);
    return 0;
}
