/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi driver of the mock: probe and bring-up through the register
 * protocol, the command buffer with completion-wait semaphores, and the
 * driver entry points (the roles of Linux drivers/iommu/amd/{init.c,iommu.c,
 * iommufd.c}). Facts: amdvi.md §1-§3, §6, §8.2.
 *
 * Bring-up follows Linux early_enable_iommu() (amdvi.md §3.3): disable
 * everything, set the Control flags, program the device table (every DTE
 * V=1 TV=1 Mode=0 IR=IW=0: DMA blocked), enable the command buffer, set
 * IommuEn, flush all caches (INVALIDATE_IOMMU_ALL or, without EFR.IASup, one
 * command per DeviceID / DomainID), then the event log and its interrupt
 * (amd_iommu_enable_interrupts). Commands go one at a time through CmdTail
 * like __iommu_queue_command_sync, and every wait is a COMPLETION_WAIT that
 * stores an increasing 64-bit value to a semaphore in guest memory, polled
 * as wait_on_sem does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/iommufd.h>

#include "amdvi_priv.h"

#define POLL_LIMIT 1000

pthread_mutex_t amdvi_lock = PTHREAD_MUTEX_INITIALIZER;

/* Live units, for the system-wide EFR Linux computes as the AND of every
 * IOMMU's EFR (amdvi.md §2.1 "global EFR"); under amdvi_lock. */
#define MAX_UNITS 16
static struct amdvi_unit *live[MAX_UNITS];




/* ------------------------------------------------------------------------ */
/* Command buffer (amdvi.md §6.1, §3.3 "Command submission"). */

static int queue_locked(struct amdvi_unit *au, uint64_t q0, uint64_t q1)
{
    uint64_t cmd[2] = { q0, q1 };
    uint32_t next = (au->cmd_tail + 16) % RING_BYTES;
    int i;

    /* keep more than 0x20 bytes free, re-reading CmdHead (readl) when not */
    for (i = 0; ((au->cmd_head - next) % RING_BYTES) <= 0x20; i++) {
        if (i == POLL_LIMIT)
            return -EIO;                 /* "Command buffer timeout" */
        au->cmd_head = (uint32_t)amdvi_rd(au, AMDVI_CMD_HEAD, 4) % RING_BYTES;
    }
    if (emu_mem_write(au->u->mem, au->cmd_buf + au->cmd_tail, cmd, 16))
        return -EIO;
    au->cmd_tail = next;
    amdvi_wr(au, AMDVI_CMD_TAIL, 4, au->cmd_tail);     /* the doorbell */
    return 0;
}

int amdvi_queue_cmd(struct amdvi_unit *au, uint64_t q0, uint64_t q1)
{
    int rc;

    pthread_mutex_lock(&au->cmd_lock);
    rc = queue_locked(au, q0, q1);
    pthread_mutex_unlock(&au->cmd_lock);
    return rc;
}

/* iommu_completion_wait: COMPLETION_WAIT with S=1 storing ++cmd_sem_val at
 * the semaphore, then poll it (wait_on_sem). -EIO when it never lands, e.g.
 * the buffer halted on an error (Linux: "Completion-Wait loop timed out"). */
int amdvi_completion_wait(struct amdvi_unit *au)
{
    uint64_t data, seen = 0;
    int rc, i;

    pthread_mutex_lock(&au->cmd_lock);
    data = ++au->sem_val;
    /* qw0: S (bit 0), StoreAddress 51:3, opcode 1; qw1: StoreData */
    rc = queue_locked(au, CMD_OP(CMD_COMPL_WAIT) | (au->sem & 0x000ffffffffffff8ull) | 1, data);
    for (i = 0; !rc && i < POLL_LIMIT; i++) {
        if (!emu_mem_read64(au->u->mem, au->sem, &seen) && seen == data)
            break;
    }
    if (!rc && i == POLL_LIMIT)
        rc = -EIO;
    pthread_mutex_unlock(&au->cmd_lock);
    return rc;
}

