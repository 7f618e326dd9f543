/* SPDX-License-Identifier: MIT */
/*
 * VT-d root, context and PASID tables in guest memory, and the attach /
 * detach / dirty-enable sequences of Linux drivers/iommu/intel/pasid.c and
 * iommu.c (vtd.md §4.1-§4.5, §5.2 "Invalidation guidance", §7.2).
 *
 * Scalable mode: root entry halves -> 32-byte context entries (PASIDE, PDTS,
 * PASID directory, RID_PASID = 0) -> PASID directory -> 64-byte PASID entries
 * with PGTT=010b (second stage), AW, DID, SSPTPTR, PWSNP (from ECAP.SMPWC) and
 * SSADE when the domain tracks dirty pages.
 * Legacy mode: 16-byte context entries with TT=00b, AW, DID, SLPTPTR.
 * Caller holds vu->lock for everything here.
 */
#include <errno.h>
#include <string.h>

#include "vtd_priv.h"

#define ADDR_MASK 0x000ffffffffff000ull

static struct emu_mem *mem(struct vtd_unit *vu) { return vu->u->mem; }

static uint64_t rd64(struct vtd_unit *vu, uint64_t gpa)
{
    uint64_t v = 0;

    emu_mem_read64(mem(vu), gpa, &v);
    return v;
}

static void wr64(struct vtd_unit *vu, uint64_t gpa, uint64_t v)
{
    emu_mem_write64(mem(vu), gpa, v);
}

/* The table a present entry at `slot` points to, allocating it if absent
 * (present bit 0 in root halves, PASID-directory entries). */
static uint64_t get_table(struct vtd_unit *vu, uint64_t slot, bool alloc, uint64_t size)
{
    uint64_t e = rd64(vu, slot), t;

    if (e & 1)
        return e & ADDR_MASK;
    if (!alloc)
        return 0;
    t = vu->u->plat->table_alloc(size);
    if (t)
        wr64(vu, slot, t | 1);
    return t;
}

/* gpa of rid's context entry (vtd.md §4.1-4.3). */
static uint64_t context_entry(struct vtd_unit *vu, uint32_t rid, bool alloc)
{
    unsigned bus = (rid >> 8) & 0xff, devfn = rid & 0xff;
    uint64_t root_e = vu->root + bus * 16ull, t;

    if (vu->sm) {
        t = get_table(vu, root_e + (devfn >= 128 ? 8 : 0), alloc, 4096);
        return t ? t + (devfn & 0x7f) * 32ull : 0;
    }
    t = get_table(vu, root_e, alloc, 4096);
    return t ? t + devfn * 16ull : 0;
}

/* Scalable mode: make rid's context entry present with its PASID directory. */
static int sm_context_setup(struct vtd_unit *vu, uint32_t rid, uint64_t *ctx)
{
    uint64_t ce = context_entry(vu, rid, true), q0, dir;

    if (!ce)
        return -ENOMEM;
    *ctx = ce;
    q0 = rd64(vu, ce);
    if (q0 & 1)
        return 0;
    dir = vu->u->plat->table_alloc(vu->pasid_dir_size);
    if (!dir)
        return -ENOMEM;
    /* qword 1: RID_PASID 83:64 = 0 (IOMMU_NO_PASID); qwords 2,3 zero */
    wr64(vu, ce + 8, 0);
    wr64(vu, ce + 16, 0);
    wr64(vu, ce + 24, 0);
    /* P | PASIDE (when PASIDs are supported) | PDTS 11:9 | PASIDDIRPTR */
    wr64(vu, ce, dir | ((uint64_t)vu->pdts << 9) | (vu->pasid_bits ? (1ull << 3) : 0) | 1);
    /* Linux context_entry_set_pasid_table + caching-mode flushes: the
     * entry went not-present -> present, so only caching mode needs them */
    if (vu->cap & CAP_CM)
        return vtd_flush_context_dev(vu, 0, (uint16_t)rid);
    return 0;
}

