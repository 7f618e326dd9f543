/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi command buffer (amdvi.md §6): 16-byte commands fetched at
 * CmdBufBar + CmdHead while CmdBufRun=1, executed synchronously inside the
 * MMIO write that rings the doorbell (as QEMU does; software cannot observe
 * "busy", which the spec allows).
 */
#include <stdio.h>

#include "amdvi.h"

enum { CMD_OK = 0, CMD_ILLEGAL = 1, CMD_HWERR = 2 };

/* §6.3: S=0 is one 4 KiB page; S=1 encodes a naturally aligned power of two
 * by the first zero bit at or above bit 12; a first zero at bit >= 51 (spec
 * Table 14; Linux uses 0x7FFF_FFFF_FFFF_F000) means the whole space (size 0). */
void amdvi_inv_range(uint64_t addr, bool s, uint64_t *base, uint64_t *size)
{
    addr &= ~0xFFFull;
    if (!s) {
        *base = addr;
        *size = 4096;
        return;
    }
    /* All address bits set: no zero bit to find (and ctz(0) is undefined). */
    if (addr == ~0xFFFull) {
        *base = 0;
        *size = 0;
        return;
    }
    unsigned n = (unsigned)__builtin_ctzll(~(addr | 0xFFFull));
    if (n >= 51) {
        *base = 0;
        *size = 0;
        return;
    }
    *size = 1ull << (n + 1);
    *base = addr & ~(*size - 1);
}

static void trace_inval(struct emu_iommu *iommu, const char *what, uint64_t a, uint64_t b)
{
    if (!emu_tracing(iommu))
        return;
    struct emu_trace_rec r = {.kind = EMU_TRACE_INVAL, .a = a, .b = b, .what = what,
                              .rid = 0, .pasid = EMU_NO_PASID};
    emu_trace(iommu, &r);
}

static int exec(struct emu_iommu *iommu, const uint64_t c[2])
{
    struct amdvi *s = AMDVI(iommu);
    char buf[128];
    unsigned op = (unsigned)(c[0] >> 60);
    switch (op) {
    case CMD_COMPLETION_WAIT: {
        if (c[0] & emu_mask(59, 52))
            return CMD_ILLEGAL;
        /* All earlier commands are already complete (synchronous model). */
        if (c[0] & 1) {
            uint64_t addr = c[0] & emu_mask(51, 3);
            if (emu_mem_write(iommu->mem, addr, &c[1], 8))
                return CMD_HWERR;
        }
        snprintf(buf, sizeof(buf), "COMPLETION_WAIT S=%u I=%u F=%u addr=0x%llx data=0x%llx",
                 (unsigned)(c[0] & 1), (unsigned)((c[0] >> 1) & 1), (unsigned)((c[0] >> 2) & 1),
                 (unsigned long long)(c[0] & emu_mask(51, 3)), (unsigned long long)c[1]);
        trace_inval(iommu, buf, c[0], c[1]);
        if (c[0] & 2) {
            /* §6.2: I=1 sets ComWaitInt; the interrupt only with
             * ComWaitIntEn (QEMU ignores ComWaitIntEn, §9 item 12). */
            amdvi_set_reg(iommu, AMDVI_STATUS,
                          amdvi_reg(iommu, AMDVI_STATUS) | ST_COMWAIT_INT);
            if (s->ctrl & CTRL_COMWAIT_EN)
                amdvi_signal_irq(iommu, "interrupt: completion wait");
        }
        return CMD_OK;
    }
    case CMD_INV_DEVTAB_ENTRY: {
        if ((c[0] & emu_mask(59, 16)) || c[1])
            return CMD_ILLEGAL;
        uint16_t devid = (uint16_t)c[0];
        amdvi_dte_inval(iommu, devid);
        snprintf(buf, sizeof(buf), "INVALIDATE_DEVTAB_ENTRY devid=0x%04x", devid);
        trace_inval(iommu, buf, devid, 0);
        return CMD_OK;
    }
    case CMD_INV_IOMMU_PAGES: {
        if ((c[0] & (emu_mask(31, 20) | emu_mask(59, 48))) || (c[1] & emu_mask(11, 3)))
            return CMD_ILLEGAL;
        uint32_t pasid = (uint32_t)(c[0] & 0xFFFFF);
        uint16_t dom = (uint16_t)(c[0] >> 32);
        bool sz = c[1] & 1, gn = c[1] & 4;
        uint64_t base, size;
        amdvi_inv_range(c[1], sz, &base, &size);
        /* No page-directory cache is modelled, so PDE needs no extra work:
         * every cached translation in range is dropped either way. */
        unsigned n = emu_iotlb_inval(s->tlb, EMU_TLB_ANY, dom, gn ? pasid : AMDVI_TLB_NOPASID,
                                     base, size);
        snprintf(buf, sizeof(buf),
                 "INVALIDATE_IOMMU_PAGES dom=0x%04x GN=%u pasid=0x%x base=0x%llx size=0x%llx "
                 "PDE=%u dropped=%u",
                 dom, (unsigned)gn, gn ? pasid : 0, (unsigned long long)base,
                 (unsigned long long)size, (unsigned)((c[1] >> 1) & 1), n);
        trace_inval(iommu, buf, c[0], c[1]);
        return CMD_OK;
    }
    case CMD_INV_IOTLB_PAGES: {
        uint64_t rsv = (1ull << 1) | (1ull << 3) | emu_mask(11, 6);
        if (!(s->efr & EFR_IOTLBTYPE))
            rsv |= emu_mask(5, 4);
        if (c[1] & rsv)
            return CMD_ILLEGAL;
        /* An ATS invalidation for the device's own IOTLB: devices with ATS
         * caches are not modelled, so it completes at once (no timeout). */
        snprintf(buf, sizeof(buf), "INVALIDATE_IOTLB_PAGES devid=0x%04x addr=0x%llx S=%u",
                 (unsigned)(c[0] & 0xFFFF), (unsigned long long)(c[1] & ~0xFFFull),
                 (unsigned)(c[1] & 1));
        trace_inval(iommu, buf, c[0], c[1]);
        return CMD_OK;
    }
    case CMD_INV_INTR_TABLE:
        if ((c[0] & emu_mask(59, 16)) || c[1])
            return CMD_ILLEGAL;
        /* Interrupt remapping (and so an IRTE cache) is not modelled. */
        snprintf(buf, sizeof(buf), "INVALIDATE_INTERRUPT_TABLE devid=0x%04x",
                 (unsigned)(c[0] & 0xFFFF));
        trace_inval(iommu, buf, c[0], 0);
        return CMD_OK;
    case CMD_PREFETCH_PAGES: {
        if (!(s->efr & EFR_PREFSUP))
            return CMD_ILLEGAL;
        if ((c[0] & (emu_mask(23, 16) | emu_mask(59, 52))) ||
            (c[1] & ((1ull << 1) | (1ull << 3) | emu_mask(11, 5))))
            return CMD_ILLEGAL;
        /* A prefetch is a hint and is not performed; its Inval part (drop
         * the device's cached translations of the range first) is. */
        uint16_t devid = (uint16_t)c[0];
        uint32_t pasid = (uint32_t)emu_bits(c[0], 51, 32);
        if (c[1] & (1ull << 4)) {
            uint64_t base, size;
            amdvi_inv_range(c[1], c[1] & 1, &base, &size);
            emu_iotlb_inval(s->tlb, devid, EMU_TLB_ANY,
                            (c[1] & 4) ? pasid : AMDVI_TLB_NOPASID, base, size);
        }
        snprintf(buf, sizeof(buf), "PREFETCH_IOMMU_PAGES devid=0x%04x addr=0x%llx Inval=%u",
                 devid, (unsigned long long)(c[1] & ~0xFFFull), (unsigned)((c[1] >> 4) & 1));
        trace_inval(iommu, buf, c[0], c[1]);
        return CMD_OK;
    }
    case CMD_COMPLETE_PPR:
        if (!(s->efr & EFR_PPRSUP))
            return CMD_ILLEGAL;
        if ((c[0] & (emu_mask(31, 16) | emu_mask(59, 52))) ||
            (c[1] & (emu_mask(1, 0) | emu_mask(31, 3) | emu_mask(43, 41) | emu_mask(63, 48))))
            return CMD_ILLEGAL;
        /* No PPR is ever outstanding (no PRI devices are modelled). */
        trace_inval(iommu, "COMPLETE_PPR_REQUEST", c[0], c[1]);
        return CMD_OK;
    case CMD_INV_IOMMU_ALL:
        if (!(s->efr & EFR_IASUP))
            return CMD_ILLEGAL;
        if ((c[0] & emu_mask(59, 0)) || c[1])
            return CMD_ILLEGAL;
        emu_iotlb_inval_all(s->tlb);
        amdvi_dte_inval_all(iommu);
        trace_inval(iommu, "INVALIDATE_IOMMU_ALL", c[0], c[1]);
        return CMD_OK;
    default:
        /* 0x0, 0x9/0xA (vIOMMU, not supported), 0xB-0xF: reserved. */
        return CMD_ILLEGAL;
    }
}

