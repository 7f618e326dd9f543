/* IOMMU_VFIO_IOAS and the VFIO type1 container compat ioctls (iommufd.md §4.9,
 * vfio_compat.c). */
#include <linux/vfio.h>

#include "test_ioas_util.h"

static int fd;
static void setup(void) { fd = mockfd_open(); cr_assert_geq(fd, 0); }
static void teardown(void) { mockfd_close(fd); }

TestSuite(vfio_compat, .init = setup, .fini = teardown);

static int vfio_ioas(uint16_t op, uint32_t *id)
{
    struct iommu_vfio_ioas v = { .size = sizeof(v), .ioas_id = *id, .op = op };
    int rc = mockfd_ioctl(fd, IOMMU_VFIO_IOAS, &v);

    if (!rc)
        *id = v.ioas_id;
    return rc;
}

static uint32_t compat_ioas(void)
{
    uint32_t id = t_ioas_alloc(fd), set = id;

    EXPECT_OK(vfio_ioas(IOMMU_VFIO_IOAS_SET, &set));
    return id;
}

Test(vfio_compat, vfio_ioas_get_set_clear)
{
    struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET, .__reserved = 1 };
    uint32_t id = 0, a;

    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_VFIO_IOAS, &v));
    EXPECT_ERR(ENODEV, vfio_ioas(IOMMU_VFIO_IOAS_GET, &id));
    id = 77;
    EXPECT_ERR(ENOENT, vfio_ioas(IOMMU_VFIO_IOAS_SET, &id));
    EXPECT_ERR(EOPNOTSUPP, vfio_ioas(3, &id));
    a = compat_ioas();
    id = 0;
    EXPECT_OK(vfio_ioas(IOMMU_VFIO_IOAS_GET, &id));
    cr_assert_eq(id, a);
    EXPECT_OK(vfio_ioas(IOMMU_VFIO_IOAS_CLEAR, &id));
    EXPECT_ERR(ENODEV, vfio_ioas(IOMMU_VFIO_IOAS_GET, &id));
    /* Destroying the compat IOAS unsets it. */
    a = compat_ioas();
    {
        struct iommu_destroy d = { .size = sizeof(d), .id = a };

        EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    }
    EXPECT_ERR(ENODEV, vfio_ioas(IOMMU_VFIO_IOAS_GET, &id));
    ASSERT_NO_LEAKS();
}

Test(vfio_compat, version_extensions_unknown)
{
    cr_assert_eq(mockfd_ioctl(fd, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1_IOMMU), 1);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU), 1);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_UNMAP_ALL), 1);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_UPDATE_VADDR), 0);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_NOIOMMU_IOMMU), 0);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1_NESTING_IOMMU), 0);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)12345), 0);
    EXPECT_ERR(ENODEV, mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_DMA_CC_IOMMU));
    compat_ioas();
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)VFIO_DMA_CC_IOMMU), 1);
    EXPECT_ERR(ENOTTY, mockfd_ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 17), NULL)); /* DIRTY_PAGES */
    EXPECT_ERR(ENOTTY, mockfd_ioctl(fd, _IO(VFIO_TYPE, 0x7f), NULL));
    EXPECT_ERR(ENOTTY, mockfd_ioctl(fd, VFIO_GROUP_GET_STATUS, NULL));
}

Test(vfio_compat, set_iommu)
{
    uint32_t id;
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = IOMMU_OPTION_OP_GET };

    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_SPAPR_TCE_IOMMU));
    EXPECT_ERR(ENODEV, mockfd_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU));
    id = compat_ioas();
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_NOIOMMU_IOMMU));
    EXPECT_OK(mockfd_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU));
    o.object_id = id;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_OPTION, &o));
    cr_assert_eq(o.val64, 1);
    /* Type1 (v1) turns huge pages off. */
    EXPECT_OK(mockfd_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU));
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_OPTION, &o));
    cr_assert_eq(o.val64, 0);
}