static uint64_t pasid_entry(struct vtd_unit *vu, uint64_t ctx, uint32_t pasid, bool alloc)
{
    uint64_t dir = rd64(vu, ctx) & ADDR_MASK, t;

    if (!dir || (pasid >> 6) * 8ull >= vu->pasid_dir_size)
        return 0;
    t = get_table(vu, dir + (pasid >> 6) * 8ull, alloc, 4096);
    return t ? t + (pasid & 63) * 64ull : 0;
}

static void sm_pasid_fill(struct vtd_unit *vu, struct vtd_domain *vd, uint64_t q[8])
{
    memset(q, 0, 8 * sizeof(uint64_t));
    /* P | AW 4:2 | PGTT 8:6 = 010 (second stage) | SSADE 9 | SSPTPTR */
    q[0] = 1 | ((uint64_t)vd->aw << 2) | (2ull << 6) | (vd->dirty_tracking ? (1ull << 9) : 0) |
           vd->pgd;
    /* DID 79:64; PWSNP 87 when walks can snoop (Linux pasid_set_page_snoop) */
    q[1] = vd->did | ((vu->ecap & ECAP_SMPWC) ? (1ull << 23) : 0);
}

int vtd_ctx_attach(struct vtd_unit *vu, struct vtd_domain *vd, uint32_t rid, uint32_t pasid,
                   uint16_t *old_did)
{
    uint64_t ce, pe, old0, q[8];
    int i, rc;

    *old_did = 0;
    if (!vu->sm) {
        uint64_t lo, hi;

        if (pasid)
            return -EINVAL;
        ce = context_entry(vu, rid, true);
        if (!ce)
            return -ENOMEM;
        lo = rd64(vu, ce);
        if (lo & 1) {
            /* Linux replaces through the blocked domain first
             * (domain_context_clear_one + flushes with the old DID) */
            rc = vtd_ctx_detach(vu, rid, 0, old_did);
            if (rc)
                return rc;
        }
        /* hi: AW 66:64, DID 87:72; lo: P, TT=00 (untranslated via SS), SLPTPTR */
        hi = vd->aw | ((uint64_t)vd->did << 8);
        wr64(vu, ce + 8, hi);
        wr64(vu, ce, vd->pgd | 1);
        if (vu->cap & CAP_CM) {
            /* caching mode caches not-present entries (vtd.md §2.1 CM) */
            rc = vtd_flush_context_dev(vu, 0, (uint16_t)rid);
            if (!rc)
                rc = vtd_flush_iotlb_dsi(vu, vd->did);
            return rc;
        }
        return 0;
    }
    rc = sm_context_setup(vu, rid, &ce);
    if (rc)
        return rc;
    pe = pasid_entry(vu, ce, pasid, true);
    if (!pe)
        return -ENOMEM;
    sm_pasid_fill(vu, vd, q);
    old0 = rd64(vu, pe);
    if (old0 & 1) {
        /* intel_pasid_replace_second_stage: write the new entry over the
         * present one, then flush with the old DID (PASID cache, IOTLB) */
        *old_did = (uint16_t)rd64(vu, pe + 8);
        for (i = 1; i < 8; i++)
            wr64(vu, pe + 8ull * i, q[i]);
        wr64(vu, pe, q[0]);
        rc = vtd_flush_pasid(vu, *old_did, pasid, PC_GRAN_PASID);
        if (!rc)
            rc = vtd_flush_iotlb_dsi(vu, *old_did);
        return rc;
    }
    /* not present -> present: qword 0 (with P) last */
    for (i = 1; i < 8; i++)
        wr64(vu, pe + 8ull * i, q[i]);
    wr64(vu, pe, q[0]);
    /* pasid_flush_caches: only caching mode may have cached the old entry */
    if (vu->cap & CAP_CM) {
        rc = vtd_flush_pasid(vu, vd->did, pasid, PC_GRAN_PASID);
        if (!rc)
            rc = vtd_flush_iotlb_dsi(vu, vd->did);
        return rc;
    }
    return 0;
}

