/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-d driver of the mock: probe and bring-up through the register
 * protocol, queued invalidation, and the driver entry points (the roles of
 * Linux drivers/iommu/intel/{iommu.c,dmar.c}). Facts: vtd.md §1-§5, §7.
 *
 * Bring-up follows Linux init_dmars(): queued invalidation first (IQT = 0,
 * IQA, GCMD.QIE handshake), then the root table (RTADDR with TTM=01 in
 * scalable mode, GCMD.SRTP handshake), the global context-cache / PASID-cache
 * / IOTLB invalidation unless CAP.ESRTPS says SRTP already did it, and last
 * GCMD.TE. Paging domains always use second-stage tables (vtd_pgtable.c); in
 * scalable mode through a PASID entry with PGTT=010b (vtd_ctx.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "vtd_priv.h"

#define POLL_LIMIT 10000

uint64_t vtd_read(struct vtd_unit *vu, uint64_t off, unsigned width)
{
    return emu_mmio_read(vu->u->hw, off, width);
}

void vtd_write(struct vtd_unit *vu, uint64_t off, unsigned width, uint64_t v)
{
    emu_mmio_write(vu->u->hw, off, width, v);
}

/* vtd.md §3.1: write GCMD, then poll GSTS until (GSTS & bit) == want. */
static int gcmd_handshake(struct vtd_unit *vu, uint32_t cmd, uint32_t bit, bool want)
{
    int i;

    vtd_write(vu, VTD_GCMD, 4, cmd);
    for (i = 0; i < POLL_LIMIT; i++) {
        uint32_t sts = (uint32_t)vtd_read(vu, VTD_GSTS, 4);

        if (!!(sts & bit) == want)
            return 0;
    }
    vu->broken = true;
    return -EIO;
}

/* ------------------------------------------------------------------------ */
/* Queued invalidation (vtd.md §5.2). */

int vtd_qi_submit(struct vtd_unit *vu, const uint64_t (*desc)[2], unsigned n)
{
    struct emu_mem *mem = vu->u->mem;
    unsigned dsz = 1u << vu->iq_shift, i;
    uint64_t zero[2] = { 0, 0 };
    uint32_t seq, st = 0;
    int k;

    if (vu->broken)
        return -EIO;
    if (n + 1 >= vu->iq_len)
        return -EINVAL;
    seq = ++vu->status_seq;
    if (!seq)
        seq = ++vu->status_seq;
    for (i = 0; i <= n; i++) {
        uint64_t slot = vu->iq + (uint64_t)vu->iq_tail * dsz;
        uint64_t d[2];

        if (i < n) {
            d[0] = desc[i][0];
            d[1] = desc[i][1];
        } else {
            /* Invalidation wait: SW (status write) + FN (fence), status data
             * in 63:32, status address in qword 1 (vtd.md §5.2 type 5). */
            d[0] = 5 | (1ull << 5) | (1ull << 6) | ((uint64_t)seq << 32);
            d[1] = vu->status;
        }
        emu_mem_write(mem, slot, d, 16);
        if (dsz == 32)
            emu_mem_write(mem, slot + 16, zero, 16);   /* qwords 2,3 must be 0 */
        vu->iq_tail = (vu->iq_tail + 1) % vu->iq_len;
    }
    vtd_write(vu, VTD_IQT, 8, (uint64_t)vu->iq_tail << vu->iq_shift);
    for (k = 0; k < POLL_LIMIT; k++) {
        if (!emu_mem_read(mem, vu->status, &st, 4) && st == seq)
            return 0;
        if (vtd_read(vu, VTD_FSTS, 4) & (1u << 4))
            break;                              /* FSTS.IQE */
    }
    /* Queue error or no progress (vtd.md §5.2 "IQE conditions"): as Linux
     * qi_check_fault, clear IQE (RW1C) and drop what is left so the queue is
     * usable again: tail := head. */
    vtd_write(vu, VTD_FSTS, 4, 1u << 4);
    {
        uint64_t head = vtd_read(vu, VTD_IQH, 8) >> vu->iq_shift;

        vu->iq_tail = (unsigned)(head % vu->iq_len);
        vtd_write(vu, VTD_IQT, 8, (uint64_t)vu->iq_tail << vu->iq_shift);
    }
    return -EIO;
}

/* Register-based invalidation (vtd.md §5.1), used only without ECAP.QI. */
static int reg_inval(struct vtd_unit *vu, uint64_t off, uint64_t val, uint64_t busy)
{
    int i;

    vtd_write(vu, off, 8, val);
    for (i = 0; i < POLL_LIMIT; i++)
        if (!(vtd_read(vu, off, 8) & busy))
            return 0;
    vu->broken = true;
    return -EIO;
}

static uint64_t drain_bits(struct vtd_unit *vu)
{
    /* Linux sets DR/DW in IOTLB invalidations when CAP.DRD/DWD */
    return ((vu->cap & CAP_DRD) ? (1ull << 7) : 0) | ((vu->cap & CAP_DWD) ? (1ull << 6) : 0);
}

int vtd_flush_context_global(struct vtd_unit *vu)
{
    uint64_t d[1][2] = { { 1 | (1ull << 4), 0 } };   /* type 1, G=01 global */

    if (!vu->qi)
        return reg_inval(vu, VTD_CCMD, (1ull << 63) | (1ull << 61), 1ull << 63);
    return vtd_qi_submit(vu, d, 1);
}

int vtd_flush_context_dev(struct vtd_unit *vu, uint16_t did, uint16_t sid)
{
    /* type 1, G=11 device-selective, DID 31:16, SID 47:32, FM 0 */
    uint64_t d[1][2] = { { 1 | (3ull << 4) | ((uint64_t)did << 16) | ((uint64_t)sid << 32), 0 } };

    if (!vu->qi)
        return reg_inval(vu, VTD_CCMD,
                         (1ull << 63) | (3ull << 61) | ((uint64_t)sid << 16) | did, 1ull << 63);
    return vtd_qi_submit(vu, d, 1);
}

int vtd_flush_pasid(struct vtd_unit *vu, uint16_t did, uint32_t pasid, int gran)
{
    /* type 7 PASID-cache: G 5:4, DID 31:16, PASID 51:32 (vtd.md §5.2) */
    uint64_t d[1][2] = { { 7 | ((uint64_t)gran << 4) | ((uint64_t)did << 16) |
                           ((uint64_t)(pasid & 0xfffff) << 32), 0 } };

    if (!vu->sm)
        return 0;
    return vtd_qi_submit(vu, d, 1);
}

int vtd_flush_iotlb_global(struct vtd_unit *vu)
{
    uint64_t d[1][2] = { { 2 | (1ull << 4) | drain_bits(vu), 0 } };

    if (!vu->qi)
        return reg_inval(vu, vu->iotlb_reg, (1ull << 63) | (1ull << 60) | (drain_bits(vu) << 42),
                         1ull << 63);
    return vtd_qi_submit(vu, d, 1);
}

int vtd_flush_iotlb_dsi(struct vtd_unit *vu, uint16_t did)
{
    uint64_t d[1][2] = { { 2 | (2ull << 4) | drain_bits(vu) | ((uint64_t)did << 16), 0 } };

    if (!vu->qi)
        return reg_inval(vu, vu->iotlb_reg,
                         (1ull << 63) | (2ull << 60) | (drain_bits(vu) << 42) |
                             ((uint64_t)did << 32),
                         1ull << 63);
    return vtd_qi_submit(vu, d, 1);
}

/* Page-selective invalidation of [iova, iova+len): the smallest naturally
 * aligned 2^AM-page block covering it, as Linux calculate_psi_aligned_address;
 * domain-selective when CAP.PSI is clear or AM would exceed CAP.MAMV. */
int vtd_flush_iotlb_psi(struct vtd_unit *vu, uint16_t did, uint64_t iova, uint64_t len)
{
    uint64_t first = iova >> 12, last = (iova + len - 1) >> 12;
    unsigned am = 0;
    uint64_t d[1][2];

    if (!len)
        return 0;
    while ((first >> am) != (last >> am) && am < 52)
        am++;
    if (!(vu->cap & CAP_PSI) || am > CAP_MAMV(vu->cap) || !vu->qi)
        return vtd_flush_iotlb_dsi(vu, did);
    d[0][0] = 2 | (3ull << 4) | drain_bits(vu) | ((uint64_t)did << 16);
    d[0][1] = ((first >> am) << (am + 12)) | am;
    return vtd_qi_submit(vu, d, 1);
}

/* ------------------------------------------------------------------------ */
/* Probe / remove. */

static bool ssads_supported(const struct vtd_unit *vu)
{
    /* Linux >= 6.18: sm && ecap_slads && ecap_smpwc (vtd.md §2.2, §7.1) */
    return vu->sm && (vu->ecap & ECAP_SSADS) && (vu->ecap & ECAP_SMPWC);
}

static int qi_enable(struct vtd_unit *vu)
{
    /* Linux dmar_enable_qi: 256 descriptors, 256-bit ones when SMTS */
    unsigned qs = vu->sm ? 1 : 0;

    vu->iq_shift = vu->sm ? 5 : 4;
    vu->iq_len = (4096u << qs) >> vu->iq_shift;
    vu->iq = vu->u->plat->table_alloc(4096ull << qs);
    vu->status = vu->u->plat->table_alloc(4096);
    if (!vu->iq || !vu->status)
        return -ENOMEM;
    vu->iq_tail = 0;
    /* vtd.md §3.1 ordering: IQT = 0 and IQA before QIE */
    vtd_write(vu, VTD_IQT, 8, 0);
    vtd_write(vu, VTD_IQA, 8, vu->iq | (vu->sm ? (1ull << 11) : 0) | qs);
    vu->gcmd |= GCMD_QIE;
    return gcmd_handshake(vu, vu->gcmd, GSTS_QIES, true);
}

static void vtd_free_unit(struct vtd_unit *vu)
{
    const struct mfd_platform_ops *p = vu->u->plat;

    vtd_ctx_free_all(vu);
    if (vu->iq)
        p->table_free(vu->iq, vu->iq_len << vu->iq_shift);
    if (vu->status)
        p->table_free(vu->status, 4096);
    free(vu->did_map);
    free(vu->bind);
    pthread_mutex_destroy(&vu->lock);
    free(vu);
}

static int vtd_probe(struct mfd_iommu_unit *u)
{
    struct vtd_unit *vu = calloc(1, sizeof(*vu));
    unsigned sagaw, nd;
    uint32_t sts;
    int rc;

    if (!vu)
        return -ENOMEM;
    vu->u = u;
    pthread_mutex_init(&vu->lock, NULL);
    vu->ver = (uint32_t)vtd_read(vu, VTD_VER, 4);
    vu->cap = vtd_read(vu, VTD_CAP, 8);
    vu->ecap = vtd_read(vu, VTD_ECAP, 8);
    sagaw = CAP_SAGAW(vu->cap);
    /* the largest of 4- and 3-level the unit supports (Linux
     * iommu_calculate_agaw); no SAGAW bit (dma-translation=off) -> unusable */
    if (sagaw & 4) {
        vu->levels = 4;
        vu->aw = 2;
    } else if (sagaw & 2) {
        vu->levels = 3;
        vu->aw = 1;
    } else {
        rc = -ENODEV;
        goto fail;
    }
    vu->haw = CAP_MGAW(vu->cap) + 1;
    vu->qi = !!(vu->ecap & ECAP_QI);
    /* Scalable mode needs QI (Linux drops sm without it) and second-stage
     * support, since this driver's paging domains are second-stage. */
    vu->sm = (vu->ecap & ECAP_SMTS) && (vu->ecap & ECAP_SSTS) && vu->qi;
    vu->iotlb_reg = ECAP_IRO(vu->ecap) * 16 + 8;
    nd = CAP_ND(vu->cap);
    vu->ndids = nd > 6 ? 65536 : 1u << (4 + 2 * nd);
    vu->did_map = calloc(vu->ndids / 8 + 1, 1);
    if (!vu->did_map) {
        rc = -ENOMEM;
        goto fail;
    }
    if (vu->sm && (vu->ecap & ECAP_PASID))
        vu->pasid_bits = ECAP_PSS(vu->ecap) + 1 > 20 ? 20 : ECAP_PSS(vu->ecap) + 1;
    /* PASID directory: 2^(bits-6) entries, at least 2^7 (PDTS 0) */
    {
        unsigned dbits = vu->pasid_bits > 6 ? vu->pasid_bits - 6 : 0;

        vu->pdts = dbits > 7 ? dbits - 7 : 0;
        vu->pasid_dir_size = (8ull << (vu->pdts + 7)) < 4096 ? 4096 : (8ull << (vu->pdts + 7));
    }

    /* Firmware may have left translation on: turn it off first. */
    sts = (uint32_t)vtd_read(vu, VTD_GSTS, 4);
    vu->gcmd = sts & GSTS_PERSIST_MASK;
    if (sts & GSTS_TES) {
        vu->gcmd &= ~GCMD_TE;
        if ((rc = gcmd_handshake(vu, vu->gcmd, GSTS_TES, false)))
            goto fail;
    }
    if (vu->qi && !(sts & GSTS_QIES) && (rc = qi_enable(vu)))
        goto fail;
    if (vu->qi && (sts & GSTS_QIES) && !vu->iq) {
        /* QI left on by someone else: disable, then enable with our queue */
        vu->gcmd &= ~GCMD_QIE;
        if ((rc = gcmd_handshake(vu, vu->gcmd, GSTS_QIES, false)) || (rc = qi_enable(vu)))
            goto fail;
    }
    vu->root = u->plat->table_alloc(4096);
    if (!vu->root) {
        rc = -ENOMEM;
        goto fail;
    }
    /* RTADDR: TTM 11:10 = 01 for the scalable-mode root table (vtd.md §1.2) */
    vtd_write(vu, VTD_RTADDR, 8, vu->root | (vu->sm ? (1ull << 10) : 0));
    if ((rc = gcmd_handshake(vu, vu->gcmd | GCMD_SRTP, GSTS_RTPS, true)))
        goto fail;
    if (!(vu->cap & CAP_ESRTPS)) {
        /* Linux iommu_set_root_entry: global context, PASID, IOTLB flush */
        if ((rc = vtd_flush_context_global(vu)))
            goto fail;
        if (vu->sm && (rc = vtd_flush_pasid(vu, 0, 0, PC_GRAN_GLOBAL)))
            goto fail;
        if ((rc = vtd_flush_iotlb_global(vu)))
            goto fail;
    }
    /* init_dmars -> dmar_set_interrupt: the fault event, before TE */
    if ((rc = vtd_fault_setup(vu)))
        goto fail;
    vu->gcmd |= GCMD_TE;
    if ((rc = gcmd_handshake(vu, vu->gcmd, GSTS_TES, true)))
        goto fail;
    u->priv = vu;
    return 0;
fail:
    vtd_free_unit(vu);
    return rc;
}

static void vtd_remove(struct mfd_iommu_unit *u)
{
    struct vtd_unit *vu = u->priv;

    if (!vu)
        return;
    vu->gcmd &= ~GCMD_TE;
    gcmd_handshake(vu, vu->gcmd, GSTS_TES, false);
    /* free_iommu -> free_irq: the fault event is masked again */
    vtd_write(vu, 0x038 /* FECTL */, 4, 1u << 31);
    if (vu->qi) {
        vu->gcmd &= ~GCMD_QIE;
        gcmd_handshake(vu, vu->gcmd, GSTS_QIES, false);
    }
    vtd_free_unit(vu);
    u->priv = NULL;
}

/* ------------------------------------------------------------------------ */
/* Driver entry points. */

static int vtd_hw_info(struct mfd_iommu_unit *u, uint32_t rid, uint32_t *type, void *buf,
                       uint32_t *len)
{
    struct vtd_unit *vu = u->priv;
    struct iommu_hw_info_vtd info;

    (void)rid;
    /* intel_iommu_hw_info: DEFAULT or INTEL_VTD only */
    if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != IOMMU_HW_INFO_TYPE_INTEL_VTD)
        return -EOPNOTSUPP;
    memset(&info, 0, sizeof(info));
    /* vtd.md §7.6: the errata flag on every platform, CAP/ECAP raw */
    info.flags = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17;
    info.cap_reg = vu->cap;
    info.ecap_reg = vu->ecap;
    memcpy(buf, &info, sizeof(info));
    *len = sizeof(info);
    *type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
    return 0;
}

