/* SPDX-License-Identifier: MIT */
/*
 * HW page tables and dirty tracking: IOMMU_HWPT_ALLOC (paging, nested on a
 * paging parent, nested through a vIOMMU), IOMMU_HWPT_SET_DIRTY_TRACKING,
 * IOMMU_HWPT_GET_DIRTY_BITMAP, IOMMU_HWPT_INVALIDATE (the kernel's
 * drivers/iommu/iommufd/hw_pagetable.c and the dirty half of
 * io_pagetable.c). Errno order: iommufd.md §4.10, §4.12-§4.14.
 *
 * GET_DIRTY_BITMAP reproduces the kernel's quirk by default: the result of
 * the bitmap walk is discarded and the ioctl returns 0 even when the walk
 * met an IOVA hole, an unwritable bitmap or a driver error (iommufd.md §4.13
 * step 10). MOCKFD_DIRTY_STRICT=1 returns that internal error instead (for
 * the fuzzer's oracle). docs/dirty.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "device.h"
#include "handlers.h"
#include "iova_bitmap.h"
#include "viommu.h"

/* ---- object ---------------------------------------------------------------- */

static void hwpt_destroy(struct mfd_obj *obj)
{
    struct mfd_hwpt *h = (struct mfd_hwpt *)obj;

    /* iommufd_hwpt_paging_destroy: out of the IOAS first (unmaps every
     * area from the domain), then free the domain, then drop references */
    if (h->in_iopt)
        iopt_table_remove_domain(h->ioas, h->domain);
    if (h->domain)
        h->domain->ops->free(h->domain);
    if (h->fault)
        mfd_obj_unref(h->fault);
    if (h->parent)
        mfd_obj_unref(&h->parent->obj);
    if (h->viommu)
        mfd_obj_unref(&h->viommu->obj);
    if (h->ioas)
        mfd_obj_unref(&h->ioas->obj);
}

static const struct mfd_obj_ops hwpt_ops = { .destroy = hwpt_destroy };

int mfd_hwpt_paging_alloc(struct mfd_ctx *ctx, struct mfd_ioas *ioas, struct mfd_device *idev,
                          uint32_t pasid, uint32_t flags, bool immediate_attach,
                          uint32_t data_type, uint64_t data_uptr, uint32_t data_len,
                          struct mfd_hwpt **out)
{
    uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
    struct mfd_iommu_unit *u = idev->pdev->unit;
    struct mfd_hwpt *h;
    int rc;