int vtd_ctx_detach(struct vtd_unit *vu, uint32_t rid, uint32_t pasid, uint16_t *old_did)
{
    uint64_t ce = context_entry(vu, rid, false), pe;
    int rc, i;

    *old_did = 0;
    if (!ce)
        return 0;
    if (!vu->sm) {
        uint64_t lo = rd64(vu, ce);

        if (!(lo & 1))
            return 0;
        *old_did = (uint16_t)(rd64(vu, ce + 8) >> 8);
        /* domain_context_clear_one: clear, then device-selective context
         * invalidation and a domain-selective IOTLB flush with the old DID */
        wr64(vu, ce, 0);
        wr64(vu, ce + 8, 0);
        rc = vtd_flush_context_dev(vu, *old_did, (uint16_t)rid);
        if (!rc)
            rc = vtd_flush_iotlb_dsi(vu, *old_did);
        return rc;
    }
    if (!(rd64(vu, ce) & 1))
        return 0;
    pe = pasid_entry(vu, ce, pasid, false);
    if (!pe || !(rd64(vu, pe) & 1))
        return 0;
    *old_did = (uint16_t)rd64(vu, pe + 8);
    /* intel_pasid_tear_down_entry: clear the entry (P first), then
     * PASID-cache PASID-selective, then the IOTLB: domain-selective for a
     * second-stage entry (vtd.md §5.2 guidance) */
    wr64(vu, pe, 0);
    for (i = 1; i < 8; i++)
        wr64(vu, pe + 8ull * i, 0);
    rc = vtd_flush_pasid(vu, *old_did, pasid, PC_GRAN_PASID);
    if (!rc)
        rc = vtd_flush_iotlb_dsi(vu, *old_did);
    return rc;
}

int vtd_ctx_set_ssade(struct vtd_unit *vu, uint32_t rid, uint32_t pasid, bool enable)
{
    uint64_t ce = context_entry(vu, rid, false), pe, q0;
    uint16_t did;
    int rc;

    if (!vu->sm || !ce)
        return -ENODEV;
    pe = pasid_entry(vu, ce, pasid, false);
    if (!pe)
        return -ENODEV;
    q0 = rd64(vu, pe);
    if (!(q0 & 1))
        return -ENODEV;
    /* intel_pasid_setup_dirty_tracking: only SS (010) or nested (011) */
    if (((q0 >> 6) & 7) != 2 && ((q0 >> 6) & 7) != 3)
        return -EINVAL;
    if (!!(q0 & (1ull << 9)) == enable)
        return 0;
    did = (uint16_t)rd64(vu, pe + 8);
    wr64(vu, pe, enable ? q0 | (1ull << 9) : q0 & ~(1ull << 9));
    /* vtd.md §7.2: PASID-cache PASID-selective, then domain-selective IOTLB */
    rc = vtd_flush_pasid(vu, did, pasid, PC_GRAN_PASID);
    if (!rc)
        rc = vtd_flush_iotlb_dsi(vu, did);
    return rc;
}

/* Free every context / PASID table (unit removal, translation already off). */
void vtd_ctx_free_all(struct vtd_unit *vu)
{
    const struct mfd_platform_ops *p = vu->u->plat;
    unsigned bus, half, devfn;
    uint64_t i;

    if (!vu->root)
        return;
    for (bus = 0; bus < 256; bus++) {
        for (half = 0; half < (vu->sm ? 2u : 1u); half++) {
            uint64_t re = rd64(vu, vu->root + bus * 16ull + half * 8), t;

            if (!(re & 1))
                continue;
            t = re & ADDR_MASK;
            for (devfn = 0; vu->sm && devfn < 128; devfn++) {
                uint64_t q0 = rd64(vu, t + devfn * 32ull), dir;

                if (!(q0 & 1))
                    continue;
                dir = q0 & ADDR_MASK;
                for (i = 0; i < vu->pasid_dir_size / 8; i++) {
                    uint64_t de = rd64(vu, dir + i * 8);

                    if (de & 1)
                        p->table_free(de & ADDR_MASK, 4096);
                }
                p->table_free(dir, vu->pasid_dir_size);
            }
            p->table_free(t, 4096);
        }
    }
    p->table_free(vu->root, 4096);
    vu->root = 0;
}
