/* Helpers for part C's tests (vIOMMU, vDEVICE, vEVENTQ, HW queue, mmap). */
#ifndef TEST_ST_C_UTIL_H
#define TEST_ST_C_UTIL_H

#include "test_st_a_util.h"

#include "mockfd/core/viommu.h"
#include "mockfd/mockfd_ext.h"

struct stc {
    int fd;
    uint32_t ioas, stdev, auto_hwpt, idev, parent, viommu;
};

static inline int stc_viommu_alloc(int fd, uint32_t idev, uint32_t hwpt, uint32_t type,
                                   void *data, uint32_t len, uint32_t *out)
{
    struct iommu_viommu_alloc a = { .size = sizeof(a), .type = type, .dev_id = idev,
                                    .hwpt_id = hwpt, .data_len = len,
                                    .data_uptr = (uintptr_t)data };
    int rc = mockfd_ioctl(fd, IOMMU_VIOMMU_ALLOC, &a);

    if (!rc && out)
        *out = a.out_viommu_id;
    return rc;
}

/* A mock device on an IOAS, a NEST_PARENT HWPT and (with_viommu) a SELFTEST
 * vIOMMU on it: the selftest's iommufd_viommu fixture. */
static inline void stc_setup(struct stc *s, bool with_viommu)
{
    memset(s, 0, sizeof(*s));
    s->fd = mockfd_open();
    cr_assert_geq(s->fd, 0);
    s->ioas = st_ioas(s->fd);
    EXPECT_OK(st_mock_domain(s->fd, s->ioas, 0, &s->stdev, &s->auto_hwpt, &s->idev));
    EXPECT_OK(st_hwpt_alloc(s->fd, s->idev, s->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
                            &s->parent));
    if (with_viommu)
        EXPECT_OK(stc_viommu_alloc(s->fd, s->idev, s->parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL,
                                   0, &s->viommu));
}

static inline int stc_destroy(int fd, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return mockfd_ioctl(fd, IOMMU_DESTROY, &d);
}

static inline int stc_vdevice_alloc(int fd, uint32_t viommu, uint32_t idev, uint64_t virt_id,
                                    uint32_t *out)
{
    struct iommu_vdevice_alloc a = { .size = sizeof(a), .viommu_id = viommu, .dev_id = idev,
                                     .virt_id = virt_id };
    int rc = mockfd_ioctl(fd, IOMMU_VDEVICE_ALLOC, &a);

    if (!rc && out)
        *out = a.out_vdevice_id;
    return rc;
}

static inline int stc_veventq_alloc(int fd, uint32_t viommu, uint32_t type, uint32_t depth,
                                    uint32_t *id, int *efd)
{
    struct iommu_veventq_alloc a = { .size = sizeof(a), .viommu_id = viommu, .type = type,
                                     .veventq_depth = depth };
    int rc = mockfd_ioctl(fd, IOMMU_VEVENTQ_ALLOC, &a);

    if (!rc) {
        if (id)
            *id = a.out_veventq_id;
        if (efd)
            *efd = (int)a.out_veventq_fd;
    }
    return rc;
}

static inline int stc_hw_queue_alloc(int fd, uint32_t viommu, uint32_t type, uint32_t index,
                                     uint64_t iova, uint64_t len, uint32_t *out)
{
    struct iommu_hw_queue_alloc a = { .size = sizeof(a), .viommu_id = viommu, .type = type,
                                      .index = index, .nesting_parent_iova = iova,
                                      .length = len };
    int rc = mockfd_ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &a);

    if (!rc && out)
        *out = a.out_hw_queue_id;
    return rc;
}

static inline int stc_viommu_invalidate(int fd, uint32_t viommu, void *reqs, uint32_t type,
                                        uint32_t len, uint32_t *num)
{
    struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = viommu,
                                       .data_uptr = (uintptr_t)reqs, .data_type = type,
                                       .entry_len = len, .entry_num = *num };
    int rc = mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &c);

    *num = c.entry_num;
    return rc;
}

static inline int stc_check_cache(int fd, uint32_t idev, uint32_t slot, uint32_t val)
{
    struct iommu_test_cmd c = { .check_dev_cache = { .id = slot, .cache = val } };

    return st_cmd(fd, IOMMU_TEST_OP_DEV_CHECK_CACHE, idev, &c);
}

static inline int stc_trigger(int fd, uint32_t idev)
{
    struct iommu_test_cmd c = { .trigger_vevent = { .dev_id = idev } };

    return st_cmd(fd, IOMMU_TEST_OP_TRIGGER_VEVENT, 0, &c);
}

/* The nested attach through a vIOMMU is part A's (mock_domain_nop_attach);
 * until MOCK_DOMAIN_REPLACE reaches it, tests record the attachment with the
 * interface it will call. */
static inline int stc_attach_through(int fd, uint32_t idev_id, uint32_t viommu_id)
{
    struct mfd_file *f = mfd_file_get(fd);
    struct mfd_ctx *ctx = mfd_ctx_from_file(f);
    int rc;

    cr_assert(ctx);
    pthread_mutex_lock(&ctx->lock);
    rc = mfd_viommu_dev_attach(mfd_device_get(ctx, idev_id),
                               viommu_id ? mfd_viommu_get(ctx, viommu_id) : NULL);
    pthread_mutex_unlock(&ctx->lock);
    mfd_file_put(f);
    return rc;
}

#endif
