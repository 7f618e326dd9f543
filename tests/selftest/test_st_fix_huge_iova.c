/* SPDX-License-Identifier: MIT */
/*
 * MOCK_FLAGS_DEVICE_HUGE_IOVA (bit 1) for targets before the iommupt mock
 * (6.19): the 6.12 selftest's dirty-tracking huge variants create their
 * device with it and expect 1 MiB mock PTEs in every paging domain of that
 * device (the 6.12 mock_domain_alloc_paging). Newer targets refuse it.
 */
#include "mockfd/core/mockfd_internal.h"
#include "mockfd/core/selftest.h"
#include "test_st_a_util.h"

static uint32_t mock_domain_id(int fd, uint32_t ioas, uint32_t flags)
{
    uint32_t stdev = 0;

    EXPECT_OK(st_mock_domain(fd, ioas, flags, &stdev, NULL, NULL));
    return stdev;
}

static void flag_rule(const char *kver, bool accepted)
{
    int fd;
    uint32_t ioas, first;

    if (kver)
        setenv("MOCKFD_KERNEL", kver, 1);
    else
        unsetenv("MOCKFD_KERNEL");
    fd = mockfd_open();
    cr_assert_geq(fd, 0);
    ioas = st_ioas(fd);
    if (accepted) {
        EXPECT_OK(st_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL, NULL, NULL));
        EXPECT_OK(st_mock_domain(fd, ioas,
                                 MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_NO_DIRTY,
                                 NULL, NULL, NULL));
        /* PASID devices exist from 6.15 (valid_dev_flags) */
        if (mfd_kernel_version() >= 615)
            EXPECT_OK(st_mock_domain(fd, ioas,
                                     MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_PASID,
                                     NULL, NULL, NULL));
        else
            EXPECT_ERR(EINVAL, st_mock_domain(fd, ioas,
                                              MOCK_FLAGS_DEVICE_HUGE_IOVA |
                                                  MOCK_FLAGS_DEVICE_PASID,
                                              NULL, NULL, NULL));
    } else {
        /* refused before any object is kept: the next stdev id is ioas+1 */
        EXPECT_ERR(EINVAL,
                   st_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL, NULL, NULL));
        first = mock_domain_id(fd, ioas, 0);
        cr_assert_eq(first, ioas + 1);
    }
    /* an unknown bit is EINVAL for every target */
    EXPECT_ERR(EINVAL, st_mock_domain(fd, ioas, 1u << 3, NULL, NULL, NULL));
    mockfd_close(fd);
    unsetenv("MOCKFD_KERNEL");
}

/* The target is read once per process (each Test runs in its own). */
Test(st_fix_huge_iova, flag_refused_newest)
{
    flag_rule(NULL, false);
    ASSERT_NO_LEAKS();
}

Test(st_fix_huge_iova, flag_refused_619)
{
    flag_rule("6.19", false);
    ASSERT_NO_LEAKS();
}

Test(st_fix_huge_iova, flag_accepted_618)
{
    flag_rule("6.18", true);
    ASSERT_NO_LEAKS();
}

Test(st_fix_huge_iova, flag_accepted_612)
{
    flag_rule("6.12", true);
    ASSERT_NO_LEAKS();
}

static int dirty_op(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, void *bm, uint64_t *nr)
{
    struct iommu_test_cmd c = { .dirty = { .iova = iova, .length = len,
                                           .page_size = MOCK_PAGE_SIZE,
                                           .uptr = (uintptr_t)bm } };
    int rc = st_cmd(fd, IOMMU_TEST_OP_DIRTY, hwpt, &c);

    *nr = c.dirty.out_nr_dirty;
    return rc;
}

static int get_bitmap(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, void *bm)
{
    struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = hwpt, .iova = iova,
                                             .length = len, .page_size = MOCK_PAGE_SIZE,
                                             .data = (uintptr_t)bm };

    return mockfd_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static int set_tracking(int fd, uint32_t hwpt)
{
    struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s), .hwpt_id = hwpt,
                                               .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };

    return mockfd_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

/* Dirty one 2 KiB bit at the start of the range and count the bits the
 * bitmap reports back: 512 for a 1 MiB PTE, 1 for a 2 KiB one. */
static unsigned bits_for_one_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len)
{
    const uint64_t nbits = len / MOCK_PAGE_SIZE;
    uint8_t *bm = calloc(1, nbits / 8);
    uint64_t nr = 0;
    unsigned n = 0;

    cr_assert_not_null(bm);
    bm[0] = 1;
    EXPECT_OK(dirty_op(fd, hwpt, iova, len, bm, &nr));
    cr_assert_eq(nr, 1);
    memset(bm, 0, nbits / 8);
    EXPECT_OK(get_bitmap(fd, hwpt, iova, len, bm));
    for (uint64_t i = 0; i < nbits; i++)
        n += !!(bm[i / 8] & (1u << (i % 8)));
    free(bm);
    return n;
}

Test(st_fix_huge_iova, device_domains_use_1m_ptes_on_612)
{
    const uint64_t len = 2ull << 20, iova = MOCK_APERTURE_START;
    uint8_t *buf = st_alloc_aligned(len, 2ull << 20);
    uint32_t ioas, idev_huge = 0, idev_small = 0, h_huge = 0, h_small = 0;
    unsigned long warns;
    int fd;

    setenv("MOCKFD_KERNEL", "6.12", 1);
    warns = mfd_st_api.warn_count();
    fd = mockfd_open();
    ioas = st_ioas(fd);
    EXPECT_OK(st_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL, NULL, &idev_huge));
    EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, NULL, &idev_small));
    /* HWPT_ALLOC without any selftest data: the device alone decides */
    EXPECT_OK(st_hwpt_alloc(fd, idev_huge, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
                            &h_huge));
    EXPECT_OK(st_hwpt_alloc(fd, idev_small, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
                            &h_small));
    EXPECT_OK(st_map(fd, ioas, buf, len, iova));
    EXPECT_OK(st_check_map(fd, h_huge, iova, buf, len));
    EXPECT_OK(set_tracking(fd, h_huge));
    EXPECT_OK(set_tracking(fd, h_small));
    cr_assert_eq(bits_for_one_dirty(fd, h_huge, iova, len), 512);
    cr_assert_eq(bits_for_one_dirty(fd, h_small, iova, len), 1);
    /* unmapping and freeing huge domains fires no mock WARN */
    {
        struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
                                      .length = len };

        EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_UNMAP, &u));
    }
    mockfd_close(fd);
    cr_assert_eq(mfd_st_api.warn_count(), warns);
    unsetenv("MOCKFD_KERNEL");
    munmap(buf, len);
    ASSERT_NO_LEAKS();
}
