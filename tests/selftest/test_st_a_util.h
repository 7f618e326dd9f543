/* Helpers for part A's selftest-op tests (suite selftest). */
#ifndef TEST_ST_A_UTIL_H
#define TEST_ST_A_UTIL_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "mockfd/mockfd.h"
#include "tests/common/test_util.h"
#include "uapi/iommufd_test.h"

#define RWF (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static inline int st_cmd(int fd, uint32_t op, uint32_t id, struct iommu_test_cmd *c)
{
    c->size = sizeof(*c);
    c->op = op;
    c->id = id;
    return mockfd_ioctl(fd, IOMMU_TEST_CMD, c);
}

static inline uint32_t st_ioas(int fd)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &a));
    return a.out_ioas_id;
}

/* MOCK_DOMAIN_FLAGS on pt: stdev, hwpt, idev ids. */
static inline int st_mock_domain(int fd, uint32_t pt, uint32_t flags, uint32_t *stdev,
                                 uint32_t *hwpt, uint32_t *idev)
{
    struct iommu_test_cmd c = { .mock_domain_flags = { .dev_flags = flags } };
    int rc = st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, pt, &c);

    if (!rc) {
        if (stdev)
            *stdev = c.mock_domain_flags.out_stdev_id;
        if (hwpt)
            *hwpt = c.mock_domain_flags.out_hwpt_id;
        if (idev)
            *idev = c.mock_domain_flags.out_idev_id;
    }
    return rc;
}

static inline int st_map(int fd, uint32_t ioas, const void *va, uint64_t len, uint64_t iova)
{
    struct iommu_ioas_map m = { .size = sizeof(m), .flags = RWF, .ioas_id = ioas,
                                .user_va = (uintptr_t)va, .length = len, .iova = iova };

    return mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m);
}

static inline int st_check_map(int fd, uint32_t hwpt, uint64_t iova, const void *va, uint64_t len)
{
    struct iommu_test_cmd c = { .check_map = { .iova = iova, .length = len,
                                               .uptr = (uintptr_t)va } };

    return st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt, &c);
}

static inline int st_check_refs(int fd, const void *va, uint64_t len, uint32_t refs)
{
    struct iommu_test_cmd c = { .check_refs = { .length = len, .uptr = (uintptr_t)va,
                                                .refs = refs } };

    return st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_REFS, 0, &c);
}

static inline int st_hwpt_alloc(int fd, uint32_t idev, uint32_t pt, uint32_t flags,
                                uint32_t data_type, void *data, uint32_t data_len, uint32_t *out)
{
    struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = idev, .pt_id = pt,
                                  .data_type = data_type, .data_len = data_len,
                                  .data_uptr = (uintptr_t)data };
    int rc = mockfd_ioctl(fd, IOMMU_HWPT_ALLOC, &a);

    if (!rc)
        *out = a.out_hwpt_id;
    return rc;
}

static inline void *st_alloc_aligned(size_t len, size_t align)
{
    uint8_t *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    uintptr_t a;

    cr_assert_neq(p, MAP_FAILED);
    a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    if (a > (uintptr_t)p)
        munmap(p, a - (uintptr_t)p);
    munmap((void *)(a + len), (uintptr_t)p + align - a);
    return (void *)a;
}

#endif
