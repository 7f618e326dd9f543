/* SPDX-License-Identifier: MIT */
/*
 * VT-d register file: the table (regs.def), profiles, reset, MMIO dispatch and
 * the GCMD/GSTS handshake (vtd.md §1-§3, VT-d spec §10.4 / §11.4).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vtd.h"

/* ---- Write hooks ----------------------------------------------------------- */
static void w_gcmd(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val);
static void w_ccmd(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    (void)o;
    /* VT-d spec §11.4.5: the command is issued by the write that sets ICC,
     * i.e. a write of the upper dword (or the whole qword). */
    if (vtd_wr_covers(v, r->offset + 7) && (val >> 63))
        vtd_ccmd_written(iommu, val);
}
static void w_iotlb(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    (void)o;
    if (vtd_wr_covers(v, r->offset + 7) && (val >> 63))
        vtd_iotlb_written(iommu, val);
}
static void w_iqt(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    (void)o; (void)val;
    /* QT lives in the low dword; a write of only the upper (reserved) dword
     * does not advance the tail. */
    if (v->wr_off < r->offset + 4)
        vtd_iqt_written(iommu);
}
static void w_fsts(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    (void)r;
    vtd_fsts_written(iommu);
    /* VT-d spec §6.5.2.10: hardware resumes fetching descriptors once
     * software has cleared IQE / ITE. */
    if (((o & ~val) & (FSTS_IQE | FSTS_ITE)) && !(val & (FSTS_IQE | FSTS_ITE)))
        vtd_qi_process(iommu);
}
static void w_fectl(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    (void)r;
    vtd_fectl_written(iommu, o, val);
}
static void w_ics(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    (void)r; (void)o; (void)val;
    vtd_ics_written(iommu);
}
static void w_iectl(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    (void)r;
    vtd_iectl_written(iommu, o, val);
}
static void w_frcd(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    (void)r; (void)o; (void)val;
    vtd_frcd_written(iommu);
}
static void w_pmen(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    (void)o;
    /* VT-d spec §11.4.13: PRS reports the protected-region status, which
     * follows EPM at once (no in-flight DMA in this model). */
    if (v->cap & (CAP_PLMR | CAP_PHMR))
        vtd_set(iommu, r->offset, 4, (val & 0x80000000u) | (val >> 31));
}

/* ---- The table ------------------------------------------------------------- */
#define VTD_FIELDS(name, ...) static const struct emu_field f_##name[] = { __VA_ARGS__, { NULL, 0, 0 } };
#include "regs.def"

#define ROW(NAME, off, w, rst, wm, w1c, wo, hook, fl) \
    { (off), (w), (rst), (wm), (w1c), (wo), #NAME, (hook), NULL, (fl) },
static const struct emu_reg fixed_rows[] = {
#define VTD_REG ROW
#include "regs.def"
};
static const struct emu_reg iotlb_rows[] = {
#define VTD_IOTLB_REG ROW
#include "regs.def"
};
static const struct emu_reg frcd_rows[] = {
#define VTD_FRCD_REG ROW
#include "regs.def"
};
#undef ROW

const struct emu_reg *vtd_fixed_rows(size_t *n)
{
    *n = sizeof(fixed_rows) / sizeof(fixed_rows[0]);
    return fixed_rows;
}

/* ---- Profiles (docs/vtd.md) ------------------------------------------------ */
#define DEF_CAP (6ull /* ND: 16-bit DIDs */ | (0x6ull << 8) /* SAGAW 39,48 */ | \
                 (47ull << 16) /* MGAW */ | (0x40ull << 24) /* FRO: 0x400 */ | \
                 (0x3ull << 34) /* SLLPS 2M,1G */ | CAP_PSI | (7ull << 40) /* 8 FRCDs */ | \
                 (18ull << 48) /* MAMV */ | (3ull << 54) /* DWD DRD */ | CAP_FL1GP | CAP_ESRTPS)
#define DEF_ECAP (ECAP_C | ECAP_QI | ECAP_DT | ECAP_IR | ECAP_EIM | ECAP_PT | ECAP_SC | \
                  (0x50ull << 8) /* IRO: 0x500 */ | (0xfull << 20) /* MHMV */ | \
                  (19ull << 35) /* PSS: 20-bit */ | ECAP_PASID | ECAP_SMTS | ECAP_SSADS | \
                  ECAP_SSTS | ECAP_FSTS | ECAP_SMPWCS | ECAP_RPS)

