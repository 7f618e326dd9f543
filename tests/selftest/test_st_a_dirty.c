/* Part A: mock dirty tracking (TEST_OP_DIRTY + GET_DIRTY_BITMAP, iommufd.md
 * §6.2, §7.2) and the mock page table's WARN counter. */
#include "mockfd/core/selftest.h"
#include "test_st_a_util.h"

static int set_tracking(int fd, uint32_t hwpt, bool on)
{
    struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s), .hwpt_id = hwpt,
                                               .flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0 };

    return mockfd_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static int test_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t psz,
                      void *bm, uint64_t *nr)
{
    struct iommu_test_cmd c = { .dirty = { .iova = iova, .length = len, .page_size = psz,
                                           .uptr = (uintptr_t)bm } };
    int rc = st_cmd(fd, IOMMU_TEST_OP_DIRTY, hwpt, &c);

    if (!rc && nr)
        *nr = c.dirty.out_nr_dirty;
    return rc;
}

static int get_bitmap(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t psz,
                      void *bm, uint32_t flags)
{
    struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = hwpt, .flags = flags,
                                             .iova = iova, .length = len, .page_size = psz,
                                             .data = (uintptr_t)bm };

    return mockfd_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static bool bit(const uint8_t *bm, uint64_t i)
{
    return bm[i / 8] & (1u << (i % 8));
}

Test(st_a_dirty, every_other_2k_pte)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), idev = 0, hwpt = 0, plain = 0, nodirty_idev = 0, stdev_nd = 0;
    const uint64_t len = 64 * 4096, iova = MOCK_APERTURE_START, nbits = len / MOCK_PAGE_SIZE;
    uint8_t *buf = st_alloc_aligned(len, 4096);
    uint8_t *bm = calloc(1, nbits / 8 + 16);
    uint64_t nr = 0, i;
    unsigned long warns0 = mfd_st_api.warn_count();

    EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, NULL, &idev));
    EXPECT_OK(st_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev_nd, NULL,
                             &nodirty_idev));
    /* enforce_dirty: a NO_DIRTY device cannot get a dirty HWPT */
    EXPECT_ERR(EOPNOTSUPP, st_hwpt_alloc(fd, nodirty_idev, ioas,
                                         IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &hwpt));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &hwpt));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, 0, 0, NULL, 0, &plain));
    {
        struct iommu_test_cmd c = { .mock_domain_replace = { .pt_id = hwpt } };

        EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev_nd, &c));
    }
    EXPECT_ERR(EOPNOTSUPP, set_tracking(fd, plain, true));
    EXPECT_OK(st_map(fd, ioas, buf, len, iova));

    for (i = 0; i < nbits; i += 2)
        bm[i / 8] |= 1u << (i % 8);
    /* tracking off: the mock refuses */
    EXPECT_ERR(EINVAL, test_dirty(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, &nr));
    EXPECT_OK(set_tracking(fd, hwpt, true));
    /* argument checks */
    EXPECT_ERR(EINVAL, test_dirty(fd, hwpt, iova, len, 0, bm, &nr));
    EXPECT_ERR(EINVAL, test_dirty(fd, hwpt, iova, 0, MOCK_PAGE_SIZE, bm, &nr));
    EXPECT_ERR(EINVAL, test_dirty(fd, hwpt, iova + 1, len, MOCK_PAGE_SIZE, bm, &nr));
    EXPECT_ERR(EINVAL, test_dirty(fd, hwpt, iova, len, MOCK_PAGE_SIZE, NULL, &nr));
    EXPECT_ERR(EINVAL, test_dirty(fd, plain, iova, len, MOCK_PAGE_SIZE, bm, &nr));
    EXPECT_ERR(ENOENT, test_dirty(fd, ioas, iova, len, MOCK_PAGE_SIZE, bm, &nr));
    EXPECT_ERR(EFAULT, test_dirty(fd, hwpt, iova, len, MOCK_PAGE_SIZE, (void *)8, &nr));

    EXPECT_OK(test_dirty(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, &nr));
    cr_assert_eq(nr, nbits / 2);
    memset(bm, 0, nbits / 8);
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, 0));
    for (i = 0; i < nbits; i++)
        cr_assert_eq(bit(bm, i), !(i & 1), "bit %lu", (unsigned long)i);
    /* cleared by the read */
    memset(bm, 0, nbits / 8);
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, 0));
    for (i = 0; i < nbits / 8; i++)
        cr_assert_eq(bm[i], 0);

    /* NO_CLEAR keeps them; a 4 KiB page_size sees each 2 KiB PTE as one bit */
    memset(bm, 0, nbits / 8);
    bm[0] = 0x1;
    EXPECT_OK(test_dirty(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, &nr));
    cr_assert_eq(nr, 1);
    bm[0] = 0;
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, 4096, bm, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
    cr_assert_eq(bm[0], 1);
    bm[0] = 0;
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, 4096, bm, 0));
    cr_assert_eq(bm[0], 1);
    bm[0] = 0;
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, 4096, bm, 0));
    cr_assert_eq(bm[0], 0);

    /* a bit over unmapped IOVA does not count */
    memset(bm, 0xff, nbits / 8);
    EXPECT_OK(test_dirty(fd, hwpt, iova + len, 8 * MOCK_PAGE_SIZE, MOCK_PAGE_SIZE, bm, &nr));
    cr_assert_eq(nr, 0);

    mockfd_close(fd);
    cr_assert_eq(mfd_st_api.warn_count(), warns0, "mock unmap boundary WARNs");
    munmap(buf, len);
    free(bm);
    ASSERT_NO_LEAKS();
}

