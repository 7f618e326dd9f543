/* SPDX-License-Identifier: MIT */
/*
 * VT-d invalidation: register-based (CCMD, IOTLB_REG) and queued
 * invalidation (vtd.md §5, VT-d spec §6.5).
 */
#include <stdio.h>

#include "vtd.h"

static void trace_inval(struct emu_iommu *iommu, uint64_t a, uint64_t b, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#include <stdarg.h>
static void trace_inval(struct emu_iommu *iommu, uint64_t a, uint64_t b, const char *fmt, ...)
{
    if (!emu_tracing(iommu))
        return;
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    struct emu_trace_rec rec = { .kind = EMU_TRACE_INVAL, .a = a, .b = b, .what = buf,
                                 .pasid = EMU_NO_PASID };
    emu_trace(iommu, &rec);
}

void vtd_inval_all_caches(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    vtd_cc_inval_all(v);
    emu_iotlb_inval_all(v->tlb);
}

/* FM masks the low SID bits (VT-d spec §11.4.5: 1 -> bit 2, 2 -> 2:1, 3 -> 2:0). */
static uint16_t fm_mask(unsigned fm)
{
    static const uint16_t m[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };
    return m[fm & 3];
}

/* Context-cache invalidation, shared by CCMD and descriptor type 1. Returns
 * the actual granularity performed (01 global, 10 domain, 11 device). */
static unsigned ctx_inval(struct emu_iommu *iommu, unsigned g, uint16_t did, uint16_t sid, unsigned fm)
{
    struct vtd *v = VTD(iommu);
    switch (g) {
    case 1:
        vtd_cc_inval_all(v);
        trace_inval(iommu, 0, 0, "context-cache global");
        return 1;
    case 2:
        if (v->ttm == 1) {
            /* Scalable-mode context entries carry no DID: a domain-selective
             * request is performed as global and reported so in CAIG. */
            vtd_cc_inval_all(v);
            trace_inval(iommu, did, 0, "context-cache domain did=%u (performed global)", did);
            return 1;
        }
        vtd_cc_inval_did(v, did, false);
        trace_inval(iommu, did, 0, "context-cache domain did=%u", did);
        return 2;
    case 3:
        vtd_cc_inval_sid(v, sid, fm_mask(fm));
        trace_inval(iommu, sid, fm, "context-cache device sid=0x%04x fm=%u", sid, fm);
        return 3;
    }
    return 0;
}

void vtd_ccmd_written(struct emu_iommu *iommu, uint64_t val)
{
    uint32_t gsts = (uint32_t)vtd_get(iommu, VTD_GSTS, 4);
    if (gsts & GCMD_QIE) {
        /* VT-d spec §6.5: register-based invalidation must not be used while
         * QI is enabled; the request is not performed and ICC stays set. */
        vtd_event(iommu, "CCMD while QIES=1: ignored");
        return;
    }
    unsigned cirg = (val >> 61) & 3;
    unsigned caig = ctx_inval(iommu, cirg, (uint16_t)val, (uint16_t)(val >> 16), (val >> 32) & 3);
    /* Completion: ICC cleared, CAIG reports the granularity performed. The
     * write-only SID/FM fields are not kept. */
    uint64_t nv = (val & ((3ull << 61) | 0xffff)) | ((uint64_t)caig << 59);
    vtd_set(iommu, VTD_CCMD, 8, nv);
}

/* IOTLB invalidation by granularity; returns the actual granularity
 * (IAIG encoding) or 0 if the request was rejected. Over-invalidation is
 * allowed (VT-d spec §6.5.1.2): entries are dropped for every PASID. */
static unsigned iotlb_inval(struct emu_iommu *iommu, unsigned g, uint16_t did, uint64_t addr, unsigned am)
{
    struct vtd *v = VTD(iommu);
    switch (g) {
    case 1:
        emu_iotlb_inval_all(v->tlb);
        trace_inval(iommu, 0, 0, "iotlb global");
        return 1;
    case 2:
        emu_iotlb_inval(v->tlb, EMU_TLB_ANY, did, EMU_TLB_ANY, 0, 0);
        trace_inval(iommu, did, 0, "iotlb domain did=%u", did);
        return 2;
    case 3: {
        if (!(v->cap & CAP_PSI)) {
            /* No page-selective support: performed as domain-selective. */
            emu_iotlb_inval(v->tlb, EMU_TLB_ANY, did, EMU_TLB_ANY, 0, 0);
            trace_inval(iommu, did, 0, "iotlb page did=%u (performed domain)", did);
            return 2;
        }
        if (am > CAP_MAMV(v->cap))
            return 0;
        uint64_t size = 1ull << (12 + am);
        uint64_t base = addr & ~(size - 1);
        emu_iotlb_inval(v->tlb, EMU_TLB_ANY, did, EMU_TLB_ANY, base, size);
        trace_inval(iommu, base, size, "iotlb page did=%u addr=0x%llx am=%u", did,
                    (unsigned long long)base, am);
        return 3;
    }
    }
    return 0;
}

void vtd_iotlb_written(struct emu_iommu *iommu, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    uint32_t off = v->iro_off + 8;
    if (vtd_get(iommu, VTD_GSTS, 4) & GCMD_QIE) {
        vtd_event(iommu, "IOTLB_REG while QIES=1: ignored");
        return;
    }
    /* IVA is write-only: the model keeps its stored value for this purpose. */
    uint64_t iva = vtd_get(iommu, v->iro_off, 8);
    unsigned iirg = (val >> 60) & 3;
    unsigned iaig = iotlb_inval(iommu, iirg, (uint16_t)(val >> 32), iva & ~0xfffull, iva & 0x3f);
    uint64_t nv = (val & ~((1ull << 63) | (3ull << 57))) | ((uint64_t)iaig << 57);
    vtd_set(iommu, off, 8, nv);
}

/* ---- Queued invalidation ---------------------------------------------------- */

static void set_iqh(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    vtd_set(iommu, VTD_IQH, 8, ((uint64_t)v->iq_head << v->iq_shift) & 0x7fff0);
}

void vtd_qi_enable(struct emu_iommu *iommu, bool on)
{
    struct vtd *v = VTD(iommu);
    uint32_t gsts = (uint32_t)vtd_get(iommu, VTD_GSTS, 4);
    if (on) {
        /* Latch the queue (VT-d spec §6.5.2): base, size, descriptor width. */
        uint64_t iqa = vtd_get(iommu, VTD_IQA, 8);
        v->iq_base = iqa & ~0xfffull & ~v->haw_mask;
        v->iq_shift = (iqa & (1ull << 11)) ? 5 : 4;
        v->iq_entries = 1u << (8 + (iqa & 7) - (v->iq_shift - 4));
        v->iq_head = 0;
        set_iqh(iommu);
        vtd_set(iommu, VTD_GSTS, 4, gsts | GCMD_QIE);
        vtd_event(iommu, "QIE=1: queue 0x%llx, %u x %u-byte descriptors",
                  (unsigned long long)v->iq_base, v->iq_entries, 1u << v->iq_shift);
        /* A tail programmed before enabling is processed now. */
        vtd_qi_process(iommu);
    } else {
        /* Hardware completes outstanding work (synchronous here), clears
         * QIES and resets IQH to 0 (VT-d spec §11.4.9.1). */
        v->iq_head = 0;
        vtd_set(iommu, VTD_IQH, 8, 0);
        vtd_set(iommu, VTD_GSTS, 4, gsts & ~GCMD_QIE);
        vtd_event(iommu, "QIE=0: queued invalidation disabled");
    }
}

static void qi_error(struct emu_iommu *iommu, unsigned iqei, const char *why)
{
    uint32_t fsts = (uint32_t)vtd_get(iommu, VTD_FSTS, 4);
    vtd_set(iommu, VTD_FSTS, 4, fsts | FSTS_IQE);
    uint64_t rec = vtd_get(iommu, VTD_IQERCD, 8);
    vtd_set(iommu, VTD_IQERCD, 8, (rec & ~0xfull) | iqei);
    vtd_event(iommu, "IQE: IQEI=%u %s (head %u)", iqei, why, VTD(iommu)->iq_head);
    vtd_raise_fault_event(iommu, fsts);
}

static void qi_timeout(struct emu_iommu *iommu, uint16_t sid)
{
    uint32_t fsts = (uint32_t)vtd_get(iommu, VTD_FSTS, 4);
    vtd_set(iommu, VTD_FSTS, 4, fsts | FSTS_ITE);
    uint64_t rec = vtd_get(iommu, VTD_IQERCD, 8);
    vtd_set(iommu, VTD_IQERCD, 8, (rec & ~(0xffffull << 32)) | ((uint64_t)sid << 32));
    vtd_event(iommu, "ITE: device-TLB invalidation time-out sid=0x%04x", sid);
    vtd_raise_fault_event(iommu, fsts);
}

void vtd_iqt_written(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    uint64_t iqt = vtd_get(iommu, VTD_IQT, 8);
    if (!(vtd_get(iommu, VTD_GSTS, 4) & GCMD_QIE))
        return;                       /* latched; processed when QIE is set */
    if (vtd_get(iommu, VTD_FSTS, 4) & (FSTS_IQE | FSTS_ITE))
        return;                       /* halted until software clears the error */
    if (v->iq_shift == 5 && (iqt & 0x10)) {
        qi_error(iommu, IQEI_TAIL_ALIGN, "IQT not 256-bit aligned");
        return;
    }
    vtd_qi_process(iommu);
}

/* Reserved-bit masks per descriptor type, qword 0 / qword 1 (vtd.md §5.2). */
static int check_desc(struct emu_iommu *iommu, const uint64_t *d, unsigned type, unsigned *iqei)
{
    struct vtd *v = VTD(iommu);
    uint64_t ok0, ok1;
    bool sm_only = type >= 6;
    *iqei = IQEI_TYPE;
    if (type < 1 || type > 9)
        return -1;
    if (sm_only && (v->ttm != 1 || !(v->ecap & ECAP_SMTS)))
        return -1;
    switch (type) {
    case 1: ok0 = 0x0003ffffffff003full; ok1 = 0; break;
    case 2: ok0 = 0x00000000ffff00ffull; ok1 = 0xfffffffffffff07full; break;
    case 3:
        if (!(v->ecap & ECAP_DT))
            return -1;
        ok0 = 0xfff0ffff001ff00full; ok1 = 0xfffffffffffff001ull; break;
    case 4:
        if (!(v->ecap & ECAP_IR))
            return -1;
        ok0 = 0x0000fffff800001full; ok1 = 0; break;
    case 5:
        ok0 = 0xffffffff0000007full | ((v->ecap & ECAP_PDS) ? 0x80 : 0);
        ok1 = ~3ull; break;
    case 6: ok0 = 0x000fffffffff003full; ok1 = 0xfffffffffffff07full; break;
    case 7: ok0 = 0x000fffffffff003full; ok1 = 0; break;
    case 8:
        if (!(v->ecap & ECAP_DT))
            return -1;
        ok0 = 0xfffffffffffff1ffull; ok1 = 0xfffffffffffff801ull; break;
    default:                          /* 9: page-group response needs ECAP.PRS */
        return -1;
    }
    *iqei = IQEI_RSVD;
    ok0 |= 0xe00;                     /* type bits 11:9, already matched */
    if ((d[0] & ~ok0) || (d[1] & ~ok1))
        return -1;
    if (v->iq_shift == 5 && (d[2] || d[3]))
        return -1;
    unsigned g = (d[0] >> 4) & 3;
    switch (type) {
    case 1: case 2:
        if (g == 0)
            return -1;                /* invalid granularity */
        if (type == 2 && g == 3 && ((d[1] & 0x3f) > CAP_MAMV(v->cap)))
            return -1;
        break;
    case 4:
        if ((d[0] & 0x10) && ((d[0] >> 27) & 0x1f) > ECAP_MHMV(v->ecap))
            return -1;
        break;
    case 5:
        break;
    case 6:
        if (g < 2)
            return -1;
        break;
    case 7:
        if (g == 2)
            return -1;
        break;
    }
    return 0;
}

static void exec_desc(struct emu_iommu *iommu, const uint64_t *d, unsigned type)
{
    struct vtd *v = VTD(iommu);
    unsigned g = (d[0] >> 4) & 3;
    uint16_t did = (uint16_t)(d[0] >> 16);
    uint32_t pasid = (uint32_t)(d[0] >> 32) & 0xfffff;
    switch (type) {
    case 1:
        ctx_inval(iommu, g, did, (uint16_t)(d[0] >> 32), (d[0] >> 48) & 3);
        break;
    case 2:
        iotlb_inval(iommu, g, did, d[1] & ~0xfffull, d[1] & 0x3f);
        break;
    case 3: case 8: {
        /* No device implements ATS in this model: a device-TLB invalidation
         * completes at once. */
        uint16_t sid = type == 3 ? (uint16_t)(d[0] >> 32) : (uint16_t)(d[0] >> 16);
        trace_inval(iommu, sid, d[1], "%sdevice-tlb sid=0x%04x addr=0x%llx",
                    type == 8 ? "pasid " : "", sid, (unsigned long long)(d[1] & ~0xfffull));
        break;
    }
    case 4:
        /* No interrupt-entry cache is modelled (interrupt remapping is
         * register-level only). */
        trace_inval(iommu, d[0] >> 32, 0, "interrupt-entry cache %s",
                    (d[0] & 0x10) ? "index" : "global");
        break;
    case 5: {
        if (d[0] & (1 << 5)) {
            uint64_t addr = d[1] & ~3ull;
            uint32_t data = (uint32_t)(d[0] >> 32);
            uint8_t le[4] = { (uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16), (uint8_t)(data >> 24) };
            int rc = emu_mem_write(iommu->mem, addr, le, 4);
            vtd_event(iommu, "inv-wait: status 0x%x -> 0x%llx%s", data, (unsigned long long)addr,
                      rc ? " (not memory: dropped)" : "");
        }
        if (d[0] & (1 << 4)) {
            uint32_t ics = (uint32_t)vtd_get(iommu, VTD_ICS, 4);
            if (!(ics & 1)) {
                /* VT-d spec §6.5.2.8: IWC set; IP, and the MSI if unmasked. */
                vtd_set(iommu, VTD_ICS, 4, ics | 1);
                uint32_t ctl = (uint32_t)vtd_get(iommu, VTD_IECTL, 4);
                if (ctl & ECTL_IM)
                    vtd_set(iommu, VTD_IECTL, 4, ctl | ECTL_IP);
                else
                    vtd_send_msi(iommu, VTD_IEADDR, VTD_IEDATA, VTD_IEUADDR, &v->inv_irqs,
                                 "invalidation event");
            }
        }
        /* FN (fence) and PD: everything before completed synchronously. */
        trace_inval(iommu, d[0], d[1], "inv-wait%s%s%s", (d[0] & 0x10) ? " IF" : "",
                    (d[0] & 0x20) ? " SW" : "", (d[0] & 0x40) ? " FN" : "");
        break;
    }
    case 6:
        if (g == 2) {
            emu_iotlb_inval(v->tlb, EMU_TLB_ANY, did, pasid, 0, 0);
            trace_inval(iommu, did, pasid, "p-iotlb did=%u pasid=0x%x", did, pasid);
        } else {
            unsigned am = d[1] & 0x3f;
            uint64_t size = 1ull << (12 + am);
            uint64_t base = d[1] & ~0xfffull & ~(size - 1);
            emu_iotlb_inval(v->tlb, EMU_TLB_ANY, did, pasid, base, size);
            trace_inval(iommu, base, size, "p-iotlb did=%u pasid=0x%x addr=0x%llx am=%u", did, pasid,
                        (unsigned long long)base, am);
        }
        break;
    case 7:
        if (g == 0)
            vtd_cc_inval_did(v, did, true);
        else if (g == 1)
            vtd_cc_inval_pasid(v, did, pasid);
        else
            vtd_cc_inval_all(v);
        trace_inval(iommu, did, pasid, "pasid-cache %s did=%u pasid=0x%x",
                    g == 0 ? "domain" : g == 1 ? "pasid" : "global", did, pasid);
        break;
    }
}

/* Fetch and perform descriptors from IQH to IQT (VT-d spec §6.5.2). The
 * head stops at a faulting descriptor. */
void vtd_qi_process(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    if (!(vtd_get(iommu, VTD_GSTS, 4) & GCMD_QIE))
        return;
    if (vtd_get(iommu, VTD_FSTS, 4) & (FSTS_IQE | FSTS_ITE))
        return;
    uint64_t iqt = vtd_get(iommu, VTD_IQT, 8);
    if (v->iq_shift == 5 && (iqt & 0x10)) {
        qi_error(iommu, IQEI_TAIL_ALIGN, "IQT not 256-bit aligned");
        return;
    }
    uint32_t tail = (uint32_t)((iqt & 0x7fff0) >> v->iq_shift);
    if (tail >= v->iq_entries) {
        qi_error(iommu, IQEI_TAIL, "IQT beyond the queue");
        return;
    }
    while (v->iq_head != tail) {
        if (v->ttm == 1 && v->iq_shift == 4) {
            /* Scalable mode needs 256-bit descriptors (VT-d spec §6.5.2). */
            qi_error(iommu, IQEI_WIDTH, "128-bit descriptors in scalable mode");
            return;
        }
        uint64_t d[4] = { 0, 0, 0, 0 };
        uint64_t gpa = v->iq_base + ((uint64_t)v->iq_head << v->iq_shift);
        if (emu_fetch(iommu, "inv descriptor", gpa, d, (size_t)1 << v->iq_shift)) {
            qi_error(iommu, IQEI_FETCH, "descriptor fetch error");
            return;
        }
        unsigned type = (unsigned)((d[0] & 0xf) | ((d[0] >> 5) & 0x70));
        unsigned iqei;
        if (check_desc(iommu, d, type, &iqei)) {
            qi_error(iommu, iqei, iqei == IQEI_TYPE ? "invalid descriptor type" : "reserved field");
            return;
        }
        exec_desc(iommu, d, type);
        v->iq_head = (v->iq_head + 1) % v->iq_entries;
        set_iqh(iommu);
        if ((type == 3 || type == 8) && v->ite_sid_set) {
            uint16_t sid = type == 3 ? (uint16_t)(d[0] >> 32) : (uint16_t)(d[0] >> 16);
            if (sid == v->ite_sid) {
                /* The device does not answer: invalidation time-out. */
                qi_timeout(iommu, sid);
                return;
            }
        }
    }
}
