/* SPDX-License-Identifier: MIT */
/*
 * VT-d primary fault logging and the fault / invalidation-completion events
 * (vtd.md §6, VT-d spec §7.2-7.3 and §11.4.7).
 */
#include <stdio.h>

#include "vtd.h"

const char *vtd_fault_name(uint32_t r)
{
    switch (r) {
    case FR_ROOT_NP: return "LRT.2 root entry not present";
    case FR_CTX_NP: return "LCT.2 context entry not present";
    case FR_CTX_INV: return "LCT.4 invalid context programming";
    case FR_ADDR_BEYOND: return "LGN.4 address beyond MGAW/AGAW";
    case FR_WRITE: return "LSL.2 write not permitted";
    case FR_READ: return "LSL.1 read not permitted";
    case FR_PTE_ACCESS: return "LSL.x second-level entry access error";
    case FR_ROOT_ACCESS: return "LRT.1 root table access error";
    case FR_CTX_ACCESS: return "LCT.1 context table access error";
    case FR_ROOT_RSVD: return "LRT.3 root entry reserved bits";
    case FR_CTX_RSVD: return "LCT.3 context entry reserved bits";
    case FR_PTE_RSVD: return "LSL.x second-level entry reserved bits";
    case FR_INTR_ADDR: return "LGN.x output in interrupt range";
    case FR_TTM_INV: return "RTA.1 invalid TTM";
    case FR_PASID_IN_LEGACY: return "RTA.2 request with PASID in legacy mode";
    case FR_SRT_ACCESS: return "SRT.1 root table access error";
    case FR_SRT_NP: return "SRT.2 root entry not present";
    case FR_SRT_RSVD: return "SRT.3 root entry reserved bits";
    case FR_SCT_ACCESS: return "SCT.1 context table access error";
    case FR_SCT_NP: return "SCT.2 context entry not present";
    case FR_SCT_RSVD: return "SCT.3 context entry reserved bits";
    case FR_SCT_INV: return "SCT.4 invalid context programming";
    case FR_SPD_ACCESS: return "SPD.1 PASID directory access error";
    case FR_SPD_NP: return "SPD.2 PASID directory entry not present";
    case FR_SPD_RSVD: return "SPD.3 PASID directory entry reserved bits";
    case FR_SPT_ACCESS: return "SPT.1 PASID table access error";
    case FR_SPT_NP: return "SPT.2 PASID entry not present";
    case FR_SPT_RSVD: return "SPT.3 PASID entry reserved bits";
    case FR_SPT_INV: return "SPT.4 invalid PASID entry programming";
    case FR_FS_ACCESS: return "SFS.1 first-stage entry access error";
    case FR_FS_NP: return "SFS.2 first-stage entry not present";
    case FR_FS_RSVD: return "SFS.3 first-stage entry reserved bits";
    case FR_FS_PTR: return "SFS.4 FSPTPTR access error";
    case FR_SS_ACCESS: return "SSS.1 second-stage entry access error";
    case FR_SS_NP: return "SSS.2 second-stage entry not present";
    case FR_SS_RSVD: return "SSS.3 second-stage entry reserved bits";
    case FR_SS_PTR: return "SSS.4 SSPTPTR access error";
    case FR_SS_NOSNOOP: return "SSS.5 A/D update with non-snooped walk";
    case FR_SS_AD_FAIL: return "SSS.6 second-stage A/D update failed";
    case FR_FS_NONCANON: return "SGN.1 non-canonical first-stage input";
    case FR_FS_PRIV: return "SGN.2 user request to supervisor page";
    case FR_SGN_BEYOND: return "SGN.5 input beyond MGAW/AGAW";
    case FR_SGN_WRITE: return "SGN.6 write not permitted";
    case FR_SGN_READ: return "SGN.7 read not permitted";
    case FR_SGN_INTR: return "SGN.8 output in interrupt range";
    case FR_FS_AD_FAIL: return "SFS.10 first-stage A/D update failed";
    default: return "unknown fault reason";
    }
}

/* Message-signalled interrupt from an event register block. MSIs are
 * recorded as model state (a counter and an EVENT trace record); the data
 * dword is written to guest memory only if the address is mapped RAM. */
void vtd_send_msi(struct emu_iommu *iommu, uint32_t addr_off, uint32_t data_off,
                  uint32_t uaddr_off, uint64_t *counter, const char *what)
{
    uint64_t addr = vtd_get(iommu, addr_off, 4) | (vtd_get(iommu, uaddr_off, 4) << 32);
    uint32_t data = (uint32_t)vtd_get(iommu, data_off, 4);
    (*counter)++;
    uint8_t le[4] = { (uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16), (uint8_t)(data >> 24) };
    (void)emu_mem_write(iommu->mem, addr, le, sizeof(le));
    vtd_event(iommu, "%s MSI addr=0x%llx data=0x%x", what, (unsigned long long)addr, data);
}

/* VT-d spec §7.3: a fault event is generated only when the fault status
 * goes from "nothing pending" to pending. IP is set; with IM clear the MSI
 * is sent and IP cleared, otherwise IP stays set until IM is cleared. */
void vtd_raise_fault_event(struct emu_iommu *iommu, uint32_t pending_before)
{
    struct vtd *v = VTD(iommu);
    if (pending_before & FSTS_PENDING)
        return;
    if (!(vtd_get(iommu, VTD_FSTS, 4) & FSTS_PENDING))
        return;
    uint32_t ctl = (uint32_t)vtd_get(iommu, VTD_FECTL, 4);
    if (ctl & ECTL_IM) {
        vtd_set(iommu, VTD_FECTL, 4, ctl | ECTL_IP);
        return;
    }
    vtd_set(iommu, VTD_FECTL, 4, ctl & ~ECTL_IP);
    vtd_send_msi(iommu, VTD_FEADDR, VTD_FEDATA, VTD_FEUADDR, &v->fault_irqs, "fault event");
}

