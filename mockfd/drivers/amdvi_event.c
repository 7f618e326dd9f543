/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi event log interrupt of the mock driver (the roles of Linux
 * drivers/iommu/amd/init.c iommu_setup_msi / amd_iommu_restart_log and
 * iommu.c amd_iommu_int_thread -> amd_iommu_handle_irq, iommu_poll_events,
 * iommu_print_event, amd_iommu_report_page_fault). Facts: amdvi.md §3.2
 * (Status: EventOverflow bit 0, EventLogInt bit 1, both RW1C; EventLogRun
 * bit 3), §7 (event log ring and record layout).
 *
 * The interrupt is the IOMMU's PCI MSI. Linux programs it through PCI
 * configuration space; the mock has none, so the driver writes the same
 * message to the MMIO mirror of the MSI capability (0x158..0x164, EFR
 * MsiCapMmioSup; the model always implements it) and sets MsiEn.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "amdvi_priv.h"

#define AMDVI_MSI_CAP_HDR 0x0158
#define AMDVI_MSI_ADDR_LO 0x015c
#define AMDVI_MSI_ADDR_HI 0x0160
#define AMDVI_MSI_DATA    0x0164
#define MSI_CAP_EN        (1u << 16)           /* Message Control.MsiEn */

#define STATUS_EVT_OVERFLOW (1u << 0)
#define STATUS_EVT_INT      (1u << 1)
#define STATUS_EVT_RUN      (1u << 3)

/* iommu_print_event's decode of the 4 dwords (amdvi.md §7.2) */
#define EVT_TYPE(e)   (((e)[1] >> 28) & 0xf)
#define EVT_DEVID(e)  ((e)[0] & 0xffff)
#define EVT_PASID(e)  (((e)[0] & 0xf0000) | ((e)[1] & 0xffff))
#define EVT_FLAGS(e)  (((e)[1] >> 16) & 0xfff)

enum {
    EVENT_TYPE_ILL_DEV = 0x1, EVENT_TYPE_IO_FAULT = 0x2, EVENT_TYPE_DEV_TAB_ERR = 0x3,
    EVENT_TYPE_PAGE_TAB_ERR = 0x4, EVENT_TYPE_ILL_CMD = 0x5, EVENT_TYPE_CMD_HARD_ERR = 0x6,
    EVENT_TYPE_IOTLB_INV_TO = 0x7, EVENT_TYPE_INV_DEV_REQ = 0x8, EVENT_TYPE_INV_PPR_REQ = 0x9,
};

/* Re-reads of an all-zero entry before giving up (Linux: LOOP_TIMEOUT x 1 us,
 * erratum 732; the model writes whole entries, so this only guards a log
 * entry software scribbled over). */
#define ZERO_RETRIES 16




/* dev_err(iommu->iommu.dev, ...): the sysfs IOMMU device "ivhdN" of class
 * "iommu"; pr_err lines carry the driver's "AMD-Vi: " prefix. */
