/* SPDX-License-Identifier: MIT */
/*
 * VMSAv8-64 LPAE translation for SMMUv3: stage 1 (CD), stage 2 (STE) and
 * nested, 4K/16K/64K granules, blocks, permission checks, Access flag and the
 * hardware dirty state (HTTU), smmuv3.md §6.
 *
 * Not modelled: 52-bit addresses (LPA/LPA2, descriptor bits [15:12]/[9:8]),
 * the Contiguous hint (entries are cached individually, which is allowed),
 * AArch32 and 128-bit descriptors, instruction fetches (device DMA is data),
 * table-descriptor AF (HAFT), permission indirection/overlays.
 */
#include <endian.h>
#include <string.h>

#include "smmuv3.h"

#define PTE_VALID  (1ull << 0)
#define PTE_TABLE  (1ull << 1)
#define PTE_AP1    (1ull << 6)   /* S1: EL0 access;  S2: S2AP[0] read */
#define PTE_AP2    (1ull << 7)   /* S1: read-only;   S2: S2AP[1] write */
#define PTE_AF     (1ull << 10)
#define PTE_NG     (1ull << 11)
#define PTE_DBM    (1ull << 51)
#define HTTU_RETRIES 16

static const char *const s1_names[4] = { "S1 L0", "S1 L1", "S1 L2", "S1 L3" };
static const char *const s2_names[4] = { "S2 L0", "S2 L1", "S2 L2", "S2 L3" };

struct lpae {
    uint64_t table;          /* initial table */
    unsigned g, start, ia, oa;
    bool s2, be, ha, hd, affd, had, priv, pan, record;
};

static uint64_t to_cpu(uint64_t raw, bool be) { return be ? be64toh(raw) : le64toh(raw); }
static uint64_t to_mem(uint64_t v, bool be) { return be ? htobe64(v) : htole64(v); }

/* Blocks: 4K at L1/L2, 16K and 64K at L2 (L0/L1 blocks need DS or 52-bit PA,
 * not implemented). §6.1. */
static bool block_ok(unsigned g, unsigned level)
{
    return g == 12 ? (level == 1 || level == 2) : level == 2;
}

static void fault(struct smmu_event *ev, uint8_t type)
{
    ev->type = type;
}

/* Read a descriptor; for stage 1 under nesting, its IPA goes through stage 2
 * first (CLASS=TT, TTRnW=1). *pa gets the physical address. */
static int read_desc(struct emu_iommu *iommu, const struct smmu_cfg *cfg, bool nested,
                     const struct lpae *p, unsigned level, uint64_t daddr, uint64_t *pa,
                     uint64_t *desc, struct smmu_event *ev, bool *record)
{
    uint64_t raw;

    *pa = daddr;
    if (nested) {
        struct walk_res r2;
        struct smmu_event e2 = *ev;

        if (smmu_s2_translate(iommu, cfg, daddr, false, true, CLASS_TT, ev->input, &r2, &e2, record)) {
            *ev = e2;
            return -EFAULT;
        }
        *pa = r2.out;
    }
    if (emu_fetch(iommu, p->s2 ? s2_names[level] : s1_names[level], *pa, &raw, 8)) {
        /* §8.2 F_WALK_EABT: a stage-1-only walk reports S2=0, CLASS=TT. */
        ev->type = EVT_F_WALK_EABT;
        ev->s2 = p->s2;
        ev->class_ = p->s2 ? ev->class_ : CLASS_TT;
        ev->fetch = *pa;
        ev->has_fetch = true;
        *record = true;
        return -EFAULT;
    }
    *desc = to_cpu(raw, p->be);
    return 0;
}

/* One LPAE walk. in: VA (stage 1) or IPA (stage 2). write: the access is a
 * write. nested: stage-1 table addresses are IPAs. ev->s2/class_/ipa are set by
 * the caller for stage 2; this fills type and the stage-1 CLASS. */
static int lpae_walk(struct emu_iommu *iommu, const struct smmu_cfg *cfg, const struct lpae *p,
                     uint64_t in, bool write, bool nested, struct walk_res *r,
                     struct smmu_event *ev, bool *record)
{
    unsigned stride = p->g - 3, level = p->start;
    unsigned bits0 = p->ia - (p->g + (3 - p->start) * stride);
    uint64_t table = p->table & ~((8ull << bits0) - 1);
    unsigned ap_table = 0;   /* accumulated APTable[1:0] */