    /* A 6.12 kernel's paging valid_flags are NEST_PARENT|DIRTY_TRACKING only:
     * FAULT_ID_VALID on a paging HWPT and IOMMU_HWPT_ALLOC_PASID (6.15) give
     * EOPNOTSUPP there (measured by the oracle, docs/oracle.md). */
    if (mfd_kernel_version() >= 614)
        valid |= IOMMU_HWPT_FAULT_ID_VALID;
    if (mfd_kernel_version() >= 615)
        valid |= IOMMU_HWPT_ALLOC_PASID;
    /* iommufd_hwpt_paging_alloc, in the kernel's order (§4.10 step 5) */
    if (flags & ~valid)
        return -EOPNOTSUPP;
    if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
        !u->drv->capable(u, idev->pdev->rid, MFD_CAP_DIRTY_TRACKING))
        return -EOPNOTSUPP;
    if ((flags & IOMMU_HWPT_FAULT_ID_VALID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
        return -EOPNOTSUPP;
    h = (struct mfd_hwpt *)mfd_obj_alloc(ctx, MFD_OBJ_HWPT_PAGING, sizeof(*h), &hwpt_ops);
    if (!h)
        return -ENOMEM;
    h->ioas = ioas;
    mfd_obj_ref(&ioas->obj);
    h->unit = u;
    h->nest_parent = !!(flags & IOMMU_HWPT_ALLOC_NEST_PARENT);
    h->pasid_compat = !!(flags & IOMMU_HWPT_ALLOC_PASID);
    h->auto_domain = immediate_attach;
    rc = u->drv->domain_alloc_paging(u, idev->pdev->rid, flags & ~IOMMU_HWPT_FAULT_ID_VALID,
                                     data_type, data_uptr, data_len, &h->domain);
    if (rc)
        goto fail;
    if (immediate_attach) {
        rc = mfd_hwpt_attach(h, idev, pasid);
        if (rc)
            goto fail;
    }
    rc = iopt_table_add_domain(ioas, h->domain);
    if (rc) {
        if (immediate_attach)
            mfd_device_detach(idev, pasid);
        goto fail;
    }
    h->in_iopt = true;
    *out = h;
    return 0;
fail:
    mfd_obj_abort(&h->obj);
    return rc;
}

static struct mfd_hwpt *hwpt_paging_get(struct mfd_ctx *ctx, uint32_t id)
{
    return (struct mfd_hwpt *)mfd_obj_get(ctx, id, MFD_OBJ_HWPT_PAGING);
}

/* iommufd_hwpt_nested_alloc / iommufd_viommu_alloc_hwpt_nested: an
 * unpublished HWPT_NESTED holding its parent and, when made through a vIOMMU
 * (v != NULL), that vIOMMU (refcount_inc(&viommu->obj.users): DESTROY of the
 * vIOMMU is EBUSY while the HWPT lives). The parent of a vIOMMU's nested
 * HWPT is the vIOMMU's nesting parent; the kernel does not count it (the
 * vIOMMU holds it), we do, which changes nothing visible: the vIOMMU keeps
 * it busy anyway. */
static int hwpt_nested_alloc(struct mfd_ctx *ctx, struct mfd_hwpt *parent,
                             struct mfd_viommu *v, struct mfd_device *idev,
                             const struct iommu_hwpt_alloc *cmd, struct mfd_hwpt **out)
{
    struct mfd_iommu_unit *u = parent->unit;
    struct mfd_hwpt *h;
    int rc;

    h = (struct mfd_hwpt *)mfd_obj_alloc(ctx, MFD_OBJ_HWPT_NESTED, sizeof(*h), &hwpt_ops);
    if (!h)
        return -ENOMEM;
    h->parent = parent;
    mfd_obj_ref(&parent->obj);
    if (v) {
        h->viommu = v;
        mfd_obj_ref(&v->obj);
    }
    h->unit = u;
    h->pasid_compat = !!(cmd->flags & IOMMU_HWPT_ALLOC_PASID);
    rc = u->drv->domain_alloc_nested(u, idev->pdev->rid, parent->domain,
                                     cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID, cmd->data_type,
                                     cmd->data_uptr, cmd->data_len, &h->domain);
    if (rc) {
        mfd_obj_abort(&h->obj);
        return rc;
    }
    *out = h;
    return 0;
}

/* ---- IOMMU_HWPT_ALLOC (0x89) ------------------------------------------------ */

int mfd_hwpt_alloc(struct mfd_ucmd *ucmd)
{
    struct iommu_hwpt_alloc *cmd = ucmd->cmd_buf;
    struct mfd_ctx *ctx = ucmd->ctx;
    struct mfd_device *idev;
    struct mfd_obj *pt;
    struct mfd_hwpt *h = NULL;
    int rc;

    /* §4.10 steps 1-4 */
    if (cmd->__reserved)
        return -EOPNOTSUPP;
    if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
        (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
        return -EINVAL;
    idev = mfd_device_get(ctx, cmd->dev_id);
    if (!idev)
        return -ENOENT;
    pt = mfd_obj_get(ctx, cmd->pt_id, MFD_OBJ_ANY);
    if (!pt)
        return -EINVAL;
    switch (pt->type) {
    case MFD_OBJ_IOAS:
        rc = mfd_hwpt_paging_alloc(ctx, (struct mfd_ioas *)pt, idev, 0, cmd->flags, false,
                                   cmd->data_type, cmd->data_uptr, cmd->data_len, &h);
        break;
    case MFD_OBJ_HWPT_PAGING: {
        struct mfd_hwpt *parent = (struct mfd_hwpt *)pt;

        /* iommufd_hwpt_nested_alloc: flag rule and data first, then the
         * parent, then the driver's domain_alloc_nested (the selftest mock
         * has one; the hardware drivers do not: -EOPNOTSUPP) */
        /* IOMMU_HWPT_ALLOC_PASID is 6.15 (6.12 allows FAULT_ID_VALID only) */
        if ((cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID |
                            (mfd_kernel_version() >= 615 ? IOMMU_HWPT_ALLOC_PASID : 0u))) ||
            !cmd->data_len)
            return -EOPNOTSUPP;
        if (parent->auto_domain || !parent->nest_parent || parent->unit != idev->pdev->unit)
            return -EINVAL;
        if (!parent->unit->drv->domain_alloc_nested)
            return -EOPNOTSUPP;
        rc = hwpt_nested_alloc(ctx, parent, NULL, idev, cmd, &h);
        break;
    }
    case MFD_OBJ_VIOMMU: {
        struct mfd_viommu *v = (struct mfd_viommu *)pt;

        /* iommufd_hwpt_alloc: the device must sit behind the vIOMMU's
         * IOMMU instance (viommu->iommu_dev) -> EINVAL, checked before
         * iommufd_viommu_alloc_hwpt_nested's own rules: the flag and data
         * rule of the HWPT_PAGING case, then viommu->ops->alloc_domain_nested.
         * The SELFTEST vIOMMU's alloc_domain_nested is the mock driver's
         * nested allocation on the vIOMMU's parent
         * (mock_viommu_alloc_domain_nested -> __mock_domain_alloc_nested);
         * a unit whose driver has none offers no nested domain -> EOPNOTSUPP.
         * Only reachable from 6.13 on: VIOMMU_ALLOC is gated (main.c). */
        if (v->unit != idev->pdev->unit)
            return -EINVAL;
        if ((cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID |
                            (mfd_kernel_version() >= 615 ? IOMMU_HWPT_ALLOC_PASID : 0u))) ||
            !cmd->data_len)
            return -EOPNOTSUPP;
        if (!v->unit->drv->domain_alloc_nested)
            return -EOPNOTSUPP;
        rc = hwpt_nested_alloc(ctx, v->hwpt, v, idev, cmd, &h);
        break;
    }
    default:
        return -EINVAL;
    }
    if (rc)
        return rc;
    /* §4.10 step 6 */
    if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
        struct mfd_obj *fault = mfd_obj_get(ctx, cmd->fault_id, MFD_OBJ_FAULT);

        if (!fault) {
            mfd_obj_abort(&h->obj);
            return -ENOENT;
        }
        mfd_obj_ref(fault);
        h->fault = fault;
    }
    /* step 7: the dispatcher publishes on success, aborts on error */
    ucmd->new_obj = &h->obj;
    cmd->out_hwpt_id = h->obj.id;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* ---- IOMMU_HWPT_SET_DIRTY_TRACKING (0x8b) --------------------------------- */

