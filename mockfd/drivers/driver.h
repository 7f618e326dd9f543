/* SPDX-License-Identifier: MIT */
/*
 * The per-hardware driver interface of the mock iommufd: what the kernel's
 * struct iommu_ops + iommu_domain_ops + iommu_dirty_ops are to iommufd,
 * reduced to what iommufd uses. One driver per emulated model (VT-d here;
 * AMD-Vi and SMMUv3 plug in the same way).
 *
 * Rules for a driver (project layering, README "Layout"):
 *  - it touches its hardware ONLY through emu_mmio_read/emu_mmio_write and
 *    guest memory (emu_mem_*), exactly as a Linux driver would through
 *    readl/writeq and its DMA-coherent tables; never a model's internals;
 *  - its tables live in guest memory it gets from the platform
 *    (plat->table_alloc), and the pages it maps become visible to the model
 *    through plat->guest_map (identity map: gpa == user VA, domain.h);
 *  - it returns 0 or a negative errno, with the errno Linux's driver returns.
 *
 * The core (mockfd/core: device.c, hwpt.c) calls these with the iommufd
 * context lock held; a driver serialises its own hardware access (queues,
 * register handshakes) with its own lock, since several iommufd contexts
 * may share one IOMMU.
 */
#ifndef IOMMU_EMU_MOCKFD_DRIVER_H
#define IOMMU_EMU_MOCKFD_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../emu/emu.h"
#include "../core/domain.h"

struct mfd_iommu_unit;

/* An MSI message (the kernel's struct msi_msg): the 32-bit data the device
 * writes to the doorbell address to raise its interrupt. */
struct mfd_msi_msg {
    uint64_t addr;
    uint32_t data;
};
/* Vectors one IOMMU may allocate (SMMUv3: EVTQ + GERROR; PRIQ is unused). */
#define MFD_MSI_MAX_VECS 2

/* Services the platform gives every driver. */
struct mfd_platform_ops {
    /* `size` bytes (a multiple of 4096, a power of two) of zeroed guest memory,
     * naturally aligned, for the driver's tables and queues. Returns the gpa,
     * 0 on failure (-ENOMEM). */
    uint64_t (*table_alloc)(uint64_t size);
    void (*table_free)(uint64_t gpa, uint64_t size);
    /* The driver's own view of a table it allocated (the kernel driver's
     * phys_to_virt of its page-table pages): host pointer to the 4 KiB page
     * at gpa, or NULL (then use emu_mem_read). Loads through it must be
     * atomic 64-bit loads; updates still go through emu_mem_*. */
    const uint64_t *(*table_ptr)(uint64_t gpa);
    /* Make the pinned host pages [pa, pa+len) visible to the hardware at
     * gpa == pa (reference counted per 4 KiB page). 0 or -errno. */
    int (*guest_map)(uint64_t pa, uint64_t len);
    void (*guest_unmap)(uint64_t pa, uint64_t len);
    /* copy_struct_from_user() for driver data of HWPT_ALLOC (the kernel's
     * iommu_copy_struct_from_user): -EFAULT, -E2BIG (non-zero tail). */
    int (*copy_struct_from_user)(void *dst, size_t ksize, uint64_t uptr, size_t usize);
    /* The irqchip's MSI allocation (platform_device_msi_init_and_alloc_irqs /
     * pci_enable_msi): fills msgs[0..nvec) with the doorbell address and data
     * of each vector; the driver programs them into its MSI registers. A
     * 32-bit write of the data to the address raises vector v: the platform
     * notices it after a device DMA (mfd_platform_irq_poll, platform.h) and
     * calls drv->irq(u, v). 0, -EINVAL (nvec 0 or > MFD_MSI_MAX_VECS, or a
     * second allocation), -ENOMEM. Freed with the unit. */
    int (*msi_alloc)(struct mfd_iommu_unit *u, unsigned nvec, struct mfd_msi_msg *msgs);
    /* printk of a driver: one line (no newline) into the unit's bounded log
     * (platform.h). `record` marks the first line of one decoded hardware
     * fault / event record, which the log counts separately. */
    void (*log)(struct mfd_iommu_unit *u, bool record, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
};

/* Platform-private interrupt and log state of a unit (platform.c). */
struct mfd_unit_irq;

/* One IOMMU instance as a driver sees it (the kernel's struct iommu_device +
 * the driver's private state). */
struct mfd_iommu_unit {
    int index;                              /* platform IOMMU index */
    struct emu_iommu *hw;                   /* MMIO target */
    struct emu_mem *mem;                    /* the machine's guest memory */
    const struct mfd_platform_ops *plat;
    const struct mfd_iommu_driver *drv;
    char profile[32];                       /* "" for the default */
    void *priv;                             /* driver state (probe sets it) */
    struct mfd_unit_irq *irq;               /* platform: doorbells, log */
};

/* Capabilities the core asks about (the kernel's enum iommu_cap). */
enum mfd_iommu_cap {
    MFD_CAP_CACHE_COHERENCY,            /* IOMMU_CAP_CACHE_COHERENCY: bind requires it */
    MFD_CAP_DIRTY_TRACKING,             /* driver AND hardware support dirty tracking */
    MFD_CAP_ENFORCE_CACHE_COHERENCY,
    MFD_CAP_PCI_ATS_SUPPORTED,
};

/* A reserved IOVA region of a device (the kernel's iommu_resv_region). */
struct mfd_resv_region {
    uint64_t start, last;               /* inclusive */
    bool msi;                           /* IOMMU_RESV_MSI (vs. direct/reserved) */
};
#define MFD_MAX_RESV_REGIONS 4

/* Driver payload of IOMMU_GET_HW_INFO: at most this many bytes. */
#define MFD_HW_INFO_MAX 64

struct mfd_iommu_driver {
    const char *name;                   /* "intel-iommu", ... */
    enum emu_model model;

