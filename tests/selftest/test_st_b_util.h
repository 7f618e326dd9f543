/* Helpers of the part-B selftest suites (access objects, fault queue). */
#ifndef TEST_ST_B_UTIL_H
#define TEST_ST_B_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <iommufd_test.h>
#include <linux/iommufd.h>

#include "mockfd/mockfd.h"
#include "tests/common/test_util.h"

#define PSZ 4096ul

/* ioctl result as 0 or errno. */
static inline int st_io(int fd, unsigned long req, void *arg)
{
    return mockfd_ioctl(fd, req, arg) ? errno : 0;
}

static inline uint32_t st_ioas(int fd)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    cr_assert_eq(st_io(fd, IOMMU_IOAS_ALLOC, &a), 0);
    return a.out_ioas_id;
}

static inline int st_map(int fd, uint32_t ioas, void *p, uint64_t len, uint64_t *iova,
                         uint32_t flags)
{
    struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)p,
                                .length = len, .iova = *iova, .flags = flags };
    int rc = st_io(fd, IOMMU_IOAS_MAP, &m);

    *iova = m.iova;
    return rc;
}

static inline int st_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
    struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };

    return st_io(fd, IOMMU_IOAS_UNMAP, &u);
}

static inline int st_destroy(int fd, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return st_io(fd, IOMMU_DESTROY, &d);
}

static inline int st_test(int fd, struct iommu_test_cmd *c)
{
    c->size = sizeof(*c);
    return st_io(fd, IOMMU_TEST_CMD, c);
}

static inline int st_create_access(int fd, uint32_t ioas, uint32_t flags, int *afd)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
                                .create_access = { .flags = flags } };
    int rc = st_test(fd, &c);

    *afd = rc ? -1 : (int)c.create_access.out_access_fd;
    return rc;
}

static inline int st_access_pages(int fd, int afd, uint64_t iova, uint64_t len, void *uptr,
                                  uint32_t flags, uint32_t *id)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)afd,
                                .access_pages = { .flags = flags, .iova = iova, .length = len,
                                                  .uptr = (uintptr_t)uptr } };
    int rc = st_test(fd, &c);

    if (id)
        *id = c.access_pages.out_access_pages_id;
    return rc;
}

static inline int st_access_rw(int fd, int afd, uint64_t iova, void *buf, uint64_t len,
                               uint32_t flags)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)afd,
                                .access_rw = { .iova = iova, .length = len,
                                               .uptr = (uintptr_t)buf, .flags = flags } };

    return st_test(fd, &c);
}

static inline int st_destroy_pages(int fd, int afd, uint32_t id)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = (uint32_t)afd,
                                .destroy_access_pages = { .access_pages_id = id } };

    return st_test(fd, &c);
}

static inline int st_replace_ioas(int fd, int afd, uint32_t ioas)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, .id = (uint32_t)afd,
                                .access_replace_ioas = { .ioas_id = ioas } };

    return st_test(fd, &c);
}

static inline void *st_buf(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    cr_assert_neq(p, MAP_FAILED);
    memset(p, 0, len);
    return p;
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA

#endif
