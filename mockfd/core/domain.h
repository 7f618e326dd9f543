/* SPDX-License-Identifier: MIT */
/*
 * A paging domain as the io_pagetable sees it (the kernel's struct
 * iommu_domain + iommu_domain_ops, reduced to what iommufd uses). Domains are
 * made by the per-hardware drivers in mockfd/drivers (and the selftest mock);
 * the IOAS fills them from its areas and keeps them in step on map/unmap.
 *
 * Physical addresses: the platform identity-maps pinned user pages into the
 * emulated guest memory (guest-physical address == user virtual address), so
 * the paddr given to map() is the user VA of the pinned page.
 */
#ifndef IOMMU_EMU_MOCKFD_DOMAIN_H
#define IOMMU_EMU_MOCKFD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#define MFD_PROT_READ  1u   /* IOMMU_READ */
#define MFD_PROT_WRITE 2u   /* IOMMU_WRITE */
#define MFD_PROT_CACHE 4u   /* IOMMU_CACHE, always set by iommufd */

struct mfd_domain;
struct mfd_dirty_bitmap;    /* the user-bitmap engine (iova_bitmap.c) */

/* read_and_clear_dirty flags */
#define MFD_DIRTY_NO_CLEAR 1u

struct mfd_domain_ops {
    /* Map [iova, iova+len) to [paddr, paddr+len); both aligned to the smallest
     * page size in pgsize_bitmap. The driver picks leaf sizes (huge leaves
     * only when d->allow_huge). 0 or -errno (-ENOMEM, -EEXIST). */
    int (*map)(struct mfd_domain *d, uint64_t iova, uint64_t paddr, uint64_t len, unsigned prot);
    /* Unmap; returns bytes unmapped. Includes the IOTLB flush. */
    uint64_t (*unmap)(struct mfd_domain *d, uint64_t iova, uint64_t len);
    void (*free)(struct mfd_domain *d);
    /* Dirty tracking; both NULL for a domain without dirty ops. */
    int (*set_dirty_tracking)(struct mfd_domain *d, bool enable);
    int (*read_and_clear_dirty)(struct mfd_domain *d, uint64_t iova, uint64_t len,
                                unsigned flags, struct mfd_dirty_bitmap *bm);
};

struct mfd_domain {
    const struct mfd_domain_ops *ops;
    uint64_t aperture_start, aperture_end;   /* inclusive */
    uint64_t pgsize_bitmap;                  /* supported leaf sizes */
    bool allow_huge;                         /* IOMMU_OPTION_HUGE_PAGES of the IOAS */
    /* DMA through this domain always snoops the CPU caches, whatever the
     * device asks (the kernel's hwpt_paging->enforce_cache_coherency, set
     * from the driver's enforce_cache_coherency op): the driver sets it at
     * allocation, before any map, and programs the hardware to match. VT-d
     * with ECAP.SC (SNP in every second-stage leaf), AMD-Vi always (FC in
     * every PTE), SMMUv3 never here (needs the firmware's CANWBS, which the
     * mock has none of). Read by VFIO_CHECK_EXTENSION(VFIO_DMA_CC_IOMMU). */
    bool enforce_cache_coherency;
    /* Writable leaves are mapped already dirty, so a harvest reports pages
     * no DMA wrote until a clear (SMMUv3 io-pgtable-arm with the HD quirk:
     * DBM=1, AP[2]=0, smmuv3.md §9.2). Read by checkers (the fuzz oracle). */
    bool dirty_on_map;
    void *priv;                              /* driver state */
};

#endif
