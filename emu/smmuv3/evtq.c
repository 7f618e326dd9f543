/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 event queue, global errors and interrupts (smmuv3.md §3.5, §3.6, §8).
 *
 * Interrupts are model state: each one increments a counter in struct smmu and
 * emits an EMU_TRACE_EVENT record. With IDR0.MSI=1 and a non-zero
 * *_IRQ_CFG0.ADDR the SMMU performs the MSI: a 32-bit write of CFG1.DATA to
 * ADDR, which lands in guest memory only if that address is mapped RAM; an
 * unmapped address is an aborted MSI write and activates the matching
 * GERROR.MSI_*_ABT_ERR (§3.6). Otherwise the (modelled) wired line pulses.
 */
#include <stdio.h>
#include <string.h>

#include "smmuv3.h"

const char *smmu_event_name(unsigned type)
{
    switch (type) {
    case EVT_F_UUT: return "F_UUT";
    case EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
    case EVT_F_STE_FETCH: return "F_STE_FETCH";
    case EVT_C_BAD_STE: return "C_BAD_STE";
    case EVT_F_BAD_ATS_TREQ: return "F_BAD_ATS_TREQ";
    case EVT_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
    case EVT_F_TRANSL_FORBIDDEN: return "F_TRANSL_FORBIDDEN";
    case EVT_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
    case EVT_F_CD_FETCH: return "F_CD_FETCH";
    case EVT_C_BAD_CD: return "C_BAD_CD";
    case EVT_F_WALK_EABT: return "F_WALK_EABT";
    case EVT_F_TRANSLATION: return "F_TRANSLATION";
    case EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
    case EVT_F_ACCESS: return "F_ACCESS";
    case EVT_F_PERMISSION: return "F_PERMISSION";
    case EVT_F_TLB_CONFLICT: return "F_TLB_CONFLICT";
    case EVT_F_CFG_CONFLICT: return "F_CFG_CONFLICT";
    case 0: return "abort";
    default: return "event";
    }
}

static void trace_event(struct emu_iommu *iommu, uint64_t a, uint64_t b, const char *what)
{
    struct emu_trace_rec rec = { .kind = EMU_TRACE_EVENT, .a = a, .b = b,
                                 .pasid = EMU_NO_PASID, .what = what };
    emu_trace(iommu, &rec);
}

bool smmu_msi_write(struct emu_iommu *iommu, uint64_t addr, uint32_t data)
{
    uint8_t le[4] = { (uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16),
                      (uint8_t)(data >> 24) };

    if (emu_mem_write(iommu->mem, addr, le, 4))
        return false;
    smmu_of(iommu)->msi_writes++;
    return true;
}

void smmu_irq(struct emu_iommu *iommu, uint64_t cfg0, uint32_t abt_bit, const char *what,
              uint64_t *counter)
{
    struct smmu *s = smmu_of(iommu);
    uint64_t addr = 0;
    uint32_t data = 0;
    char buf[96];

    (*counter)++;
    if ((s->idr0 & IDR0_MSI) && cfg0) {
        addr = rd64(iommu, cfg0) & emu_mask(55, 2);
        data = rd32(iommu, cfg0 + 8);
    }
    if (addr) {
        bool ok = smmu_msi_write(iommu, addr, data);

        if (emu_tracing(iommu)) {
            snprintf(buf, sizeof(buf), "IRQ %s MSI addr=0x%llx data=0x%x%s", what,
                     (unsigned long long)addr, data, ok ? "" : " aborted");
            trace_event(iommu, addr, data, buf);
        }
        /* §3.5: an aborted GERROR MSI does not itself send an MSI. */
        if (!ok && abt_bit)
            smmu_gerror_raise(iommu, abt_bit);
    } else if (emu_tracing(iommu)) {
        snprintf(buf, sizeof(buf), "IRQ %s wired", what);
        trace_event(iommu, 0, 0, buf);
    }
}

/* §3.5: activate error `bit` by toggling GERROR[bit], only if it is not already
 * active; raise the GERROR interrupt when GERROR_IRQEN is set. */
void smmu_gerror_raise(struct emu_iommu *iommu, uint32_t bit)
{
    uint32_t g = rd32(iommu, SMMU_GERROR), gn = rd32(iommu, SMMU_GERRORN);
    uint32_t irq = rd32(iommu, SMMU_IRQ_CTRLACK);

    if ((g ^ gn) & bit)
        return;
    wr32(iommu, SMMU_GERROR, g ^ bit);
    if (emu_tracing(iommu)) {
        char buf[64];
        char dec[48] = "";
        const struct emu_reg *r = emu_regfile_find(&iommu->regs, SMMU_GERROR);

        emu_reg_format_fields(r, bit, dec, sizeof(dec));
        snprintf(buf, sizeof(buf), "GERROR %s active", dec);
        trace_event(iommu, g ^ bit, bit, buf);
    }
    if (irq & IRQ_GERROR_EN)
        smmu_irq(iommu, bit == GERR_MSI_GERROR_ABT ? 0 : SMMU_GERROR_IRQ_CFG0,
                 GERR_MSI_GERROR_ABT, "GERROR", &smmu_of(iommu)->irq_gerror);
}