/* iommu_flush_dte: INVALIDATE_DEVTAB_ENTRY, DeviceID in 15:0 */
int amdvi_flush_dte(struct amdvi_unit *au, uint16_t devid)
{
    return amdvi_queue_cmd(au, CMD_OP(CMD_INV_DEVTAB) | devid, 0);
}

/* Linux build_inv_address (amdvi.md §6.3): one page plain; else the
 * smallest naturally aligned power of two covering the range, S=1; beyond
 * bit 51 everything. */
static uint64_t inv_address(uint64_t addr, uint64_t size)
{
    uint64_t end = addr + size - 1, x;
    unsigned msb;

    if ((addr & ~0xfffull) == (end & ~0xfffull) && end >= addr)
        return addr & ~0xfffull;
    x = end ^ addr;
    msb = x ? 63u - (unsigned)__builtin_clzll(x) : 0;
    if (msb > 51 || end < addr)
        addr = CMD_ALL_PAGES;
    else
        addr |= (1ull << msb) - 1;
    return (addr & ~0xfffull) | CMD_PAGES_S;
}

/* build_inv_iommu_pages for a v1 domain: DomainID 47:32, PDE always set */
int amdvi_flush_pages(struct amdvi_unit *au, uint16_t domid, uint64_t addr, uint64_t size)
{
    return amdvi_queue_cmd(au, CMD_OP(CMD_INV_PAGES) | ((uint64_t)domid << 32),
                           inv_address(addr, size) | CMD_PAGES_PDE);
}

