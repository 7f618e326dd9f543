/* SPDX-License-Identifier: MIT */
/*
 * Device objects: bind/unbind, attach / replace / detach to an IOAS (auto
 * domain), a paging HWPT or a nested HWPT, for the RID or a PASID, and
 * IOMMU_GET_HW_INFO
 * (the kernel's drivers/iommu/iommufd/device.c; iommufd.md §3, §4.11, §4.21).
 *
 * A DEVICE object holds two users while bound (the ID table and the VFIO
 * binding, as iommufd_device_bind's refcount_inc), so IOMMU_DESTROY of it
 * is EBUSY; only closing the device fd unbinds it. An attached device holds
 * a user on its HWPT; an auto-created HWPT is destroyed when the last
 * device leaves it (iommufd_hw_pagetable_put).
 */
#include <errno.h>
#include <string.h>

#include <linux/iommufd.h>

#include "device.h"
#include "fault.h"
#include "handlers.h"
#include "viommu.h"

static void device_destroy(struct mfd_obj *obj)
{
    (void)obj;   /* everything was released by mfd_device_unbind */
}

static const struct mfd_obj_ops device_ops = { .destroy = device_destroy };

struct mfd_device *mfd_device_get(struct mfd_ctx *ctx, uint32_t id)
{
    return (struct mfd_device *)mfd_obj_get(ctx, id, MFD_OBJ_DEVICE);
}

int mfd_device_bind(struct mfd_ctx *ctx, struct mfd_pdev *pdev, struct mfd_file *ictx_file,
                    struct mfd_device **out)
{
    struct mfd_iommu_unit *u = pdev->unit;
    struct mfd_device *idev;

    /* iommufd_device_bind: iommufd always maps IOMMU_CACHE */
    if (!u->drv->capable(u, pdev->rid, MFD_CAP_CACHE_COHERENCY))
        return -EINVAL;
    idev = (struct mfd_device *)mfd_obj_alloc(ctx, MFD_OBJ_DEVICE, sizeof(*idev), &device_ops);
    if (!idev)
        return -ENOMEM;
    idev->pdev = pdev;
    idev->ictx_file = ictx_file;
    /* the binding is a user until unbind */
    mfd_obj_ref(&idev->obj);
    mfd_obj_finalize(&idev->obj);
    *out = idev;
    return 0;
}

/* ---- attach bookkeeping --------------------------------------------------- */

static struct mfd_hwpt **slot_of(struct mfd_device *idev, uint32_t pasid, bool create)
{
    int i, free_i = -1;

    if (!pasid)
        return &idev->hwpt;
    for (i = 0; i < MFD_MAX_PASID_ATTACH; i++) {
        if (idev->pasids[i].hwpt && idev->pasids[i].pasid == pasid)
            return &idev->pasids[i].hwpt;
        if (!idev->pasids[i].hwpt && free_i < 0)
            free_i = i;
    }
    if (!create || free_i < 0)
        return NULL;
    idev->pasids[free_i].pasid = pasid;
    return &idev->pasids[free_i].hwpt;
}

static bool any_pasid_attached(struct mfd_device *idev)
{
    int i;

    for (i = 0; i < MFD_MAX_PASID_ATTACH; i++)
        if (idev->pasids[i].hwpt)
            return true;
    return false;
}

/* iommufd_hwpt_pasid_compat */
static int pasid_compat(struct mfd_hwpt *h, struct mfd_device *idev, uint32_t pasid)
{
    if (!pasid)
        return (!h->pasid_compat && any_pasid_attached(idev)) ? -EINVAL : 0;
    if (!h->pasid_compat)
        return -EINVAL;
    if (idev->hwpt && !idev->hwpt->pasid_compat)
        return -EINVAL;
    return 0;
}

/* find_hwpt_paging(): a nested HWPT translates through its parent, so the
 * parent's IOAS is the one that gets the device's reserved regions and whose
 * IOVA space the device uses (device.c iommufd_hw_pagetable_attach). */
static struct mfd_ioas *ioas_of(const struct mfd_hwpt *h)
{
    return h->parent ? h->parent->ioas : h->ioas;
}

/* iopt_table_enforce_dev_resv_regions: the device's reserved regions (the
 * VT-d MSI window, ...) become reserved IOVA of the IOAS, owner = idev. */
