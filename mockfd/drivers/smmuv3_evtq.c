/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 interrupts of the mock driver: the MSIs (Linux arm_smmu_setup_irqs /
 * arm_smmu_setup_msis / arm_smmu_write_msi_msg), the event queue thread
 * (arm_smmu_evtq_thread -> arm_smmu_evtq_common, arm_smmu_decode_event,
 * arm_smmu_handle_event, arm_smmu_dump_event) and the GERROR interrupt
 * (arm_smmu_gerror_handler, smmuv3.c). Facts: smmuv3.md §1.4 (queue
 * pointers: index, wrap, OVFLG / OVACKFLG), §3.5-3.6 (GERROR, *_IRQ_CFG*),
 * §8 (event records).
 *
 * Without IDR0.MSI the interrupts are wired lines, which this platform does
 * not model: no MSI is programmed and no handler runs (the queue is left to
 * fill, as it would be without an interrupt controller).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "smmuv3_priv.h"

#define EVTQ_VEC   0                    /* EVTQ_MSI_INDEX */
#define GERROR_VEC 1                    /* GERROR_MSI_INDEX */

#define Q_OVF      (1u << 31)

/* Event record fields (smmuv3.md §8.1; the kernel's EVTQ_*) */
#define EVT_ID(r0)      ((unsigned)((r0) & 0xff))
#define EVT_SSV         (1ull << 11)
#define EVT_SSID(r0)    ((uint32_t)(((r0) >> 12) & 0xfffff))
#define EVT_SID(r0)     ((uint32_t)((r0) >> 32))
#define EVT1_STAG(r1)   ((unsigned)((r1) & 0xffff))
#define EVT1_STALL      (1ull << 31)
#define EVT1_PNU        (1ull << 33)
#define EVT1_IND        (1ull << 34)
#define EVT1_RNW        (1ull << 35)
#define EVT1_S2         (1ull << 39)
#define EVT1_CLASS(r1)  ((unsigned)(((r1) >> 40) & 3))
#define EVT1_TT_READ    (1ull << 44)
#define EVT3_IPA        0x000ffffffffff000ull     /* [51:12] */
#define EVT3_FETCH      0x000ffffffffffff8ull     /* [51:3] */
#define CLASS_TT        1

void smmu_log(struct smmu_unit *su, bool record, const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    su->u->plat->log(su->u, record, "arm-smmu-v3 arm-smmu-v3.%u.auto: %s", su->dev_index, buf);
}

int smmu_setup_irqs(struct smmu_unit *su)
{
    static const uint64_t cfg0[2] = { [EVTQ_VEC] = SMMU_R_EVTQ_IRQ_CFG0,
                                      [GERROR_VEC] = SMMU_R_GERROR_IRQ_CFG0 };
    struct mfd_msi_msg msg[2];
    int rc, v;

    /* disable first (CFG registers are guarded by the IRQENs, §3.6) */
    if ((rc = smmu_write_reg_sync(su, 0, SMMU_R_IRQ_CTRL, SMMU_R_IRQ_CTRLACK)))
        return rc;
    if (su->msi) {
        /* arm_smmu_setup_msis: clear the doorbells, then allocate */
        smmu_wr64(su, SMMU_R_GERROR_IRQ_CFG0, 0);
        smmu_wr64(su, SMMU_R_EVTQ_IRQ_CFG0, 0);
        if (su->u->plat->msi_alloc(su->u, 2, msg)) {
            smmu_log(su, false, "failed to allocate MSIs - falling back to wired irqs");
        } else {
            /* arm_smmu_write_msi_msg: ADDR[51:2], data, Device-nGnRE */
            for (v = 0; v < 2; v++) {
                smmu_wr64(su, cfg0[v], msg[v].addr & MSI_CFG0_ADDR_MASK);
                smmu_wr32(su, cfg0[v] + 8, msg[v].data);
                smmu_wr32(su, cfg0[v] + 12, MEMATTR_DEVICE_nGnRE);
            }
        }
    }
    return smmu_write_reg_sync(su, IRQ_CTRL_EVTQ | IRQ_CTRL_GERROR, SMMU_R_IRQ_CTRL,
                               SMMU_R_IRQ_CTRLACK);
}

/* ------------------------------------------------------------------------ */
/* Event queue (arm_smmu_ll_queue arithmetic: index, wrap = 1 << shift, OVF). */

static uint32_t q_wrp_idx(const struct smmu_unit *su, uint32_t p)
{
    return p & ((2u << su->evtq_shift) - 1);
}

static bool evtq_empty(const struct smmu_unit *su)
{
    return q_wrp_idx(su, su->evtq_prod) == q_wrp_idx(su, su->evtq_cons);
}

static const char *event_str(unsigned id)
{
    switch (id) {
    case 0x02: return "C_BAD_STREAMID";
    case 0x03: return "F_STE_FETCH";
    case 0x04: return "C_BAD_STE";
    case 0x06: return "F_STREAM_DISABLED";
    case 0x08: return "C_BAD_SUBSTREAMID";
    case 0x09: return "F_CD_FETCH";
    case 0x0a: return "C_BAD_CD";
    case 0x10: return "F_TRANSLATION";
    case 0x11: return "F_ADDR_SIZE";
    case 0x12: return "F_ACCESS";
    case 0x13: return "F_PERMISSION";
    case 0x25: return "F_VMS_FETCH";
    default: return "UNKNOWN";
    }
}

