/* SPDX-License-Identifier: MIT */
/*
 * The emulated platform (platform.c), device objects and VFIO cdev files
 * (device.c, vfio_cdev.c) and paging HWPTs (hwpt.c): the kernel's
 * drivers/iommu/iommufd/{device.c,hw_pagetable.c} plus drivers/vfio/
 * device_cdev.c, reduced to what the mock needs.
 *
 * Locking order: ctx->lock -> platform lock -> a driver's own lock. DMA
 * (mockfd_device_dma) takes no ctx lock: the hardware translates whatever
 * the tables say at that instant, as a real device would.
 */
#ifndef IOMMU_EMU_MOCKFD_DEVICE_H
#define IOMMU_EMU_MOCKFD_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "../drivers/driver.h"
#include "io_pagetable.h"
#include "mockfd_internal.h"

/* ---- platform.c ------------------------------------------------------------ */

/* A device behind an emulated IOMMU (the kernel's struct device + its
 * vfio_device). */
struct mfd_pdev {
    int index;                       /* N of /dev/vfio/devices/vfioN */
    struct mfd_iommu_unit *unit;
    uint32_t rid;                    /* requester / stream ID */
    /* The vfio_device open count: at most one cdev fd can be bound at a
     * time (vfio_df_open: a second open of a cdev device is -EINVAL). */
    bool bound;
};

/* Device N; loads MOCKFD_PLATFORM first if the platform is still empty.
 * NULL if there is no such device. */
struct mfd_pdev *mfd_platform_device(int index);
struct emu_mem *mfd_platform_mem(void);
void mfd_platform_lock(void);
void mfd_platform_unlock(void);
/* For tools (iommu-sim) that watch the hardware: the model instance of
 * platform IOMMU `index` (loads MOCKFD_PLATFORM first, as
 * mfd_platform_device), NULL if there is none. Internal interface, not
 * part of mockfd.h's contract: the caller links mockfd/core and knows emu. */
struct emu_iommu *mfd_platform_iommu(int index);
/* The table pool's plat->table_ptr (driver.h), for address symbolisation. */
const uint64_t *mfd_platform_table_ptr(uint64_t gpa);
/* Called with the model of every IOMMU the platform creates, after
 * emu_iommu_new and BEFORE the driver's probe, so a tool can install its
 * emu_set_trace hook and see the probe's register traffic. One hook
 * process-wide; NULL removes it. Runs under the platform lock: it must not
 * call back into the platform. */
typedef void (*mfd_platform_iommu_hook)(void *arg, int index, struct emu_iommu *hw);
void mfd_platform_set_iommu_hook(mfd_platform_iommu_hook fn, void *arg);
/* The MOCKFD_PLATFORM grammar (platform.c), walked once for every reader
 * (the platform loader, the MOCKFD_RECORD header): iommu() gets each IOMMU
 * entry (model[:profile], leading blanks skipped) and returns its index or a
 * negative errno; device() gets each id text of its device list. The first
 * negative return stops the walk and is returned; -ENOMEM if spec cannot be
 * copied. */
#define MFD_DEFAULT_PLATFORM "vtd:0x10"   /* MOCKFD_PLATFORM unset */
int mfd_platform_spec_walk(const char *spec, int (*iommu)(void *arg, const char *entry),
                           int (*device)(void *arg, int iommu_index, const char *id),
                           void *arg);

/* ---- hwpt.c ---------------------------------------------------------------- */

struct mfd_device;
struct mfd_viommu;

struct mfd_hwpt {
    struct mfd_obj obj;              /* MFD_OBJ_HWPT_PAGING */
    struct mfd_ioas *ioas;           /* referenced */
    struct mfd_iommu_unit *unit;     /* the IOMMU instance the domain belongs to */
    struct mfd_domain *domain;
    struct mfd_obj *fault;           /* referenced FAULT object or NULL */
    struct mfd_hwpt *parent;         /* HWPT_NESTED: the referenced nesting parent */
    struct mfd_viommu *viommu;       /* HWPT_NESTED made through a vIOMMU: referenced */
    bool auto_domain;
    bool nest_parent;
    bool pasid_compat;               /* IOMMU_HWPT_ALLOC_PASID */
    bool in_iopt;                    /* iopt_table_add_domain done */
    unsigned ndevs;                  /* attachments (RID and PASID) */
};

/* The kernel's iommufd_hwpt_paging_alloc: an unpublished HWPT on ioas for
 * idev (flags IOMMU_HWPT_ALLOC_*). immediate_attach: attach idev/pasid
 * before filling the domain (auto domains). */
int mfd_hwpt_paging_alloc(struct mfd_ctx *ctx, struct mfd_ioas *ioas, struct mfd_device *idev,
                          uint32_t pasid, uint32_t flags, bool immediate_attach,
                          uint32_t data_type, uint64_t data_uptr, uint32_t data_len,
                          struct mfd_hwpt **out);

/* ---- device.c -------------------------------------------------------------- */

#define MFD_MAX_PASID_ATTACH 16

struct mfd_device {
    struct mfd_obj obj;              /* MFD_OBJ_DEVICE */
    struct mfd_pdev *pdev;
    struct mfd_file *ictx_file;      /* the iommufd file, referenced while bound */
    struct mfd_hwpt *hwpt;           /* RID attachment */
    struct {
        uint32_t pasid;
        struct mfd_hwpt *hwpt;
    } pasids[MFD_MAX_PASID_ATTACH];
};

struct mfd_device *mfd_device_get(struct mfd_ctx *ctx, uint32_t id);
/* The kernel's iommufd_device_bind / unbind (called with ctx->lock held). */
int mfd_device_bind(struct mfd_ctx *ctx, struct mfd_pdev *pdev, struct mfd_file *ictx_file,
                    struct mfd_device **out);
void mfd_device_unbind(struct mfd_device *idev);
/* iommufd_device_attach / replace (pt_id in/out) and detach, for pasid 0
 * (the RID) or a PASID. */
int mfd_device_attach(struct mfd_device *idev, uint32_t pasid, uint32_t *pt_id);
void mfd_device_detach(struct mfd_device *idev, uint32_t pasid);
/* Attach idev/pasid to hwpt (internal; used by auto-domain creation). */
int mfd_hwpt_attach(struct mfd_hwpt *hwpt, struct mfd_device *idev, uint32_t pasid);

/* ---- vfio_cdev.c ----------------------------------------------------------- */

/* The platform device index (N of /dev/vfio/devices/vfioN) behind a VFIO
 * cdev file, or -EBADF if f is not one (for the MOCKFD_RECORD recorder). */
int mfd_vfio_df_index(struct mfd_file *f);

#endif
