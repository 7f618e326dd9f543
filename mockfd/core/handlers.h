/* SPDX-License-Identifier: MIT */
/*
 * The ioctl handlers referenced by the dispatch table (mockfd/core/main.c),
 * named after their kernel counterparts (drivers/iommu/iommufd/main.c
 * iommufd_ioctl_ops[]). Each takes the ucmd whose cmd_buf holds the copied-in
 * struct and returns 0 or a negative errno.
 */
#ifndef IOMMU_EMU_MOCKFD_HANDLERS_H
#define IOMMU_EMU_MOCKFD_HANDLERS_H

#include "mockfd_internal.h"

int mfd_destroy(struct mfd_ucmd *ucmd);                 /* 0x80 main.c */
int mfd_ioas_alloc(struct mfd_ucmd *ucmd);              /* 0x81 ioas.c */
int mfd_ioas_allow_iovas(struct mfd_ucmd *ucmd);        /* 0x82 ioas.c */
int mfd_ioas_copy(struct mfd_ucmd *ucmd);               /* 0x83 ioas.c */
int mfd_ioas_iova_ranges(struct mfd_ucmd *ucmd);        /* 0x84 ioas.c */
int mfd_ioas_map(struct mfd_ucmd *ucmd);                /* 0x85 ioas.c */
int mfd_ioas_unmap(struct mfd_ucmd *ucmd);              /* 0x86 ioas.c */
int mfd_option(struct mfd_ucmd *ucmd);                  /* 0x87 option.c */
int mfd_vfio_ioas(struct mfd_ucmd *ucmd);               /* 0x88 vfio_compat.c */
int mfd_hwpt_alloc(struct mfd_ucmd *ucmd);              /* 0x89 hwpt.c */
int mfd_get_hw_info(struct mfd_ucmd *ucmd);             /* 0x8a device.c */
int mfd_hwpt_set_dirty_tracking(struct mfd_ucmd *ucmd); /* 0x8b hwpt.c */
int mfd_hwpt_get_dirty_bitmap(struct mfd_ucmd *ucmd);   /* 0x8c hwpt.c */
int mfd_hwpt_invalidate(struct mfd_ucmd *ucmd);         /* 0x8d hwpt.c */
int mfd_fault_alloc(struct mfd_ucmd *ucmd);             /* 0x8e fault.c */
int mfd_ioas_map_file(struct mfd_ucmd *ucmd);           /* 0x8f ioas.c */
int mfd_viommu_alloc(struct mfd_ucmd *ucmd);            /* 0x90 viommu.c */
int mfd_vdevice_alloc(struct mfd_ucmd *ucmd);           /* 0x91 viommu.c */
int mfd_ioas_change_process(struct mfd_ucmd *ucmd);     /* 0x92 ioas.c */
int mfd_veventq_alloc(struct mfd_ucmd *ucmd);           /* 0x93 eventq.c */
int mfd_hw_queue_alloc(struct mfd_ucmd *ucmd);          /* 0x94 viommu.c */
int mfd_test_cmd(struct mfd_ucmd *ucmd);                /* 0xa0 selftest.c */

/* nr < 0x80: the VFIO type1 container compat ioctls (vfio_compat.c).
 * Returns >= 0 (ioctl return value), or a negative errno; -ENOTTY for
 * anything it does not know. arg is the raw ioctl argument. */
long mfd_vfio_compat_ioctl(struct mfd_ctx *ctx, unsigned int cmd, unsigned long arg);

/* IOMMU_OPTION_HUGE_PAGES is per IOAS (ioas.c); op is IOMMU_OPTION_OP_*. */
int mfd_ioas_option_huge_pages(struct mfd_ctx *ctx, uint32_t ioas_id, unsigned op, uint64_t *val64);

#endif