/* amd_iommu_flush_all_caches (amdvi.md §3.3 step 9) */
static int flush_all_caches(struct amdvi_unit *au)
{
    unsigned id;
    int rc = 0;

    if (au->efr & EFR_IA) {
        rc = amdvi_queue_cmd(au, CMD_OP(CMD_INV_ALL), 0);
        return rc ? rc : amdvi_completion_wait(au);
    }
    /* amd_iommu_flush_dte_all, _irt_all, _tlb_all up to last_bdf 0xffff */
    for (id = 0; id < DEVTAB_ENTRIES && !rc; id++)
        rc = amdvi_flush_dte(au, (uint16_t)id);
    if (!rc)
        rc = amdvi_completion_wait(au);
    for (id = 0; id < DEVTAB_ENTRIES && !rc; id++)
        rc = amdvi_queue_cmd(au, CMD_OP(CMD_INV_IRT) | id, 0);
    if (!rc)
        rc = amdvi_completion_wait(au);
    for (id = 0; id < DEVTAB_ENTRIES && !rc; id++)
        rc = amdvi_flush_pages(au, (uint16_t)id, 0, CMD_ALL_PAGES);
    if (!rc)
        rc = amdvi_completion_wait(au);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Probe / remove. */

/* AMD_IOMMU_PGSIZES: every power of two >= 4 KiB but 512 GiB (amdvi.md §5.2) */
#define PGSIZES_V1 (~0xfffull & ~(2ull << 38))
#define PGSIZES_V2 ((1ull << 12) | (1ull << 21) | (1ull << 30))

/* The kernel command line amd_iommu= options that change this driver
 * (parse_amd_iommu_options), from MOCKFD_AMD_IOMMU, comma separated:
 * "nohugepages" (v1 page sizes 4 KiB only), "v2_pgsizes_only" (4 KiB,
 * 2 MiB, 1 GiB); unknown words are ignored ("Unknown option"). */
static uint64_t pgsize_option(void)
{
    const char *env = getenv("MOCKFD_AMD_IOMMU"), *p;
    uint64_t bm = PGSIZES_V1;

    for (p = env; p && *p;) {
        size_t n = strcspn(p, ",");

        if (n == 11 && !strncasecmp(p, "nohugepages", n))
            bm = 1ull << 12;
        else if (n == 15 && !strncasecmp(p, "v2_pgsizes_only", n))
            bm = PGSIZES_V2;
        p += n;
        while (*p == ',')
            p++;
    }
    return bm;
}

/* Linux iommu_disable(): each bit its own RMW, IommuEn last but one. */
static void iommu_disable(struct amdvi_unit *au)
{
    static const uint64_t bits[] = {
        CTRL_CMDBUF_EN, CTRL_EVT_INT_EN, CTRL_EVT_LOG_EN, CTRL_GALOG_EN, CTRL_GAINT_EN,
        CTRL_PPRLOG_EN, CTRL_PPRINT_EN, CTRL_IOMMU_EN, CTRL_IRTCACHEDIS,
    };
    size_t i;

    for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        amdvi_ctrl_set(au, bits[i], false);
}

/* init_device_table_dma: every DTE V=1 TV=1, DMA blocked until attached */
static int init_dev_table(struct amdvi_unit *au)
{
    uint64_t chunk[4096 / 8], off;
    unsigned i;

    for (i = 0; i < 4096 / 8; i += 4) {
        chunk[i] = DTE_V | DTE_TV;
        chunk[i + 1] = chunk[i + 2] = chunk[i + 3] = 0;
    }
    for (off = 0; off < DEVTAB_BYTES; off += 4096)
        if (emu_mem_write(au->u->mem, au->dev_table + off, chunk, 4096))
            return -ENOMEM;
    return 0;
}

static void free_unit(struct amdvi_unit *au)
{
    const struct mfd_platform_ops *p = au->u->plat;

    if (au->dev_table)
        p->table_free(au->dev_table, DEVTAB_BYTES);
    if (au->cmd_buf)
        p->table_free(au->cmd_buf, RING_BYTES);
    if (au->evt_log)
        p->table_free(au->evt_log, RING_BYTES);
    if (au->sem)
        p->table_free(au->sem, 4096);
    free(au->att);
    pthread_mutex_destroy(&au->cmd_lock);
    pthread_mutex_destroy(&au->evt_lock);
    free(au);
}

static int amdvi_probe(struct mfd_iommu_unit *u)
{
    const struct mfd_platform_ops *p = u->plat;
    struct amdvi_unit *au = calloc(1, sizeof(*au));
    uint64_t c;
    int rc, i;

    if (!au)
        return -ENOMEM;
    au->u = u;
    pthread_mutex_init(&au->cmd_lock, NULL);
    pthread_mutex_init(&au->evt_lock, NULL);
    au->efr = amdvi_rd(au, AMDVI_EFR, 8);
    au->efr2 = amdvi_rd(au, AMDVI_EFR2, 8);
    /* HATS=11b is "host translation disabled" (amd_iommu_hatdis): no v1
     * tables, and this driver's paging domains are v1 only. */
    if (EFR_HATS(au->efr) == 3) {
        rc = -ENODEV;
        goto fail;
    }
    au->hpt_level = EFR_HATS(au->efr) + 4;
    au->pgsize_bitmap = pgsize_option();
    au->dev_table = p->table_alloc(DEVTAB_BYTES);
    au->cmd_buf = p->table_alloc(RING_BYTES);
    au->evt_log = p->table_alloc(RING_BYTES);
    au->sem = p->table_alloc(4096);
    if (!au->dev_table || !au->cmd_buf || !au->evt_log || !au->sem) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = init_dev_table(au)))
        goto fail;

    /* 1. iommu_disable (firmware may have left anything on) */
    iommu_disable(au);
    /* 2. iommu_init_flags: no IVHD flags -> HtTunEn, PassPW, ResPassPW, Isoc
     * off; Coherent on; InvTimeOut = 1 s (4); EPHEn with EFR.EPHSup */
    amdvi_ctrl_set(au, CTRL_HT_TUN_EN | CTRL_PASSPW_EN | CTRL_RESPASSPW_EN | CTRL_ISOC_EN, false);
    amdvi_ctrl_set(au, CTRL_COHERENT_EN, true);
    c = amdvi_rd(au, AMDVI_CONTROL, 8) & ~(7ull << CTRL_INV_TIMEOUT);
    amdvi_wr(au, AMDVI_CONTROL, 8, c | (4ull << CTRL_INV_TIMEOUT));
    if (au->efr & EFR_EPHSUP)
        amdvi_ctrl_set(au, CTRL_EPH_EN, true);
    /* 3. iommu_set_device_table: Size = 2 MiB / 4 KiB - 1 */
    amdvi_wr(au, AMDVI_DEVTAB, 8, au->dev_table | (DEVTAB_BYTES / 4096 - 1));
    /* 4. iommu_enable_command_buffer + amd_iommu_reset_cmd_buffer */
    amdvi_wr(au, AMDVI_CMDBUF, 8, au->cmd_buf | ((uint64_t)RING_LEN << 56));
    amdvi_ctrl_set(au, CTRL_CMDBUF_EN, false);
    amdvi_wr(au, AMDVI_CMD_HEAD, 4, 0);
    amdvi_wr(au, AMDVI_CMD_TAIL, 4, 0);
    au->cmd_head = au->cmd_tail = 0;
    amdvi_ctrl_set(au, CTRL_CMDBUF_EN, true);
    /* 5. iommu_enable: IommuEn; command processing starts */
    amdvi_ctrl_set(au, CTRL_IOMMU_EN, true);
    /* 6. amd_iommu_flush_all_caches */
    if ((rc = flush_all_caches(au)))
        goto fail_disable;
    /* 7. amd_iommu_enable_interrupts: iommu_enable_event_buffer, the MSI
     * (iommu_init_irq -> iommu_setup_msi), then the event interrupt */
    amdvi_wr(au, AMDVI_EVTLOG, 8, au->evt_log | ((uint64_t)RING_LEN << 56));
    amdvi_wr(au, AMDVI_EVT_HEAD, 4, 0);
    amdvi_wr(au, AMDVI_EVT_TAIL, 4, 0);
    if ((rc = amdvi_irq_setup(au)))
        goto fail_disable;
    amdvi_ctrl_set(au, CTRL_EVT_LOG_EN, true);
    amdvi_ctrl_set(au, CTRL_EVT_INT_EN, true);

    pthread_mutex_lock(&amdvi_lock);
    for (i = 0; i < MAX_UNITS && live[i]; i++)
        ;
    if (i < MAX_UNITS) {
        live[i] = au;
        au->index = (unsigned)i;
    }
    pthread_mutex_unlock(&amdvi_lock);
    if (i == MAX_UNITS) {
        rc = -ENOSPC;
        goto fail_disable;
    }
    u->priv = au;
    return 0;