static bool vtd_capable(struct mfd_iommu_unit *u, uint32_t rid, enum mfd_iommu_cap cap)
{
    struct vtd_unit *vu = u->priv;

    (void)rid;
    switch (cap) {
    case MFD_CAP_CACHE_COHERENCY:
        return true;
    case MFD_CAP_DIRTY_TRACKING:
        return ssads_supported(vu);
    case MFD_CAP_ENFORCE_CACHE_COHERENCY:
        return !!(vu->ecap & (1ull << 7));      /* ECAP.SC */
    case MFD_CAP_PCI_ATS_SUPPORTED:
        return !!(vu->ecap & (1ull << 2));      /* ECAP.DT */
    }
    return false;
}

static unsigned vtd_max_pasid_log2(struct mfd_iommu_unit *u, uint32_t rid)
{
    (void)rid;
    return ((struct vtd_unit *)u->priv)->pasid_bits;
}

static int vtd_resv_regions(struct mfd_iommu_unit *u, uint32_t rid, struct mfd_resv_region *r)
{
    (void)u, (void)rid;
    /* intel_iommu_get_resv_regions: the IOAPIC/MSI window, IOMMU_RESV_MSI */
    r[0].start = 0xfee00000ull;
    r[0].last = 0xfeefffffull;
    r[0].msi = true;
    return 1;
}