Test(st_a_dirty, huge_pte_records_512_bits)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), idev = 0, hwpt = 0;
    const uint64_t len = 4ull << 20, iova = 16ull << 20, nbits = len / MOCK_PAGE_SIZE;
    uint8_t *buf = st_alloc_aligned(len, 2ull << 20);
    uint8_t *bm = calloc(1, nbits / 8);
    struct iommu_hwpt_selftest data = { .pagetable_type = MOCK_IOMMUPT_HUGE };
    uint64_t nr = 0, i;

    EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, NULL, &idev));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                            IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &hwpt));
    EXPECT_OK(st_map(fd, ioas, buf, len, iova));
    EXPECT_OK(set_tracking(fd, hwpt, true));
    /* bit 0 of every 1024-bit group (one 1 MiB PTE of every two) */
    for (i = 0; i < nbits; i += 1024)
        bm[i / 8] |= 1;
    EXPECT_OK(test_dirty(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, &nr));
    cr_assert_eq(nr, nbits / 1024);
    memset(bm, 0, nbits / 8);
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, 0));
    for (i = 0; i < nbits; i++)
        cr_assert_eq(bit(bm, i), (i % 1024) < 512, "bit %lu", (unsigned long)i);
    /* the same through the default format: 2 KiB PTEs, one bit each */
    mockfd_close(fd);
    munmap(buf, len);
    free(bm);
    ASSERT_NO_LEAKS();
}

Test(st_a_dirty, default_format_never_huge)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), idev = 0, hwpt = 0;
    const uint64_t len = 2ull << 20, iova = 16ull << 20, nbits = len / MOCK_PAGE_SIZE;
    uint8_t *buf = st_alloc_aligned(len, 2ull << 20);
    uint8_t *bm = calloc(1, nbits / 8);
    uint64_t nr = 0;

    EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, NULL, &idev));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &hwpt));
    EXPECT_OK(st_map(fd, ioas, buf, len, iova));
    EXPECT_OK(set_tracking(fd, hwpt, true));
    bm[0] = 1;
    EXPECT_OK(test_dirty(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, &nr));
    cr_assert_eq(nr, 1);
    bm[0] = 0;
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, MOCK_PAGE_SIZE, bm, 0));
    cr_assert_eq(bm[0], 1);
    cr_assert_eq(bm[1], 0);
    mockfd_close(fd);
    munmap(buf, len);
    free(bm);
    ASSERT_NO_LEAKS();
}