static const struct {
    const char *name;
    uint64_t cap, ecap;
    uint32_t ver;
} profiles[] = {
    { "default", DEF_CAP, DEF_ECAP, 0x10 },
    { "nodirty", DEF_CAP, DEF_ECAP & ~ECAP_SSADS, 0x10 },
    /* 5-level second stage and first stage, 57-bit MGAW. */
    { "5level", (DEF_CAP & ~((0x1full << 8) | (0x3full << 16))) | (0xeull << 8) | (56ull << 16) |
                    CAP_FL5LP, DEF_ECAP, 0x10 },
    /* QEMU 10.0 defaults, aw-bits=48 (vtd.md §2.3): legacy mode only. */
    { "qemu", 0x00D2008C222F0606ull, 0xF42ull, 0x10 },
    /* QEMU scalable-mode=on,intremap=on,eim=on (vtd.md §2.3). */
    { "qemu-sm", 0x00D2008C222F0606ull, 0x480080F00F5Aull, 0x10 },
};

int vtd_layout_ok(uint64_t cap, uint64_t ecap)
{
    uint64_t iro = (uint64_t)ECAP_IRO(ecap) * 16, fro = (uint64_t)CAP_FRO(cap) * 16;
    uint64_t fend = fro + 16ull * (CAP_NFR(cap) + 1);
    if (iro < VTD_FIXED_END || fro < VTD_FIXED_END)
        return 0;
    if (iro < fend && fro < iro + 16)
        return 0;
    if (CAP_MGAW(cap) < 31)     /* HAW below 32 bits is not a VT-d implementation */
        return 0;
    return 1;
}

int vtd_parse_profile(const char *profile, uint64_t *cap, uint64_t *ecap, uint32_t *ver, int32_t *ite_sid)
{
    *ite_sid = -1;
    char buf[512];
    *cap = profiles[0].cap;
    *ecap = profiles[0].ecap;
    *ver = profiles[0].ver;
    if (!profile || !*profile)
        return 0;
    if (strlen(profile) >= sizeof(buf))
        return -EINVAL;
    strcpy(buf, profile);
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), first = false) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            if (!first)
                return -EINVAL;
            size_t i, n = sizeof(profiles) / sizeof(profiles[0]);
            for (i = 0; i < n; i++)
                if (!strcasecmp(tok, profiles[i].name))
                    break;
            if (i == n)
                return -EINVAL;
            *cap = profiles[i].cap;
            *ecap = profiles[i].ecap;
            *ver = profiles[i].ver;
            continue;
        }
        *eq = 0;
        const char *val = eq + 1;
        char *end;
        if (!*val)
            return -EINVAL;
        errno = 0;
        unsigned long long x = strtoull(val, &end, 0);
        if (*end || errno || *val == '-')
            return -EINVAL;
        if (!strcasecmp(tok, "cap"))
            *cap = x;
        else if (!strcasecmp(tok, "ecap"))
            *ecap = x;
        else if (!strcasecmp(tok, "ver") && x <= 0xff)
            *ver = (uint32_t)x;
        else if (!strcasecmp(tok, "ite_sid") && x <= 0xffff)
            *ite_sid = (int32_t)x;
        else
            return -EINVAL;
    }
    return vtd_layout_ok(*cap, *ecap) ? 0 : -EINVAL;
}

/* Build the per-instance rows for the CAP/ECAP layout and (re)initialise the
 * register file. IVA/IOTLB and FRCD positions come from ECAP.IRO / CAP.FRO /
 * CAP.NFR (VT-d spec §11.4.2-3). */
static int build_regs(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    size_t n = 0, nf = sizeof(fixed_rows) / sizeof(fixed_rows[0]);
    for (size_t i = 0; i < nf; i++)
        v->rows[n++] = fixed_rows[i];
    for (size_t i = 0; i < 2; i++) {
        v->rows[n] = iotlb_rows[i];
        v->rows[n++].offset += v->iro_off;
    }
    for (uint32_t f = 0; f < v->nfr; f++) {
        for (unsigned h = 0; h < 2; h++) {
            snprintf(v->frcd_names[f][h], sizeof(v->frcd_names[f][h]), "FRCD%u_%s", f & 0xff, h ? "HI" : "LO");
            v->rows[n] = frcd_rows[h];
            v->rows[n].offset += v->fro_off + 16 * f;
            v->rows[n++].name = v->frcd_names[f][h];
        }
    }
    v->nrows = n;
    if (v->regs_ready)
        emu_regfile_fini(&iommu->regs);
    v->regs_ready = false;
    int rc = emu_regfile_init(&iommu->regs, v->mmio_size, v->rows, n);
    if (rc)
        return rc;
    v->regs_ready = true;
    v->layout_cap = v->cap;
    v->layout_ecap = v->ecap;
    return 0;
}

