/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 command queue (smmuv3.md §1.4, §7). Consumption is synchronous: it
 * runs inside the MMIO write that makes it possible (CMDQ_PROD, CR0.CMDQEN
 * 0->1, GERRORN acknowledging CMDQ_ERR), as the hardware's reaction to it.
 *
 * Choices where the spec allows several behaviours (§7.1, §7.2):
 *  - RES0 fields of commands are ignored (not CERROR_ILL), except SSec=1,
 *    which is always CERROR_ILL on the Non-secure queue.
 *  - Out-of-range StreamIDs/SubstreamIDs make a command act on nothing.
 *  - CONS.RD advances after each command; CONS.ERR keeps its last value while
 *    no error is active (it is UNKNOWN then).
 *  - ATC endpoints: a StreamID whose STE is valid with EATS != 0 has an ATS
 *    endpoint that answers invalidations; CMD_ATC_INV to any other StreamID
 *    gets an Unsupported Request completion (a protocol error), so the next
 *    CMD_SYNC fails with CERROR_ATC_INV_SYNC. Re-executing the SYNC succeeds.
 *  - No transaction ever stalls (STALL_MODEL terminate-only in every profile),
 *    so CMD_RESUME / CMD_STALL_TERM, where legal, find nothing to act on;
 *    there is no PRI traffic, so CMD_PRI_RESP likewise.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "smmuv3.h"

const char *smmu_cmd_name(unsigned op)
{
    switch (op) {
    case CMD_PREFETCH_CONFIG: return "CMD_PREFETCH_CONFIG";
    case CMD_PREFETCH_ADDR: return "CMD_PREFETCH_ADDR";
    case CMD_CFGI_STE: return "CMD_CFGI_STE";
    case CMD_CFGI_STE_RANGE: return "CMD_CFGI_STE_RANGE";
    case CMD_CFGI_CD: return "CMD_CFGI_CD";
    case CMD_CFGI_CD_ALL: return "CMD_CFGI_CD_ALL";
    case CMD_CFGI_VMS_PIDM: return "CMD_CFGI_VMS_PIDM";
    case CMD_TLBI_NH_ALL: return "CMD_TLBI_NH_ALL";
    case CMD_TLBI_NH_ASID: return "CMD_TLBI_NH_ASID";
    case CMD_TLBI_NH_VA: return "CMD_TLBI_NH_VA";
    case CMD_TLBI_NH_VAA: return "CMD_TLBI_NH_VAA";
    case CMD_TLBI_EL3_ALL: return "CMD_TLBI_EL3_ALL";
    case CMD_TLBI_EL3_VA: return "CMD_TLBI_EL3_VA";
    case CMD_TLBI_EL2_ALL: return "CMD_TLBI_EL2_ALL";
    case CMD_TLBI_EL2_ASID: return "CMD_TLBI_EL2_ASID";
    case CMD_TLBI_EL2_VA: return "CMD_TLBI_EL2_VA";
    case CMD_TLBI_EL2_VAA: return "CMD_TLBI_EL2_VAA";
    case CMD_TLBI_S12_VMALL: return "CMD_TLBI_S12_VMALL";
    case CMD_TLBI_S2_IPA: return "CMD_TLBI_S2_IPA";
    case CMD_TLBI_NSNH_ALL: return "CMD_TLBI_NSNH_ALL";
    case CMD_ATC_INV: return "CMD_ATC_INV";
    case CMD_PRI_RESP: return "CMD_PRI_RESP";
    case CMD_RESUME: return "CMD_RESUME";
    case CMD_STALL_TERM: return "CMD_STALL_TERM";
    case CMD_SYNC: return "CMD_SYNC";
    default: return "CMD_reserved";
    }
}

static void trace_cmd(struct emu_iommu *iommu, const uint64_t cmd[2], const char *detail)
{
    char buf[160];
    struct emu_trace_rec rec = { .kind = EMU_TRACE_INVAL, .a = cmd[0], .b = cmd[1],
                                 .pasid = EMU_NO_PASID, .what = buf };

    if (!emu_tracing(iommu))
        return;
    snprintf(buf, sizeof(buf), "%s%s%s", smmu_cmd_name(cmd[0] & 0xff), detail[0] ? " " : "",
             detail);
    emu_trace(iommu, &rec);
}

/* TLBI address range (§7.3 "Range invalidation"): 0 = CERROR_NONE with
 * [*addr, *addr + *size) (size 0: everything), or CERROR_ILL. */
