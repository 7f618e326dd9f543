/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_VIOMMU_ALLOC (0x90), IOMMU_VDEVICE_ALLOC (0x91), IOMMU_HW_QUEUE_ALLOC
 * (0x94), IOMMU_HWPT_INVALIDATE on a vIOMMU and the mock device caches
 * (the kernel's drivers/iommu/iommufd/viommu.c and the selftest mock's
 * mock_viommu_*; iommufd.md §4.14, §4.16, §4.17, §4.19). Errno order is the
 * kernel's; where iommufd.md disagrees with the kernel source, the source
 * wins and docs/selftest.md says so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include "handlers.h"
#include "viommu.h"
#include "viommu_mmap.h"

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))

/* ---- the mock device's private state -------------------------------------- */
/*
 * The selftest's struct mock_dev carries cache[MOCK_DEV_CACHE_NUM] (initial
 * IOMMU_TEST_DEV_CACHE_DEFAULT), the vIOMMU it is attached through and that
 * vdev_id (mock_domain_nop_attach), and iommufd_device carries its vdevice.
 * Our struct mfd_device is shared with the hardware drivers, so this state
 * lives here, keyed by device, and is dropped by the unbind hook.
 */
struct devstate {
    const struct mfd_device *idev;
    uint32_t cache[MFD_DEV_CACHE_NUM];
    struct mfd_vdevice *vdev;        /* idev->vdev */
    struct mfd_viommu *viommu;       /* mdev->viommu */
    uint64_t vdev_id;                /* mdev->vdev_id */
    struct devstate *next;
};

static pthread_mutex_t ds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct devstate *ds_list;

static struct devstate *ds_find(const struct mfd_device *idev)
{
    struct devstate *d;

    for (d = ds_list; d; d = d->next)
        if (d->idev == idev)
            return d;
    return NULL;
}

/* Find or create (NULL: -ENOMEM). Caller holds ds_lock. */
static struct devstate *ds_get(const struct mfd_device *idev)
{
    struct devstate *d = ds_find(idev);

    if (d)
        return d;
    d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->idev = idev;
    for (int i = 0; i < MFD_DEV_CACHE_NUM; i++)
        d->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
    d->next = ds_list;
    ds_list = d;
    return d;
}

static void ds_forget(const struct mfd_device *idev)
{
    struct devstate **pp, *d;

    for (pp = &ds_list; (d = *pp); pp = &d->next) {
        if (d->idev == idev) {
            *pp = d->next;
            free(d);
            return;
        }
    }
}

/* ---- vIOMMU types ------------------------------------------------------------ */

/* The mock device test (mfd_st_is_mock_idev) belongs to part A's selftest.c;
 * weak so that this file links without it (then no device is a mock). */
extern bool mfd_st_is_mock_idev(const struct mfd_device *idev) __attribute__((weak));

static bool is_mock(const struct mfd_device *idev)
{
    return mfd_st_is_mock_idev && mfd_st_is_mock_idev(idev);
}

/* The selftest vIOMMU's mmap window: two pages (mock_viommu_init allocates an
 * order-1 page block and registers PAGE_SIZE * 2; iommufd.md §4.16 says one
 * page, the kernel source says two, and the selftest's ENXIO case with
 * length / 2 only works with two). */
#define ST_MMAP_PAGES 2

