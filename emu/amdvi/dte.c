/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi device table (amdvi.md §4): locating, fetching, caching, decoding
 * and validating the 256-bit Device Table Entry of a DeviceID.
 */
#include <string.h>

#include "amdvi.h"

/* §4.1-§4.4: decode all four qwords and flag reserved/unsupported settings
 * that make the entry illegal (ILLEGAL_DEV_TABLE_ENTRY, §4.5). */
void amdvi_dte_decode(const struct amdvi *s, struct amdvi_dte *d)
{
    const uint64_t q0 = d->q[0], q1 = d->q[1], q2 = d->q[2], q3 = d->q[3];
    const uint64_t efr = s->efr;
    d->v = q0 & 1;
    d->tv = (q0 >> 1) & 1;
    d->had = (uint8_t)emu_bits(q0, 8, 7);
    d->mode = (uint8_t)emu_bits(q0, 11, 9);
    d->root = q0 & PTE_ADDR_MASK;
    d->giov = (q0 >> 54) & 1;
    d->gv = (q0 >> 55) & 1;
    d->glx = (uint8_t)emu_bits(q0, 57, 56);
    d->ir = (q0 >> 61) & 1;
    d->iw = (q0 >> 62) & 1;
    d->domid = (uint16_t)(q1 & 0xFFFF);
    /* GCR3 root pointer is scattered: [14:12] in 60:58, [30:15] in 95:80,
     * [51:31] in 127:107 (§4.1, §4.2). */
    d->gcr3 = (emu_bits(q0, 60, 58) << 12) | (emu_bits(q1, 31, 16) << 15) |
              (emu_bits(q1, 63, 43) << 31);
    d->iotlb = (q1 >> 32) & 1;
    d->se = (q1 >> 33) & 1;
    d->sa = (q1 >> 34) & 1;
    d->ex = (q1 >> 39) & 1;
    d->iv = q2 & 1;
    d->int_tab_len = (uint8_t)emu_bits(q2, 4, 1);
    d->ig = (q2 >> 5) & 1;
    d->int_root = q2 & emu_mask(51, 6);
    d->int_ctl = (uint8_t)emu_bits(q2, 61, 60);
    d->gpt_levels = emu_bits(q2, 55, 54) == 1 ? 5 : 4;

    int bad = 0;
    unsigned hats = (unsigned)emu_bits(efr, 11, 10);
    if (q0 & (emu_mask(6, 2) | (1ull << 63)))          /* §4.1 reserved */
        bad = 1;
    if (d->had == 2 || (d->had == 1 && !(efr & EFR_HASUP)) ||
        (d->had == 3 && !(efr & EFR_HDSUP)))            /* §4.1 HAD, §8.1 */
        bad = 1;
    if (d->mode == 7 || (hats == 3 && (d->mode != 0 || d->root)))
        bad = 1;                                         /* reserved mode; HATDis */
    if (((q0 >> 52) & 3) && !(efr & EFR_PPRSUP))        /* PPR, GPRP */
        bad = 1;
    if ((d->gv || d->giov) && !(efr & EFR_GTSUP))
        bad = 1;
    if (d->giov && !(efr & EFR_GIOSUP))
        bad = 1;
    if (d->gv && d->glx > emu_bits(efr, 15, 14))
        bad = 1;
    if (((q1 >> 42) & 1) && !(efr & (1ull << 31)))      /* SATS without SATSSup */
        bad = 1;
    if (emu_bits(q1, 36, 35) == 3)                      /* IoCtl reserved */
        bad = 1;
    if (q2 & (emu_mask(53, 52) | (1ull << 59)))         /* §4.3 reserved 181:180, 187 */
        bad = 1;
    if (d->gv && (emu_bits(q2, 55, 54) > 1 ||
                  (emu_bits(q2, 55, 54) == 1 && emu_bits(efr, 13, 12) != 1)))
        bad = 1;                                         /* GuestPagingMode vs GATS */
    if (q3 & (emu_mask(14, 0) | emu_mask(52, 48)))      /* §4.4 reserved */
        bad = 1;
    if (((q3 >> 15) & 1) && !(efr & EFR_VIOMMUSUP))
        bad = 1;
    d->illegal = bad;
}