fail_disable:
    iommu_disable(au);
fail:
    free_unit(au);
    return rc;
}

static void amdvi_remove(struct mfd_iommu_unit *u)
{
    struct amdvi_unit *au = u->priv;
    int i;

    if (!au)
        return;
    iommu_disable(au);
    pthread_mutex_lock(&amdvi_lock);
    amdvi_unit_drop_devs(au);
    for (i = 0; i < MAX_UNITS; i++)
        if (live[i] == au)
            live[i] = NULL;
    pthread_mutex_unlock(&amdvi_lock);
    free_unit(au);
    u->priv = NULL;
}

/* ------------------------------------------------------------------------ */
/* Driver entry points. */

/* The global amd_iommu_efr / amd_iommu_efr2: AND over every IOMMU. */
static void global_efr(struct amdvi_unit *self, uint64_t *efr, uint64_t *efr2)
{
    int i;

    *efr = self->efr;
    *efr2 = self->efr2;
    pthread_mutex_lock(&amdvi_lock);
    for (i = 0; i < MAX_UNITS; i++) {
        if (live[i]) {
            *efr &= live[i]->efr;
            *efr2 &= live[i]->efr2;
        }
    }
    pthread_mutex_unlock(&amdvi_lock);
}

static int amdvi_hw_info(struct mfd_iommu_unit *u, uint32_t rid, uint32_t *type, void *buf,
                         uint32_t *len)
{
    struct iommu_hw_info_amd info;
    uint64_t efr, efr2;

    (void)rid;
    /* amd_iommufd_hw_info: DEFAULT or AMD only; raw global EFR/EFR2 */
    if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != IOMMU_HW_INFO_TYPE_AMD)
        return -EOPNOTSUPP;
    memset(&info, 0, sizeof(info));
    global_efr(u->priv, &efr, &efr2);
    info.efr = efr;
    info.efr2 = efr2;
    memcpy(buf, &info, sizeof(info));
    *len = sizeof(info);
    *type = IOMMU_HW_INFO_TYPE_AMD;
    return 0;
}

