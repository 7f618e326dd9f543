/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 stream table: STE lookup (linear / 2-level with SPLIT) and STE
 * decoding with the ILLEGAL checks of smmuv3.md §3.7, §4.1-§4.3.
 */
#include <endian.h>
#include <string.h>

#include "smmuv3.h"

static bool bad_streamid(struct emu_iommu *iommu, struct smmu_event *ev, bool *record)
{
    /* §4.1: an invalid StreamID aborts; C_BAD_STREAMID only with CR2.RECINVSID.
     * (QEMU records it unconditionally.) */
    ev->type = EVT_C_BAD_STREAMID;
    *record = (rd32(iommu, SMMU_CR2) & CR2_RECINVSID) != 0;
    return false;
}

int smmu_find_ste(struct emu_iommu *iommu, uint32_t sid, uint64_t ste[8], struct smmu_event *ev,
                  bool *record)
{
    struct smmu *s = smmu_of(iommu);
    uint32_t cfg = rd32(iommu, SMMU_STRTAB_BASE_CFG);
    unsigned log2 = cfg & 0x3f, split = (cfg >> 6) & 0x1f, fmt = (cfg >> 16) & 3;
    unsigned eff = log2 < idr1_sidsize(s) ? log2 : idr1_sidsize(s);
    uint64_t base = rd64(iommu, SMMU_STRTAB_BASE) & emu_mask(55, 6), addr;
    uint8_t raw[64];

    *record = true;
    /* §3.7: the effective LOG2SIZE bounds the StreamID. */
    if (eff < 32 && (uint64_t)sid >= (1ull << eff))
        return bad_streamid(iommu, ev, record), -EINVAL;
    if (fmt != 1) {
        /* Linear (FMT 00; reserved values behave as 00). Alignment uses the
         * literal LOG2SIZE: ADDR[LOG2SIZE+5:0] are treated as 0. */
        base &= log2 + 6 >= 64 ? 0 : ~((1ull << (log2 + 6)) - 1);
        addr = base + (uint64_t)sid * 64;
    } else {
        unsigned hi, span;
        uint64_t l1, l2ptr, off;

        if (split != 6 && split != 8 && split != 10)
            split = 6;   /* §3.7: reserved SPLIT values behave as 6 */
        hi = log2 > split ? log2 - split + 2 : 0;
        if (hi < 5)
            hi = 5;
        base &= ~((2ull << hi) - 1);
        addr = base + (uint64_t)(sid >> split) * 8;
        if (emu_fetch(iommu, "L1STD", addr, raw, 8)) {
            ev->type = EVT_F_STE_FETCH;
            ev->fetch = addr;
            ev->has_fetch = true;
            return -EFAULT;
        }
        memcpy(&l1, raw, 8);
        l1 = le64toh(l1);
        span = l1 & 0x1f;
        /* §4.1: Span 0 / 12..31 invalid, Span <= SPLIT+1, offset within span. */
        if (span == 0 || span > 11 || span > split + 1)
            return bad_streamid(iommu, ev, record), -EINVAL;
        off = sid & ((1u << split) - 1);
        if (off >= (1ull << (span - 1)))
            return bad_streamid(iommu, ev, record), -EINVAL;
        l2ptr = l1 & emu_mask(55, 6) & ~((64ull << (span - 1)) - 1);
        addr = l2ptr + off * 64;
    }
    if (emu_fetch(iommu, "STE", addr, raw, 64)) {
        ev->type = EVT_F_STE_FETCH;
        ev->fetch = addr;
        ev->has_fetch = true;
        return -EFAULT;
    }
    for (int i = 0; i < 8; i++) {
        memcpy(&ste[i], raw + 8 * i, 8);
        ste[i] = le64toh(ste[i]);
    }
    return 0;
}

static bool endian_bad(const struct smmu *s, bool be)
{
    unsigned e = idr0_ttendian(s);   /* 00 mixed, 10 LE only, 11 BE only */
    return (e == 2 && be) || (e == 3 && !be);
}

/* Granule size log2 for a TG encoding, 0 if reserved or not implemented. */
static unsigned s2_granule(const struct smmu *s, unsigned tg)
{
    switch (tg) {
    case 0: return (s->idr5 & IDR5_GRAN4K) ? 12 : 0;
    case 1: return (s->idr5 & IDR5_GRAN64K) ? 16 : 0;
    case 2: return (s->idr5 & IDR5_GRAN16K) ? 14 : 0;
    default: return 0;
    }
}

