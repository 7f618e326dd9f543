/* SPDX-License-Identifier: MIT */
/*
 * VT-d root / context / PASID-directory / PASID-table lookup and validation
 * (vtd.md §4.1-4.5, §4.8; VT-d spec §3.4-3.6, §9.1-9.6), and the combined
 * context/PASID-entry cache that software invalidates with CCMD or the
 * context-cache / PASID-cache descriptors (VT-d spec §6.2.1-6.2.2).
 */
#include <string.h>

#include "vtd.h"

static inline uint32_t cc_hash(uint16_t rid, uint32_t pasid)
{
    uint32_t h = (uint32_t)rid * 0x9e3779b1u ^ (pasid * 0x85ebca6bu);
    return (h >> 24) & (VTD_CC_SIZE - 1);
}

struct vtd_ctx *vtd_cc_find(struct vtd *v, uint16_t rid, uint32_t pasid)
{
    struct vtd_ctx *c = &v->cc[cc_hash(rid, pasid)];
    return (c->valid && c->rid == rid && c->req_pasid == pasid) ? c : NULL;
}

void vtd_cc_insert(struct vtd *v, const struct vtd_ctx *c)
{
    v->cc[cc_hash(c->rid, c->req_pasid)] = *c;
}

void vtd_cc_inval_all(struct vtd *v)
{
    for (unsigned i = 0; i < VTD_CC_SIZE; i++)
        v->cc[i].valid = false;
}

void vtd_cc_inval_did(struct vtd *v, uint16_t did, bool scalable_only)
{
    for (unsigned i = 0; i < VTD_CC_SIZE; i++)
        if (v->cc[i].valid && v->cc[i].did == did && (!scalable_only || v->cc[i].scalable))
            v->cc[i].valid = false;
}

void vtd_cc_inval_sid(struct vtd *v, uint16_t sid, uint16_t mask)
{
    for (unsigned i = 0; i < VTD_CC_SIZE; i++)
        if (v->cc[i].valid && ((v->cc[i].rid ^ sid) & mask) == 0)
            v->cc[i].valid = false;
}

void vtd_cc_inval_pasid(struct vtd *v, uint16_t did, uint32_t pasid)
{
    for (unsigned i = 0; i < VTD_CC_SIZE; i++)
        if (v->cc[i].valid && v->cc[i].scalable && v->cc[i].did == did && v->cc[i].pasid == pasid)
            v->cc[i].valid = false;
}

static int fail(struct vtd_err *e, uint32_t reason, bool qualified)
{
    e->reason = reason;
    e->qualified = qualified;
    return -EFAULT;
}

/* SAGAW bit for an AW encoding: 1 = 39-bit (3-level), 2 = 48, 3 = 57. */
static bool aw_supported(const struct vtd *v, unsigned aw)
{
    return aw >= 1 && aw <= 3 && (CAP_SAGAW(v->cap) & (1u << aw));
}

/* Legacy mode: RTADDR.TTM = 00 (VT-d spec §3.4.2, §9.1, §9.3). */
static int lookup_legacy(struct emu_iommu *iommu, uint16_t rid, uint32_t pasid,
                         struct vtd_ctx *c, struct vtd_err *e)
{
    struct vtd *v = VTD(iommu);
    uint64_t re[2], ce[2];
    if (pasid != EMU_NO_PASID)
        /* Requests-with-PASID have no translation in legacy mode; QEMU reports
         * them with VTD_FR_RTADDR_INV_TTM (vtd.md §6.4, [S?]). */
        return fail(e, FR_PASID_IN_LEGACY, false);
    if (emu_fetch(iommu, "root entry", v->root + (uint64_t)(rid >> 8) * 16, re, 16))
        return fail(e, FR_ROOT_ACCESS, false);
    if (!(re[0] & 1))
        return fail(e, FR_ROOT_NP, false);
    if ((re[0] & (0xffeull | v->haw_mask)) || re[1])
        return fail(e, FR_ROOT_RSVD, false);
    if (emu_fetch(iommu, "context entry", (re[0] & ~0xfffull) + (uint64_t)(rid & 0xff) * 16, ce, 16))
        return fail(e, FR_CTX_ACCESS, false);
    /* VT-d spec §9.3: FPD is evaluated whatever the P bit says. */
    e->fpd = ce[0] & 2;
    if (!(ce[0] & 1))
        return fail(e, FR_CTX_NP, true);
    if ((ce[0] & (0xff0ull | v->haw_mask)) || (ce[1] & 0xffffffffff000080ull))
        return fail(e, FR_CTX_RSVD, true);
    unsigned tt = (ce[0] >> 2) & 3;
    c->mode = VTD_M_SS;
    if (tt == 3 || (tt == 1 && !(v->ecap & ECAP_DT)) || (tt == 2 && !(v->ecap & ECAP_PT)))
        return fail(e, FR_CTX_INV, true);
    if (tt == 2) {
        c->mode = VTD_M_PT;
    } else {
        unsigned aw = ce[1] & 7;
        if (!aw_supported(v, aw))
            return fail(e, FR_CTX_INV, true);
        c->levels = (uint8_t)(aw + 2);
    }
    c->scalable = false;
    c->fpd = e->fpd;
    c->ad = false;             /* no A/D in legacy mode (vtd.md §7.3) */
    c->snooped = true;
    c->did = (uint16_t)(ce[1] >> 8);
    c->pasid = VTD_LEGACY_PASID_TAG;
    c->ptptr = ce[0] & ~0xfffull & ~v->haw_mask;
    return 0;
}