static void apply_geometry(struct vtd *v)
{
    v->iro_off = ECAP_IRO(v->ecap) * 16;
    v->fro_off = CAP_FRO(v->cap) * 16;
    v->nfr = CAP_NFR(v->cap) + 1;
    v->haw = CAP_MGAW(v->cap) + 1;
    v->haw_mask = v->haw >= 64 ? 0 : ~((1ull << v->haw) - 1);
    uint64_t end = VTD_FIXED_END;
    if (v->iro_off + 16 > end)
        end = v->iro_off + 16;
    if (v->fro_off + 16ull * v->nfr > end)
        end = v->fro_off + 16ull * v->nfr;
    v->mmio_size = (end + 4095) & ~4095ull;
}

int vtd_regs_layout(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    v->cap = v->cfg_cap;
    v->ecap = v->cfg_ecap;
    apply_geometry(v);
    if (!v->regs_ready || v->layout_cap != v->cap || v->layout_ecap != v->ecap)
        return build_regs(iommu);
    return 0;
}

static void masks(struct emu_iommu *iommu, uint32_t off, unsigned w, bool on)
{
    const struct emu_reg *r = emu_regfile_find(&iommu->regs, off);
    if (!r)
        return;
    if (on)
        emu_regfile_set_masks(&iommu->regs, off, w, r->wmask, r->w1cmask, r->womask);
    else {
        /* Reserved when the capability is absent (VT-d spec §11.4): RO 0. */
        emu_regfile_set_masks(&iommu->regs, off, w, 0, 0, 0);
        emu_regfile_set(&iommu->regs, off, w, 0);
    }
}

/* Load reset values, then the capability-dependent ID values and masks. */
void vtd_regs_reset(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    emu_regfile_reset(&iommu->regs);
    vtd_set(iommu, VTD_VER, 4, v->cfg_ver);
    vtd_set(iommu, VTD_CAP, 8, v->cap);
    vtd_set(iommu, VTD_ECAP, 8, v->ecap);
    bool qi = v->ecap & ECAP_QI, ir = v->ecap & ECAP_IR, eim = v->ecap & ECAP_EIM;
    bool prs = v->ecap & ECAP_PRS;
    /* FEUADDR/IEUADDR/PEUADDR: RW only with extended interrupt mode. */
    masks(iommu, VTD_FEUADDR, 4, eim);
    masks(iommu, VTD_AFLOG, 8, v->cap & CAP_AFL);
    masks(iommu, VTD_PMEN, 4, v->cap & (CAP_PLMR | CAP_PHMR));
    masks(iommu, VTD_PLMBASE, 4, v->cap & CAP_PLMR);
    masks(iommu, VTD_PLMLIMIT, 4, v->cap & CAP_PLMR);
    masks(iommu, VTD_PHMBASE, 8, v->cap & CAP_PHMR);
    masks(iommu, VTD_PHMLIMIT, 8, v->cap & CAP_PHMR);
    /* Queued-invalidation registers are reserved without ECAP.QI (§11.4.9). */
    static const uint32_t qregs[][2] = { { VTD_IQH, 8 }, { VTD_IQT, 8 }, { VTD_IQA, 8 },
        { VTD_ICS, 4 }, { VTD_IECTL, 4 }, { VTD_IEDATA, 4 }, { VTD_IEADDR, 4 },
        { VTD_IQERCD, 8 } };
    for (size_t i = 0; i < sizeof(qregs) / sizeof(qregs[0]); i++)
        masks(iommu, qregs[i][0], qregs[i][1], qi);
    masks(iommu, VTD_IEUADDR, 4, qi && eim);
    if (qi && !(v->ecap & (ECAP_SMTS | ECAP_ADMS))) {
        /* IQA.DW needs SMTS or ADMS (vtd.md §1.2); otherwise RsvdZ. */
        const struct emu_reg *r = emu_regfile_find(&iommu->regs, VTD_IQA);
        emu_regfile_set_masks(&iommu->regs, VTD_IQA, 8, r->wmask & ~(1ull << 11), 0, 0);
    }
    masks(iommu, VTD_IRTA, 8, ir);
    static const uint32_t pregs[][2] = { { VTD_PQH, 8 }, { VTD_PQT, 8 }, { VTD_PQA, 8 },
        { VTD_PRS, 4 }, { VTD_PECTL, 4 }, { VTD_PEDATA, 4 }, { VTD_PEADDR, 4 } };
    for (size_t i = 0; i < sizeof(pregs) / sizeof(pregs[0]); i++)
        masks(iommu, pregs[i][0], pregs[i][1], prs);
    masks(iommu, VTD_PEUADDR, 4, prs && eim);
    if (prs)
        vtd_set(iommu, VTD_PECTL, 4, 0x80000000u);
    if (qi)
        vtd_set(iommu, VTD_IECTL, 4, 0x80000000u);
}

void vtd_event(struct emu_iommu *iommu, const char *fmt, ...)
{
    if (!emu_tracing(iommu))
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    struct emu_trace_rec rec = { .kind = EMU_TRACE_EVENT, .what = buf,
                                 .rid = 0, .pasid = EMU_NO_PASID };
    emu_trace(iommu, &rec);
}