static int tlbi_range(const struct smmu *s, const uint64_t cmd[2], uint64_t amask, uint64_t *addr,
                      uint64_t *size)
{
    unsigned tg = (unsigned)emu_bits(cmd[1], 11, 10), ttl = (unsigned)emu_bits(cmd[1], 9, 8);
    unsigned num = (unsigned)emu_bits(cmd[0], 16, 12), scale = (unsigned)emu_bits(cmd[0], 25, 20);
    unsigned g, sh;

    *addr = cmd[1] & amask;
    *size = 1;   /* the entries that contain this address */
    if (!(s->idr3 & IDR3_RIL) || tg == 0)
        return CERROR_NONE;   /* RIL=0: NUM/SCALE/TG/TTL are RES0 */
    if (num == 0 && scale == 0 && ttl == 0)
        return CERROR_ILL;    /* reserved combination (§7.2) */
    if (tg == 2 && ttl == 1 && !(s->idr5 & IDR5_DS))
        return CERROR_ILL;
    g = tg == 1 ? 12 : tg == 2 ? 14 : 16;
    sh = scale + g;
    if (sh + 5 >= 64) {
        *size = 0;
        return CERROR_NONE;
    }
    *size = (uint64_t)(num + 1) << sh;
    return CERROR_NONE;
}

/* Is there an ATS-enabled endpoint at this StreamID (see the file comment)? */
static bool atc_endpoint(struct emu_iommu *iommu, uint32_t sid)
{
    uint64_t ste[8];
    struct smmu_event ev = { 0 };
    bool record;

    if (smmu_find_ste(iommu, sid, ste, &ev, &record))
        return false;
    return (ste[0] & 1) && (ste[0] & 8) && emu_bits(ste[1], 29, 28) != 0;
}

static int cmd_sync(struct emu_iommu *iommu, const uint64_t cmd[2])
{
    struct smmu *s = smmu_of(iommu);
    unsigned cs = (unsigned)emu_bits(cmd[0], 13, 12);
    char buf[96];

    if (cs == 3)
        return CERROR_ILL;
    if (s->atc_err) {
        /* §7.2: RD stays at the SYNC, no completion signal; a retry completes. */
        s->atc_err = false;
        return CERROR_ATC_INV_SYNC;
    }
    if (cs == 1) {
        uint64_t addr = cmd[1] & emu_mask(55, 2);
        uint32_t data = (uint32_t)(cmd[0] >> 32);

        s->irq_cmd_sync++;
        if ((s->idr0 & IDR0_MSI) && addr) {
            /* §7.4: the completion MSI (Linux polls the SYNC slot itself). */
            bool ok = smmu_msi_write(iommu, addr, data);

            snprintf(buf, sizeof(buf), "CS=SIG_IRQ MSI addr=0x%llx data=0x%x%s",
                     (unsigned long long)addr, data, ok ? "" : " aborted");
            trace_cmd(iommu, cmd, buf);
            if (!ok)
                smmu_gerror_raise(iommu, GERR_MSI_CMDQ_ABT);
            return CERROR_NONE;
        }
        trace_cmd(iommu, cmd, "CS=SIG_IRQ wired");
        return CERROR_NONE;
    }
    if (cs == 2 && (s->idr0 & IDR0_SEV)) {
        s->sev_events++;
        trace_cmd(iommu, cmd, "CS=SIG_SEV");
        return CERROR_NONE;
    }
    trace_cmd(iommu, cmd, "CS=SIG_NONE");
    return CERROR_NONE;
}