/* §8.1 record layout. */
static void encode(const struct smmu_event *ev, uint64_t rec[4])
{
    rec[0] = ev->type | ((uint64_t)ev->sid << 32);
    rec[1] = rec[2] = rec[3] = 0;
    if (ev->ssid != EMU_NO_PASID) {
        rec[0] |= (uint64_t)(ev->ssid & 0xfffff) << 12;
        /* §8.1: C_BAD_SUBSTREAMID has no SSV qualifier; the SSID is always valid. */
        if (ev->type != EVT_C_BAD_SUBSTREAMID)
            rec[0] |= 1ull << 11;
    }
    if (ev->has_fetch)
        rec[3] = ev->fetch & emu_mask(55, 3);          /* FetchAddr[55:3] */
    if (ev->type >= EVT_F_WALK_EABT && ev->type <= EVT_F_PERMISSION) {
        rec[1] = (ev->pnu ? 1ull << 33 : 0) | (ev->rnw ? 1ull << 35 : 0) |
                 (ev->s2 ? 1ull << 39 : 0) | ((uint64_t)(ev->class_ & 3) << 40) |
                 (ev->ttrnw ? 1ull << 44 : 0);
        rec[2] = ev->input;                            /* InputAddr */
        if (ev->s2 && ev->type != EVT_F_WALK_EABT)
            rec[3] = ev->ipa & emu_mask(55, 12);       /* IPA[55:12] */
    }
}

/* Write one record to the event queue if it is writable (§8.3). */
void smmu_event(struct emu_iommu *iommu, const struct smmu_event *ev)
{
    struct smmu *s = smmu_of(iommu);
    uint64_t base_reg, base, rec[4];
    uint32_t prod, cons, qs, log2, mask, pidx, cidx;
    uint8_t bytes[32];
    char buf[160];

    if (!ack_on(iommu, CR0_EVENTQEN) ||
        ((rd32(iommu, SMMU_GERROR) ^ rd32(iommu, SMMU_GERRORN)) & GERR_EVENTQ_ABT)) {
        /* Disabled or aborted queue: discarded, no overflow (§8.3). */
        s->events_discarded++;
        return;
    }
    base_reg = rd64(iommu, SMMU_EVENTQ_BASE);
    log2 = (uint32_t)(base_reg & 0x1f);
    qs = log2 < idr1_eventqs(s) ? log2 : idr1_eventqs(s);
    /* §1.4: base aligned to max(queue bytes, 32). */
    base = base_reg & emu_mask(55, 5) & ~((32ull << qs) - 1);
    prod = rd32(iommu, SMMU_EVENTQ_PROD);
    cons = rd32(iommu, SMMU_EVENTQ_CONS);
    mask = (1u << qs) - 1;
    pidx = prod & mask;
    cidx = cons & mask;
    if (pidx == cidx && ((prod >> qs) & 1) != ((cons >> qs) & 1)) {
        /* Full: discard; flag overflow once until software acknowledges. */
        s->events_discarded++;
        if (((prod ^ cons) & Q_OVF) == 0) {
            wr32(iommu, SMMU_EVENTQ_PROD, prod ^ Q_OVF);
            trace_event(iommu, prod ^ Q_OVF, 0, "EVENTQ overflow: OVFLG toggled");
        }
        return;
    }
    encode(ev, rec);
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 8; b++)
            bytes[i * 8 + b] = (uint8_t)(rec[i] >> (8 * b));
    if (emu_mem_write(iommu->mem, base + (uint64_t)pidx * 32, bytes, sizeof(bytes))) {
        s->events_discarded++;
        smmu_gerror_raise(iommu, GERR_EVENTQ_ABT);
        return;
    }
    s->events_written++;
    /* Advance WR, toggling the wrap bit at the end (§1.4); bits above are RAZ. */
    wr32(iommu, SMMU_EVENTQ_PROD, (prod & Q_OVF) | (((prod & ((2u << qs) - 1)) + 1) & ((2u << qs) - 1)));
    if (emu_tracing(iommu)) {
        snprintf(buf, sizeof(buf),
                 "EVENTQ[%u] %s sid=0x%x ssid=%d addr=0x%llx S2=%d CLASS=%s RnW=%d",
                 pidx, smmu_event_name(ev->type), ev->sid,
                 ev->ssid == EMU_NO_PASID ? -1 : (int)ev->ssid, (unsigned long long)ev->input,
                 ev->s2, ev->class_ == CLASS_CD ? "CD" : ev->class_ == CLASS_TT ? "TT" : "IN", ev->rnw);
        trace_event(iommu, rec[0], rec[2], buf);
    }
    if (rd32(iommu, SMMU_IRQ_CTRLACK) & IRQ_EVENTQ_EN)
        smmu_irq(iommu, SMMU_EVENTQ_IRQ_CFG0, GERR_MSI_EVENTQ_ABT, "EVENTQ", &s->irq_eventq);
}