    if (!p->s2)
        ev->class_ = CLASS_IN;
    *record = p->record;
    for (;;) {
        unsigned shift = p->g + (3 - level) * stride;
        unsigned nbits = level == p->start ? bits0 : stride;
        uint64_t daddr = table + ((in >> shift) & ((1ull << nbits) - 1)) * 8;
        uint64_t pa, desc, nd, out;
        bool af, dbm, rd_ok, wr_now, wr_clean;
        int tries = 0;

        if (read_desc(iommu, cfg, nested, p, level, daddr, &pa, &desc, ev, record))
            return -EFAULT;
retry:
        *record = p->record;
        if (!(desc & PTE_VALID))
            return fault(ev, EVT_F_TRANSLATION), -EFAULT;
        if (level < 3 && (desc & PTE_TABLE)) {
            table = desc & emu_mask(47, p->g);
            if (p->oa < 64 && (table >> p->oa))
                return fault(ev, EVT_F_ADDR_SIZE), -EFAULT;
            /* APTable[62:61] (stage 1 only), unless HAD disables it (IDR3.HAD). */
            if (!p->s2 && !p->had)
                ap_table |= (unsigned)(desc >> 61) & 3;
            level++;
            continue;
        }
        if (level == 3 ? !(desc & PTE_TABLE) : !block_ok(p->g, level))
            return fault(ev, EVT_F_TRANSLATION), -EFAULT;
        out = (desc & emu_mask(47, shift)) | (in & ((1ull << shift) - 1));
        if (p->oa < 64 && (out >> p->oa))
            return fault(ev, EVT_F_ADDR_SIZE), -EFAULT;
        af = desc & PTE_AF;
        dbm = desc & PTE_DBM;
        /* §6.4: with HA=0, AF=0 faults unless AFFD; AF faults rank above
         * permission faults (§8.2). */
        if (!af && !p->ha && !p->affd)
            return fault(ev, EVT_F_ACCESS), -EFAULT;
        if (p->s2) {
            /* §6.3: S2AP[0] read, S2AP[1] write; DBM + S2HD: write sets S2AP[1]. */
            rd_ok = desc & PTE_AP1;
            wr_now = desc & PTE_AP2;
            wr_clean = !wr_now && dbm && p->hd;
            if (write ? !(wr_now || wr_clean) : !rd_ok)
                return fault(ev, EVT_F_PERMISSION), -EFAULT;
        } else {
            /* §6.2: AP[1] = EL0 access, AP[2] = read-only; APTable[0] (bit 61)
             * removes EL0 access, APTable[1] (bit 62) write access below.
             * Device transactions are unprivileged unless STE.PRIVCFG says
             * privileged; PAN blocks privileged access to EL0-accessible pages. */
            bool el0 = (desc & PTE_AP1) && !(ap_table & 1);

            rd_ok = p->priv ? !(p->pan && (desc & PTE_AP1)) : el0;
            wr_now = rd_ok && !(desc & PTE_AP2) && !(ap_table & 2);
            /* Dirty-state update only when AP[2] alone makes it read-only (§6.4). */
            wr_clean = rd_ok && (desc & PTE_AP2) && dbm && p->hd && !(ap_table & 2);
            if (!rd_ok || (write && !wr_now && !wr_clean))
                return fault(ev, EVT_F_PERMISSION), -EFAULT;
        }
        /* HTTU: set AF, and on a write to a writable-clean entry mark it dirty,
         * in one atomic read-modify-write (§6.4). */
        nd = desc;
        if (!af && p->ha)
            nd |= PTE_AF;
        if (write && wr_clean)
            nd = p->s2 ? nd | PTE_AP2 : nd & ~PTE_AP2;
        if (nd != desc) {
            uint64_t expect = to_mem(desc, p->be), wpa = pa;
            int rc;

            if (nested) {
                /* §6.4 nested: the S1 update is a write to the descriptor's IPA,
                 * which stage 2 must permit (CLASS=TT, TTRnW=0). */
                struct walk_res r2;
                struct smmu_event e2 = *ev;

                if (smmu_s2_translate(iommu, cfg, daddr, true, false, CLASS_TT, ev->input, &r2,
                                      &e2, record)) {
                    *ev = e2;
                    return -EFAULT;
                }
                wpa = r2.out;
            }
            rc = emu_mem_cmpxchg64(iommu->mem, wpa, &expect, to_mem(nd, p->be));
            if (rc < 0) {
                ev->type = EVT_F_WALK_EABT;
                ev->s2 = p->s2;
                if (!p->s2)
                    ev->class_ = CLASS_TT;
                ev->fetch = wpa;
                ev->has_fetch = true;
                *record = true;
                return -EFAULT;
            }
            if (rc == 0) {
                /* Software changed the entry meanwhile: evaluate the new value. */
                desc = to_cpu(expect, p->be);
                if (++tries < HTTU_RETRIES)
                    goto retry;
                ev->type = EVT_F_WALK_EABT;
                ev->fetch = wpa;
                ev->has_fetch = true;
                *record = true;
                return -EFAULT;
            }
            if (emu_tracing(iommu)) {
                struct emu_trace_rec rec = {
                    .kind = EMU_TRACE_AD_UPDATE, .a = wpa, .b = nd, .width = 8,
                    .rid = ev->sid, .pasid = ev->ssid,
                    .what = (nd ^ desc) == PTE_AF ? "AF" : (nd ^ desc) & PTE_AF ? "AD" : "DBM" };
                emu_trace(iommu, &rec);
            }
            desc = nd;
        }
        r->out = out;
        r->shift = (uint8_t)shift;
        r->leaf_gpa = pa;
        r->global = !p->s2 && !(desc & PTE_NG);
        r->perm = (uint8_t)((rd_ok ? EMU_PERM_R : 0) | ((wr_now || wr_clean) ? EMU_PERM_W : 0));
        /* The TLB may cache writable-dirty; a writable-clean entry must walk
         * again on a write so that the dirty state is recorded (§9.4). */
        r->dirty = p->s2 ? (desc & PTE_AP2) != 0 : (wr_now && !(desc & PTE_AP2));
        return 0;
    }
}