static void dev_err_(struct amdvi_unit *au, bool record, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void dev_err_(struct amdvi_unit *au, bool record, const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    au->u->plat->log(au->u, record, "iommu ivhd%u: %s", au->index, buf);
}

#define BDF(d) (unsigned)((d) >> 8), (unsigned)(((d) >> 3) & 0x1f), (unsigned)((d) & 7)

static void dump_dte(struct amdvi_unit *au, unsigned devid)
{
    unsigned i;

    for (i = 0; i < 4; i++) {
        uint64_t q = 0;

        emu_mem_read64(au->u->mem, au->dev_table + (uint64_t)devid * DTE_SIZE + 8 * i, &q);
        au->u->plat->log(au->u, false, "AMD-Vi: DTE[%u]: %016llx", i, (unsigned long long)q);
    }
}

static void dump_command(struct amdvi_unit *au, uint64_t pa)
{
    uint32_t cmd[4];
    unsigned i;

    /* the kernel reads the command through phys_to_virt; an address
     * outside guest memory has nothing to show */
    if (emu_mem_read(au->u->mem, pa, cmd, sizeof(cmd)))
        return;
    for (i = 0; i < 4; i++)
        au->u->plat->log(au->u, false, "AMD-Vi: CMD[%u]: %08x", i, cmd[i]);
}

/* iommu_print_event for the entry at byte offset `head` of the log. */
static void print_event(struct amdvi_unit *au, uint32_t head)
{
    const struct mfd_platform_ops *p = au->u->plat;
    uint64_t at = au->evt_log + head;
    uint32_t e[4] = { 0, 0, 0, 0 };
    unsigned type, devid, flags, pasid, n;
    unsigned long long addr;

    for (n = 0;; n++) {
        if (emu_mem_read(au->u->mem, at, e, sizeof(e)))
            memset(e, 0, sizeof(e));
        if (EVT_TYPE(e))
            break;
        if (n == ZERO_RETRIES) {
            p->log(au->u, false, "AMD-Vi: No event written to event log");
            return;
        }
    }
    type = EVT_TYPE(e);
    devid = EVT_DEVID(e);
    pasid = EVT_PASID(e);
    flags = EVT_FLAGS(e);
    addr = ((unsigned long long)e[3] << 32) | e[2];
    switch (type) {
    case EVENT_TYPE_IO_FAULT:
        /* amd_iommu_report_page_fault without a struct pci_dev (the mock
         * has none): the pr_err form naming the device */
        p->log(au->u, true, "AMD-Vi: Event logged [IO_PAGE_FAULT device=%04x:%02x:%02x.%x "
               "domain=0x%04x address=0x%llx flags=0x%04x]", 0u, BDF(devid), pasid, addr, flags);
        break;
    case EVENT_TYPE_ILL_DEV:
        dev_err_(au, true, "Event logged [ILLEGAL_DEV_TABLE_ENTRY device=%04x:%02x:%02x.%x "
                 "pasid=0x%05x address=0x%llx flags=0x%04x]", 0u, BDF(devid), pasid, addr, flags);
        dev_err_(au, false, "Control Reg : 0x%llx",
                 (unsigned long long)amdvi_rd(au, AMDVI_CONTROL, 8));
        dump_dte(au, devid);
        break;
    case EVENT_TYPE_DEV_TAB_ERR:
        dev_err_(au, true, "Event logged [DEV_TAB_HARDWARE_ERROR device=%04x:%02x:%02x.%x "
                 "address=0x%llx flags=0x%04x]", 0u, BDF(devid), addr, flags);
        break;
    case EVENT_TYPE_PAGE_TAB_ERR:
        dev_err_(au, true, "Event logged [PAGE_TAB_HARDWARE_ERROR device=%04x:%02x:%02x.%x "
                 "pasid=0x%04x address=0x%llx flags=0x%04x]", 0u, BDF(devid), pasid, addr, flags);
        break;
    case EVENT_TYPE_ILL_CMD:
        dev_err_(au, true, "Event logged [ILLEGAL_COMMAND_ERROR address=0x%llx]", addr);
        dump_command(au, addr);
        break;
    case EVENT_TYPE_CMD_HARD_ERR:
        dev_err_(au, true, "Event logged [COMMAND_HARDWARE_ERROR address=0x%llx flags=0x%04x]",
                 addr, flags);
        break;
    case EVENT_TYPE_IOTLB_INV_TO:
        dev_err_(au, true, "Event logged [IOTLB_INV_TIMEOUT device=%04x:%02x:%02x.%x "
                 "address=0x%llx]", 0u, BDF(devid), addr);
        break;
    case EVENT_TYPE_INV_DEV_REQ:
        dev_err_(au, true, "Event logged [INVALID_DEVICE_REQUEST device=%04x:%02x:%02x.%x "
                 "pasid=0x%05x address=0x%llx flags=0x%04x]", 0u, BDF(devid), pasid, addr, flags);
        break;
    case EVENT_TYPE_INV_PPR_REQ:
        dev_err_(au, true, "Event logged [INVALID_PPR_REQUEST device=%04x:%02x:%02x.%x "
                 "pasid=0x%05x address=0x%llx flags=0x%04x tag=0x%03x]", 0u, BDF(devid), pasid,
                 addr, flags, e[1] & 0x3ff);
        break;
    default:
        dev_err_(au, true, "Event logged [UNKNOWN event[0]=0x%08x event[1]=0x%08x "
                 "event[2]=0x%08x event[3]=0x%08x", e[0], e[1], e[2], e[3]);
    }
    /* erratum 732 detection: the entry is cleared back to zero (no SNP) */
    memset(e, 0, sizeof(e));
    emu_mem_write(au->u->mem, at, e, sizeof(e));
}

/* iommu_poll_events: every entry from EvtHead to EvtTail, EvtHead written
 * after each (readl/writel of the 32-bit pointers). */
static void poll_events(struct amdvi_unit *au)
{
    uint32_t head = (uint32_t)amdvi_rd(au, AMDVI_EVT_HEAD, 4) % RING_BYTES;
    uint32_t tail = (uint32_t)amdvi_rd(au, AMDVI_EVT_TAIL, 4) % RING_BYTES;
    unsigned n;

    for (n = 0; head != tail && n < RING_BYTES / 16; n++) {
        print_event(au, head & ~15u);
        head = (head + 16) % RING_BYTES;
        amdvi_wr(au, AMDVI_EVT_HEAD, 4, head);
    }
}

/* amd_iommu_restart_log(.., "Event", EventIntEn, EventLogEn, EventLogRun,
 * EventOverflow): logging stopped on overflow until EventLogEn is toggled
 * with the overflow cleared (amdvi.md §3.2). */
static void restart_event_logging(struct amdvi_unit *au)
{
    if (amdvi_rd(au, AMDVI_STATUS, 4) & STATUS_EVT_RUN)
        return;
    au->u->plat->log(au->u, false, "AMD-Vi: IOMMU Event log restarting");
    amdvi_ctrl_set(au, CTRL_EVT_LOG_EN, false);
    amdvi_ctrl_set(au, CTRL_EVT_INT_EN, false);
    amdvi_wr(au, AMDVI_STATUS, 4, STATUS_EVT_OVERFLOW);
    amdvi_ctrl_set(au, CTRL_EVT_INT_EN, true);
    amdvi_ctrl_set(au, CTRL_EVT_LOG_EN, true);
}

/* amd_iommu_int_thread: one MSI for all logs; only the event log is enabled
 * (no PPR or GA log), so amd_iommu_handle_irq runs for it alone. */
void amdvi_irq(struct mfd_iommu_unit *u, unsigned vec)
{
    struct amdvi_unit *au = u->priv;
    const uint32_t mask = STATUS_EVT_INT | STATUS_EVT_OVERFLOW;
    uint32_t status;
    unsigned n;

    (void)vec;
    if (!au)
        return;
    pthread_mutex_lock(&au->evt_lock);
    status = (uint32_t)amdvi_rd(au, AMDVI_STATUS, 4);
    /* re-read after handling (erratum ERBT1312: the bit may be set again
     * while it is cleared); bounded, the model does not loop */
    for (n = 0; (status & mask) && n < 8; n++) {
        amdvi_wr(au, AMDVI_STATUS, 4, mask);          /* RW1C: enable the sources again */
        poll_events(au);
        if (status & STATUS_EVT_OVERFLOW)
            restart_event_logging(au);
        status = (uint32_t)amdvi_rd(au, AMDVI_STATUS, 4);
    }
    pthread_mutex_unlock(&au->evt_lock);
}

/* iommu_setup_msi: the MSI message, then MsiEn (pci_enable_msi). 0 or -errno. */
int amdvi_irq_setup(struct amdvi_unit *au)
{
    struct mfd_msi_msg msg;
    int rc = au->u->plat->msi_alloc(au->u, 1, &msg);

    if (rc)
        return rc;
    amdvi_wr(au, AMDVI_MSI_ADDR_LO, 4, (uint32_t)msg.addr);
    amdvi_wr(au, AMDVI_MSI_ADDR_HI, 4, (uint32_t)(msg.addr >> 32));
    amdvi_wr(au, AMDVI_MSI_DATA, 4, msg.data);
    amdvi_wr(au, AMDVI_MSI_CAP_HDR, 4, amdvi_rd(au, AMDVI_MSI_CAP_HDR, 4) | MSI_CAP_EN);
    return 0;
}