static int reserve_dev_regions(struct mfd_device *idev, struct mfd_ioas *ioas)
{
    struct mfd_iommu_unit *u = idev->pdev->unit;
    struct mfd_resv_region r[MFD_MAX_RESV_REGIONS];
    int n = u->drv->resv_regions ? u->drv->resv_regions(u, idev->pdev->rid, r) : 0, i, rc;

    for (i = 0; i < n; i++) {
        rc = iopt_reserve(ioas, idev, r[i].start, r[i].last);
        if (rc) {
            iopt_remove_reserved(ioas, idev);
            return rc;
        }
    }
    return 0;
}

/* Drop a device's user on hwpt; an auto domain dies with its last device. */
static void hwpt_put(struct mfd_hwpt *h)
{
    h->ndevs--;
    mfd_obj_unref(&h->obj);
    if (h->auto_domain && h->obj.users == 1 && h->obj.published)
        mfd_obj_destroy_id(h->obj.ctx, h->obj.id);
}

/* mock_domain_nop_attach, the selftest mock's attach_dev (RID only; its
 * set_dev_pasid does not touch it): a nested domain made through a vIOMMU
 * needs the device's vdevice on that vIOMMU (iommufd_viommu_get_vdev_id ->
 * -ENOENT, before anything changes). Checked before the driver attach: a
 * nested domain has no dirty ops, so the mock's earlier NO_DIRTY -EINVAL
 * cannot apply to it and the order is the kernel's. */
static int viommu_check(struct mfd_hwpt *h, struct mfd_device *idev, uint32_t pasid)
{
    uint64_t virt_id;

    if (pasid || !h->viommu)
        return 0;
    return mfd_viommu_vdev_id(h->viommu, idev, &virt_id);
}

/* ... and after the attach: the device now reports vEVENTs through h's
 * vIOMMU, or through none (any other domain, the blocked one included).
 * Only fails with -ENOMEM (the device's state record). */
static int viommu_record(struct mfd_hwpt *h, struct mfd_device *idev, uint32_t pasid)
{
    if (pasid)
        return 0;
    return mfd_viommu_dev_attach(idev, h ? h->viommu : NULL);
}

int mfd_hwpt_attach(struct mfd_hwpt *h, struct mfd_device *idev, uint32_t pasid)
{
    struct mfd_iommu_unit *u = idev->pdev->unit;
    struct mfd_hwpt **slot = slot_of(idev, pasid, true);
    int rc;

    if (!slot)
        return -ENOSPC;
    if (*slot)
        return -EINVAL;          /* already attached: the caller replaces */
    rc = pasid_compat(h, idev, pasid);
    if (rc)
        return rc;
    if (!pasid) {
        rc = reserve_dev_regions(idev, ioas_of(h));
        if (rc)
            return rc;
    }
    rc = viommu_check(h, idev, pasid);
    if (!rc)
        rc = u->drv->attach_dev(u, h->domain, idev->pdev->rid, pasid);
    if (!rc) {
        rc = viommu_record(h, idev, pasid);
        if (rc)
            u->drv->detach_dev(u, idev->pdev->rid, pasid);
    }
    if (rc) {
        if (!pasid)
            iopt_remove_reserved(ioas_of(h), idev);
        return rc;
    }
    *slot = h;
    h->ndevs++;
    mfd_obj_ref(&h->obj);
    return 0;
}

/* iommufd_device_do_replace */
static int hwpt_replace(struct mfd_hwpt *h, struct mfd_device *idev, uint32_t pasid,
                        struct mfd_hwpt **old_out)
{
    struct mfd_iommu_unit *u = idev->pdev->unit;
    struct mfd_hwpt **slot = slot_of(idev, pasid, false), *old;
    bool new_ioas;
    int rc;