Test(vfio_compat, get_info_cap_chain_layout)
{
    union {
        struct vfio_iommu_type1_info info;
        uint8_t b[512];
    } u;
    struct vfio_iommu_type1_info *info = &u.info;
    uint32_t id;

    memset(&u, 0, sizeof(u));
    info->argsz = 15;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, info));
    info->argsz = sizeof(u);
    EXPECT_ERR(ENODEV, mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, info));
    EXPECT_ERR(EFAULT, mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, (void *)8));
    id = compat_ioas();
    cr_assert_eq(t_reserve(fd, id, NULL, 0x10000, 0x1ffff), 0);

    /* Full buffer: info (24) | DMA_AVAIL (12, padded to 16) at 24 |
     * IOVA_RANGE (16 + 2*16) at 40. */
    memset(&u, 0xee, sizeof(u));
    info->argsz = sizeof(u);
    EXPECT_OK(mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, info));
    cr_assert_eq(info->argsz, 24 + 16 + 16 + 32);
    cr_assert_eq(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    cr_assert_eq(info->iova_pgsizes, ~(PG - 1));
    cr_assert_eq(info->cap_offset, 24);
    {
        struct vfio_iommu_type1_info_dma_avail *dma = (void *)(u.b + 24);
        struct vfio_iommu_type1_info_cap_iova_range *cap = (void *)(u.b + 40);

        cr_assert_eq(dma->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
        cr_assert_eq(dma->header.version, 1);
        cr_assert_eq(dma->header.next, 40);
        cr_assert_eq(dma->avail, UINT32_MAX);
        cr_assert_eq(cap->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
        cr_assert_eq(cap->header.version, 1);
        cr_assert_eq(cap->header.next, 0);
        cr_assert_eq(cap->nr_iovas, 2);
        cr_assert_eq(cap->iova_ranges[0].start, 0);
        cr_assert_eq(cap->iova_ranges[0].end, 0xffff);
        cr_assert_eq(cap->iova_ranges[1].start, 0x20000);
        cr_assert_eq(cap->iova_ranges[1].end, UMAX);
        cr_assert_eq(u.b[88], 0xee); /* nothing written past argsz */
    }

    /* argsz 16: only the first 16 bytes come back, argsz = required. */
    memset(&u, 0xee, sizeof(u));
    info->argsz = 16;
    EXPECT_OK(mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, info));
    cr_assert_eq(info->argsz, 88);
    cr_assert_eq(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    cr_assert_eq(info->cap_offset, 0xeeeeeeee);
    /* argsz 24: cap_offset 0 (no caps), nothing beyond 24 written. */
    memset(&u, 0xee, sizeof(u));
    info->argsz = 24;
    EXPECT_OK(mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, info));
    cr_assert_eq(info->argsz, 88);
    cr_assert_eq(info->cap_offset, 0);
    cr_assert_eq(u.b[24], 0xee);
    /* argsz 48: the DMA_AVAIL cap fits, the range cap does not. */
    memset(&u, 0xee, sizeof(u));
    info->argsz = 48;
    EXPECT_OK(mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, info));
    cr_assert_eq(info->argsz, 88);
    cr_assert_eq(info->cap_offset, 0);
    cr_assert_eq(((struct vfio_info_cap_header *)(u.b + 24))->id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
    cr_assert_eq(((struct vfio_info_cap_header *)(u.b + 24))->next, 40);
    cr_assert_eq(u.b[40], 0xee);

    /* With a 2 KiB-page domain the reported sizes round up to PAGE_SIZE. */
    {
        struct fake_dom d;

        fake_init(&d, 0, UMAX, 0x800 | 0x1000 | (2ull << 20));
        cr_assert_eq(t_attach(fd, id, &d), 0);
        info->argsz = sizeof(u);
        EXPECT_OK(mockfd_ioctl(fd, VFIO_IOMMU_GET_INFO, info));
        cr_assert_eq(info->iova_pgsizes, 0x1000 | (2ull << 20));
        t_detach(fd, id, &d);
    }
    ASSERT_NO_LEAKS();
}

static int map_dma(uint32_t argsz, uint32_t flags, void *va, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_map m = { .argsz = argsz, .flags = flags,
                                          .vaddr = (uintptr_t)va, .iova = iova, .size = size };

    return mockfd_ioctl(fd, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap_dma(uint32_t argsz, uint32_t flags, uint64_t iova, uint64_t *size)
{
    struct vfio_iommu_type1_dma_unmap u = { .argsz = argsz, .flags = flags, .iova = iova,
                                            .size = *size };
    int rc = mockfd_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u);

    *size = u.size;
    return rc;
}

Test(vfio_compat, map_unmap_dma)
{
    char *buf = t_buf(8 * PG, PROT_READ | PROT_WRITE);
    const uint32_t RWF = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    uint64_t sz;
    uint32_t id;

    EXPECT_ERR(EINVAL, map_dma(31, RWF, buf, 0x100000, PG));
    EXPECT_ERR(EINVAL, map_dma(32, VFIO_DMA_MAP_FLAG_VADDR, buf, 0x100000, PG));
    EXPECT_ERR(ENODEV, map_dma(32, RWF, buf, 0x100000, PG));
    EXPECT_ERR(EFAULT, mockfd_ioctl(fd, VFIO_IOMMU_MAP_DMA, (void *)16));
    sz = PG;
    EXPECT_ERR(EINVAL, unmap_dma(23, 0, 0x100000, &sz));
    EXPECT_ERR(EINVAL, unmap_dma(24, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0x100000, &sz));
    EXPECT_ERR(ENODEV, unmap_dma(24, 0, 0x100000, &sz));
    id = compat_ioas();
    EXPECT_OK(map_dma(32, RWF, buf, 0x100000, 4 * PG));
    EXPECT_ERR(EEXIST, map_dma(32, RWF, buf, 0x101000, PG));
    /* Type1v2: no unmapping inside a mapping. */
    sz = PG;
    EXPECT_ERR(ENOENT, unmap_dma(24, 0, 0x101000, &sz));
    cr_assert_eq(sz, 0);
    /* Nothing mapped there: success with size 0 (vfio semantics). */
    sz = PG;
    EXPECT_OK(unmap_dma(24, 0, 0x900000, &sz));
    cr_assert_eq(sz, 0);
    sz = PG;
    EXPECT_ERR(EINVAL, unmap_dma(24, VFIO_DMA_UNMAP_FLAG_ALL, 0, &sz));
    sz = 0;
    EXPECT_ERR(EINVAL, unmap_dma(24, VFIO_DMA_UNMAP_FLAG_ALL, 0x1000, &sz));
    EXPECT_OK(unmap_dma(24, VFIO_DMA_UNMAP_FLAG_ALL, 0, &sz));
    cr_assert_eq(sz, 4 * PG);

    /* Type1 (v1): cuts at both ends make an unmap inside a mapping work. */
    EXPECT_OK(mockfd_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU));
    EXPECT_OK(map_dma(32, RWF, buf, 0x100000, 8 * PG));
    sz = 2 * PG;
    EXPECT_OK(unmap_dma(24, 0, 0x102000, &sz));
    cr_assert_eq(sz, 2 * PG);
    cr_assert_eq(t_nareas(fd, id), 2);
    EXPECT_ERR(EEXIST, map_dma(32, RWF, buf, 0x101000, PG));
    EXPECT_OK(map_dma(32, RWF, buf, 0x102000, 2 * PG));  /* the hole is free */
    /* A cut on an unaligned IOVA is refused (alignment is PAGE_SIZE). */
    sz = PG;
    EXPECT_ERR(EINVAL, unmap_dma(24, 0, 0x100800, &sz));
    /* With a domain attached the pieces are unmapped from it precisely. */
    {
        struct fake_dom d;

        fake_init(&d, 0, UMAX, PG | (2ull << 20));
        cr_assert_eq(t_attach(fd, id, &d), 0);
        cr_assert(!d.d.allow_huge);
        cr_assert_eq(d.bytes, 8 * PG);
        cr_assert_eq(mfd_pages_refs((uintptr_t)buf + 7 * PG), 1);
        sz = PG;
        EXPECT_OK(unmap_dma(24, 0, 0x107000, &sz));
        cr_assert_eq(d.bytes, 7 * PG);
        cr_assert_eq(mfd_pages_refs((uintptr_t)buf + 7 * PG), 0);
        cr_assert_eq(mfd_pages_refs((uintptr_t)buf + 6 * PG), 1);
        sz = 0;
        EXPECT_OK(unmap_dma(24, VFIO_DMA_UNMAP_FLAG_ALL, 0, &sz));
        cr_assert_eq(sz, 7 * PG);
        cr_assert_eq(d.bytes, 0);
        t_detach(fd, id, &d);
    }
    munmap(buf, 8 * PG);
    ASSERT_NO_LEAKS();
}
