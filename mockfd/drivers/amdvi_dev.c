/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi device table entries and attachments (Linux iommu.c set_dte_entry,
 * clear_dte_entry, attach/detach_device, amd_iommu_set_dirty_tracking),
 * protection-domain IDs and domain-wide flushes. Facts: amdvi.md §4, §8.2.
 *
 * A domain may span several IOMMUs, as in Linux (its DomainID comes from
 * one system-wide allocator and its v1 table lives in the shared guest
 * memory); every flush goes to each IOMMU with a device of the domain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "amdvi_priv.h"

/* ---- domain IDs: Linux pdom_ids, 1 .. MAX_DOMAIN_ID - 1, lowest first ---- */

static uint8_t domid_map[MAX_DOMAIN_ID / 8];

int amdvi_domid_alloc(void)
{
    unsigned i;
    int id = -ENOSPC;

    pthread_mutex_lock(&amdvi_lock);
    for (i = 1; i < MAX_DOMAIN_ID; i++) {
        if (!(domid_map[i / 8] & (1u << (i % 8)))) {
            domid_map[i / 8] |= (uint8_t)(1u << (i % 8));
            id = (int)i;
            break;
        }
    }
    pthread_mutex_unlock(&amdvi_lock);
    return id;
}

void amdvi_domid_free(uint16_t id)
{
    pthread_mutex_lock(&amdvi_lock);
    domid_map[id / 8] &= (uint8_t)~(1u << (id % 8));
    pthread_mutex_unlock(&amdvi_lock);
}

/* ---- DTEs ------------------------------------------------------------------ */

static uint64_t dte_addr(struct amdvi_unit *au, uint16_t devid)
{
    return au->dev_table + (uint64_t)devid * DTE_SIZE;
}

/* set_dte_entry for a v1 domain: qword 1 (DomainID, keeping the flags)
 * first, then qword 0 with V, TV, Mode, root, IR, IW and HAD while dirty
 * tracking is on (amdvi.md §4.5: the half with V is written last). */
static void set_dte(struct amdvi_unit *au, struct amdvi_domain *ad, uint16_t devid)
{
    struct emu_mem *m = au->u->mem;
    uint64_t q0, q1 = 0;

    emu_mem_read64(m, dte_addr(au, devid) + 8, &q1);
    q1 = (q1 & ~DTE_DOMID_MASK) | ad->id;
    q0 = ad->root | ((uint64_t)(ad->mode & 7) << DTE_MODE_SHIFT) | DTE_IR | DTE_IW | DTE_V |
         DTE_TV;
    if (ad->dirty_tracking)
        q0 |= DTE_HAD;
    emu_mem_write64(m, dte_addr(au, devid) + 8, q1);
    emu_mem_write64(m, dte_addr(au, devid), q0);
}

/* clear_dte_entry: V|TV (DMA blocked) first, then drop DomainID keeping
 * the DTE_FLAG_MASK flags. */
static void clear_dte(struct amdvi_unit *au, uint16_t devid)
{
    struct emu_mem *m = au->u->mem;
    uint64_t q1 = 0;

    emu_mem_write64(m, dte_addr(au, devid), DTE_V | DTE_TV);
    emu_mem_read64(m, dte_addr(au, devid) + 8, &q1);
    emu_mem_write64(m, dte_addr(au, devid) + 8, q1 & DTE1_FLAG_MASK);
}

/* ---- domain-wide flushes (caller holds amdvi_lock) ---------------------------- */

/* The distinct units of ad's devices (Linux pdom->iommu_array). */
static unsigned domain_units(struct amdvi_domain *ad, struct amdvi_unit **out, unsigned max)
{
    unsigned i, j, n = 0;

    for (i = 0; i < ad->ndevs; i++) {
        for (j = 0; j < n && out[j] != ad->devs[i].au; j++)
            ;
        if (j == n && n < max)
            out[n++] = ad->devs[i].au;
    }
    return n;
}

void amdvi_domain_flush_pages(struct amdvi_domain *ad, uint64_t addr, uint64_t size)
{
    struct amdvi_unit *us[16];
    unsigned n = domain_units(ad, us, 16), i;

    /* domain_flush_pages_v1 then amd_iommu_domain_flush_complete */
    for (i = 0; i < n; i++)
        amdvi_flush_pages(us[i], ad->id, addr, size);
    for (i = 0; i < n; i++)
        amdvi_completion_wait(us[i]);
}

void amdvi_domain_update_dtes(struct amdvi_domain *ad)
{
    struct amdvi_unit *us[16];
    unsigned n, i;

    /* amd_iommu_update_and_flush_device_table */
    for (i = 0; i < ad->ndevs; i++)
        set_dte(ad->devs[i].au, ad, ad->devs[i].devid);
    for (i = 0; i < ad->ndevs; i++)
        amdvi_flush_dte(ad->devs[i].au, ad->devs[i].devid);
    n = domain_units(ad, us, 16);
    for (i = 0; i < n; i++)
        amdvi_completion_wait(us[i]);
}

/* ---- attach / detach ------------------------------------------------------------ */

static struct amdvi_att *find_att(struct amdvi_unit *au, uint16_t devid)
{
    unsigned i;

    for (i = 0; i < au->natt; i++)
        if (au->att[i].devid == devid)
            return &au->att[i];
    return NULL;
}