static int did_alloc(struct vtd_unit *vu)
{
    unsigned i;

    for (i = VTD_FIRST_DID; i < vu->ndids; i++) {
        if (!(vu->did_map[i / 8] & (1u << (i % 8)))) {
            vu->did_map[i / 8] |= (uint8_t)(1u << (i % 8));
            return (int)i;
        }
    }
    return -ENOSPC;
}

static int vtd_domain_alloc_paging(struct mfd_iommu_unit *u, uint32_t rid, uint32_t flags,
                                   uint32_t data_type, uint64_t data_uptr, uint32_t data_len,
                                   struct mfd_domain **out)
{
    struct vtd_unit *vu = u->priv;
    struct vtd_domain *vd;
    unsigned gaw;
    int did, rc;

    (void)rid, (void)data_type, (void)data_uptr;
    /* intel_iommu_domain_alloc_paging_flags / _second_stage */
    if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
                  IOMMU_HWPT_ALLOC_PASID))
        return -EOPNOTSUPP;
    if (data_len)
        return -EOPNOTSUPP;
    if ((flags & IOMMU_HWPT_ALLOC_NEST_PARENT) && !(vu->sm && (vu->ecap & ECAP_NEST)))
        return -EOPNOTSUPP;
    if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !ssads_supported(vu))
        return -EOPNOTSUPP;
    vd = calloc(1, sizeof(*vd));
    if (!vd)
        return -ENOMEM;
    pthread_mutex_lock(&vu->lock);
    did = did_alloc(vu);
    pthread_mutex_unlock(&vu->lock);
    if (did < 0) {
        free(vd);
        return did;
    }
    vd->vu = vu;
    vd->did = (uint16_t)did;
    vd->levels = vu->levels;
    vd->aw = vu->aw;
    vd->dirty_capable = !!(flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    vd->nest_parent = !!(flags & IOMMU_HWPT_ALLOC_NEST_PARENT);
    rc = vtd_pgtable_init(vd);
    if (rc) {
        pthread_mutex_lock(&vu->lock);
        vu->did_map[did / 8] &= (uint8_t)~(1u << (did % 8));
        pthread_mutex_unlock(&vu->lock);
        free(vd);
        return rc;
    }
    /* Linux: gaw = min(agaw width, CAP.MGAW + 1); aperture [0, 2^gaw - 1] */
    gaw = 30 + 9 * vd->aw;
    if (gaw > vu->haw)
        gaw = vu->haw;
    vd->dom.ops = vd->dirty_capable ? &vtd_domain_dirty_ops : &vtd_domain_ops;
    /* iommufd enforces coherency right after allocation when the device is
     * IOMMU_CAP_ENFORCE_CACHE_COHERENCY (ECAP.SC); a second-stage domain then
     * sets SNP in every leaf it maps (intel_iommu_enforce_cache_coherency ->
     * domain_set_force_snooping, VT-d spec 9.8) */
    vd->dom.enforce_cache_coherency = !!(vu->ecap & (1ull << 7));      /* ECAP.SC */
    vd->dom.aperture_start = 0;
    vd->dom.aperture_end = gaw >= 64 ? UINT64_MAX : (1ull << gaw) - 1;
    vd->dom.pgsize_bitmap = 4096ull;
    if (CAP_SLLPS(vu->cap) & 1)
        vd->dom.pgsize_bitmap |= 2ull << 20;
    if (CAP_SLLPS(vu->cap) & 2)
        vd->dom.pgsize_bitmap |= 1ull << 30;
    vd->dom.priv = vd;
    *out = &vd->dom;
    return 0;
}

