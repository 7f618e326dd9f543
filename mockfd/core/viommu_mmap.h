/* SPDX-License-Identifier: MIT */
/*
 * mmap regions of an iommufd fd (the kernel's iommufd_ctx_alloc_mmap /
 * iommufd_fops_mmap, iommufd.md §2 "mmap"): a driver registers a window of
 * whole pages owned by an object (the vIOMMU); user mmap()s of exactly that
 * window share one memfd; each live mapping holds a user on the owner.
 */
#ifndef IOMMU_EMU_MOCKFD_VIOMMU_MMAP_H
#define IOMMU_EMU_MOCKFD_VIOMMU_MMAP_H

#include <stddef.h>
#include <stdint.h>

#include "mockfd_internal.h"

struct mfd_mmap_region;

/* Register npages zeroed pages owned by `owner` in ctx at the lowest free
 * page-aligned offset >= PAGE_SIZE (mtree_alloc_range from PAGE_SIZE).
 * 0, -ENOMEM. Called with ctx->lock held. */
int mfd_mmap_region_add(struct mfd_ctx *ctx, struct mfd_obj *owner, unsigned npages,
                        struct mfd_mmap_region **out);
/* Unregister (no mapping can be live: it would hold the owner). */
void mfd_mmap_region_del(struct mfd_mmap_region *r);
void mfd_mmap_region_write(struct mfd_mmap_region *r, uint64_t off, const void *src, size_t len);
uint64_t mfd_mmap_region_offset(const struct mfd_mmap_region *r);
uint64_t mfd_mmap_region_length(const struct mfd_mmap_region *r);

#endif