    *old_out = NULL;
    if (!slot || !*slot)
        return -EINVAL;
    old = *slot;
    if (old == h)
        return 0;
    rc = pasid_compat(h, idev, pasid);
    if (rc)
        return rc;
    new_ioas = ioas_of(old) != ioas_of(h);
    if (!pasid && new_ioas) {
        rc = reserve_dev_regions(idev, ioas_of(h));
        if (rc)
            return rc;
    }
    rc = viommu_check(h, idev, pasid);
    if (!rc)
        rc = u->drv->attach_dev(u, h->domain, idev->pdev->rid, pasid);
    if (!rc) {
        rc = viommu_record(h, idev, pasid);
        if (rc)   /* back onto the old domain, which the device still holds */
            u->drv->attach_dev(u, old->domain, idev->pdev->rid, pasid);
    }
    if (rc) {
        if (!pasid && new_ioas)
            iopt_remove_reserved(ioas_of(h), idev);
        return rc;
    }
    if (!pasid && new_ioas)
        iopt_remove_reserved(ioas_of(old), idev);
    *slot = h;
    h->ndevs++;
    mfd_obj_ref(&h->obj);
    *old_out = old;
    return 0;
}

void mfd_device_detach(struct mfd_device *idev, uint32_t pasid)
{
    struct mfd_iommu_unit *u = idev->pdev->unit;
    struct mfd_hwpt **slot = slot_of(idev, pasid, false), *h;

    /* vfio_iommufd_physical_detach_ioas: nothing attached is not an error */
    if (!slot || !*slot)
        return;
    h = *slot;
    /* iommufd_hwpt_detach_device -> iommufd_auto_response_faults (§4.15) */
    mfd_fault_auto_respond(h, idev, pasid);
    u->drv->detach_dev(u, idev->pdev->rid, pasid);
    /* the blocked domain's attach (mock_domain_nop_attach) forgets the
     * vIOMMU: TRIGGER_VEVENT is ENOENT from now on */
    viommu_record(NULL, idev, pasid);
    if (!pasid)
        iopt_remove_reserved(ioas_of(h), idev);
    *slot = NULL;
    hwpt_put(h);
}

/* iommufd_device_auto_get_domain: reuse a compatible auto HWPT of the IOAS,
 * else create one attached immediately. */
static int auto_get_domain(struct mfd_device *idev, uint32_t pasid, struct mfd_ioas *ioas,
                           uint32_t *pt_id, bool replace, struct mfd_hwpt **old)
{
    struct mfd_ctx *ctx = idev->obj.ctx;
    struct mfd_obj *o;
    struct mfd_hwpt *h;
    int rc;

    for (o = mfd_obj_next(ctx, 0); o; o = mfd_obj_next(ctx, o->id)) {
        if (o->type != MFD_OBJ_HWPT_PAGING)
            continue;
        h = (struct mfd_hwpt *)o;
        if (!h->auto_domain || h->ioas != ioas)
            continue;
        rc = replace ? hwpt_replace(h, idev, pasid, old) : mfd_hwpt_attach(h, idev, pasid);
        if (rc == -EINVAL)
            continue;            /* not compatible with this device: try the next */
        if (rc)
            return rc;
        *pt_id = h->obj.id;
        return 0;
    }
    if (replace) {
        /* a fresh auto domain for a replace: allocate detached, then swap */
        rc = mfd_hwpt_paging_alloc(ctx, ioas, idev, pasid, pasid ? IOMMU_HWPT_ALLOC_PASID : 0,
                                   false, 0, 0, 0, &h);
        if (rc)
            return rc;
        h->auto_domain = true;
        mfd_obj_finalize(&h->obj);
        rc = hwpt_replace(h, idev, pasid, old);
        if (rc) {
            mfd_obj_destroy_id(ctx, h->obj.id);
            return rc;
        }
    } else {
        rc = mfd_hwpt_paging_alloc(ctx, ioas, idev, pasid, pasid ? IOMMU_HWPT_ALLOC_PASID : 0,
                                   true, 0, 0, 0, &h);
        if (rc)
            return rc;
        mfd_obj_finalize(&h->obj);
    }
    *pt_id = h->obj.id;
    return 0;
}

