/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 context descriptors: locating a CD (single, linear, 2-level with
 * 4 KB or 64 KB leaves) and decoding the fields the walk uses, with the
 * ILLEGAL checks of smmuv3.md §5.
 */
#include <endian.h>
#include <string.h>

#include "smmuv3.h"

/* CD fetch: through stage 2 when the STE is nested (§5.1: CD and L1CD
 * addresses are IPAs then). Fetch errors are F_CD_FETCH. */
static int cd_read(struct emu_iommu *iommu, const struct smmu_cfg *cfg, const char *what,
                   uint64_t addr, void *dst, size_t len, struct smmu_event *ev, bool *record)
{
    int rc = smmu_fetch_ipa(iommu, cfg, cfg->kind == CFG_NESTED, what, addr, dst, len, CLASS_CD,
                            ev->input, ev, record);
    if (rc == -EFAULT && ev->type == EVT_F_WALK_EABT && !ev->s2)
        ev->type = EVT_F_CD_FETCH;
    return rc;
}

int smmu_cd_fetch(struct emu_iommu *iommu, const uint64_t ste[8], struct smmu_cfg *cfg,
                  uint32_t idx, struct smmu_event *ev, bool *record)
{
    struct smmu *s = smmu_of(iommu);
    uint64_t ptr = ste[0] & emu_mask(55, 6), addr, cd[8];
    unsigned cdmax = (unsigned)(ste[0] >> 59), fmt = (unsigned)emu_bits(ste[0], 5, 4);
    uint8_t raw[64];
    int rc;

    if (!idr1_ssidsize(s))
        cdmax = 0;
    if (cdmax == 0 || fmt == 0 || fmt == 3) {
        /* Single CD, or linear table indexed by SSID[S1CDMax-1:0]. */
        addr = ptr + (uint64_t)(cdmax ? idx : 0) * 64;
    } else {
        unsigned split = fmt == 1 ? 6 : 10;
        uint64_t l1, l2;

        addr = ptr + (uint64_t)(idx >> split) * 8;
        rc = cd_read(iommu, cfg, "L1CD", addr, raw, 8, ev, record);
        if (rc)
            return rc;
        memcpy(&l1, raw, 8);
        l1 = le64toh(l1);
        /* L2 tables are aligned to their size: 4 KB (64 CDs) or 64 KB (1024). */
        l2 = l1 & emu_mask(55, 12) & ~((64ull << split) - 1);
        if (!(l1 & 1) || (smmu_oas(s) < 64 && (l2 >> smmu_oas(s)))) {
            ev->type = EVT_C_BAD_SUBSTREAMID;   /* §5.1: L1CD.V=0 or bad L2Ptr */
            *record = true;
            return -EINVAL;
        }
        addr = l2 + (uint64_t)(idx & ((1u << split) - 1)) * 64;
    }
    rc = cd_read(iommu, cfg, "CD", addr, raw, 64, ev, record);
    if (rc)
        return rc;
    for (int i = 0; i < 8; i++) {
        memcpy(&cd[i], raw + 8 * i, 8);
        cd[i] = le64toh(cd[i]);
    }
    if (smmu_cd_decode(iommu, cd, cfg)) {
        ev->type = EVT_C_BAD_CD;
        *record = true;
        return -EINVAL;
    }
    return 0;
}

/* Granule log2 from TG0 (00 4K, 01 64K, 10 16K) or TG1 (01 16K, 10 4K, 11 64K);
 * 0 if reserved or not implemented (§5.2). */
static unsigned tg_granule(const struct smmu *s, unsigned tg, bool tg1)
{
    static const unsigned char g0[4] = { 12, 16, 14, 0 }, g1[4] = { 0, 14, 12, 16 };
    unsigned g = tg1 ? g1[tg & 3] : g0[tg & 3];

    if ((g == 12 && !(s->idr5 & IDR5_GRAN4K)) || (g == 14 && !(s->idr5 & IDR5_GRAN16K)) ||
        (g == 16 && !(s->idr5 & IDR5_GRAN64K)))
        return 0;
    return g;
}

int smmu_cd_decode(struct emu_iommu *iommu, const uint64_t cd[8], struct smmu_cfg *c)
{
    struct smmu *s = smmu_of(iommu);
    uint64_t w0 = cd[0];
    bool ha = w0 >> 43 & 1, hd = w0 >> 42 & 1, endi = w0 >> 15 & 1;
    unsigned ips = smmu_oas_bits((unsigned)emu_bits(w0, 34, 32));

    if (!(w0 >> 31 & 1))
        return -EINVAL;                              /* V=0 */
    /* Only VMSAv8-64 is implemented: AA64=0 (AArch32 LPAE) is treated as ILLEGAL. */
    if (!(w0 >> 41 & 1) || !((s->idr0 >> IDR0_TTF_SHIFT) & 2))
        return -EINVAL;
    if ((idr0_ttendian(s) == 2 && endi) || (idr0_ttendian(s) == 3 && !endi))
        return -EINVAL;
    if ((ha && idr0_httu(s) == 0) || (hd && idr0_httu(s) < 2))
        return -EINVAL;
    if ((w0 >> 44 & 1) && idr0_stall(s) == 1)
        return -EINVAL;                              /* S with terminate-only model */
    if (!(w0 >> 46 & 1) && (s->idr0 & IDR0_TERM_MODEL))
        return -EINVAL;                              /* A=0 with TERM_MODEL=1 */
    if (ips > smmu_oas(s))
        ips = smmu_oas(s);
    for (int i = 0; i < 2; i++) {
        struct s1_tt *t = &c->tt[i];
        unsigned tsz = (unsigned)(i ? emu_bits(w0, 21, 16) : emu_bits(w0, 5, 0));
        unsigned tg = (unsigned)(i ? emu_bits(w0, 23, 22) : emu_bits(w0, 7, 6));
        unsigned g, maxsz;

        t->epd = (uint8_t)(w0 >> (i ? 30 : 14) & 1);
        t->tbi = (uint8_t)(w0 >> (i ? 39 : 38) & 1);
        t->had = (s->idr3 & IDR3_HAD) ? (uint8_t)(cd[1 + i] >> 1 & 1) : 0;
        t->ttb = cd[1 + i] & emu_mask(55, 4);
        t->tsz = (uint8_t)tsz;
        t->gshift = 0;
        if (t->epd)
            continue;                                /* unused: fields ignored */
        g = tg_granule(s, tg, i == 1);
        if (!g)
            return -EINVAL;
        maxsz = (s->idr3 & IDR3_STT) ? (g == 16 ? 47 : 48) : 39;
        if (tsz < 16 || tsz > maxsz)
            return -EINVAL;
        if (ips < 64 && (t->ttb >> ips))
            return -EINVAL;                          /* TTB beyond the effective IPS */
        t->gshift = (uint8_t)g;
    }
    c->ips = (uint8_t)ips;
    c->s1_ha = ha;
    c->s1_hd = hd && ha;                             /* {HD,HA} = 10 behaves as 00 */
    c->s1_affd = w0 >> 35 & 1;
    c->s1_wxn = w0 >> 36 & 1;
    c->s1_pan = w0 >> 40 & 1;
    c->s1_r = w0 >> 45 & 1;
    c->s1_be = endi;
    c->asid = (uint16_t)((w0 >> 48) & ((s->idr0 & IDR0_ASID16) ? 0xffff : 0xff));
    return 0;
}
