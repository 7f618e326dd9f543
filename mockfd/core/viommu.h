/* SPDX-License-Identifier: MIT */
/*
 * vIOMMU objects and what hangs off them (the kernel's
 * drivers/iommu/iommufd/viommu.c + the selftest mock's mock_viommu,
 * iommufd.md §4.14, §4.16-§4.19): IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC,
 * IOMMU_HW_QUEUE_ALLOC, IOMMU_HWPT_INVALIDATE on a vIOMMU id, the mmap
 * regions of the iommufd fd, and the vEVENTQs (eventq.c).
 *
 * A vIOMMU type is served by a struct mfd_viommu_type (the kernel's
 * get_viommu_size/viommu_init + iommufd_viommu_ops). Only the SELFTEST type
 * exists today; a hardware driver (SMMUv3 vCMDQ, ...) plugs in by adding a
 * row to the table in viommu.c.
 *
 * Everything here runs with ctx->lock held, except the mmap bookkeeping,
 * which has its own lock (mmap is not an ioctl).
 */
#ifndef IOMMU_EMU_MOCKFD_VIOMMU_H
#define IOMMU_EMU_MOCKFD_VIOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "mockfd_internal.h"

#define MFD_DEV_CACHE_NUM 4          /* MOCK_DEV_CACHE_NUM */
#define MFD_HW_QUEUE_MAX 2           /* IOMMU_TEST_HW_QUEUE_MAX */

struct mfd_viommu;
struct mfd_veventq;
struct mfd_vdevice;
struct mfd_hw_queue;
struct mfd_mmap_region;

struct mfd_viommu {
    struct mfd_obj obj;              /* MFD_OBJ_VIOMMU */
    uint32_t type;                   /* IOMMU_VIOMMU_TYPE_* */
    struct mfd_hwpt *hwpt;           /* nesting parent, referenced */
    struct mfd_iommu_unit *unit;     /* the IOMMU instance (viommu->iommu_dev) */
    const struct mfd_viommu_type *ops;
    struct mfd_vdevice *vdevs;       /* list by virt_id (the kernel's xarray) */
    struct mfd_veventq *veventqs;    /* list; at most one per type */
    struct mfd_hw_queue *hw_queue[MFD_HW_QUEUE_MAX];  /* SELFTEST queues */
    struct mfd_mmap_region *mmap;    /* SELFTEST loopback page, or NULL */
};

struct mfd_vdevice {
    struct mfd_obj obj;              /* MFD_OBJ_VDEVICE */
    struct mfd_viommu *viommu;       /* referenced */
    struct mfd_device *idev;         /* not referenced (the kernel's wait_cnt) */
    uint64_t virt_id;
    struct mfd_vdevice *next;        /* viommu->vdevs */
    bool tombstone;                  /* its device went away (iommufd.md §3) */
};

/* ---- for the other parts ---------------------------------------------------- */

/* Lookup of a published vIOMMU id (NULL: ENOENT). */
struct mfd_viommu *mfd_viommu_get(struct mfd_ctx *ctx, uint32_t id);
/* The kernel's iommufd_viommu_get_vdev_id(): the virt_id of idev's vdevice on
 * this vIOMMU. 0 or -ENOENT (no vdevice: the mock's nested attach fails with
 * that, selftest viommu_alloc_nested_iopf). */
int mfd_viommu_vdev_id(struct mfd_viommu *v, const struct mfd_device *idev, uint64_t *virt_id);
/* The kernel's iommufd_viommu_find_dev(): the device behind virt_id, or NULL. */
struct mfd_device *mfd_viommu_find_dev(struct mfd_viommu *v, uint64_t virt_id);

/* The mock device's view of "which vIOMMU am I attached through" (the
 * selftest's mdev->viommu / mdev->vdev_id, set by mock_domain_nop_attach
 * when a device attaches to a nested domain allocated through a vIOMMU).
 * Part A's nested attach calls this with the vIOMMU (or NULL on any other
 * attach / detach). -ENOENT if v is set and idev has no vdevice on it, in
 * which case nothing changes. */
int mfd_viommu_dev_attach(struct mfd_device *idev, struct mfd_viommu *v);
/* What mfd_viommu_dev_attach recorded: 0, or -ENOENT if idev is not attached
 * through a vIOMMU. */
int mfd_viommu_dev_attached(const struct mfd_device *idev, struct mfd_viommu **v,
                            uint64_t *vdev_id);

/* Device unbind hook (device.c calls it before the device object dies): the
 * vdevice is destroyed and its ID left as a tombstone, the device's mock
 * state is forgotten. */
void mfd_viommu_device_unbind(struct mfd_device *idev) __attribute__((weak));

/* IOMMU_HWPT_INVALIDATE on a vIOMMU (hwpt.c, after the core checks of
 * §4.14 steps 1-3). *entry_num in: entries, out: handled. */
int mfd_viommu_cache_invalidate(struct mfd_viommu *v, uint32_t data_type, uint64_t uptr,
                                uint32_t entry_len, uint32_t *entry_num);

/* Part A's IOMMU_TEST_OP_DEV_CHECK_CACHE: device object dev_id (ENOENT),
 * slot > 3 or value mismatch -> EINVAL. */
int mfd_test_dev_check_cache(struct mfd_ctx *ctx, uint32_t dev_id, uint32_t slot, uint32_t value);

/* ---- eventq.c ----------------------------------------------------------------- */

/* The kernel's iommufd_viommu_report_event(): queue one vEVENT of `type`.
 * -EOPNOTSUPP if the vIOMMU has no vEVENTQ of that type; a full queue is not
 * an error (the lost-events marker is queued). */
int mfd_viommu_report_event(struct mfd_viommu *v, uint32_t type, const void *data, uint32_t len);
/* The veventq of `type` on v, or NULL. */
struct mfd_veventq *mfd_viommu_find_veventq(struct mfd_viommu *v, uint32_t type);
/* Oracles/tests: set the next sequence number (to reach the INT_MAX wrap
 * without 2^31 reports). */
void mfd_veventq_set_sequence(struct mfd_veventq *q, uint32_t seq);
/* Part A's IOMMU_TEST_OP_TRIGGER_VEVENT. */
int mfd_test_trigger_vevent(struct mfd_ctx *ctx, uint32_t dev_id);

#endif