/* §4: DTE address = segment base + index * 32; with Control.DevTblSegEn the
 * top 1..3 DeviceID bits select a segment register (0x00, 0x100..0x130),
 * whose Size field shrinks by one bit per doubling. */
static bool dte_addr(const struct emu_iommu *iommu, uint16_t devid, uint64_t *gpa)
{
    unsigned seg_en = (unsigned)emu_bits(AMDVI(iommu)->ctrl, 36, 34);
    if (seg_en > 3)
        seg_en = 3;
    unsigned ibits = 16 - seg_en;
    unsigned seg = seg_en ? devid >> ibits : 0;
    uint32_t idx = devid & ((1u << ibits) - 1);
    uint64_t bar = amdvi_reg(iommu, seg ? AMDVI_DEV_TAB_SEG(seg) : AMDVI_DEV_TAB_BAR);
    uint64_t size = ((bar & (0x1FFull >> seg_en)) + 1) * 4096;
    *gpa = (bar & PTE_ADDR_MASK) + (uint64_t)idx * 32;
    /* VBox: an entry beyond the table is an IO_PAGE_FAULT (§4). */
    return (uint64_t)idx * 32 < size;
}

int amdvi_raise(struct emu_iommu *iommu, struct emu_fault *f, unsigned code, uint16_t devid,
                uint32_t pasid, uint64_t iova, bool write, uint64_t q0, uint64_t q1, bool log)
{
    struct emu_fault tmp;
    if (!f)
        f = &tmp;
    f->iova = iova;
    f->rid = devid;
    f->pasid = pasid;
    f->reason = code;
    f->write = write;
    if (emu_tracing(iommu)) {
        struct emu_trace_rec r = {.kind = EMU_TRACE_FAULT, .a = q0, .b = q1, .rid = devid,
                                  .pasid = pasid, .what = amdvi_event_name(code), .fault = f};
        emu_trace(iommu, &r);
    }
    if (log)
        amdvi_log_event(iommu, q0, q1);
    return -EFAULT;
}

int amdvi_get_dte(struct emu_iommu *iommu, uint16_t devid, bool write, uint64_t iova,
                  uint32_t pasid, struct amdvi_dte_slot **out, struct emu_fault *fault)
{
    struct amdvi *s = AMDVI(iommu);
    struct amdvi_dte_slot *slot = &s->dcache[devid % AMDVI_DTE_CACHE];
    if (slot->valid && slot->devid == devid) {
        *out = slot;
        return 0;
    }
    uint64_t gpa;
    uint64_t rw = write ? EVF_RW : 0;
    if (!dte_addr(iommu, devid, &gpa))
        return amdvi_raise(iommu, fault, AMDVI_EVT_IO_PAGE_FAULT, devid, pasid, iova, write,
                           amdvi_evt_q0(AMDVI_EVT_IO_PAGE_FAULT, devid, 0, rw), iova, true);
    struct amdvi_dte d;
    memset(&d, 0, sizeof(d));
    if (emu_fetch(iommu, "DTE", gpa, d.q, sizeof(d.q)))
        /* §7.3: DEV_TAB_HARDWARE_ERROR carries the SPA of the DTE. */
        return amdvi_raise(iommu, fault, AMDVI_EVT_DEV_TAB_HW_ERR, devid, pasid, iova, write,
                           amdvi_evt_q0(AMDVI_EVT_DEV_TAB_HW_ERR, devid, 0,
                                        rw | EVF_TYPE_MASTER_ABORT), gpa, true);
    d.gpa = gpa;
    amdvi_dte_decode(s, &d);
    slot->valid = true;
    slot->devid = devid;
    slot->has_last_fault = false;
    slot->dte = d;
    *out = slot;
    return 0;
}

void amdvi_dte_inval(struct emu_iommu *iommu, uint16_t devid)
{
    struct amdvi_dte_slot *slot = &AMDVI(iommu)->dcache[devid % AMDVI_DTE_CACHE];
    if (slot->devid == devid)
        slot->valid = false;
}

void amdvi_dte_inval_all(struct emu_iommu *iommu)
{
    struct amdvi *s = AMDVI(iommu);
    for (unsigned i = 0; i < AMDVI_DTE_CACHE; i++)
        s->dcache[i].valid = false;
}