/* Scalable mode: RTADDR.TTM = 01 (VT-d spec §3.4.3, §9.2, §9.4-9.6). */
static int lookup_scalable(struct emu_iommu *iommu, uint16_t rid, uint32_t pasid,
                           struct vtd_ctx *c, struct vtd_err *e)
{
    struct vtd *v = VTD(iommu);
    uint64_t re[2], ce[4], pde, pe[8];
    unsigned devfn = rid & 0xff;
    if (emu_fetch(iommu, "sm root entry", v->root + (uint64_t)(rid >> 8) * 16, re, 16))
        return fail(e, FR_SRT_ACCESS, false);
    uint64_t half = re[devfn >= 128];
    if (!(half & 1))
        return fail(e, FR_SRT_NP, false);
    if (half & (0xffeull | v->haw_mask))
        return fail(e, FR_SRT_RSVD, false);
    if (emu_fetch(iommu, "sm context entry", (half & ~0xfffull) + (uint64_t)(devfn & 0x7f) * 32, ce, 32))
        return fail(e, FR_SCT_ACCESS, false);
    e->fpd = ce[0] & 2;
    if (!(ce[0] & 1))
        return fail(e, FR_SCT_NP, true);
    uint64_t rsv0 = 0x1e0ull | v->haw_mask, rsv1 = ~0x1fffffull;
    if (!(v->ecap & ECAP_DT))
        rsv0 |= 1ull << 2;           /* DTE */
    if (!(v->ecap & ECAP_PRS))
        rsv0 |= 1ull << 4;           /* PRE */
    if (!(v->ecap & ECAP_PASID))
        rsv0 |= 1ull << 3;           /* PASIDE */
    if (!(v->ecap & ECAP_RPS))
        rsv1 |= 0xfffffull;          /* RID_PASID */
    if (!(v->ecap & ECAP_RPRIVS))
        rsv1 |= 1ull << 20;          /* RID_PRIV */
    if ((ce[0] & rsv0) || (ce[1] & rsv1) || ce[2] || ce[3])
        return fail(e, FR_SCT_RSVD, true);
    uint32_t eff = pasid;
    if (pasid == EMU_NO_PASID) {
        /* Requests without PASID use RID_PASID (0 unless ECAP.RPS). */
        eff = (v->ecap & ECAP_RPS) ? (uint32_t)(ce[1] & 0xfffff) : 0;
    } else {
        e->pasid_known = true;
        e->pasid = pasid;
        /* A request-with-PASID needs PASIDE ([S?] reason code SCT.4). */
        if (!(ce[0] & 8))
            return fail(e, FR_SCT_INV, true);
    }
    unsigned pdts = (ce[0] >> 9) & 7;
    if ((eff >> 6) >= (1u << (pdts + 7)))
        return fail(e, FR_SCT_INV, true);     /* PASID beyond the directory (vtd.md §6.4) */
    if (emu_fetch(iommu, "pasid dir entry", (ce[0] & ~0xfffull) + (uint64_t)(eff >> 6) * 8, &pde, 8))
        return fail(e, FR_SPD_ACCESS, false);
    e->fpd |= pde & 2;
    if (!(pde & 1))
        return fail(e, FR_SPD_NP, true);
    if (pde & (0xffcull | v->haw_mask))
        return fail(e, FR_SPD_RSVD, true);
    if (emu_fetch(iommu, "pasid entry", (pde & ~0xfffull) + (uint64_t)(eff & 0x3f) * 64, pe, 64))
        return fail(e, FR_SPT_ACCESS, false);
    e->fpd |= pe[0] & 2;
    if (!(pe[0] & 1))
        return fail(e, FR_SPT_NP, true);
    unsigned pgtt = (pe[0] >> 6) & 7;
    uint64_t r0 = (1ull << 5) | (3ull << 10), r1 = 0x7full << 16, r2 = (1ull << 1) | (0xfull << 8);
    if (!(v->ecap & ECAP_SSADS))
        r0 |= 1ull << 9;             /* SSADE needs SSADS */
    if (!(v->ecap & ECAP_MTS))
        r1 |= ~0x1ffffffull;         /* CD, EMTE, EMT, PAT need MTS */
    if (!(v->ecap & ECAP_SRS))
        r2 |= 1ull << 0;             /* SRE */
    if (!(v->ecap & ECAP_EAFS))
        r2 |= 1ull << 7;             /* EAFE */
    if (pgtt == 2 || pgtt == 3)
        r0 |= v->haw_mask;           /* SSPTPTR used */
    if (pgtt == 1 || pgtt == 3)
        r2 |= v->haw_mask;           /* FSPTPTR used */
    if ((pe[0] & r0) || (pe[1] & r1) || (pe[2] & r2) || pe[3] || pe[4] || pe[5] || pe[6] || pe[7])
        return fail(e, FR_SPT_RSVD, true);
    c->did = (uint16_t)pe[1];
    c->scalable = true;
    c->pasid = eff;
    /* PWSNP (bit 87): walks snooped, as needed for A/D updates (vtd.md §7.3). */
    c->snooped = (v->ecap & ECAP_SMPWCS) && (pe[1] & (1ull << 23));
    switch (pgtt) {
    case 1: {                                   /* first-stage only */
        if (!(v->ecap & ECAP_FSTS))
            return fail(e, FR_SPT_INV, true);
        unsigned fspm = (pe[2] >> 2) & 3;
        if (fspm > 1 || (fspm == 1 && !(v->cap & CAP_FL5LP)))
            return fail(e, FR_SPT_INV, true);
        c->mode = VTD_M_FS;
        c->levels = (uint8_t)(4 + fspm);
        c->ad = true;                           /* architectural A/D (vtd.md §4.7) */
        c->ptptr = pe[2] & ~0xfffull & ~v->haw_mask;
        break;
    }
    case 2: {                                   /* second-stage only */
        if (!(v->ecap & ECAP_SSTS))
            return fail(e, FR_SPT_INV, true);
        unsigned aw = (pe[0] >> 2) & 7;
        if (!aw_supported(v, aw))
            return fail(e, FR_SPT_INV, true);
        c->mode = VTD_M_SS;
        c->levels = (uint8_t)(aw + 2);
        c->ad = pe[0] & (1ull << 9);            /* SSADE */
        c->ptptr = pe[0] & ~0xfffull & ~v->haw_mask;
        break;
    }
    case 4:                                     /* pass-through */
        if (!(v->ecap & ECAP_PT))
            return fail(e, FR_SPT_INV, true);
        c->mode = VTD_M_PT;
        c->ad = false;
        break;
    default:                                    /* 011 nested needs ECAP.NEST (not modelled) */
        return fail(e, FR_SPT_INV, true);
    }
    c->fpd = e->fpd;
    return 0;
}

int vtd_lookup_ctx(struct emu_iommu *iommu, uint16_t rid, uint32_t pasid,
                   struct vtd_ctx *c, struct vtd_err *e)
{
    struct vtd *v = VTD(iommu);
    memset(c, 0, sizeof(*c));
    memset(e, 0, sizeof(*e));
    c->rid = rid;
    c->req_pasid = pasid;
    if (pasid != EMU_NO_PASID) {
        e->pasid_known = true;
        e->pasid = pasid;
    }
    int rc;
    if (v->ttm == 0)
        rc = lookup_legacy(iommu, rid, pasid, c, e);
    else if (v->ttm == 1 && (v->ecap & ECAP_SMTS))
        rc = lookup_scalable(iommu, rid, pasid, c, e);
    else
        /* TTM 10b reserved; 11b (abort-DMA) needs ECAP.ADMS, which no profile
         * has; 01b needs SMTS (VT-d spec §11.4.6). */
        rc = fail(e, FR_TTM_INV, false);
    if (rc == 0)
        c->valid = true;
    return rc;
}
