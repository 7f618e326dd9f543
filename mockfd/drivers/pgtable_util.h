/* SPDX-License-Identifier: MIT */
/*
 * Helpers every driver's page-table code shares (vtd_pgtable.c,
 * smmuv3_pgtable.c, amdvi_pgtable.c). They reach the tables only through
 * guest memory (emu_mem_*) and the platform's table allocator.
 */
#ifndef IOMMU_EMU_MOCKFD_PGTABLE_UTIL_H
#define IOMMU_EMU_MOCKFD_PGTABLE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"

/* Table pages unlinked by an unmap, freed only after the IOTLB flush that
 * stops the hardware from walking them (Linux's iommu_pages_list /
 * freelist of dma_pte_clear_range and __arm_lpae_unmap). Zero-initialise. */
struct mfd_pt_freelist {
    uint64_t *v;
    size_t n, cap;
};
/* Queue the 4 KiB table at gpa. Out of memory leaks the page rather than
 * crash (it stays allocated, never reused). */
void mfd_pt_fl_add(struct mfd_pt_freelist *f, uint64_t gpa);
/* table_free every queued page, then release the list itself. */
void mfd_pt_fl_release(struct mfd_pt_freelist *f, const struct mfd_platform_ops *plat);

/* Is the 4 KiB table at gpa all zero? (false if it cannot be read) */
bool mfd_pt_table_empty(struct emu_mem *mem, uint64_t gpa);

/* The last byte of [iova, iova + len) clipped to the table's reach `top`
 * (a range that wraps or runs past it ends at top). len > 0, iova <= top. */
static inline uint64_t mfd_pt_clip_last(uint64_t iova, uint64_t len, uint64_t top)
{
    uint64_t last = iova + len - 1;

    return last < iova || last > top ? top : last;
}

#endif
