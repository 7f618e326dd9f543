/* SPDX-License-Identifier: MIT */
/*
 * VT-d fault reporting of the mock driver: the fault-event MSI and its
 * handler (the roles of Linux drivers/iommu/intel/dmar.c dmar_set_interrupt,
 * dmar_msi_write / dmar_msi_unmask, dmar_fault, dmar_fault_do_one).
 *
 * VT-d spec §7.2 / §11.4.7 (vtd.md §6): a primary fault is written to the
 * next fault-recording register (FRCD, 128 bits at CAP.FRO*16, CAP.NFR+1 of
 * them) with F=1, FSTS.PPF and FSTS.FRI point at the first pending one, and
 * the fault event (FEDATA written to FEADDR/FEUADDR) fires when FSTS goes
 * from nothing pending to pending and FECTL.IM=0. The handler walks the
 * records from FRI while F=1, decodes each, clears it by writing 1 to F
 * (RW1C), then writes PFO|PPF|PRO to FSTS, exactly as dmar_fault does.
 */
#include <errno.h>

#include "vtd_priv.h"

#define VTD_FECTL   0x038
#define VTD_FEDATA  0x03c
#define VTD_FEADDR  0x040
#define VTD_FEUADDR 0x044

#define FSTS_PFO  (1u << 0)
#define FSTS_PPF  (1u << 1)
#define FSTS_PRO  (1u << 7)
#define FSTS_FRI(s) (((s) >> 8) & 0xffu)
#define FRCD_F    (1u << 31)         /* in the record's top dword */

#define CAP_FRO(c) ((unsigned)(((c) >> 24) & 0x3ff))
#define CAP_NFR(c) ((unsigned)(((c) >> 40) & 0xff))

/* The kernel's fault reason strings, by code (dmar.c dma_remap_fault_reasons,
 * dma_remap_sm_fault_reasons, irq_remap_fault_reasons): what it prints. */
static const char *const legacy_reasons[] = {
    "Software",
    "Present bit in root entry is clear",
    "Present bit in context entry is clear",
    "Invalid context entry",
    "Access beyond MGAW",
    "PTE Write access is not set",
    "PTE Read access is not set",
    "Next page table ptr is invalid",
    "Root table address invalid",
    "Context table ptr is invalid",
    "non-zero reserved fields in RTP",
    "non-zero reserved fields in CTP",
    "non-zero reserved fields in PTE",
    "PCE for translation request specifies blocking",
};

static const char *const ir_reasons[] = {
    "Detected reserved fields in the decoded interrupt-remapped request",
    "Interrupt index exceeded the interrupt-remapping table size",
    "Present field in the IRTE entry is clear",
    "Error accessing interrupt-remapping table pointed by IRTA_REG",
    "Detected reserved fields in the IRTE entry",
    "Blocked a compatibility format interrupt request",
    "Blocked an interrupt request due to source-id verification failure",
};