/* §4.2/§4.3: decode the stage-2 fields; false if ILLEGAL. */
static bool decode_s2(const struct smmu *s, const uint64_t *ste, struct smmu_cfg *c)
{
    uint64_t w2 = ste[2];
    unsigned vtcr = (unsigned)emu_bits(w2, 50, 32);
    unsigned t0sz = vtcr & 0x3f, sl0 = (vtcr >> 6) & 3, tg = (vtcr >> 14) & 3, ps = (vtcr >> 16) & 7;
    bool aa64 = w2 >> 51 & 1, endi = w2 >> 52 & 1, affd = w2 >> 53 & 1, hd = w2 >> 55 & 1,
         ha = w2 >> 56 & 1, s2s = w2 >> 57 & 1, r = w2 >> 58 & 1;
    unsigned g = s2_granule(s, tg), ia, psbits, oas = smmu_oas(s), stride, shift, bits, minsz, maxsz;
    int level;
    uint64_t ttb;

    if (!g)
        return false;
    /* Only VMSAv8-64 tables are implemented (IDR0.TTF=AArch64 in every profile). */
    if (!aa64 || !((s->idr0 >> IDR0_TTF_SHIFT) & 2))
        return false;
    if (endian_bad(s, endi))
        return false;
    if ((ha && idr0_httu(s) == 0) || (hd && idr0_httu(s) < 2))
        return false;
    if (s2s && idr0_stall(s) == 1)
        return false;
    psbits = smmu_oas_bits(ps);
    if (psbits > oas)
        psbits = oas;
    maxsz = (s->idr3 & IDR3_STT) ? (g == 16 ? 47 : 48) : 39;
    minsz = 64 - psbits;
    if (g != 16 && minsz < 16)
        minsz = 16;
    if (t0sz < minsz || t0sz > maxsz)
        return false;
    ia = 64 - t0sz;
    /* S2SL0 (VTCR.SL0): 4K 0->L2 1->L1 2->L0; 16K/64K 0->L3 1->L2 2->L1. */
    if (sl0 == 3)
        return false;
    level = g == 12 ? 2 - (int)sl0 : 3 - (int)sl0;
    stride = g - 3;
    shift = g + (unsigned)(3 - level) * stride;
    if (ia <= shift)
        return false;                       /* starts below the needed level */
    bits = ia - shift;
    if (bits > stride + 4)
        return false;                       /* more than 16 concatenated tables */
    ttb = ste[3] & emu_mask(55, 4);
    if (ttb & ((8ull << bits) - 1))
        return false;                       /* misaligned initial table */
    if (psbits < 64 && (ttb >> psbits))
        return false;                       /* beyond the effective S2PS */
    c->s2ttb = ttb;
    c->s2tsz = (uint8_t)t0sz;
    c->s2g = (uint8_t)g;
    c->s2sl = (uint8_t)level;
    c->s2ps = (uint8_t)psbits;
    c->s2_ha = ha;
    c->s2_hd = hd && ha;                    /* {HD,HA} = 10 behaves as 00 */
    c->s2_affd = affd;
    c->s2_r = r;
    c->s2_be = endi;
    return true;
}

int smmu_ste_decode(struct emu_iommu *iommu, const uint64_t ste[8], struct smmu_cfg *c)
{
    struct smmu *s = smmu_of(iommu);
    uint64_t w0 = ste[0], w1 = ste[1];
    unsigned config = (unsigned)emu_bits(w0, 3, 1), eats = (unsigned)emu_bits(w1, 29, 28);
    unsigned strw = (unsigned)emu_bits(w1, 31, 30);
    bool s1 = config & 1, s2 = config & 2;

    if (!(w0 & 1))
        return -EINVAL;                     /* V=0: C_BAD_STE */
    if (!(config & 4)) {
        c->kind = CFG_ABORT;                /* 000 and reserved 0xx: abort, no event */
        return 0;
    }
    if ((s1 && !(s->idr0 & IDR0_S1P)) || (s2 && !(s->idr0 & IDR0_S2P)))
        return -EINVAL;
    /* EATS: needs ATS; split-stage needs NS1ATS=0 and nesting; 11 needs DPT. */
    if (eats && !(s->idr0 & IDR0_ATS))
        return -EINVAL;
    if ((eats == 2 && ((s->idr0 & IDR0_NS1ATS) || config != 7)) || eats == 3)
        return -EINVAL;
    /* STRW: 01 is EL3 (Secure only), 10 needs Hyp, 11 reserved. */
    if (strw == 1 || strw == 3 || (strw == 2 && !(s->idr0 & IDR0_HYP)))
        return -EINVAL;
    c->priv = emu_bits(w1, 49, 48) == 3;    /* PRIVCFG=11: privileged */
    c->mev = (w1 >> 19) & 1;
    /* S2VMID tags TLB entries whenever stage 2 is implemented (§4.2). */
    c->vmid = (s->idr0 & IDR0_S2P) ? (uint16_t)(ste[2] & ((s->idr0 & IDR0_VMID16) ? 0xffff : 0xff)) : 0;
    if (s1) {
        unsigned cdmax = (unsigned)(w0 >> 59), fmt = (unsigned)emu_bits(w0, 5, 4);

        if (cdmax > idr1_ssidsize(s))
            return -EINVAL;
        if (cdmax && fmt != 0 && fmt != 3 && !(s->idr0 & IDR0_CD2L))
            return -EINVAL;
        if ((w1 >> 27 & 1) && idr0_stall(s) != 0)
            return -EINVAL;                 /* S1STALLD with a non-00 stall model */
    }
    if (s2 && !decode_s2(s, ste, c))
        return -EINVAL;
    c->kind = config == 4 ? CFG_BYPASS : config == 5 ? CFG_S1 : config == 6 ? CFG_S2 : CFG_NESTED;
    return 0;
}