static bool amdvi_capable(struct mfd_iommu_unit *u, uint32_t rid, enum mfd_iommu_cap cap)
{
    struct amdvi_unit *au = u->priv;

    (void)rid;
    switch (cap) {
    case MFD_CAP_CACHE_COHERENCY:
        return true;
    case MFD_CAP_DIRTY_TRACKING:
        /* amd_iommu_hd_support(iommu): this IOMMU's EFR.HDSup */
        return !!(au->efr & EFR_HDSUP);
    case MFD_CAP_ENFORCE_CACHE_COHERENCY:
        return true;                    /* IOMMU_PTE_FC is always set */
    case MFD_CAP_PCI_ATS_SUPPORTED:
        /* the mock's devices have no ATS capability, and the model no
         * device IOTLBs (docs/amdvi.md "Not modelled") */
        return false;
    }
    return false;
}

static unsigned amdvi_max_pasid_log2(struct mfd_iommu_unit *u, uint32_t rid)
{
    uint64_t efr, efr2;

    (void)rid;
    global_efr(u->priv, &efr, &efr2);
    /* iommu_init_pci: with EFR.GTSup, max_pasids = (1 << (PASmax + 1)) - 1;
     * iommufd reports ilog2(max_pasids) = PASmax (15 for 16-bit PASIDs) */
    if (!(efr & EFR_GT))
        return 0;
    return EFR_PASMAX(efr);
}

static int amdvi_resv_regions(struct mfd_iommu_unit *u, uint32_t rid, struct mfd_resv_region *r)
{
    uint64_t efr, efr2;
    int n = 0;

    (void)rid;
    global_efr(u->priv, &efr, &efr2);
    /* amd_iommu_get_resv_regions: MSI_RANGE as IOMMU_RESV_MSI, then the
     * HyperTransport range as IOMMU_RESV_RESERVED unless EFR2.HTRangeIgnore */
    r[n].start = 0xfee00000ull;
    r[n].last = 0xfeefffffull;
    r[n++].msi = true;
    if (!(efr2 & EFR2_HT_RANGE_IGNORE)) {
        r[n].start = 0xfd00000000ull;
        r[n].last = 0xffffffffffull;
        r[n++].msi = false;
    }
    return n;
}

static int amdvi_domain_alloc_paging(struct mfd_iommu_unit *u, uint32_t rid, uint32_t flags,
                                     uint32_t data_type, uint64_t data_uptr, uint32_t data_len,
                                     struct mfd_domain **out)
{
    const uint32_t supported = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID |
                               IOMMU_HWPT_ALLOC_NEST_PARENT;
    struct amdvi_unit *au = u->priv;
    struct amdvi_domain *ad;
    uint64_t efr, efr2;
    int id, rc;