/* Scalable-mode reasons 0x30..0x90; codes without a string are "Unknown". */
static const struct { uint8_t code; const char *text; } sm_reasons[] = {
    { 0x30, "SM: Invalid Root Table Address" },
    { 0x31, "SM: TTM 0 for request with PASID" },
    { 0x32, "SM: TTM 0 for page group request" },
    { 0x38, "SM: Error attempting to access Root Entry" },
    { 0x39, "SM: Present bit in Root Entry is clear" },
    { 0x3a, "SM: Non-zero reserved field set in Root Entry" },
    { 0x40, "SM: Error attempting to access Context Entry" },
    { 0x41, "SM: Present bit in Context Entry is clear" },
    { 0x42, "SM: Non-zero reserved field set in the Context Entry" },
    { 0x43, "SM: Invalid Context Entry" },
    { 0x44, "SM: DTE field in Context Entry is clear" },
    { 0x45, "SM: PASID Enable field in Context Entry is clear" },
    { 0x46, "SM: PASID is larger than the max in Context Entry" },
    { 0x47, "SM: PRE field in Context-Entry is clear" },
    { 0x48, "SM: RID_PASID field error in Context-Entry" },
    { 0x50, "SM: Error attempting to access the PASID Directory Entry" },
    { 0x51, "SM: Present bit in Directory Entry is clear" },
    { 0x52, "SM: Non-zero reserved field set in PASID Directory Entry" },
    { 0x58, "SM: Error attempting to access PASID Table Entry" },
    { 0x59, "SM: Present bit in PASID Table Entry is clear" },
    { 0x5a, "SM: Non-zero reserved field set in PASID Table Entry" },
    { 0x5b, "SM: Invalid Scalable-Mode PASID Table Entry" },
    { 0x5c, "SM: ERE field is clear in PASID Table Entry" },
    { 0x5d, "SM: SRE field is clear in PASID Table Entry" },
    { 0x70, "SM: Error attempting to access first-level paging entry" },
    { 0x71, "SM: Present bit in first-level paging entry is clear" },
    { 0x72, "SM: Non-zero reserved field set in first-level paging entry" },
    { 0x73, "SM: Error attempting to access FL-PML4 entry" },
    { 0x74, "SM: First-level entry address beyond MGAW in Nested translation" },
    { 0x75, "SM: Read permission error in FL-PML4 entry in Nested translation" },
    { 0x76, "SM: Read permission error in first-level paging entry in Nested translation" },
    { 0x77, "SM: Write permission error in first-level paging entry in Nested translation" },
    { 0x78, "SM: Error attempting to access second-level paging entry" },
    { 0x79, "SM: Read/Write permission error in second-level paging entry" },
    { 0x7a, "SM: Non-zero reserved field set in second-level paging entry" },
    { 0x7b, "SM: Invalid second-level page table pointer" },
    { 0x7c, "SM: A/D bit update needed in second-level entry when set up in no snoop" },
    { 0x80, "SM: Address in first-level translation is not canonical" },
    { 0x81, "SM: U/S set 0 for first-level translation with user privilege" },
    { 0x82, "SM: No execute permission for request with PASID and ER=1" },
    { 0x83, "SM: Address beyond the DMA hardware max" },
    { 0x84, "SM: Second-level entry address beyond the max" },
    { 0x85, "SM: No write permission for Write/AtomicOp request" },
    { 0x86, "SM: No read permission for Read/AtomicOp request" },
    { 0x87, "SM: Invalid address-interrupt address" },
    { 0x90, "SM: A/D bit update needed in first-level entry when set up in no snoop" },
};

/* dmar_get_fault_reason: interrupt-remapping codes 0x20.., scalable-mode
 * 0x30..0x90, legacy 0x00..0x0d; anything else "Unknown" (printed as a
 * DMA fault). */
static const char *fault_reason(uint8_t r, bool *intr)
{
    size_t i;

    *intr = false;
    if (r >= 0x20 && r - 0x20u < sizeof(ir_reasons) / sizeof(ir_reasons[0])) {
        *intr = true;
        return ir_reasons[r - 0x20];
    }
    if (r >= 0x30 && r <= 0x90) {
        for (i = 0; i < sizeof(sm_reasons) / sizeof(sm_reasons[0]); i++)
            if (sm_reasons[i].code == r)
                return sm_reasons[i].text;
        return "Unknown";
    }
    if (r < sizeof(legacy_reasons) / sizeof(legacy_reasons[0]))
        return legacy_reasons[r];
    return "Unknown";
}