static int exec(struct emu_iommu *iommu, const uint64_t cmd[2])
{
    struct smmu *s = smmu_of(iommu);
    unsigned op = cmd[0] & 0xff;
    uint32_t sid = (uint32_t)(cmd[0] >> 32), ssid = (uint32_t)emu_bits(cmd[0], 31, 12);
    uint32_t vmid = (uint32_t)emu_bits(cmd[0], 47, 32), asid = (uint32_t)emu_bits(cmd[0], 63, 48);
    bool s1p = s->idr0 & IDR0_S1P, s2p = s->idr0 & IDR0_S2P;
    uint64_t addr, size;
    unsigned n;
    int rc;
    char buf[128];

    if (!(s->idr0 & IDR0_VMID16))
        vmid &= 0xff;
    if (!(s->idr0 & IDR0_ASID16))
        asid &= 0xff;
    /* VMID is only matched when stage 2 is implemented (§7.3 NH_ALL). */
    if (!s2p)
        vmid = EMU_TLB_ANY;
    switch (op) {
    case CMD_PREFETCH_CONFIG: case CMD_PREFETCH_ADDR: case CMD_CFGI_STE: case CMD_CFGI_STE_RANGE:
    case CMD_CFGI_CD: case CMD_CFGI_CD_ALL: case CMD_CFGI_VMS_PIDM: case CMD_RESUME:
    case CMD_STALL_TERM:
        if (cmd[0] & (1u << 10))
            return CERROR_ILL;   /* SSec=1 on the Non-secure queue */
        break;
    default:
        break;
    }
    switch (op) {
    case CMD_PREFETCH_CONFIG:
    case CMD_PREFETCH_ADDR:
        trace_cmd(iommu, cmd, "(no-op)");   /* prefetches are hints */
        return CERROR_NONE;
    case CMD_CFGI_STE:
        smmu_cfgc_inval_sid(s, sid, sid);
        snprintf(buf, sizeof(buf), "sid=0x%x", sid);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_CFGI_STE_RANGE: {
        unsigned range = (unsigned)(cmd[1] & 0x1f);

        if (range == 31) {
            smmu_cfgc_inval_all(s);          /* CMD_CFGI_ALL */
            trace_cmd(iommu, cmd, "ALL");
        } else {
            uint64_t cnt = 2ull << range, lo = sid & ~(cnt - 1);

            smmu_cfgc_inval_sid(s, (uint32_t)lo, (uint32_t)(lo + cnt - 1));
            snprintf(buf, sizeof(buf), "sid=0x%llx..0x%llx", (unsigned long long)lo,
                     (unsigned long long)(lo + cnt - 1));
            trace_cmd(iommu, cmd, buf);
        }
        return CERROR_NONE;
    }
    case CMD_CFGI_CD:
        if (!s1p)
            return CERROR_ILL;
        smmu_cfgc_inval_cd(s, sid, ssid);
        snprintf(buf, sizeof(buf), "sid=0x%x ssid=0x%x", sid, ssid);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_CFGI_CD_ALL:
        if (!s1p)
            return CERROR_ILL;
        smmu_cfgc_inval_sid(s, sid, sid);
        snprintf(buf, sizeof(buf), "sid=0x%x", sid);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_CFGI_VMS_PIDM:
        return CERROR_ILL;                   /* needs IDR3.MPAM, never advertised */
    case CMD_TLBI_NH_ALL:
        if (!s1p)
            return CERROR_ILL;
        n = emu_iotlb_inval(s->tlb, vmid, EMU_TLB_ANY, EMU_TLB_ANY, 0, 0);
        snprintf(buf, sizeof(buf), "vmid=%d dropped=%u", (int)vmid, n);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_TLBI_NH_ASID:
        if (!s1p)
            return CERROR_ILL;
        n = emu_iotlb_inval(s->tlb, vmid, asid, EMU_TLB_ANY, 0, 0);
        snprintf(buf, sizeof(buf), "vmid=%d asid=0x%x dropped=%u", (int)vmid, asid, n);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_TLBI_NH_VA:
    case CMD_TLBI_NH_VAA:
        if (!s1p)
            return CERROR_ILL;
        rc = tlbi_range(s, cmd, emu_mask(63, 12), &addr, &size);
        if (rc)
            return rc;
        if (op == CMD_TLBI_NH_VA) {
            /* Global entries match regardless of ASID. */
            n = emu_iotlb_inval(s->tlb, vmid, asid, EMU_TLB_ANY, addr, size);
            n += emu_iotlb_inval(s->tlb, vmid, TAG_GLOBAL, EMU_TLB_ANY, addr, size);
        } else {
            n = emu_iotlb_inval(s->tlb, vmid, EMU_TLB_ANY, EMU_TLB_ANY, addr, size);
        }
        snprintf(buf, sizeof(buf), "vmid=%d asid=0x%x addr=0x%llx size=0x%llx dropped=%u",
                 (int)vmid, op == CMD_TLBI_NH_VA ? asid : 0u, (unsigned long long)addr,
                 (unsigned long long)size, n);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_TLBI_EL3_ALL:
    case CMD_TLBI_EL3_VA:
        return CERROR_ILL;                   /* Secure queue only */
    case CMD_TLBI_EL2_ALL: case CMD_TLBI_EL2_ASID: case CMD_TLBI_EL2_VA: case CMD_TLBI_EL2_VAA:
        if (!(s->idr0 & IDR0_HYP))
            return CERROR_ILL;
        /* EL2 StreamWorld translations are tagged like NS-EL1 ones here; drop all. */
        emu_iotlb_inval_all(s->tlb);
        s->tlb_globals = 0;
        trace_cmd(iommu, cmd, "");
        return CERROR_NONE;
    case CMD_TLBI_S12_VMALL:
        if (!s2p)
            return CERROR_ILL;
        n = emu_iotlb_inval(s->tlb, vmid, EMU_TLB_ANY, EMU_TLB_ANY, 0, 0);
        snprintf(buf, sizeof(buf), "vmid=%d dropped=%u", (int)vmid, n);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_TLBI_S2_IPA:
        if (!s2p)
            return CERROR_ILL;
        rc = tlbi_range(s, cmd, emu_mask(55, 12), &addr, &size);
        if (rc)
            return rc;
        /* Stage-2-only entries; combined S1+S2 entries need not be hit (§7.3). */
        n = emu_iotlb_inval(s->tlb, vmid, TAG_S2ONLY, EMU_TLB_ANY, addr, size);
        snprintf(buf, sizeof(buf), "vmid=%d ipa=0x%llx size=0x%llx dropped=%u", (int)vmid,
                 (unsigned long long)addr, (unsigned long long)size, n);
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_TLBI_NSNH_ALL:
        emu_iotlb_inval_all(s->tlb);
        s->tlb_globals = 0;
        trace_cmd(iommu, cmd, "");
        return CERROR_NONE;
    case CMD_ATC_INV:
        if (!(s->idr0 & IDR0_ATS))
            return CERROR_ILL;
        if (!ack_on(iommu, CR0_SMMUEN)) {
            trace_cmd(iommu, cmd, "ignored (SMMUEN=0)");
            return CERROR_NONE;
        }
        if (!atc_endpoint(iommu, sid))
            s->atc_err = true;
        snprintf(buf, sizeof(buf), "sid=0x%x%s", sid, s->atc_err ? " UR" : "");
        trace_cmd(iommu, cmd, buf);
        return CERROR_NONE;
    case CMD_PRI_RESP:
        if (!(s->idr0 & IDR0_PRI) || emu_bits(cmd[1], 13, 12) == 3)
            return CERROR_ILL;
        trace_cmd(iommu, cmd, "");
        return CERROR_NONE;
    case CMD_RESUME:
    case CMD_STALL_TERM:
        if (idr0_stall(s) == 1)
            return CERROR_ILL;
        trace_cmd(iommu, cmd, "(nothing stalled)");
        return CERROR_NONE;
    case CMD_SYNC:
        return cmd_sync(iommu, cmd);
    default:
        return CERROR_ILL;
    }
}

