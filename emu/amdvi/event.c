/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi event log (amdvi.md §7): a ring of 16-byte entries at EvtLogBar,
 * written at EvtTail by the IOMMU, consumed by software up to EvtHead.
 */
#include <stdio.h>

#include "amdvi.h"

const char *amdvi_event_name(unsigned code)
{
    static const char *const names[16] = {
        [AMDVI_EVT_ILLEGAL_DTE] = "ILLEGAL_DEV_TABLE_ENTRY",
        [AMDVI_EVT_IO_PAGE_FAULT] = "IO_PAGE_FAULT",
        [AMDVI_EVT_DEV_TAB_HW_ERR] = "DEV_TAB_HARDWARE_ERROR",
        [AMDVI_EVT_PAGE_TAB_HW_ERR] = "PAGE_TAB_HARDWARE_ERROR",
        [AMDVI_EVT_ILLEGAL_CMD] = "ILLEGAL_COMMAND_ERROR",
        [AMDVI_EVT_CMD_HW_ERR] = "COMMAND_HARDWARE_ERROR",
        [AMDVI_EVT_IOTLB_INV_TIMEOUT] = "IOTLB_INV_TIMEOUT",
        [AMDVI_EVT_INVALID_DEV_REQ] = "INVALID_DEVICE_REQUEST",
        [0x9] = "INVALID_PPR_REQUEST",
        [0xA] = "EVENT_COUNTER_ZERO",
    };
    const char *n = names[code & 0xF];
    return n ? n : "UNKNOWN_EVENT";
}

/*
 * §7.2 common layout, qword 0: 15:0 DeviceID, 19:16 PASID[19:16], 47:32
 * DomainID or PASID[15:0], 59:48 flags, 63:60 code. `id` is the DomainID, or
 * with GN set a 20-bit PASID split over 19:16 and 47:32.
 */
uint64_t amdvi_evt_q0(unsigned code, uint16_t devid, uint32_t id, uint64_t flags)
{
    uint64_t q0 = devid;
    q0 |= (uint64_t)((id >> 16) & 0xF) << 16;
    q0 |= (uint64_t)(id & 0xFFFF) << 32;
    q0 |= flags & emu_mask(59, 48);
    q0 |= (uint64_t)(code & 0xF) << 60;
    return q0;
}

static void trace_event(struct emu_iommu *iommu, uint64_t q0, uint64_t q1, const char *how)
{
    if (!emu_tracing(iommu))
        return;
    char buf[160];
    unsigned devid = (unsigned)(q0 & 0xFFFF);
    snprintf(buf, sizeof(buf), "%s %s dev=%02x:%02x.%u id=0x%04x flags=0x%03x addr=0x%llx",
             how, amdvi_event_name((unsigned)(q0 >> 60)), devid >> 8, (devid >> 3) & 0x1F,
             devid & 7, (unsigned)emu_bits(q0, 47, 32), (unsigned)emu_bits(q0, 59, 48),
             (unsigned long long)q1);
    struct emu_trace_rec r = {.kind = EMU_TRACE_EVENT, .a = q0, .b = q1, .width = 16,
                              .rid = devid, .pasid = EMU_NO_PASID, .what = buf};
    emu_trace(iommu, &r);
}

void amdvi_log_event(struct emu_iommu *iommu, uint64_t q0, uint64_t q1)
{
    struct amdvi *s = AMDVI(iommu);
    uint64_t st = amdvi_reg(iommu, AMDVI_STATUS);
    /* §3.2: events are written only while EventLogRun=1 (IommuEn, EventLogEn,
     * no overflow outstanding); otherwise they are discarded. */
    if (!(st & ST_EVT_LOG_RUN)) {
        s->events_dropped++;
        trace_event(iommu, q0, q1, "dropped");
        return;
    }
    uint64_t bar = amdvi_reg(iommu, AMDVI_EVT_LOG_BAR);
    uint64_t size = amdvi_ring_bytes(bar, 16);
    uint64_t head = amdvi_reg(iommu, AMDVI_EVT_HEAD) & (size - 1);
    uint64_t tail = amdvi_reg(iommu, AMDVI_EVT_TAIL) & (size - 1);
    uint64_t next = (tail + 16) & (size - 1);
    if (next == head) {
        /* §7.1: ring full: set EventOverflow, drop the event, interrupt if
         * EventIntEn; logging stops until software clears the overflow and
         * toggles EventLogEn. */
        s->events_dropped++;
        s->evt_stopped = true;
        amdvi_set_reg(iommu, AMDVI_STATUS, st | ST_EVT_OVERFLOW);
        amdvi_update_status(iommu);
        trace_event(iommu, q0, q1, "overflow");
        if (s->ctrl & CTRL_EVT_INT_EN)
            amdvi_signal_irq(iommu, "interrupt: event log overflow");
        return;
    }
    uint64_t e[2] = {q0, q1};
    /* A log outside guest memory has no event of its own to report; the
     * write is lost (master abort) but the tail still advances, as the
     * hardware believes it wrote the entry. */
    (void)emu_mem_write(iommu->mem, (bar & AMDVI_RING_BASE_MASK) + tail, e, sizeof(e));
    amdvi_set_reg(iommu, AMDVI_EVT_TAIL, next);
    s->events_logged++;
    trace_event(iommu, q0, q1, "logged");
    /* §3.2: EventLogInt is set regardless of EventIntEn, which only gates the
     * interrupt (QEMU sets it only with EventIntEn, §9 item 14). */
    amdvi_set_reg(iommu, AMDVI_STATUS, amdvi_reg(iommu, AMDVI_STATUS) | ST_EVT_LOG_INT);
    if (s->ctrl & CTRL_EVT_INT_EN)
        amdvi_signal_irq(iommu, "interrupt: event log");
}