void amdvi_cmd_process(struct emu_iommu *iommu)
{
    struct amdvi *s = AMDVI(iommu);
    if (s->in_cmd)
        return;
    s->in_cmd = true;
    uint64_t bar = amdvi_reg(iommu, AMDVI_CMD_BUF_BAR);
    uint64_t size = amdvi_ring_bytes(bar, 16);
    uint64_t base = bar & AMDVI_RING_BASE_MASK;
    /* Bounded: nothing inside the loop can move the tail, so at most one
     * pass over the ring. */
    for (uint64_t n = 0; n < size / 16; n++) {
        if (!(amdvi_reg(iommu, AMDVI_STATUS) & ST_CMDBUF_RUN))
            break;
        uint64_t head = amdvi_reg(iommu, AMDVI_CMD_HEAD) & (size - 1);
        uint64_t tail = amdvi_reg(iommu, AMDVI_CMD_TAIL) & (size - 1);
        if (head == tail)
            break;
        uint64_t gpa = base + head;
        uint64_t c[2];
        int rc = CMD_HWERR;
        if (emu_fetch(iommu, "command", gpa, c, sizeof(c)) == 0)
            rc = exec(iommu, c);
        if (rc != CMD_OK) {
            /* §6.1: log the error with the command's SPA and stop; CmdHead
             * stays on the failing command (OpenVMM) until software fixes it
             * and toggles CmdBufEn. QEMU logs and keeps going (§9 item 11). */
            unsigned code = rc == CMD_ILLEGAL ? AMDVI_EVT_ILLEGAL_CMD : AMDVI_EVT_CMD_HW_ERR;
            uint64_t flags = rc == CMD_HWERR ? EVF_TYPE_MASTER_ABORT : 0;
            s->cmd_halted = true;
            amdvi_update_status(iommu);
            amdvi_log_event(iommu, amdvi_evt_q0(code, 0, 0, flags), gpa);
            break;
        }
        s->cmds_done++;
        amdvi_set_reg(iommu, AMDVI_CMD_HEAD, (head + 16) & (size - 1));
    }
    s->in_cmd = false;
}
