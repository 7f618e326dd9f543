/* SPDX-License-Identifier: MIT */
/*
 * The mock's AMD-Vi driver (the role of Linux drivers/iommu/amd/): state
 * shared by amdvi.c (probe, command buffer, driver entry points), amdvi_dev.c
 * (device table entries, attach/detach, domain IDs) and amdvi_pgtable.c (v1
 * host page tables, map/unmap, dirty tracking). Facts: amdvi.md §1-§8.
 */
#ifndef IOMMU_EMU_MOCKFD_AMDVI_PRIV_H
#define IOMMU_EMU_MOCKFD_AMDVI_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "driver.h"

/* MMIO registers (amdvi.md §1.2) */
#define AMDVI_DEVTAB      0x0000
#define AMDVI_CMDBUF      0x0008
#define AMDVI_EVTLOG      0x0010
#define AMDVI_CONTROL     0x0018
#define AMDVI_EFR         0x0030
#define AMDVI_PPRLOG      0x0038
#define AMDVI_EFR2        0x01a0
#define AMDVI_CMD_HEAD    0x2000
#define AMDVI_CMD_TAIL    0x2008
#define AMDVI_EVT_HEAD    0x2010
#define AMDVI_EVT_TAIL    0x2018
#define AMDVI_STATUS      0x2020

/* Control bits (amdvi.md §3.1, Linux CONTROL_*) */
#define CTRL_IOMMU_EN     (1ull << 0)
#define CTRL_HT_TUN_EN    (1ull << 1)
#define CTRL_EVT_LOG_EN   (1ull << 2)
#define CTRL_EVT_INT_EN   (1ull << 3)
#define CTRL_COMWAIT_EN   (1ull << 4)
#define CTRL_INV_TIMEOUT  5
#define CTRL_PASSPW_EN    (1ull << 8)
#define CTRL_RESPASSPW_EN (1ull << 9)
#define CTRL_COHERENT_EN  (1ull << 10)
#define CTRL_ISOC_EN      (1ull << 11)
#define CTRL_CMDBUF_EN    (1ull << 12)
#define CTRL_PPRLOG_EN    (1ull << 13)
#define CTRL_PPRINT_EN    (1ull << 14)
#define CTRL_GALOG_EN     (1ull << 28)
#define CTRL_GAINT_EN     (1ull << 29)
#define CTRL_EPH_EN       (1ull << 45)
#define CTRL_IRTCACHEDIS  (1ull << 59)

/* Status (amdvi.md §1.3) */
#define STATUS_CMDBUF_RUN (1ull << 4)

/* EFR / EFR2 (amdvi.md §2.1, §2.3) */
#define EFR_IA            (1ull << 6)
#define EFR_GT            (1ull << 4)
#define EFR_HATS(e)       ((unsigned)(((e) >> 10) & 3))
#define EFR_PASMAX(e)     ((unsigned)(((e) >> 32) & 0x1f))
#define EFR_GIOSUP        (1ull << 48)
#define EFR_EPHSUP        (1ull << 50)
#define EFR_HDSUP         (1ull << 52)
#define EFR2_GCR3TRPMODE  (1ull << 3)
#define EFR2_HT_RANGE_IGNORE (1ull << 11)

/* DTE qword 0/1 (amdvi.md §4.1, §4.2) */
#define DTE_V             (1ull << 0)
#define DTE_TV            (1ull << 1)
#define DTE_HAD           (3ull << 7)
#define DTE_MODE_SHIFT    9
#define DTE_IR            (1ull << 61)
#define DTE_IW            (1ull << 62)
#define DTE_DOMID_MASK    0xffffull
/* Linux DTE_FLAG_MASK: the data[1] flags clear_dte_entry keeps (I..SysMgt) */
#define DTE1_FLAG_MASK    (0x3ffull << 32)
#define DTE_SIZE          32
#define DEVTAB_ENTRIES    65536u
#define DEVTAB_BYTES      (DEVTAB_ENTRIES * DTE_SIZE)     /* Size field 0x1FF */

/* v1 page-table entries (amdvi.md §5.2, Linux IOMMU_PTE_*) */
#define PTE_PR            (1ull << 0)
#define PTE_HA            (1ull << 5)
#define PTE_HD            (1ull << 6)
#define PTE_FC            (1ull << 60)
#define PTE_IR            (1ull << 61)
#define PTE_IW            (1ull << 62)
#define PTE_NL(p)         ((unsigned)(((p) >> 9) & 7))
#define PTE_NL_ENC(n)     (((uint64_t)(n) & 7) << 9)
#define PM_ADDR_MASK      0x000ffffffffff000ull

/* Commands (amdvi.md §6.2) */
#define CMD_COMPL_WAIT    1ull
#define CMD_INV_DEVTAB    2ull
#define CMD_INV_PAGES     3ull
#define CMD_INV_IRT       5ull
#define CMD_INV_ALL       8ull
#define CMD_OP(op)        ((op) << 60)
#define CMD_PAGES_S       (1ull << 0)
#define CMD_PAGES_PDE     (1ull << 1)
/* Linux CMD_INV_IOMMU_ALL_PAGES_ADDRESS */
#define CMD_ALL_PAGES     0x7fffffffffffffffull

/* Ring sizes Linux uses (amdvi.md Appendix A): 512 entries, Len 9. */
#define RING_LEN          9
#define RING_BYTES        (16u << RING_LEN)

/* PD IDs: Linux's pdom_ids IDA, 1 .. MAX_DOMAIN_ID - 1, system wide */
#define MAX_DOMAIN_ID     65536u