static int grow(void **arr, unsigned *cap, unsigned n, size_t elem)
{
    void *na;
    unsigned nc;

    if (n < *cap)
        return 0;
    nc = *cap ? *cap * 2 : 8;
    na = realloc(*arr, nc * elem);
    if (!na)
        return -ENOMEM;
    *arr = na;
    *cap = nc;
    return 0;
}

/* detach_device: clear the DTE, invalidate it and wait (amd_iommu_dev_update_dte),
 * flush the old domain's IOTLB everywhere while the device still counts,
 * then drop the device from the domain. Caller holds amdvi_lock. */
static void detach_locked(struct amdvi_unit *au, struct amdvi_att *a)
{
    struct amdvi_domain *ad = a->ad;
    uint16_t devid = a->devid;
    unsigned i;

    clear_dte(au, devid);
    amdvi_flush_dte(au, devid);
    amdvi_completion_wait(au);
    amdvi_domain_flush_pages(ad, 0, CMD_ALL_PAGES);
    for (i = 0; i < ad->ndevs; i++) {
        if (ad->devs[i].au == au && ad->devs[i].devid == devid) {
            ad->devs[i] = ad->devs[--ad->ndevs];
            break;
        }
    }
    *a = au->att[--au->natt];
}

int amdvi_attach(struct amdvi_unit *au, struct amdvi_domain *ad, uint16_t devid)
{
    struct amdvi_att *a;
    int rc = 0;

    pthread_mutex_lock(&amdvi_lock);
    a = find_att(au, devid);
    /* amd_iommu_attach_device: same domain is a no-op */
    if (a && a->ad == ad)
        goto out;
    /* dirty-tracking domains only on IOMMUs with EFR.HDSup */
    if (ad->dirty_ops && !(au->efr & EFR_HDSUP)) {
        rc = -EINVAL;
        goto out;
    }
    /* Linux has one system-wide amd_iommu_hpt_level; with per-IOMMU levels
     * a table deeper than this IOMMU walks cannot be used here. */
    if (ad->mode > au->hpt_level) {
        rc = -EINVAL;
        goto out;
    }
    if ((rc = grow((void **)&ad->devs, &ad->devs_cap, ad->ndevs, sizeof(*ad->devs))) ||
        (rc = grow((void **)&au->att, &au->att_cap, au->natt, sizeof(*au->att))))
        goto out;
    /* the realloc may have moved the attachment array */
    a = find_att(au, devid);
    if (a)
        detach_locked(au, a);
    ad->devs[ad->ndevs].au = au;
    ad->devs[ad->ndevs++].devid = devid;
    au->att[au->natt].devid = devid;
    au->att[au->natt++].ad = ad;
    /* do_attach -> amd_iommu_dev_update_dte(set): DTE, INVALIDATE_DEVTAB_ENTRY,
     * COMPLETION_WAIT */
    set_dte(au, ad, devid);
    amdvi_flush_dte(au, devid);
    /* like Linux, a timed-out wait is not an attach failure: the DTE is
     * written and the driver's bookkeeping says attached */
    amdvi_completion_wait(au);
out:
    pthread_mutex_unlock(&amdvi_lock);
    return rc;
}

void amdvi_detach(struct amdvi_unit *au, uint16_t devid)
{
    struct amdvi_att *a;

    pthread_mutex_lock(&amdvi_lock);
    a = find_att(au, devid);
    if (a)
        detach_locked(au, a);
    pthread_mutex_unlock(&amdvi_lock);
}

void amdvi_unit_drop_devs(struct amdvi_unit *au)
{
    while (au->natt) {
        struct amdvi_domain *ad = au->att[au->natt - 1].ad;
        unsigned i;

        for (i = 0; i < ad->ndevs; i++) {
            if (ad->devs[i].au == au) {
                ad->devs[i] = ad->devs[--ad->ndevs];
                i--;
            }
        }
        au->natt--;
    }
}

/* amd_iommu_set_dirty_tracking (amdvi.md §8.2): no-op when unchanged; for
 * every device set/clear DTE.HAD in qword 0 and INVALIDATE_DEVTAB_ENTRY; then,
 * if any device was updated, flush the whole domain so that cached
 * translations pick the new HAD up. */
int amdvi_set_dirty_tracking(struct mfd_domain *d, bool enable)
{
    struct amdvi_domain *ad = to_amdvi(d);
    unsigned i;

    pthread_mutex_lock(&amdvi_lock);
    if (ad->dirty_tracking == enable) {
        pthread_mutex_unlock(&amdvi_lock);
        return 0;
    }
    for (i = 0; i < ad->ndevs; i++) {
        struct amdvi_unit *au = ad->devs[i].au;
        uint64_t a = dte_addr(au, ad->devs[i].devid), q0 = 0;

        emu_mem_read64(au->u->mem, a, &q0);
        q0 = enable ? (q0 | DTE_HAD) : (q0 & ~DTE_HAD);
        emu_mem_write64(au->u->mem, a, q0);
        amdvi_flush_dte(au, ad->devs[i].devid);
    }
    if (ad->ndevs)
        amdvi_domain_flush_pages(ad, 0, CMD_ALL_PAGES);
    ad->dirty_tracking = enable;
    pthread_mutex_unlock(&amdvi_lock);
    return 0;
}