    /* Read the ID/capability registers, bring the hardware up through its
     * register protocol, set u->priv. 0 or -errno (-ENODEV: unusable). */
    int (*probe)(struct mfd_iommu_unit *u);
    /* Turn translation off and free everything probe allocated. */
    void (*remove)(struct mfd_iommu_unit *u);

    /* IOMMU_GET_HW_INFO payload for device `rid`: *type in = requested type
     * (IOMMU_HW_INFO_TYPE_DEFAULT = the driver's own), out = the type
     * written; fills buf (MFD_HW_INFO_MAX bytes) and *len. -EOPNOTSUPP for a
     * type the driver does not provide. */
    int (*hw_info)(struct mfd_iommu_unit *u, uint32_t rid, uint32_t *type,
                   void *buf, uint32_t *len);
    /* What the driver AND the hardware support for device `rid`. */
    bool (*capable)(struct mfd_iommu_unit *u, uint32_t rid, enum mfd_iommu_cap cap);
    /* log2 of the number of PASIDs the IOMMU supports for rid; 0 = none. */
    unsigned (*max_pasid_log2)(struct mfd_iommu_unit *u, uint32_t rid);
    /* Reserved IOVA regions of device rid (MSI windows, RMRRs); returns the
     * count (<= MFD_MAX_RESV_REGIONS). */
    int (*resv_regions)(struct mfd_iommu_unit *u, uint32_t rid, struct mfd_resv_region *r);

    /* The kernel's domain_alloc_paging_flags(dev, flags, user_data): flags are
     * IOMMU_HWPT_ALLOC_* without FAULT_ID_VALID; data_type/data_uptr/data_len
     * are the user data of HWPT_ALLOC (data_len 0: none; read it with
     * plat->copy_struct_from_user). The domain has its ops,
     * aperture and pgsize_bitmap set; dirty ops only when
     * IOMMU_HWPT_ALLOC_DIRTY_TRACKING was asked for. */
    int (*domain_alloc_paging)(struct mfd_iommu_unit *u, uint32_t rid, uint32_t flags,
                               uint32_t data_type, uint64_t data_uptr, uint32_t data_len,
                               struct mfd_domain **out);
    /* Attach device rid (pasid 0: the RID / RID_PASID) to d, replacing
     * whatever it was attached to: program the context / PASID entry (DTE, STE)
     * then the invalidations the hardware requires. -EINVAL if d cannot be
     * used with this device (other IOMMU instance, incompatible format). */
    int (*attach_dev)(struct mfd_iommu_unit *u, struct mfd_domain *d, uint32_t rid,
                      uint32_t pasid);
    /* Block DMA of rid/pasid again (the kernel's blocked domain). */
    void (*detach_dev)(struct mfd_iommu_unit *u, uint32_t rid, uint32_t pasid);
    /* iommu_iotlb_sync after a dirty harvest: make the hardware forget
     * cached "dirty already set" state for d. */
    void (*iotlb_sync)(struct mfd_domain *d);

    /* The (threaded) interrupt handler of MSI vector `vec` (msi_alloc):
     * called by the platform once per doorbell write it notices, outside
     * every core lock; it reads the hardware through MMIO and guest memory
     * only and serialises with the driver's other users itself. Optional:
     * NULL when the driver requests no interrupt. */
    void (*irq)(struct mfd_iommu_unit *u, unsigned vec);

    /* ---- optional (NULL in the hardware drivers; the selftest mock has
     * them): nesting, iommufd.md §4.10 / §4.14. */
    /* The kernel's domain_alloc_nested(dev, parent, flags, user_data):
     * flags are IOMMU_HWPT_ALLOC_* without FAULT_ID_VALID; parent is the
     * NEST_PARENT paging domain. -EOPNOTSUPP / -EINVAL / -E2BIG / -EFAULT. */
    int (*domain_alloc_nested)(struct mfd_iommu_unit *u, uint32_t rid, struct mfd_domain *parent,
                               uint32_t flags, uint32_t data_type, uint64_t data_uptr,
                               uint32_t data_len, struct mfd_domain **out);
    /* The kernel's cache_invalidate_user(domain, array) of a nested domain:
     * *entry_num in = entries in the user array, out = entries handled. */
    int (*cache_invalidate_user)(struct mfd_iommu_unit *u, struct mfd_domain *d,
                                 uint32_t data_type, uint64_t uptr, uint32_t entry_len,
                                 uint32_t *entry_num);
    /* The kernel's iommu_ops.user_pasid_table: the guest owns the PASID
     * table, so a page request for a PASID with no attachment of its own
     * goes to the NESTED domain attached at the RID (io-pgfault.c
     * find_fault_handler). */
    bool user_pasid_table;
};

/* All drivers, looked up by model (platform.c). */
extern const struct mfd_iommu_driver mfd_vtd_driver;

/* Record [iova, iova+len) as dirty (iova_bitmap.c; the kernel's
 * iommu_dirty_bitmap_record). bm == NULL: the caller only clears. */
void mfd_dirty_record(struct mfd_dirty_bitmap *bm, uint64_t iova, uint64_t len);

#endif