/* PPF = OR of the F bits of all fault-recording registers (VT-d spec §11.4.7.1). */
void vtd_update_ppf(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    uint32_t fsts = (uint32_t)vtd_get(iommu, VTD_FSTS, 4);
    bool any = false;
    for (uint32_t i = 0; i < v->nfr && !any; i++)
        any = vtd_get(iommu, v->fro_off + 16 * i + 8, 8) >> 63;
    fsts = any ? (fsts | FSTS_PPF) : (fsts & ~FSTS_PPF);
    vtd_set(iommu, VTD_FSTS, 4, fsts);
}

/* Software cleared status: with nothing left pending, IP is cleared
 * (VT-d spec §11.4.7.2). */
void vtd_fsts_written(struct emu_iommu *iommu)
{
    if (!(vtd_get(iommu, VTD_FSTS, 4) & FSTS_PENDING))
        vtd_set(iommu, VTD_FECTL, 4, vtd_get(iommu, VTD_FECTL, 4) & ~ECTL_IP);
}

void vtd_frcd_written(struct emu_iommu *iommu)
{
    vtd_update_ppf(iommu);
    vtd_fsts_written(iommu);
}

/* Unmasking with an interrupt pending sends it (VT-d spec §11.4.7.2). */
void vtd_fectl_written(struct emu_iommu *iommu, uint64_t old, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    (void)old;
    if (!(val & ECTL_IM) && (val & ECTL_IP)) {
        vtd_set(iommu, VTD_FECTL, 4, val & ~ECTL_IP);
        vtd_send_msi(iommu, VTD_FEADDR, VTD_FEDATA, VTD_FEUADDR, &v->fault_irqs, "fault event");
    }
}

void vtd_ics_written(struct emu_iommu *iommu)
{
    if (!(vtd_get(iommu, VTD_ICS, 4) & 1))
        vtd_set(iommu, VTD_IECTL, 4, vtd_get(iommu, VTD_IECTL, 4) & ~ECTL_IP);
}

void vtd_iectl_written(struct emu_iommu *iommu, uint64_t old, uint64_t val)
{
    struct vtd *v = VTD(iommu);
    (void)old;
    if (!(val & ECTL_IM) && (val & ECTL_IP)) {
        vtd_set(iommu, VTD_IECTL, 4, val & ~ECTL_IP);
        vtd_send_msi(iommu, VTD_IEADDR, VTD_IEDATA, VTD_IEUADDR, &v->inv_irqs, "invalidation event");
    }
}

/* Primary fault logging (VT-d spec §7.2.1, vtd.md §6.2). FPD suppresses
 * qualified faults only (§6.3). */
void vtd_record_fault(struct emu_iommu *iommu, uint16_t rid, const struct vtd_err *e,
                      uint64_t addr, bool write, struct emu_fault *out)
{
    struct vtd *v = VTD(iommu);
    struct emu_fault f = { .iova = addr, .rid = rid,
                           .pasid = e->pasid_known ? e->pasid : EMU_NO_PASID,
                           .reason = e->reason, .write = write };
    if (out)
        *out = f;
    if (emu_tracing(iommu)) {
        char what[96];
        snprintf(what, sizeof(what), "0x%02x %s%s", e->reason, vtd_fault_name(e->reason),
                 (e->qualified && e->fpd) ? " (FPD: not recorded)" : "");
        struct emu_trace_rec rec = { .kind = EMU_TRACE_FAULT, .a = addr, .rid = rid,
                                     .pasid = f.pasid, .what = what, .fault = &f };
        emu_trace(iommu, &rec);
    }
    if (e->qualified && e->fpd)
        return;
    uint32_t fsts = (uint32_t)vtd_get(iommu, VTD_FSTS, 4);
    if (fsts & FSTS_PFO)
        return;                                  /* overflowed: fault dropped */
    uint32_t idx = v->next_frcd % v->nfr;
    uint32_t off = v->fro_off + 16 * idx;
    if (vtd_get(iommu, off + 8, 8) >> 63) {
        /* The next record is still owned by software: overflow. */
        vtd_set(iommu, VTD_FSTS, 4, fsts | FSTS_PFO);
        vtd_event(iommu, "primary fault overflow (FRCD%u busy)", idx);
        vtd_raise_fault_event(iommu, fsts);
        return;
    }
    uint64_t hi = (uint64_t)rid | ((uint64_t)(e->reason & 0xff) << 32) | (write ? 0 : 1ull << 62) |
                  (1ull << 63);
    if (e->pasid_known)
        hi |= (1ull << 31) | ((uint64_t)(e->pasid & 0xfffff) << 40);
    vtd_set(iommu, off, 8, addr & ~0xfffull);
    vtd_set(iommu, off + 8, 8, hi);
    if (!(fsts & FSTS_PPF))
        fsts = (fsts & ~0xff00u) | (idx << 8);   /* FRI: first pending record */
    vtd_set(iommu, VTD_FSTS, 4, fsts | FSTS_PPF);
    v->next_frcd = (idx + 1) % v->nfr;
    vtd_event(iommu, "FRCD%u: reason 0x%02x sid 0x%04x addr 0x%llx %s", idx, e->reason, rid,
              (unsigned long long)(addr & ~0xfffull), write ? "write" : "read");
    vtd_raise_fault_event(iommu, fsts);
}