void vtd_did_free(struct vtd_unit *vu, uint16_t did)
{
    pthread_mutex_lock(&vu->lock);
    vu->did_map[did / 8] &= (uint8_t)~(1u << (did % 8));
    pthread_mutex_unlock(&vu->lock);
}

static struct vtd_binding *find_binding(struct vtd_unit *vu, uint32_t rid, uint32_t pasid)
{
    unsigned i;

    for (i = 0; i < vu->nbind; i++)
        if (vu->bind[i].rid == rid && vu->bind[i].pasid == pasid)
            return &vu->bind[i];
    return NULL;
}

static int vtd_attach_dev(struct mfd_iommu_unit *u, struct mfd_domain *d, uint32_t rid,
                          uint32_t pasid)
{
    struct vtd_unit *vu = u->priv;
    struct vtd_domain *vd = to_vtd(d);
    struct vtd_binding *b;
    uint16_t old_did = 0;
    int rc;

    /* a domain's tables and DID belong to one unit */
    if (vd->vu != vu)
        return -EINVAL;
    if (pasid && (!vu->pasid_bits || pasid >= (1u << vu->pasid_bits)))
        return -EINVAL;
    pthread_mutex_lock(&vu->lock);
    b = find_binding(vu, rid, pasid);
    if (!b) {
        if (vu->nbind == vu->bind_cap) {
            unsigned ncap = vu->bind_cap ? vu->bind_cap * 2 : 8;
            struct vtd_binding *nb = realloc(vu->bind, ncap * sizeof(*nb));

            if (!nb) {
                pthread_mutex_unlock(&vu->lock);
                return -ENOMEM;
            }
            vu->bind = nb;
            vu->bind_cap = ncap;
        }
    } else if (b->vd == vd) {
        pthread_mutex_unlock(&vu->lock);
        return 0;
    }
    rc = vtd_ctx_attach(vu, vd, rid, pasid, &old_did);
    if (!rc) {
        if (!b) {
            b = &vu->bind[vu->nbind++];
            b->rid = rid;
            b->pasid = pasid;
        }
        b->vd = vd;
    }
    pthread_mutex_unlock(&vu->lock);
    return rc;
}