/* dmar_fault_do_one: one decoded record, the kernel's pr_err text. */
static void fault_do_one(struct vtd_unit *vu, bool read, uint8_t reason, bool pasid_present,
                         uint32_t pasid, uint16_t sid, uint64_t addr)
{
    const struct mfd_platform_ops *p = vu->u->plat;
    bool intr;
    const char *why = fault_reason(reason, &intr);
    unsigned bus = sid >> 8, slot = (sid >> 3) & 0x1f, fn = sid & 7;

    if (intr)
        p->log(vu->u, true,
               "DMAR: [INTR-REMAP] Request device [%02x:%02x.%u] fault index 0x%llx "
               "[fault reason 0x%02x] %s", bus, slot, fn, (unsigned long long)(addr >> 48),
               reason, why);
    else if (!pasid_present)
        p->log(vu->u, true,
               "DMAR: [%s NO_PASID] Request device [%02x:%02x.%u] fault addr 0x%llx "
               "[fault reason 0x%02x] %s", read ? "DMA Read" : "DMA Write", bus, slot, fn,
               (unsigned long long)addr, reason, why);
    else
        p->log(vu->u, true,
               "DMAR: [%s PASID 0x%x] Request device [%02x:%02x.%u] fault addr 0x%llx "
               "[fault reason 0x%02x] %s", read ? "DMA Read" : "DMA Write", pasid, bus, slot,
               fn, (unsigned long long)addr, reason, why);
}

/* dmar_fault. Caller holds vu->lock (Linux: iommu->register_lock). */
static void dmar_fault(struct vtd_unit *vu)
{
    uint32_t fsts = (uint32_t)vtd_read(vu, VTD_FSTS, 4);
    unsigned nfr = CAP_NFR(vu->cap) + 1, idx, n;
    uint64_t reg = (uint64_t)CAP_FRO(vu->cap) * 16;

    if (fsts)
        vu->u->plat->log(vu->u, false, "DMAR: DRHD: handling fault status reg %x", fsts);
    /* the advanced fault log is not used (Linux: "TBD") */
    if (!(fsts & FSTS_PPF))
        return;
    idx = FSTS_FRI(fsts) % nfr;
    /* at most one lap: a record re-filled behind us waits for the next event */
    for (n = 0; n < nfr; n++) {
        uint64_t rec = reg + 16ull * idx;
        uint32_t hi = (uint32_t)vtd_read(vu, rec + 12, 4), lo;
        uint64_t addr;

        if (!(hi & FRCD_F))
            break;
        lo = (uint32_t)vtd_read(vu, rec + 8, 4);
        addr = vtd_read(vu, rec, 8) & ~0xfffull;
        /* clear the record (F is RW1C) before reporting it */
        vtd_write(vu, rec + 12, 4, FRCD_F);
        /* top dword: FR 7:0, PV 27:8, T 30 (1 = read); dword 2: SID 15:0, PP 31 */
        fault_do_one(vu, (hi >> 30) & 1, (uint8_t)hi, (lo >> 31) & 1, (hi >> 8) & 0xfffff,
                     (uint16_t)lo, addr);
        idx = (idx + 1) % nfr;
    }
    vtd_write(vu, VTD_FSTS, 4, FSTS_PFO | FSTS_PPF | FSTS_PRO);
}

void vtd_fault_irq(struct mfd_iommu_unit *u, unsigned vec)
{
    struct vtd_unit *vu = u->priv;

    (void)vec;
    if (!vu)
        return;
    pthread_mutex_lock(&vu->lock);
    dmar_fault(vu);
    pthread_mutex_unlock(&vu->lock);
}

/* dmar_set_interrupt + enable_drhd_fault_handling: the MSI message goes to
 * FEDATA, FEADDR, FEUADDR (dmar_msi_write), FECTL.IM is cleared (unmask),
 * then faults left from before are handled and FSTS is cleared with what it
 * reads (RW1C). Called from probe, before translation is enabled. */
int vtd_fault_setup(struct vtd_unit *vu)
{
    struct mfd_msi_msg msg;
    uint32_t fsts;
    int rc;

    rc = vu->u->plat->msi_alloc(vu->u, 1, &msg);
    if (rc)
        return rc;
    vtd_write(vu, VTD_FEDATA, 4, msg.data);
    vtd_write(vu, VTD_FEADDR, 4, (uint32_t)msg.addr);
    vtd_write(vu, VTD_FEUADDR, 4, (uint32_t)(msg.addr >> 32));
    vtd_write(vu, VTD_FECTL, 4, 0);
    dmar_fault(vu);
    fsts = (uint32_t)vtd_read(vu, VTD_FSTS, 4);
    vtd_write(vu, VTD_FSTS, 4, fsts);
    return 0;
}
