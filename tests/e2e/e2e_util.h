/* Helpers for the end-to-end suite: platform -> device fd -> iommufd -> IOAS
 * -> HWPT -> DMA through the emulated IOMMU -> dirty bitmap.
 *
 * Tests are table-driven over the hardware models: E2E_TEST(name) defines
 * one Criterion test per entry of the model list below, each calling
 * name(const struct e2e_model *). A new driver (AMD-Vi, SMMUv3) adds a line
 * to E2E_FOR_EACH_MODEL. */
#ifndef IOMMU_EMU_TESTS_E2E_UTIL_H
#define IOMMU_EMU_TESTS_E2E_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "mockfd/mockfd.h"
#include "tests/common/test_util.h"

struct e2e_model {
    const char *spec;            /* mockfd_platform_add_iommu spec */
    uint32_t rid;
    bool dirty;                  /* IOMMU_HW_CAP_DIRTY_TRACKING expected */
    bool huge;                   /* 2 MiB leaves available */
    uint32_t hw_info_type;
    uint32_t hw_info_len;
    uint8_t max_pasid_log2;
};

static const struct e2e_model __attribute__((unused)) e2e_vtd = { "vtd", 0x10, true, true, IOMMU_HW_INFO_TYPE_INTEL_VTD, 24, 20 };
static const struct e2e_model __attribute__((unused)) e2e_vtd_nodirty = { "vtd:nodirty", 0x18, false, true, IOMMU_HW_INFO_TYPE_INTEL_VTD, 24, 20 };
static const struct e2e_model __attribute__((unused)) e2e_vtd_qemu = { "vtd:qemu", 0x100, false, true, IOMMU_HW_INFO_TYPE_INTEL_VTD, 24, 0 };

#define E2E_ONE(name, tag, model) \
    Test(e2e_##tag, name) { name(&model); }
#define E2E_TEST_X(name) \
    E2E_ONE(name, vtd, e2e_vtd) E2E_ONE(name, vtd_nodirty, e2e_vtd_nodirty) \
    E2E_ONE(name, vtd_qemu, e2e_vtd_qemu)
/* Models whose hardware and driver track dirty pages. */
#define E2E_DIRTY_TEST_X(name) E2E_ONE(name, vtd, e2e_vtd)
#define E2E_DIRTY_TEST(name) static void name(const struct e2e_model *m); E2E_DIRTY_TEST_X(name) \
    static void name(const struct e2e_model *m)
#define E2E_TEST(name) static void name(const struct e2e_model *m); E2E_TEST_X(name) \
    static void name(const struct e2e_model *m)

struct e2e {
    const struct e2e_model *m;
    int iommu, dev;              /* platform indexes */
    int fd, dfd;                 /* iommufd, device fd */
    uint32_t dev_id, ioas;
};

static inline int e2e_ioctl(int fd, unsigned long req, void *arg)
{
    return mockfd_ioctl(fd, req, arg) ? -errno : 0;
}

static inline void e2e_setup(struct e2e *e, const struct e2e_model *m)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };

    memset(e, 0, sizeof(*e));
    e->m = m;
    e->iommu = mockfd_platform_add_iommu(m->spec);
    cr_assert_geq(e->iommu, 0, "add_iommu %s: %d", m->spec, errno);
    e->dev = mockfd_platform_add_device(e->iommu, m->rid);
    cr_assert_geq(e->dev, 0);
    e->fd = mockfd_open();
    cr_assert_geq(e->fd, 0);
    e->dfd = mockfd_device_open(e->dev);
    cr_assert_geq(e->dfd, 0);
    bind.iommufd = e->fd;
    cr_assert_eq(e2e_ioctl(e->dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
    e->dev_id = bind.out_devid;
    cr_assert_neq(e->dev_id, 0);
    cr_assert_eq(e2e_ioctl(e->fd, IOMMU_IOAS_ALLOC, &ia), 0);
    e->ioas = ia.out_ioas_id;
}

static inline void e2e_teardown(struct e2e *e)
{
    cr_assert_eq(mockfd_close(e->dfd), 0);
    cr_assert_eq(mockfd_close(e->fd), 0);
}

/* An anonymous buffer aligned to `align`. */
static inline void *e2e_buf(size_t len, size_t align)
{
    uint8_t *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t a;

    cr_assert_neq(p, MAP_FAILED);
    a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    memset((void *)a, 0, len);
    return (void *)a;
}

static inline int e2e_map(struct e2e *e, uint32_t ioas, void *buf, uint64_t len, uint64_t iova)
{
    struct iommu_ioas_map map = {
        .size = sizeof(map), .ioas_id = ioas,
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        .user_va = (uintptr_t)buf, .length = len, .iova = iova,
    };

    return e2e_ioctl(e->fd, IOMMU_IOAS_MAP, &map);
}

static inline int e2e_hwpt_alloc(struct e2e *e, uint32_t flags, uint32_t pt_id, uint32_t *out)
{
    struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = e->dev_id,
                                  .pt_id = pt_id };
    int rc = e2e_ioctl(e->fd, IOMMU_HWPT_ALLOC, &a);

    if (!rc && out)
        *out = a.out_hwpt_id;
    return rc;
}

static inline int e2e_attach(struct e2e *e, uint32_t *pt_id)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = *pt_id };
    int rc = e2e_ioctl(e->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);

    *pt_id = at.pt_id;
    return rc;
}

static inline int e2e_detach(struct e2e *e)
{
    struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };

    return e2e_ioctl(e->dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de);
}

static inline int e2e_set_dirty(struct e2e *e, uint32_t hwpt, bool enable)
{
    struct iommu_hwpt_set_dirty_tracking s = {
        .size = sizeof(s), .hwpt_id = hwpt,
        .flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
    };

    return e2e_ioctl(e->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static inline int e2e_get_dirty(struct e2e *e, uint32_t hwpt, uint64_t iova, uint64_t len,
                                uint64_t page_size, void *bitmap, uint32_t flags)
{
    struct iommu_hwpt_get_dirty_bitmap g = {
        .size = sizeof(g), .hwpt_id = hwpt, .flags = flags, .iova = iova, .length = len,
        .page_size = page_size, .data = (uintptr_t)bitmap,
    };

    return e2e_ioctl(e->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static inline int e2e_dma(struct e2e *e, uint64_t iova, void *buf, size_t len, bool write)
{
    return mockfd_device_dma(e->dfd, 0, iova, buf, len, write) ? -errno : 0;
}

static inline int e2e_destroy(struct e2e *e, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return e2e_ioctl(e->fd, IOMMU_DESTROY, &d);
}

static inline bool e2e_bit(const void *bm, uint64_t i)
{
    return (((const uint8_t *)bm)[i / 8] >> (i % 8)) & 1;
}

static inline uint64_t e2e_popcount(const void *bm, size_t bytes)
{
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < bytes; i++)
        n += (uint64_t)__builtin_popcount(((const uint8_t *)bm)[i]);
    return n;
}

#endif