int mfd_device_attach(struct mfd_device *idev, uint32_t pasid, uint32_t *pt_id)
{
    struct mfd_ctx *ctx = idev->obj.ctx;
    struct mfd_hwpt **slot = slot_of(idev, pasid, false), *old = NULL;
    bool replace = slot && *slot;
    struct mfd_obj *pt;
    int rc;

    /* iommufd_device_change_pt: the id may name any kind */
    pt = mfd_obj_get(ctx, *pt_id, MFD_OBJ_ANY);
    if (!pt)
        return -ENOENT;
    switch (pt->type) {
    case MFD_OBJ_HWPT_PAGING:
    case MFD_OBJ_HWPT_NESTED: {
        /* iommufd_device_change_pt: both kinds of HWPT attach as they are;
         * a nested one keeps its parent's IOAS for the reserved regions. */
        struct mfd_hwpt *h = (struct mfd_hwpt *)pt;

        rc = replace ? hwpt_replace(h, idev, pasid, &old) : mfd_hwpt_attach(h, idev, pasid);
        break;
    }
    case MFD_OBJ_IOAS:
        rc = auto_get_domain(idev, pasid, (struct mfd_ioas *)pt, pt_id, replace, &old);
        break;
    default:
        return -EINVAL;
    }
    if (rc)
        return rc;
    if (old) {
        /* iommufd_hwpt_replace_device: the old attachment's faults are
         * answered INVALID (§4.15). */
        mfd_fault_auto_respond(old, idev, pasid);
        hwpt_put(old);
    }
    return 0;
}

void mfd_device_unbind(struct mfd_device *idev)
{
    int i;

    /* iommufd_device_remove_vdev: the device's vdevice becomes a tombstone
     * (viommu.c; weak so that mockfd/core links alone) */
    if (mfd_viommu_device_unbind)
        mfd_viommu_device_unbind(idev);

    for (i = 0; i < MFD_MAX_PASID_ATTACH; i++)
        if (idev->pasids[i].hwpt)
            mfd_device_detach(idev, idev->pasids[i].pasid);
    mfd_device_detach(idev, 0);
    /* iommufd_object_destroy_user: drop the binding's user, then the object */
    mfd_obj_unref(&idev->obj);
    mfd_obj_destroy_id(idev->obj.ctx, idev->obj.id);
}

/* ---- IOMMU_GET_HW_INFO (0x8a) ------------------------------------------------- */

int mfd_get_hw_info(struct mfd_ucmd *ucmd)
{
    struct iommu_hw_info *cmd = ucmd->cmd_buf;
    uint8_t data[MFD_HW_INFO_MAX];
    struct mfd_device *idev;
    struct mfd_iommu_unit *u;
    uint32_t data_len = 0, copy_len, type;
    unsigned log2;
    int rc;

    /* §4.11 steps 1-3. IOMMU_HW_INFO_FLAG_INPUT_TYPE arrived in 6.17; older
     * kernels reject every flag (iommufd.md §6.2a, docs/oracle.md). */
    if (cmd->flags & ~(mfd_kernel_version() >= 617 ? IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0u))
        return -EOPNOTSUPP;
    if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
        return -EOPNOTSUPP;
    if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
        cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
    idev = mfd_device_get(ucmd->ctx, cmd->dev_id);
    if (!idev)
        return -ENOENT;
    u = idev->pdev->unit;
    /* step 4 */
    if (u->drv->hw_info) {
        type = cmd->in_data_type;
        memset(data, 0, sizeof(data));
        rc = u->drv->hw_info(u, idev->pdev->rid, &type, data, &data_len);
        if (rc)
            return rc;
        if (type == IOMMU_HW_INFO_TYPE_NONE)
            return -EOPNOTSUPP;    /* the kernel WARNs: a driver bug */
        cmd->out_data_type = type;
    } else {
        cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
    }
    /* step 5: clipped copy, then zero-fill the rest of the user buffer */
    copy_len = cmd->data_len < data_len ? cmd->data_len : data_len;
    if (copy_len && mfd_copy_to_user(cmd->data_uptr, data, copy_len))
        return -EFAULT;
    if (copy_len < cmd->data_len &&
        mfd_clear_user(cmd->data_uptr + copy_len, cmd->data_len - copy_len))
        return -EFAULT;
    /* steps 6-8 */
    cmd->data_len = data_len;
    cmd->out_capabilities = 0;
    if (u->drv->capable(u, idev->pdev->rid, MFD_CAP_DIRTY_TRACKING))
        cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
    if (mfd_kernel_version() >= 617 &&
        !u->drv->capable(u, idev->pdev->rid, MFD_CAP_PCI_ATS_SUPPORTED))
        cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
    log2 = u->drv->max_pasid_log2 ? u->drv->max_pasid_log2(u, idev->pdev->rid) : 0;
    cmd->out_max_pasid_log2 = (uint8_t)log2;
    /* step 9 */
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}