void smmu_cmdq_process(struct emu_iommu *iommu)
{
    struct smmu *s = smmu_of(iommu);

    if (s->in_cmdq)
        return;
    s->in_cmdq = true;
    for (;;) {
        uint64_t base_reg, base, cmd[2];
        uint32_t cons, prod, qs, log2, wmask, rd;
        uint8_t raw[16];
        int err;

        /* §7.1: consume only with CMDQEN=1 and no CMDQ_ERR active. */
        if (!ack_on(iommu, CR0_CMDQEN) ||
            ((rd32(iommu, SMMU_GERROR) ^ rd32(iommu, SMMU_GERRORN)) & GERR_CMDQ))
            break;
        base_reg = rd64(iommu, SMMU_CMDQ_BASE);
        log2 = (uint32_t)(base_reg & 0x1f);
        qs = log2 < idr1_cmdqs(s) ? log2 : idr1_cmdqs(s);
        wmask = (2u << qs) - 1;              /* index + wrap bit */
        /* §1.4: base aligned to max(queue bytes, 32). */
        base = base_reg & emu_mask(55, 5) & ~((qs ? 16ull << qs : 32ull) - 1);
        prod = rd32(iommu, SMMU_CMDQ_PROD) & wmask;
        cons = rd32(iommu, SMMU_CMDQ_CONS);
        rd = cons & wmask;
        if (rd == prod)
            break;                           /* empty (index and wrap equal) */
        if (emu_fetch(iommu, "CMD", base + (uint64_t)(rd & (wmask >> 1)) * 16, raw, 16)) {
            err = CERROR_ABT;
        } else {
            memcpy(cmd, raw, 16);
            cmd[0] = le64toh(cmd[0]);
            cmd[1] = le64toh(cmd[1]);
            err = exec(iommu, cmd);
        }
        if (err) {
            /* §7.2: stop with RD at the faulting command, report ERR, toggle
             * GERROR.CMDQ_ERR; consumption resumes when GERRORN acknowledges. */
            wr32(iommu, SMMU_CMDQ_CONS, (cons & ~(0x7fu << CMDQ_CONS_ERR_SHIFT) & ~Q_WR_MASK) |
                                        ((uint32_t)err << CMDQ_CONS_ERR_SHIFT) | rd);
            if (emu_tracing(iommu)) {
                struct emu_trace_rec rec = { .kind = EMU_TRACE_EVENT, .a = rd, .b = (uint64_t)err,
                                             .pasid = EMU_NO_PASID,
                                             .what = err == CERROR_ILL ? "CMDQ CERROR_ILL" :
                                                     err == CERROR_ABT ? "CMDQ CERROR_ABT" :
                                                                         "CMDQ CERROR_ATC_INV_SYNC" };
                emu_trace(iommu, &rec);
            }
            smmu_gerror_raise(iommu, GERR_CMDQ);
            break;
        }
        rd = (rd + 1) & wmask;
        wr32(iommu, SMMU_CMDQ_CONS, (cons & ~Q_WR_MASK) | rd);
    }
    s->in_cmdq = false;
}