    (void)rid, (void)data_type, (void)data_uptr;
    /* amd_iommu_domain_alloc_paging_flags */
    if ((flags & ~supported) || data_len)
        return -EOPNOTSUPP;
    switch (flags) {
    case 0:
        break;                          /* amd_iommu_pgtable default: v1 */
    case IOMMU_HWPT_ALLOC_DIRTY_TRACKING:
    case IOMMU_HWPT_ALLOC_NEST_PARENT:
    case IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_NEST_PARENT:
        if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !(au->efr & EFR_HDSUP))
            return -EOPNOTSUPP;
        if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) {
            /* is_nest_parent_supported: GT, GIoSup and EFR2.GCR3TRPMode */
            global_efr(au, &efr, &efr2);
            if (!(efr & EFR_GT) || !(efr & EFR_GIOSUP) || !(efr2 & EFR2_GCR3TRPMODE))
                return -EOPNOTSUPP;
        }
        break;
    default:
        /* IOMMU_HWPT_ALLOC_PASID asks for a v2 table: not implemented
         * (docs/driver-amdvi.md), so it is refused like a kernel without
         * amd_iommu_pasid_supported() */
        return -EOPNOTSUPP;
    }
    ad = calloc(1, sizeof(*ad));
    if (!ad)
        return -ENOMEM;
    id = amdvi_domid_alloc();
    if (id < 0) {
        free(ad);
        return id;
    }
    ad->plat = u->plat;
    ad->mem = u->mem;
    ad->id = (uint16_t)id;
    ad->max_level = au->hpt_level;
    ad->dirty_ops = !!(flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    rc = amdvi_pgtable_init(ad);
    if (rc) {
        amdvi_domid_free(ad->id);
        free(ad);
        return rc;
    }
    ad->dom.ops = ad->dirty_ops ? &amdvi_domain_dirty_ops : &amdvi_domain_ops;
    /* do_iommu_domain_alloc: aperture [0, dma_max_address(V1) = ~0] and
     * amd_iommu_pgsize_bitmap (AMD_IOMMU_PGSIZES unless amd_iommu= says) */
    ad->dom.aperture_start = 0;
    ad->dom.aperture_end = UINT64_MAX;
    /* amd_iommu_enforce_cache_coherency: true, IOMMU_PTE_FC is always set */
    ad->dom.enforce_cache_coherency = true;
    ad->dom.pgsize_bitmap = au->pgsize_bitmap;
    ad->dom.priv = ad;
    *out = &ad->dom;
    return 0;
}

static int amdvi_attach_dev(struct mfd_iommu_unit *u, struct mfd_domain *d, uint32_t rid,
                            uint32_t pasid)
{
    /* v1 domains have no set_dev_pasid: iommufd gets -EOPNOTSUPP */
    if (pasid)
        return -EOPNOTSUPP;
    if (rid > 0xffff || d->ops->map != amdvi_domain_ops.map)
        return -EINVAL;
    return amdvi_attach(u->priv, to_amdvi(d), (uint16_t)rid);
}

static void amdvi_detach_dev(struct mfd_iommu_unit *u, uint32_t rid, uint32_t pasid)
{
    if (pasid || rid > 0xffff)
        return;
    amdvi_detach(u->priv, (uint16_t)rid);
}

static void amdvi_iotlb_sync(struct mfd_domain *d)
{
    struct amdvi_domain *ad = to_amdvi(d);

    /* amd_iommu_iotlb_sync flushes the gathered range; the mock gathers
     * none, so the whole domain (amd_iommu_flush_iotlb_all) */
    pthread_mutex_lock(&amdvi_lock);
    amdvi_domain_flush_pages(ad, 0, CMD_ALL_PAGES);
    pthread_mutex_unlock(&amdvi_lock);
}

const struct mfd_iommu_driver mfd_amdvi_driver = {
    .name = "AMD-Vi",
    .model = EMU_AMDVI,
    .probe = amdvi_probe,
    .remove = amdvi_remove,
    .hw_info = amdvi_hw_info,
    .capable = amdvi_capable,
    .max_pasid_log2 = amdvi_max_pasid_log2,
    .resv_regions = amdvi_resv_regions,
    .domain_alloc_paging = amdvi_domain_alloc_paging,
    .attach_dev = amdvi_attach_dev,
    .detach_dev = amdvi_detach_dev,
    .iotlb_sync = amdvi_iotlb_sync,
    .irq = amdvi_irq,
};
