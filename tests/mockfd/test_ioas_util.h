/* Helpers shared by the IOAS / VFIO compat / thread tests (suite mockfd). */
#ifndef TEST_IOAS_UTIL_H
#define TEST_IOAS_UTIL_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "mockfd/core/io_pagetable.h"
#include "mockfd/mockfd.h"
#include "tests/common/test_util.h"

#define PG 4096ull
#define UMAX UINT64_MAX

static inline uint32_t t_ioas_alloc(int fd)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &a));
    cr_assert_neq(a.out_ioas_id, 0);
    return a.out_ioas_id;
}

static inline int t_map(int fd, uint32_t ioas, uint32_t flags, const void *va, uint64_t len,
                        uint64_t *iova)
{
    struct iommu_ioas_map m = { .size = sizeof(m), .flags = flags, .ioas_id = ioas,
                                .user_va = (uintptr_t)va, .length = len,
                                .iova = iova ? *iova : 0 };
    int rc = mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m);

    if (!rc && iova)
        *iova = m.iova;
    return rc;
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED (IOMMU_IOAS_MAP_FIXED_IOVA | RW)

static inline int t_map_fixed(int fd, uint32_t ioas, const void *va, uint64_t len, uint64_t iova)
{
    return t_map(fd, ioas, FIXED, va, len, &iova);
}

static inline int t_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out)
{
    struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };
    int rc = mockfd_ioctl(fd, IOMMU_IOAS_UNMAP, &u);

    if (!rc && out)
        *out = u.length;
    return rc;
}

/* All usable ranges; returns the count (<= max). */
static inline uint32_t t_ranges(int fd, uint32_t ioas, struct iommu_iova_range *r, uint32_t max,
                                uint64_t *align)
{
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = max,
                                        .allowed_iovas = (uintptr_t)r };

    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
    if (align)
        *align = q.out_iova_alignment;
    return q.num_iovas;
}

static inline int t_allow(int fd, uint32_t ioas, const struct iommu_iova_range *r, uint32_t n)
{
    struct iommu_ioas_allow_iovas a = { .size = sizeof(a), .ioas_id = ioas, .num_iovas = n,
                                        .allowed_iovas = (uintptr_t)r };

    return mockfd_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

/* The internal IOAS behind (fd, id), for the attach API. Caller must not
 * keep it across ioctls; tests are single-threaded here. */
static inline struct mfd_ctx *t_ctx(int fd)
{
    struct mfd_file *f = mfd_file_get(fd);
    struct mfd_ctx *ctx;

    cr_assert_not_null(f);
    ctx = mfd_ctx_from_file(f);
    mfd_file_put(f);
    cr_assert_not_null(ctx);
    return ctx;
}

static inline struct mfd_ioas *t_ioas(int fd, uint32_t id)
{
    struct mfd_ctx *ctx = t_ctx(fd);
    struct mfd_ioas *ioas;

    pthread_mutex_lock(&ctx->lock);
    ioas = mfd_ioas_get(ctx, id);
    pthread_mutex_unlock(&ctx->lock);
    cr_assert_not_null(ioas);
    return ioas;
}

/* A fake paging domain that records what the IOAS asks of it. */
struct fake_dom {
    struct mfd_domain d;
    int maps, unmaps;
    int fail_map_after;     /* >= 0: map calls that succeed before one fails */
    uint64_t bytes;         /* currently mapped */
    uint64_t last_iova, last_paddr, last_len;
    unsigned last_prot;
};

static inline int fake_map(struct mfd_domain *d, uint64_t iova, uint64_t paddr, uint64_t len,
                           unsigned prot)
{
    struct fake_dom *f = (struct fake_dom *)d;

    if (f->fail_map_after == 0)
        return -ENOMEM;
    if (f->fail_map_after > 0)
        f->fail_map_after--;
    f->maps++;
    f->bytes += len;
    f->last_iova = iova;
    f->last_paddr = paddr;
    f->last_len = len;
    f->last_prot = prot;
    return 0;
}

static inline uint64_t fake_unmap(struct mfd_domain *d, uint64_t iova, uint64_t len)
{
    struct fake_dom *f = (struct fake_dom *)d;

    (void)iova;
    f->unmaps++;
    f->bytes -= len;
    return len;
}

static const struct mfd_domain_ops fake_ops = { .map = fake_map, .unmap = fake_unmap };

static inline void fake_init(struct fake_dom *f, uint64_t ap_start, uint64_t ap_end,
                             uint64_t pgsizes)
{
    memset(f, 0, sizeof(*f));
    f->d.ops = &fake_ops;
    f->d.aperture_start = ap_start;
    f->d.aperture_end = ap_end;
    f->d.pgsize_bitmap = pgsizes;
    f->fail_map_after = -1;
}

static inline int t_attach(int fd, uint32_t ioas, struct fake_dom *f)
{
    struct mfd_ctx *ctx = t_ctx(fd);
    int rc;

    pthread_mutex_lock(&ctx->lock);
    rc = iopt_table_add_domain(mfd_ioas_get(ctx, ioas), &f->d);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

static inline void t_detach(int fd, uint32_t ioas, struct fake_dom *f)
{
    struct mfd_ctx *ctx = t_ctx(fd);

    pthread_mutex_lock(&ctx->lock);
    iopt_table_remove_domain(mfd_ioas_get(ctx, ioas), &f->d);
    pthread_mutex_unlock(&ctx->lock);
}

static inline int t_reserve(int fd, uint32_t ioas, const void *owner, uint64_t s, uint64_t l)
{
    struct mfd_ctx *ctx = t_ctx(fd);
    int rc;

    pthread_mutex_lock(&ctx->lock);
    rc = iopt_reserve(mfd_ioas_get(ctx, ioas), owner, s, l);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

static inline size_t t_nareas(int fd, uint32_t ioas)
{
    struct mfd_ctx *ctx = t_ctx(fd);
    size_t n;

    pthread_mutex_lock(&ctx->lock);
    n = mfd_ioas_get(ctx, ioas)->iopt.area_itree.count;
    pthread_mutex_unlock(&ctx->lock);
    return n;
}

/* page-aligned anonymous buffer */
static inline void *t_buf(size_t len, int prot)
{
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    cr_assert_neq(p, MAP_FAILED);
    return p;
}

/* An address with nothing mapped (1UL << 31, the selftest's choice, is
 * ASan shadow memory in the sanitizer build). */
static inline void *t_hole(size_t len)
{
    void *p = t_buf(len, PROT_NONE);

    munmap(p, len);
    return p;
}

#endif
