/* SPDX-License-Identifier: MIT */
/*
 * The selftest mock (CONFIG_IOMMUFD_TEST, iommufd.md §6): IOMMU_TEST_CMD
 * (mockfd/core/selftest.c), the memory-identity emulation behind
 * MD_CHECK_MAP / MD_CHECK_REFS / ACCESS_PAGES (mockfd/core/selftest_mem.c)
 * and the mock IOMMU driver (mockfd/drivers/selftest.c).
 *
 * Layering: the core reaches the mock driver only through the one weak
 * symbol mfd_st_api (the mockfd suite links mockfd/core without the
 * drivers; every op that needs the mock then answers -EOPNOTSUPP).
 *
 * For parts B and C (access objects, faults, vIOMMU): the accessors at the
 * end of this file.
 */
#ifndef IOMMU_EMU_MOCKFD_SELFTEST_H
#define IOMMU_EMU_MOCKFD_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"

struct iommu_test_cmd;

/* ---- the mock driver's services (mockfd/drivers/selftest.c) -------------- */

struct mfd_st_pte {
    uint64_t iova;        /* first IOVA of the PTE (2 KiB or 1 MiB aligned) */
    uint64_t size;        /* MOCK_PAGE_SIZE or MOCK_HUGE_PAGE_SIZE */
    uint64_t pa;          /* "physical" (host VA, domain.h) of iova */
    bool dirty;
};

struct mfd_st_driver_api {
    /* A mock device with MOCK_FLAGS_DEVICE_* flags: -EINVAL for unknown
     * flags (mock_dev_create), -ENOMEM. Returns its rid. */
    int (*dev_create)(uint32_t flags, uint32_t *rid);
    void (*dev_destroy)(uint32_t rid);
    /* Mock paging domain queries (get_md_pagetable): false for any other
     * domain (another driver's, a nested one). */
    bool (*is_paging)(const struct mfd_domain *d);
    bool (*dirty_tracking)(const struct mfd_domain *d);
    /* PTE covering iova: 0 or -ENOENT. */
    int (*lookup)(const struct mfd_domain *d, uint64_t iova, struct mfd_st_pte *pte);
    /* The "hardware" writes through the PTE covering iova: set its dirty
     * bit. 0, or -ENOENT if nothing is mapped there. */
    int (*set_dirty)(struct mfd_domain *d, uint64_t iova);
    /* Nested mock domain: iotlb slot value; -EINVAL if d is not one. */
    bool (*is_nested)(const struct mfd_domain *d);
    int (*nested_iotlb)(const struct mfd_domain *d, uint32_t slot, uint32_t *val);
    /* unmap_pages boundary violations (the kernel mock's WARN_ONs). */
    unsigned long (*warn_count)(void);
};
extern const struct mfd_st_driver_api mfd_st_api __attribute__((weak));
extern const struct mfd_iommu_driver mfd_selftest_driver __attribute__((weak));

/* ---- memory identity (selftest_mem.c, iommufd.md §8.2) -------------------- */

/* m: a snapshot of /proc/self/maps (vmas.h mfd_vmas_load), to resolve many
 * addresses with one read. */
struct mfd_vmas;

/* The identity of the 4 KiB page holding uva, as the kernel's struct page:
 * for a MAP_SHARED mapping of a file, shmem or shared anonymous memory
 * (device, inode, page offset in the file); otherwise the VA page itself.
 * hugetlb is set for hugetlbfs memory (a compound page the kernel's
 * MD_CHECK_REFS skips). */
struct mfd_st_pgid {
    uint64_t dev, ino, off;   /* dev == ino == 0: anonymous, off = VA page */
    bool hugetlb;
};
/* 0, or -EFAULT if uva is not mapped (get_user_pages_fast). */
int mfd_st_page_id(const struct mfd_vmas *m, uint64_t uva, struct mfd_st_pgid *id);
/* Same physical page? (the kernel compares struct page pointers). -EFAULT
 * if a is unmapped; b unmapped compares unequal. */
int mfd_st_same_page(const struct mfd_vmas *m, uint64_t a, uint64_t b, bool *same);
/* FOLL_PIN count of the physical page holding uva: the pins pages.c keeps
 * per VA, summed over every VA of this process mapping the same page. */
int mfd_st_pin_count(const struct mfd_vmas *m, uint64_t uva, uint64_t *count);

/* ---- accessors for parts B and C ------------------------------------------- */

/* The iommufd device of mock device object `stdev_id` (SELFTEST object);
 * NULL if there is none. */
struct mfd_device *mfd_st_stdev_idev(struct mfd_ctx *ctx, uint32_t stdev_id);
/* True if idev was created by MOCK_DOMAIN on the software mock IOMMU. */
bool mfd_st_is_mock_idev(const struct mfd_device *idev);
/* MOCK_FLAGS_DEVICE_* of a mock device (0 for others). */
uint32_t mfd_st_idev_flags(const struct mfd_device *idev);
/* The temporary-memory limit set by SET_TEMP_MEMORY_LIMIT (default 65536). */
uint32_t mfd_st_memory_limit(void);

/* ---- weak hooks owned by parts B and C --------------------------------------- */

struct mfd_ucmd;
extern int mfd_test_access_op(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
    __attribute__((weak));
extern int mfd_fault_report_iopf(struct mfd_ctx *ctx, uint32_t dev_id, uint32_t pasid,
                                 uint32_t grpid, uint32_t perm, uint64_t addr)
    __attribute__((weak));
extern int mfd_test_trigger_vevent(struct mfd_ctx *ctx, uint32_t dev_id) __attribute__((weak));
extern int mfd_test_dev_check_cache(struct mfd_ctx *ctx, uint32_t dev_id, uint32_t slot,
                                    uint32_t value) __attribute__((weak));

#endif