static void vtd_detach_dev(struct mfd_iommu_unit *u, uint32_t rid, uint32_t pasid)
{
    struct vtd_unit *vu = u->priv;
    struct vtd_binding *b;
    uint16_t old_did = 0;

    pthread_mutex_lock(&vu->lock);
    b = find_binding(vu, rid, pasid);
    if (b) {
        vtd_ctx_detach(vu, rid, pasid, &old_did);
        *b = vu->bind[--vu->nbind];
    }
    pthread_mutex_unlock(&vu->lock);
}

/* Called by vtd_pgtable.c (dirty enable/disable): every rid/pasid bound to vd. */
int vtd_for_each_binding_ssade(struct vtd_domain *vd, bool enable)
{
    struct vtd_unit *vu = vd->vu;
    unsigned i, j;
    int rc = 0;

    pthread_mutex_lock(&vu->lock);
    for (i = 0; i < vu->nbind; i++) {
        if (vu->bind[i].vd != vd)
            continue;
        rc = vtd_ctx_set_ssade(vu, vu->bind[i].rid, vu->bind[i].pasid, enable);
        if (rc)
            break;
    }
    if (rc) {
        /* Linux intel_iommu_set_dirty_tracking err_unwind: restore */
        for (j = 0; j < i; j++)
            if (vu->bind[j].vd == vd)
                vtd_ctx_set_ssade(vu, vu->bind[j].rid, vu->bind[j].pasid, !enable);
    }
    pthread_mutex_unlock(&vu->lock);
    return rc;
}

static void vtd_iotlb_sync(struct mfd_domain *d)
{
    struct vtd_domain *vd = to_vtd(d);

    pthread_mutex_lock(&vd->vu->lock);
    vtd_flush_iotlb_dsi(vd->vu, vd->did);
    pthread_mutex_unlock(&vd->vu->lock);
}

const struct mfd_iommu_driver mfd_vtd_driver = {
    .name = "intel-iommu",
    .model = EMU_VTD,
    .probe = vtd_probe,
    .remove = vtd_remove,
    .hw_info = vtd_hw_info,
    .capable = vtd_capable,
    .max_pasid_log2 = vtd_max_pasid_log2,
    .resv_regions = vtd_resv_regions,
    .domain_alloc_paging = vtd_domain_alloc_paging,
    .attach_dev = vtd_attach_dev,
    .detach_dev = vtd_detach_dev,
    .iotlb_sync = vtd_iotlb_sync,
    .irq = vtd_fault_irq,
};