struct dirty_arg {
    struct io_pagetable *iopt;
    struct mfd_domain *domain;
    unsigned flags;
};

/* iopt_clear_dirty_data: read-and-clear into no bitmap over every area, then
 * flush the IOTLB (§4.12). */
static int clear_dirty_data(struct mfd_hwpt *h)
{
    struct mfd_domain *d = h->domain;
    struct iopt_area *a;
    int rc = 0;

    for (a = iopt_area_iter_first(&h->ioas->iopt, 0, UINT64_MAX); a;
         a = iopt_area_iter_next(a, 0, UINT64_MAX)) {
        if (!a->filled)
            continue;
        rc = d->ops->read_and_clear_dirty(d, iopt_area_iova(a), iopt_area_length(a), 0, NULL);
        if (rc)
            break;
    }
    if (h->unit->drv->iotlb_sync)
        h->unit->drv->iotlb_sync(d);
    return rc;
}

int mfd_hwpt_set_dirty_tracking(struct mfd_ucmd *ucmd)
{
    struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd_buf;
    struct mfd_hwpt *h;
    bool enable;
    int rc;

    /* §4.12: __reserved is not checked */
    if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
        return -EOPNOTSUPP;
    h = hwpt_paging_get(ucmd->ctx, cmd->hwpt_id);
    if (!h)
        return -ENOENT;
    if (!h->domain->ops->set_dirty_tracking)
        return -EOPNOTSUPP;
    enable = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
    /* iopt_set_dirty_tracking: a clean snapshot before enabling */
    if (enable) {
        rc = clear_dirty_data(h);
        if (rc)
            return rc;
    }
    return h->domain->ops->set_dirty_tracking(h->domain, enable);
}

/* ---- IOMMU_HWPT_GET_DIRTY_BITMAP (0x8c) ------------------------------------ */

/* __iommu_read_and_clear_dirty: one bitmap window; contiguous areas only,
 * -EINVAL at the first hole. */
static int read_and_clear_window(struct mfd_dirty_bitmap *bm, uint64_t iova, uint64_t last,
                                 void *opaque)
{
    struct dirty_arg *arg = opaque;
    struct iopt_area_contig_iter it;
    struct iopt_area *a;

    iopt_for_each_contig_area(&it, a, arg->iopt, iova, last) {
        uint64_t alast = iopt_area_last_iova(a) < last ? iopt_area_last_iova(a) : last;
        int rc = arg->domain->ops->read_and_clear_dirty(arg->domain, it.cur_iova,
                                                        alast - it.cur_iova + 1, arg->flags, bm);

        if (rc)
            return rc;
    }
    if (!iopt_area_contig_done(&it))
        return -EINVAL;
    return 0;
}

static bool dirty_strict(void)
{
    const char *e = getenv("MOCKFD_DIRTY_STRICT");

    return e && *e && strcmp(e, "0");
}