/* arm_smmu_dump_event (every event: the driver has no vIOMMU, no stall, so
 * arm_smmu_handle_event handles none of them). The kernel prints %#x /
 * %#llx, which its vsprintf renders "0x0" for zero: spelled out here. */
static void dump_event(struct smmu_unit *su, const uint64_t e[4])
{
    static const char *const class_str[] = { "CD fetch", "Stage 1 translation table fetch",
                                             "Input address caused fault", "Reserved" };
    unsigned id = EVT_ID(e[0]), i;
    uint32_t sid = EVT_SID(e[0]), ssid = (e[0] & EVT_SSV) ? EVT_SSID(e[0]) : 0;
    char client[24] = "(unassigned sid)";

    smmu_log(su, true, "event 0x%02x received:", id);
    for (i = 0; i < 4; i++)
        smmu_log(su, false, "\t0x%016llx", (unsigned long long)e[i]);
    /* the master's device name (a PCI function: StreamID = RID here) */
    if (smmu_sid_has_master(su, sid))
        snprintf(client, sizeof(client), "%04x:%02x:%02x.%x", sid >> 16, (sid >> 8) & 0xff,
                 (sid >> 3) & 0x1f, sid & 7);
    switch (id) {
    case 0x10: case 0x11: case 0x12: case 0x13: {
        bool tt = id == 0x13 && EVT1_CLASS(e[1]) == CLASS_TT;

        smmu_log(su, false, "event: %s client: %s sid: 0x%x ssid: 0x%x iova: 0x%llx ipa: 0x%llx",
                 event_str(id), client, sid, ssid, (unsigned long long)e[2],
                 (unsigned long long)(e[3] & EVT3_IPA));
        smmu_log(su, false, "%s %s %s %s \"%s\"%s%s stag: 0x%x",
                 (e[1] & EVT1_PNU) ? "priv" : "unpriv", (e[1] & EVT1_IND) ? "inst" : "data",
                 (e[1] & EVT1_RNW) ? "read" : "write", (e[1] & EVT1_S2) ? "s2" : "s1",
                 class_str[EVT1_CLASS(e[1])],
                 tt ? ((e[1] & EVT1_TT_READ) ? " ttd_read" : " ttd_write") : "",
                 (e[1] & EVT1_STALL) ? " stall" : "", EVT1_STAG(e[1]));
        break;
    }
    case 0x03: case 0x09: case 0x25:
        smmu_log(su, false, "event: %s client: %s sid: 0x%x ssid: 0x%x fetch_addr: 0x%llx",
                 event_str(id), client, sid, ssid, (unsigned long long)(e[3] & EVT3_FETCH));
        break;
    default:
        smmu_log(su, false, "event: %s client: %s sid: 0x%x ssid: 0x%x", event_str(id), client,
                 sid, ssid);
    }
}

/* arm_smmu_evtq_common. Caller holds su->lock. */
static void evtq_thread(struct smmu_unit *su)
{
    uint64_t budget = 2ull << su->evtq_shift;   /* at most two laps per interrupt */
    uint32_t prod;

    do {
        /* queue_remove_raw: read at CONS, advance CONS, publish it */
        while (!evtq_empty(su) && budget) {
            uint32_t idx = su->evtq_cons & ((1u << su->evtq_shift) - 1), i;
            uint64_t e[4] = { 0, 0, 0, 0 };

            for (i = 0; i < 4; i++)
                emu_mem_read64(su->u->mem, su->evtq + (uint64_t)idx * 32 + 8 * i, &e[i]);
            su->evtq_cons = (su->evtq_cons & Q_OVF) |
                            q_wrp_idx(su, q_wrp_idx(su, su->evtq_cons) + 1);
            smmu_wr32(su, SMMU_R_EVTQ_CONS, su->evtq_cons);
            dump_event(su, e);
            budget--;
        }
        /* queue_sync_prod_in: OVFLG toggled = the SMMU dropped events */
        prod = smmu_rd32(su, SMMU_R_EVTQ_PROD);
        if ((prod ^ su->evtq_prod) & Q_OVF)
            smmu_log(su, false, "EVTQ overflow detected -- events lost");
        su->evtq_prod = (prod & Q_OVF) | q_wrp_idx(su, prod);
    } while (!evtq_empty(su) && budget);
    /* queue_sync_cons_ovf: acknowledge the overflow (OVACKFLG := OVFLG) */
    if ((su->evtq_prod ^ su->evtq_cons) & Q_OVF) {
        su->evtq_cons = (su->evtq_prod & Q_OVF) | q_wrp_idx(su, su->evtq_cons);
        smmu_wr32(su, SMMU_R_EVTQ_CONS, su->evtq_cons);
    }
}

void smmu_irq_thread(struct mfd_iommu_unit *u, unsigned vec)
{
    struct smmu_unit *su = u->priv;

    if (!su)
        return;
    pthread_mutex_lock(&su->lock);
    if (vec == EVTQ_VEC)
        evtq_thread(su);
    else if (vec == GERROR_VEC)
        smmu_gerror_handle(su);
    pthread_mutex_unlock(&su->lock);
}
