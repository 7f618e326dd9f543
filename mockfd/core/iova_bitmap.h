/* SPDX-License-Identifier: MIT */
/*
 * The user dirty-bitmap engine (the kernel's drivers/iommu/iommufd/
 * iova_bitmap.c after d18411ec3057: byte-oriented, so any user pointer
 * alignment works). Bit i <-> [iova + i*2^pgshift, iova + (i+1)*2^pgshift),
 * pgshift = ffs(page_size) - 1 as the kernel's __ffs. The user buffer is
 * processed in windows of at most 512 pages of bitmap (the pages one kernel
 * page of struct page pointers holds), each "pinned" for write before use:
 * a bitmap page that is not writable ends the walk with -EFAULT. Bits are
 * only ever set, never cleared.
 */
#ifndef IOMMU_EMU_MOCKFD_IOVA_BITMAP_H
#define IOMMU_EMU_MOCKFD_IOVA_BITMAP_H

#include <stdint.h>

#include "domain.h"

/* length 0 means the whole 2^64 range (last = iova - 1 + 2^64). */
int mfd_iova_bitmap_alloc(uint64_t iova, uint64_t last, uint64_t page_size, uint64_t data,
                          struct mfd_dirty_bitmap **out);
void mfd_iova_bitmap_free(struct mfd_dirty_bitmap *bm);
/* Call fn for the IOVA range [iova, last] of each window in turn; stops at the first
 * error (returned). */
typedef int (*mfd_iova_bitmap_fn)(struct mfd_dirty_bitmap *bm, uint64_t iova, uint64_t last,
                                  void *opaque);
int mfd_iova_bitmap_for_each(struct mfd_dirty_bitmap *bm, void *opaque, mfd_iova_bitmap_fn fn);
/* Set the bits of [iova, iova+len) (clipped to the bitmap's range). */
void mfd_iova_bitmap_set(struct mfd_dirty_bitmap *bm, uint64_t iova, uint64_t len);

#endif