int mfd_hwpt_get_dirty_bitmap(struct mfd_ucmd *ucmd)
{
    struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd_buf;
    struct mfd_dirty_bitmap *bm;
    struct dirty_arg arg;
    struct mfd_hwpt *h;
    uint64_t last, align;
    int rc;

    /* §4.13 steps 1-2 */
    if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || cmd->__reserved)
        return -EOPNOTSUPP;
    h = hwpt_paging_get(ucmd->ctx, cmd->hwpt_id);
    if (!h)
        return -ENOENT;
    /* iommufd_check_iova_range (steps 3-5); masks assume powers of two.
     * length 0 is EINVAL before the overflow check (6.12.117, measured by
     * the oracle: corpus 14_dirty call 19). */
    if (!cmd->length)
        return -EINVAL;
    if (__builtin_add_overflow(cmd->iova, cmd->length - 1, &last))
        return -EOVERFLOW;
    align = h->ioas->iopt.iova_alignment;
    if ((cmd->iova & (align - 1)) || ((last + 1) & (align - 1)))
        return -EINVAL;
    if (!cmd->page_size)
        return -EINVAL;
    if ((cmd->iova & (cmd->page_size - 1)) || ((last + 1) & (cmd->page_size - 1)))
        return -EINVAL;
    /* step 7 */
    if (!h->domain->ops->read_and_clear_dirty)
        return -EOPNOTSUPP;
    rc = mfd_iova_bitmap_alloc(cmd->iova, last, cmd->page_size, cmd->data, &bm);
    if (rc)
        return -ENOMEM;
    arg.iopt = &h->ioas->iopt;
    arg.domain = h->domain;
    arg.flags = (cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ? MFD_DIRTY_NO_CLEAR : 0;
    rc = mfd_iova_bitmap_for_each(bm, &arg, read_and_clear_window);
    /* step 11: the IOTLB forgets cached dirty state unless NO_CLEAR */
    if (!(cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) && h->unit->drv->iotlb_sync)
        h->unit->drv->iotlb_sync(h->domain);
    mfd_iova_bitmap_free(bm);
    /* step 10: the kernel discards the walk's result */
    return dirty_strict() ? rc : 0;
}

/* ---- IOMMU_HWPT_INVALIDATE (0x8d) ------------------------------------------- */

int mfd_hwpt_invalidate(struct mfd_ucmd *ucmd)
{
    struct iommu_hwpt_invalidate *cmd = ucmd->cmd_buf;
    struct mfd_obj *obj;
    uint32_t done = 0, n = cmd->entry_num;
    int rc;

    /* §4.14 steps 1-4. Every path, errors included, ends at the kernel's
     * "out:" label: entry_num is written back (0 unless the op handled
     * entries) and a failed copy-out turns the result into -EFAULT
     * (hw_pagetable.c iommufd_hwpt_invalidate). */
    if (cmd->__reserved) {
        rc = -EOPNOTSUPP;
        goto out;
    }
    if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
        rc = -EINVAL;
        goto out;
    }
    obj = mfd_obj_get(ucmd->ctx, cmd->hwpt_id, MFD_OBJ_ANY);
    if (!obj) {
        rc = -ENOENT;
        goto out;
    }
    if (obj->type == MFD_OBJ_HWPT_NESTED) {
        struct mfd_hwpt *h = (struct mfd_hwpt *)obj;

        /* hwpt->domain->ops->cache_invalidate_user */
        if (!h->unit->drv->cache_invalidate_user) {
            rc = -EOPNOTSUPP;
            goto out;
        }
        rc = h->unit->drv->cache_invalidate_user(h->unit, h->domain, cmd->data_type,
                                                 cmd->data_uptr, cmd->entry_len, &n);
        done = n;
    } else if (obj->type == MFD_OBJ_VIOMMU && mfd_kernel_version() >= 613) {
        /* viommu->ops->cache_invalidate (viommu.c) */
        rc = mfd_viommu_cache_invalidate((struct mfd_viommu *)obj, cmd->data_type,
                                         cmd->data_uptr, cmd->entry_len, &n);
        done = n;
    } else if (mfd_kernel_version() < 613) {
        /* Before 6.13 (commit 54ce69e36c71 "Allow hwpt_id to carry
         * viommu_id", which came with the vIOMMU/vDEVICE objects) the id
         * was looked up as IOMMUFD_OBJ_HWPT_NESTED only
         * (iommufd_get_hwpt_nested): any other object is -ENOENT
         * (iommufd.md §6.2a, measured on 6.12). */
        rc = -ENOENT;
    } else {
        /* a paging HWPT, an IOAS, ...: -EINVAL */
        rc = -EINVAL;
    }
out:
    cmd->entry_num = done;
    if (mfd_ucmd_respond(ucmd, sizeof(*cmd)))
        return -EFAULT;
    return rc;
}