/* mock_viommu_init with user data (§4.16): loopback of in_data. */
static int st_viommu_init(struct mfd_viommu *v, uint64_t uptr, uint32_t len)
{
    struct iommu_viommu_selftest data;
    int rc;

    /* iommu_copy_struct_from_user(.., out_data): the type was checked by the
     * core; len below offsetofend(out_data) or above the kernel's struct ->
     * EINVAL whatever the tail holds (__iommu_copy_struct_from_user:
     * "src_data->len < min_len || data_len < src_data->len"), then
     * copy_struct_from_user. */
    if (len < offsetofend(struct iommu_viommu_selftest, out_data) || len > sizeof(data))
        return -EINVAL;
    rc = mfd_copy_struct_from_user(&data, sizeof(data), uptr, len);
    if (rc)
        return rc;
    rc = mfd_mmap_region_add(v->obj.ctx, &v->obj, ST_MMAP_PAGES, &v->mmap);
    if (rc)
        return rc;
    /* the first u32 of the page is in_data, for the mmap loopback test */
    mfd_mmap_region_write(v->mmap, 0, &data.in_data, sizeof(data.in_data));
    data.out_data = data.in_data;
    data.out_mmap_length = mfd_mmap_region_length(v->mmap);
    data.out_mmap_offset = mfd_mmap_region_offset(v->mmap);
    rc = mfd_copy_to_user(uptr, &data, len);
    if (rc) {
        mfd_mmap_region_del(v->mmap);
        v->mmap = NULL;
    }
    return rc;
}

struct mfd_viommu_type {
    uint32_t type;
    /* get_viommu_size(dev, type) != 0 */
    bool (*supports)(const struct mfd_device *idev);
    /* viommu_init with user data (len != 0) */
    int (*init_data)(struct mfd_viommu *v, uint64_t uptr, uint32_t len);
    /* get_hw_queue_size(type) != 0 */
    uint32_t hw_queue_type;
    uint32_t invalidate_type;
};

static const struct mfd_viommu_type viommu_types[] = {
    {
        .type = IOMMU_VIOMMU_TYPE_SELFTEST,
        .supports = is_mock,
        .init_data = st_viommu_init,
        .hw_queue_type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
        .invalidate_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
    },
};

static const struct mfd_viommu_type *type_for(const struct mfd_device *idev, uint32_t type)
{
    for (size_t i = 0; i < sizeof(viommu_types) / sizeof(viommu_types[0]); i++)
        if (viommu_types[i].type == type && viommu_types[i].supports(idev))
            return &viommu_types[i];
    return NULL;
}

/* ---- IOMMU_VIOMMU_ALLOC (0x90) ------------------------------------------------ */

static void viommu_destroy(struct mfd_obj *obj)
{
    struct mfd_viommu *v = (struct mfd_viommu *)obj;

    /* vdevices, vEVENTQs, HW queues and mmaps hold users: none is left */
    if (v->mmap)
        mfd_mmap_region_del(v->mmap);
    if (v->hwpt)
        mfd_obj_unref(&v->hwpt->obj);
}

static const struct mfd_obj_ops viommu_ops = { .destroy = viommu_destroy };

struct mfd_viommu *mfd_viommu_get(struct mfd_ctx *ctx, uint32_t id)
{
    return (struct mfd_viommu *)mfd_obj_get(ctx, id, MFD_OBJ_VIOMMU);
}