struct amdvi_domain;

/* One IOMMU instance (Linux struct amd_iommu). */
struct amdvi_unit {
    struct mfd_iommu_unit *u;
    pthread_mutex_t cmd_lock;       /* command ring and semaphore */
    pthread_mutex_t evt_lock;       /* the event log interrupt thread */
    unsigned index;                 /* N of "ivhdN" (Linux iommu->index) */
    uint64_t efr, efr2;
    unsigned hpt_level;             /* HATS + 4 */
    uint64_t pgsize_bitmap;         /* amd_iommu_pgsize_bitmap */
    uint64_t dev_table;             /* gpa, 2 MiB, 65536 DTEs */
    uint64_t cmd_buf, evt_log;      /* gpa, RING_BYTES each */
    uint32_t cmd_tail, cmd_head;    /* byte offsets as Linux keeps them */
    uint64_t sem;                   /* gpa of the completion-wait semaphore */
    uint64_t sem_val;               /* Linux cmd_sem_val */
    /* which domain each devid is attached to (Linux dev_data->domain);
     * under amdvi_lock */
    struct amdvi_att {
        uint16_t devid;
        struct amdvi_domain *ad;
    } *att;
    unsigned natt, att_cap;
};

/* A (unit, devid) attached to a domain (Linux dev_data on domain->dev_list). */
struct amdvi_dev {
    struct amdvi_unit *au;
    uint16_t devid;
};

/* A protection domain with a v1 page table (Linux struct protection_domain). */
struct amdvi_domain {
    struct mfd_domain dom;          /* first: mfd_domain <-> amdvi_domain */
    const struct mfd_platform_ops *plat;
    struct emu_mem *mem;
    uint16_t id;
    unsigned mode;                  /* levels in use, 3 .. max_level */
    unsigned max_level;             /* amd_iommu_hpt_level */
    uint64_t root;                  /* gpa of the top table */
    bool dirty_ops;                 /* allocated with DIRTY_TRACKING */
    bool dirty_tracking;
    struct amdvi_dev *devs;
    unsigned ndevs, devs_cap;
};

/* The driver's register access: 64/32-bit MMIO of its IOMMU (readq/writeq). */
static inline uint64_t amdvi_rd(struct amdvi_unit *au, uint64_t off, unsigned w)
{
    return emu_mmio_read(au->u->hw, off, w);
}

static inline void amdvi_wr(struct amdvi_unit *au, uint64_t off, unsigned w, uint64_t v)
{
    emu_mmio_write(au->u->hw, off, w, v);
}

/* Linux iommu_feature_enable/disable: a 64-bit read-modify-write of Control. */
static inline void amdvi_ctrl_set(struct amdvi_unit *au, uint64_t bits, bool on)
{
    uint64_t c = amdvi_rd(au, AMDVI_CONTROL, 8);

    amdvi_wr(au, AMDVI_CONTROL, 8, on ? (c | bits) : (c & ~bits));
}

static inline struct amdvi_domain *to_amdvi(struct mfd_domain *d)
{
    return (struct amdvi_domain *)d;
}

/* The driver-wide lock: attachments, DTE contents, domain IDs, a domain's
 * root/mode (Linux: domain->lock + dev_data->dte_lock + pdom_ids).
 * Order: amdvi_lock -> unit cmd_lock. */
extern pthread_mutex_t amdvi_lock;

/* amdvi.c: command submission. Each returns 0 or -EIO. */
int amdvi_queue_cmd(struct amdvi_unit *au, uint64_t q0, uint64_t q1);
int amdvi_completion_wait(struct amdvi_unit *au);
int amdvi_flush_dte(struct amdvi_unit *au, uint16_t devid);
/* INVALIDATE_IOMMU_PAGES for [addr, addr+size) of domid, no wait. */
int amdvi_flush_pages(struct amdvi_unit *au, uint16_t domid, uint64_t addr, uint64_t size);

/* amdvi_event.c */
/* Program the event-log MSI (probe, before EventIntEn). 0 or -errno. */
int amdvi_irq_setup(struct amdvi_unit *au);
/* The interrupt thread (drv->irq): consume the event log. */
void amdvi_irq(struct mfd_iommu_unit *u, unsigned vec);

/* amdvi_dev.c (callers hold amdvi_lock where noted) */
int amdvi_domid_alloc(void);
void amdvi_domid_free(uint16_t id);
/* Linux amd_iommu_domain_flush_pages: flush on every unit the domain spans,
 * then wait. Caller holds amdvi_lock. */
void amdvi_domain_flush_pages(struct amdvi_domain *ad, uint64_t addr, uint64_t size);
/* Rewrite the DTEs of every device of ad (after a root/mode change) and
 * invalidate them. Caller holds amdvi_lock. */
void amdvi_domain_update_dtes(struct amdvi_domain *ad);
int amdvi_attach(struct amdvi_unit *au, struct amdvi_domain *ad, uint16_t devid);
void amdvi_detach(struct amdvi_unit *au, uint16_t devid);
int amdvi_set_dirty_tracking(struct mfd_domain *d, bool enable);
/* Forget every attachment of a unit (remove). */
void amdvi_unit_drop_devs(struct amdvi_unit *au);

/* amdvi_pgtable.c */
extern const struct mfd_domain_ops amdvi_domain_ops;
extern const struct mfd_domain_ops amdvi_domain_dirty_ops;
int amdvi_pgtable_init(struct amdvi_domain *ad);

#endif