/* ---- GCMD / GSTS handshake (vtd.md §3, VT-d spec §11.4.4-5) ---------------- */
static void w_gcmd(struct emu_iommu *iommu, const struct emu_reg *r, uint64_t o, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    (void)r; (void)o;
    uint32_t sts = (uint32_t)vtd_get(iommu, VTD_GSTS, 4);
    uint32_t cmd = (uint32_t)val;
    uint32_t persist = GCMD_TE, oneshot = GCMD_SRTP | GCMD_WBF;
    if (v->ecap & ECAP_QI)
        persist |= GCMD_QIE;
    if (v->ecap & ECAP_IR) {
        persist |= GCMD_IRE | GCMD_CFI;
        oneshot |= GCMD_SIRTP;
    }
    if (v->cap & CAP_AFL) {
        persist |= GCMD_EAFL;
        oneshot |= GCMD_SFL;
    }
    /* A write of GCMD is a write of every persistent enable: a command is a
     * persistent bit that differs from its status, or a one-shot bit set. */
    uint32_t todo = ((cmd ^ sts) & persist) | (cmd & oneshot);
    if (!todo)
        return;
    if (todo & (todo - 1)) {
        /* VT-d spec §11.4.4: software must change one control per write; the
         * result of several is undefined. This model performs none of them. */
        vtd_event(iommu, "GCMD=0x%08x: %d commands in one write, ignored",
                  cmd, __builtin_popcount(todo));
        return;
    }
    switch (todo) {
    case GCMD_TE:
        sts ^= GCMD_TE;
        vtd_set(iommu, VTD_GSTS, 4, sts);
        vtd_event(iommu, "TE=%u: DMA remapping %s", !!(sts & GCMD_TE),
                  (sts & GCMD_TE) ? "enabled" : "disabled");
        break;
    case GCMD_SRTP: {
        uint64_t rta = vtd_get(iommu, VTD_RTADDR, 8);
        v->root = rta & ~0xfffull & ~v->haw_mask;
        v->ttm = (unsigned)(rta >> 10) & 3;
        /* CAP.ESRTPS: the latch also invalidates context, PASID and IOTLB
         * caches; without it software must do so (vtd.md §2.1). */
        if (v->cap & CAP_ESRTPS)
            vtd_inval_all_caches(iommu);
        vtd_set(iommu, VTD_GSTS, 4, sts | GCMD_SRTP);
        vtd_event(iommu, "SRTP: root table 0x%llx TTM=%u latched", (unsigned long long)v->root, v->ttm);
        break;
    }
    case GCMD_WBF:
        /* Write-buffer flush completes at once: WBFS reads 0 again. */
        vtd_event(iommu, "WBF: write buffer flushed");
        break;
    case GCMD_QIE:
        vtd_qi_enable(iommu, !(sts & GCMD_QIE));
        break;
    case GCMD_IRE:
        sts ^= GCMD_IRE;
        vtd_set(iommu, VTD_GSTS, 4, sts);
        vtd_event(iommu, "IRE=%u", !!(sts & GCMD_IRE));
        break;
    case GCMD_CFI:
        sts ^= GCMD_CFI;
        vtd_set(iommu, VTD_GSTS, 4, sts);
        vtd_event(iommu, "CFI=%u", !!(sts & GCMD_CFI));
        break;
    case GCMD_SIRTP:
        v->irta = vtd_get(iommu, VTD_IRTA, 8);
        vtd_set(iommu, VTD_GSTS, 4, sts | GCMD_SIRTP);
        vtd_event(iommu, "SIRTP: IRTA 0x%llx latched", (unsigned long long)v->irta);
        break;
    case GCMD_EAFL:
        sts ^= GCMD_EAFL;
        vtd_set(iommu, VTD_GSTS, 4, sts);
        break;
    case GCMD_SFL:
        vtd_set(iommu, VTD_GSTS, 4, sts | GCMD_SFL);
        break;
    }
}

/* ---- MMIO ------------------------------------------------------------------ */
uint64_t vtd_mmio_read(struct emu_iommu *iommu, uint64_t off, unsigned width)
{
    struct vtd *v = VTD(iommu);
    if (width < 1 || width > 8 || off >= v->mmio_size || width > v->mmio_size - off)
        return 0;
    return emu_regfile_read(iommu, &iommu->regs, off, width);
}

void vtd_mmio_write(struct emu_iommu *iommu, uint64_t off, unsigned width, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    if (width < 1 || width > 8 || off >= v->mmio_size || width > v->mmio_size - off)
        return;
    v->wr_off = off;
    v->wr_width = width;
    emu_regfile_write(iommu, &iommu->regs, off, width, val);
    v->wr_width = 0;
}