int mfd_viommu_alloc(struct mfd_ucmd *ucmd)
{
    struct iommu_viommu_alloc *cmd = ucmd->cmd_buf;
    const struct mfd_viommu_type *t;
    struct mfd_device *idev;
    struct mfd_hwpt *hwpt;
    struct mfd_viommu *v;
    int rc;

    /* §4.16, iommufd_viommu_alloc_ioctl order; __reserved is not checked */
    if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
        return -EOPNOTSUPP;
    idev = mfd_device_get(ucmd->ctx, cmd->dev_id);
    if (!idev)
        return -ENOENT;
    t = type_for(idev, cmd->type);
    if (!t)
        return -EOPNOTSUPP;
    hwpt = (struct mfd_hwpt *)mfd_obj_get(ucmd->ctx, cmd->hwpt_id, MFD_OBJ_HWPT_PAGING);
    if (!hwpt)
        return -ENOENT;
    if (!hwpt->nest_parent)
        return -EINVAL;
    v = (struct mfd_viommu *)mfd_obj_alloc(ucmd->ctx, MFD_OBJ_VIOMMU, sizeof(*v), &viommu_ops);
    if (!v)
        return -ENOMEM;
    ucmd->new_obj = &v->obj;   /* aborted by the dispatcher on error */
    v->type = cmd->type;
    v->ops = t;
    v->unit = idev->pdev->unit;
    v->hwpt = hwpt;
    mfd_obj_ref(&hwpt->obj);
    /* viommu_init gets the data only when data_len != 0 */
    if (cmd->data_len) {
        rc = t->init_data(v, cmd->data_uptr, cmd->data_len);
        if (rc)
            return rc;
    }
    cmd->out_viommu_id = v->obj.id;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* ---- IOMMU_VDEVICE_ALLOC (0x91) ----------------------------------------------- */

static void vdev_unlink(struct mfd_vdevice *vd)
{
    struct mfd_vdevice **pp;
    struct devstate *d;

    for (pp = &vd->viommu->vdevs; *pp; pp = &(*pp)->next) {
        if (*pp == vd) {
            *pp = vd->next;
            break;
        }
    }
    pthread_mutex_lock(&ds_lock);
    d = ds_find(vd->idev);
    if (d && d->vdev == vd)
        d->vdev = NULL;
    pthread_mutex_unlock(&ds_lock);
    mfd_obj_unref(&vd->viommu->obj);
    vd->viommu = NULL;
}

static void vdevice_destroy(struct mfd_obj *obj)
{
    struct mfd_vdevice *vd = (struct mfd_vdevice *)obj;

    /* iommufd_vdevice_destroy/abort; a tombstone was already unlinked */
    if (vd->viommu)
        vdev_unlink(vd);
}

static const struct mfd_obj_ops vdevice_ops = { .destroy = vdevice_destroy };

struct mfd_device *mfd_viommu_find_dev(struct mfd_viommu *v, uint64_t virt_id)
{
    for (struct mfd_vdevice *vd = v->vdevs; vd; vd = vd->next)
        if (vd->virt_id == virt_id)
            return vd->idev;
    return NULL;
}

int mfd_viommu_vdev_id(struct mfd_viommu *v, const struct mfd_device *idev, uint64_t *virt_id)
{
    for (struct mfd_vdevice *vd = v->vdevs; vd; vd = vd->next) {
        if (vd->idev == idev) {
            *virt_id = vd->virt_id;
            return 0;
        }
    }
    return -ENOENT;
}

int mfd_vdevice_alloc(struct mfd_ucmd *ucmd)
{
    struct iommu_vdevice_alloc *cmd = ucmd->cmd_buf;
    struct mfd_vdevice *vd;
    struct mfd_viommu *v;
    struct mfd_device *idev;
    struct devstate *d;

    /* §4.17: virt_id > ULONG_MAX cannot happen with a 64-bit long */
    v = mfd_viommu_get(ucmd->ctx, cmd->viommu_id);
    if (!v)
        return -ENOENT;
    idev = mfd_device_get(ucmd->ctx, cmd->dev_id);
    if (!idev)
        return -ENOENT;
    if (v->unit != idev->pdev->unit)
        return -EINVAL;
    pthread_mutex_lock(&ds_lock);
    d = ds_get(idev);
    if (!d) {
        pthread_mutex_unlock(&ds_lock);
        return -ENOMEM;
    }
    /* one vdevice per device, whatever the vIOMMU (idev->vdev) */
    if (d->vdev) {
        pthread_mutex_unlock(&ds_lock);
        return -EEXIST;
    }
    pthread_mutex_unlock(&ds_lock);
    vd = (struct mfd_vdevice *)mfd_obj_alloc(ucmd->ctx, MFD_OBJ_VDEVICE, sizeof(*vd),
                                             &vdevice_ops);
    if (!vd)
        return -ENOMEM;
    ucmd->new_obj = &vd->obj;
    /* xa_cmpxchg on viommu->vdevs: the virt_id is taken -> EEXIST */
    if (mfd_viommu_find_dev(v, cmd->virt_id))
        return -EEXIST;
    vd->viommu = v;
    mfd_obj_ref(&v->obj);
    vd->idev = idev;
    vd->virt_id = cmd->virt_id;
    vd->next = v->vdevs;
    v->vdevs = vd;
    pthread_mutex_lock(&ds_lock);
    d->vdev = vd;
    pthread_mutex_unlock(&ds_lock);
    cmd->out_vdevice_id = vd->obj.id;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

void mfd_viommu_device_unbind(struct mfd_device *idev)
{
    struct mfd_vdevice *vd;
    struct devstate *d;

    pthread_mutex_lock(&ds_lock);
    d = ds_find(idev);
    vd = d ? d->vdev : NULL;
    pthread_mutex_unlock(&ds_lock);
    /* iommufd_device_remove_vdev + iommufd_object_tombstone_user: the
     * vdevice is destroyed but its ID stays reserved, so a later DESTROY of
     * it is ENOENT (selftest vdevice_tombstone). The object is left in the
     * table unpublished: lookups skip it, close() frees it. */
    if (vd && vd->obj.published) {
        vdev_unlink(vd);
        vd->tombstone = true;
        vd->obj.published = false;
    }
    pthread_mutex_lock(&ds_lock);
    ds_forget(idev);
    pthread_mutex_unlock(&ds_lock);
}

int mfd_viommu_dev_attach(struct mfd_device *idev, struct mfd_viommu *v)
{
    uint64_t virt_id = 0;
    struct devstate *d;
    int rc;

    /* mock_domain_nop_attach: a nested domain made through a vIOMMU needs
     * the device's vdevice there (-ENOENT otherwise) */
    if (v) {
        rc = mfd_viommu_vdev_id(v, idev, &virt_id);
        if (rc)
            return rc;
    }
    pthread_mutex_lock(&ds_lock);
    d = v ? ds_get(idev) : ds_find(idev);
    if (!d) {
        pthread_mutex_unlock(&ds_lock);
        return v ? -ENOMEM : 0;
    }
    if (d->viommu != v) {
        d->viommu = v;
        d->vdev_id = virt_id;
    }
    pthread_mutex_unlock(&ds_lock);
    return 0;
}

/* The vIOMMU a device is attached through and its vdev_id (eventq.c). */
int mfd_viommu_dev_attached(const struct mfd_device *idev, struct mfd_viommu **v,
                            uint64_t *vdev_id)
{
    struct devstate *d;
    int rc = -ENOENT;

    pthread_mutex_lock(&ds_lock);
    d = ds_find(idev);
    if (d && d->viommu) {
        *v = d->viommu;
        *vdev_id = d->vdev_id;
        rc = 0;
    }
    pthread_mutex_unlock(&ds_lock);
    return rc;
}

/* ---- IOMMU_HWPT_INVALIDATE on a vIOMMU ------------------------------------------ */

/* kmalloc's largest object (KMALLOC_MAX_SIZE, x86-64: 4 MiB): the mock's
 * kzalloc of entry_num entries fails with ENOMEM above it. */
#define KMALLOC_MAX (4ull << 20)

int mfd_viommu_cache_invalidate(struct mfd_viommu *v, uint32_t data_type, uint64_t uptr,
                                uint32_t entry_len, uint32_t *entry_num)
{
    struct iommu_viommu_invalidate_selftest *cmds;
    uint32_t n = *entry_num, i;
    int rc = 0;

    if (!v->ops->invalidate_type) {
        *entry_num = 0;
        return -EOPNOTSUPP;
    }
    /* mock_viommu_cache_invalidate: an empty array probes the type */
    if (n == 0 && data_type == v->ops->invalidate_type)
        return 0;
    *entry_num = 0;
    if ((uint64_t)n * sizeof(*cmds) > KMALLOC_MAX)
        return -ENOMEM;
    cmds = calloc(n ? n : 1, sizeof(*cmds));
    if (!cmds)
        return -ENOMEM;
    /* iommu_copy_struct_from_full_user_array: type, non-empty, then every
     * entry with copy_struct_from_user (short: zero-extended; long: zero
     * tail or E2BIG) */
    if (data_type != v->ops->invalidate_type || n == 0) {
        rc = -EINVAL;
        goto out;
    }
    for (i = 0; i < n; i++) {
        rc = mfd_copy_struct_from_user(&cmds[i], sizeof(cmds[i]),
                                       uptr + (uint64_t)entry_len * i, entry_len);
        if (rc)
            goto out;
    }
    for (i = 0; i < n; i++) {
        struct iommu_viommu_invalidate_selftest *c = &cmds[i];
        struct mfd_device *idev;
        struct devstate *d;

        if (c->flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
            rc = -EOPNOTSUPP;
            break;
        }
        if (c->cache_id > MOCK_DEV_CACHE_ID_MAX) {
            rc = -EINVAL;
            break;
        }
        /* vdev_id is a virt_id, not an object id */
        idev = mfd_viommu_find_dev(v, c->vdev_id);
        if (!idev) {
            rc = -EINVAL;
            break;
        }
        pthread_mutex_lock(&ds_lock);
        d = ds_get(idev);
        if (d) {
            if (c->flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
                memset(d->cache, 0, sizeof(d->cache));
            else
                d->cache[c->cache_id] = 0;
        }
        pthread_mutex_unlock(&ds_lock);
        if (!d) {
            rc = -ENOMEM;
            break;
        }
        *entry_num = i + 1;
    }
out:
    free(cmds);
    return rc;
}

int mfd_test_dev_check_cache(struct mfd_ctx *ctx, uint32_t dev_id, uint32_t slot, uint32_t value)
{
    struct mfd_device *idev = mfd_device_get(ctx, dev_id);
    struct devstate *d;
    uint32_t cur;

    /* iommufd_test_dev_check_cache */
    if (!idev)
        return -ENOENT;
    if (slot > MOCK_DEV_CACHE_ID_MAX)
        return -EINVAL;
    pthread_mutex_lock(&ds_lock);
    d = ds_find(idev);
    cur = d ? d->cache[slot] : IOMMU_TEST_DEV_CACHE_DEFAULT;
    pthread_mutex_unlock(&ds_lock);
    return cur == value ? 0 : -EINVAL;
}

/* ---- IOMMU_HW_QUEUE_ALLOC (0x94) ------------------------------------------------ */

struct mfd_hw_queue {
    struct mfd_obj obj;              /* MFD_OBJ_HW_QUEUE */
    struct mfd_viommu *viommu;       /* referenced */
    struct mfd_hw_queue *prev;       /* index - 1, referenced (hw_queue_depend) */
    uint32_t index;
    bool registered;                 /* in viommu->hw_queue[] */
    bool locked;                     /* areas of [lock_start, lock_last] locked */
    uint64_t lock_start, lock_last;
};

/* The internal access of iommufd_hw_queue_alloc_phys pins the range with
 * num_locks++ on every area, so IOAS_UNMAP of it is EBUSY (io_pagetable.c).
 * The pages themselves are already pinned by the nesting parent's domain
 * (it is in the IOAS), so no pin count changes (MD_CHECK_REFS stays 1). */
static void lock_areas(struct io_pagetable *iopt, uint64_t start, uint64_t last, int delta)
{
    for (struct iopt_area *a = iopt_area_iter_first(iopt, start, last); a;
         a = iopt_area_iter_next(a, start, last)) {
        if (delta < 0 && !a->num_locks)
            continue;
        a->num_locks += delta;
    }
}

static void hw_queue_destroy(struct mfd_obj *obj)
{
    struct mfd_hw_queue *q = (struct mfd_hw_queue *)obj;

    /* mock_hw_queue_destroy + iommufd_hw_queue_destroy */
    if (q->registered)
        q->viommu->hw_queue[q->index] = NULL;
    if (q->prev)
        mfd_obj_unref(&q->prev->obj);
    if (q->locked)
        lock_areas(&q->viommu->hwpt->ioas->iopt, q->lock_start, q->lock_last, -1);
    if (q->viommu)
        mfd_obj_unref(&q->viommu->obj);
}

static const struct mfd_obj_ops hw_queue_ops = { .destroy = hw_queue_destroy };

/* iommufd_hw_queue_alloc_phys + iommufd_access_pin_pages: the page-aligned
 * range must be covered by areas (ENOENT) and physically contiguous
 * (EFAULT; physical == user VA here, domain.h). */
static int pin_range(struct mfd_hw_queue *q, uint64_t iova, uint64_t length)
{
    struct io_pagetable *iopt = &q->viommu->hwpt->ioas->iopt;
    uint64_t start = iova & ~(MFD_PAGE_SIZE - 1), off = iova - start, len, last, expect = 0;
    struct iopt_area_contig_iter it;
    struct iopt_area *a;
    bool first = true;

    if (__builtin_add_overflow(off, length, &len) ||
        __builtin_add_overflow(len, MFD_PAGE_SIZE - 1, &len))
        return -ERANGE;
    len &= ~(MFD_PAGE_SIZE - 1);
    if (__builtin_add_overflow(start, len - 1, &last))
        return -EOVERFLOW;
    iopt_for_each_contig_area(&it, a, iopt, start, last) {
        uint64_t pa = iopt_area_uva(a) + (it.cur_iova - iopt_area_iova(a));

        if (!a->pages)
            return -ENOENT;
        if (!first && pa != expect)
            return -EFAULT;
        first = false;
        expect = pa + (iopt_area_last_iova(a) - it.cur_iova + 1);
    }
    if (!iopt_area_contig_done(&it))
        return -ENOENT;
    lock_areas(iopt, start, last, +1);
    q->locked = true;
    q->lock_start = start;
    q->lock_last = last;
    return 0;
}

int mfd_hw_queue_alloc(struct mfd_ucmd *ucmd)
{
    struct iommu_hw_queue_alloc *cmd = ucmd->cmd_buf;
    struct mfd_hw_queue *q, *prev = NULL;
    struct mfd_viommu *v;
    uint64_t last;
    int rc;

    /* §4.19, iommufd_hw_queue_alloc_ioctl order */
    if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
        return -EOPNOTSUPP;
    if (!cmd->length)
        return -EINVAL;
    if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1, &last))
        return -EOVERFLOW;
    v = mfd_viommu_get(ucmd->ctx, cmd->viommu_id);
    if (!v)
        return -ENOENT;
    if (!v->ops->hw_queue_type || v->ops->hw_queue_type != cmd->type)
        return -EOPNOTSUPP;
    q = (struct mfd_hw_queue *)mfd_obj_alloc(ucmd->ctx, MFD_OBJ_HW_QUEUE, sizeof(*q),
                                             &hw_queue_ops);
    if (!q)
        return -ENOMEM;
    ucmd->new_obj = &q->obj;
    q->viommu = v;
    mfd_obj_ref(&v->obj);
    rc = pin_range(q, cmd->nesting_parent_iova, cmd->length);
    if (rc)
        return rc;
    /* mock_hw_queue_init_phys: index range, duplicate, order */
    if (cmd->index >= MFD_HW_QUEUE_MAX)
        return -EINVAL;
    if (v->hw_queue[cmd->index])
        return -EEXIST;
    if (cmd->index) {
        prev = v->hw_queue[cmd->index - 1];
        if (!prev)
            return -EIO;
        /* iommufd_hw_queue_depend: destroying prev first is EBUSY */
        mfd_obj_ref(&prev->obj);
        q->prev = prev;
    }
    q->index = cmd->index;
    v->hw_queue[q->index] = q;
    q->registered = true;
    cmd->out_hw_queue_id = q->obj.id;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}