int smmu_s2_translate(struct emu_iommu *iommu, const struct smmu_cfg *cfg, uint64_t ipa,
                      bool write, bool ttrnw, uint8_t cls, uint64_t input,
                      struct walk_res *r, struct smmu_event *ev, bool *record)
{
    struct lpae p = {
        .table = cfg->s2ttb, .g = cfg->s2g, .start = cfg->s2sl, .ia = 64u - cfg->s2tsz,
        .oa = cfg->s2ps, .s2 = true, .be = cfg->s2_be, .ha = cfg->s2_ha, .hd = cfg->s2_hd,
        .affd = cfg->s2_affd, .record = cfg->s2_r,
    };

    ev->s2 = true;
    ev->class_ = cls;
    ev->ipa = ipa;
    ev->input = input;
    ev->ttrnw = ttrnw;
    *record = cfg->s2_r;
    if (p.ia < 64 && (ipa >> p.ia)) {
        ev->type = EVT_F_TRANSLATION;       /* IPA beyond S2T0SZ */
        return -EFAULT;
    }
    return lpae_walk(iommu, cfg, &p, ipa, write, false, r, ev, record);
}

int smmu_s1_translate(struct emu_iommu *iommu, const struct smmu_cfg *cfg, uint64_t va,
                      bool write, struct walk_res *r, struct smmu_event *ev, bool *record)
{
    unsigned upper = (unsigned)(va >> 55) & 1;
    const struct s1_tt *t = &cfg->tt[upper];
    bool nested = cfg->kind == CFG_NESTED;
    struct lpae p;
    unsigned hi, stride;
    uint64_t m;

    ev->s2 = false;
    ev->class_ = CLASS_IN;
    ev->input = va;
    *record = cfg->s1_r;
    /* §5.2 EPDx: walks of that range disabled -> F_TRANSLATION. */
    if (t->epd || !t->gshift) {
        ev->type = EVT_F_TRANSLATION;
        return -EFAULT;
    }
    /* VA[55] selects TTB0/TTB1; bits [63:IA] ([55:IA] with TBI) must equal it. */
    hi = t->tbi ? 55 : 63;
    m = emu_mask(hi, 64u - t->tsz);
    if ((va & m) != (upper ? m : 0)) {
        ev->type = EVT_F_TRANSLATION;
        return -EFAULT;
    }
    stride = t->gshift - 3u;
    p = (struct lpae){
        .table = t->ttb, .g = t->gshift, .ia = 64u - t->tsz, .oa = cfg->ips,
        .s2 = false, .be = cfg->s1_be, .ha = cfg->s1_ha, .hd = cfg->s1_hd,
        .affd = cfg->s1_affd, .had = t->had, .priv = cfg->priv, .pan = cfg->s1_pan,
        .record = cfg->s1_r,
    };
    /* §6.1: start level = 4 - ceil((IA - g) / stride). */
    p.start = 3u - (p.ia - p.g - 1u) / stride;
    if (lpae_walk(iommu, cfg, &p, va, write, nested, r, ev, record))
        return -EFAULT;
    if (nested) {
        struct walk_res r2;
        struct smmu_event e2 = *ev;
        uint64_t ipa = r->out;

        if (smmu_s2_translate(iommu, cfg, ipa, write, false, CLASS_IN, va, &r2, &e2, record)) {
            *ev = e2;
            return -EFAULT;
        }
        r->out = r2.out;
        r->perm &= r2.perm;
        r->dirty = r->dirty && r2.dirty;
        if (r2.shift < r->shift)
            r->shift = r2.shift;
    }
    return 0;
}

int smmu_fetch_ipa(struct emu_iommu *iommu, const struct smmu_cfg *cfg, bool nested,
                   const char *what, uint64_t addr, void *dst, size_t len, uint8_t cls,
                   uint64_t input, struct smmu_event *ev, bool *record)
{
    uint64_t pa = addr;

    if (nested) {
        struct walk_res r2;
        struct smmu_event e2 = *ev;

        if (smmu_s2_translate(iommu, cfg, addr, false, true, cls, input, &r2, &e2, record)) {
            *ev = e2;
            return -EFAULT;
        }
        pa = r2.out;
    }
    if (emu_fetch(iommu, what, pa, dst, len)) {
        ev->type = EVT_F_WALK_EABT;     /* the caller renames it (F_CD_FETCH) */
        ev->s2 = false;
        ev->fetch = pa;
        ev->has_fetch = true;
        *record = true;
        return -EFAULT;
    }
    return 0;
}
