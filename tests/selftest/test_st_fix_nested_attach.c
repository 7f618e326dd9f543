/* SPDX-License-Identifier: MIT */
/*
 * Attaching a device to a nested HWPT (the upstream selftest's
 * alloc_hwpt_nested replace steps): the device attaches to the nested
 * domain, the nested HWPT becomes busy, and the parent's IOAS stays the
 * one whose IOVA space and reserved regions apply (find_hwpt_paging).
 */
#include "test_st_a_util.h"

static int replace(int fd, uint32_t stdev, uint32_t pt)
{
    struct iommu_test_cmd c = { .mock_domain_replace = { .pt_id = pt } };

    return st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c);
}

static int destroy(int fd, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return mockfd_ioctl(fd, IOMMU_DESTROY, &d);
}

Test(st_fix_nested_attach, replace_to_nested_and_back)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    uint32_t ioas, stdev = 0, idev = 0, parent = 0, n0 = 0, n1 = 0;
    int fd = mockfd_open();

    cr_assert_geq(fd, 0);
    ioas = st_ioas(fd);
    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev, NULL, &idev));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &parent));
    EXPECT_OK(st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
                            &n0));
    EXPECT_OK(st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
                            &n1));
    /* attached: busy; the other one is not */
    EXPECT_OK(replace(fd, stdev, n0));
    EXPECT_ERR(EBUSY, destroy(fd, n0));
    EXPECT_OK(replace(fd, stdev, n1));
    EXPECT_ERR(EBUSY, destroy(fd, n1));
    EXPECT_OK(destroy(fd, n0));
    /* the parent is held by n1 */
    EXPECT_ERR(EBUSY, destroy(fd, parent));
    /* back to the parent paging HWPT, then to the IOAS (auto domain) */
    EXPECT_OK(replace(fd, stdev, parent));
    EXPECT_OK(destroy(fd, n1));
    EXPECT_OK(replace(fd, stdev, ioas));
    EXPECT_OK(destroy(fd, parent));
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

/* MOCK_DOMAIN straight onto a nested HWPT: the pt_id written back is the
 * nested HWPT, and mappings of the parent's IOAS keep working (the device
 * uses the parent's IOVA space). Closing the fd with the device attached
 * frees everything. */
Test(st_fix_nested_attach, mock_domain_on_nested)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    long pg = sysconf(_SC_PAGESIZE);
    uint32_t ioas, idev = 0, parent = 0, nested = 0, stdev2 = 0, hwpt2 = 0;
    void *buf = st_alloc_aligned(pg, pg);
    int fd = mockfd_open();

    cr_assert_geq(fd, 0);
    ioas = st_ioas(fd);
    EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, NULL, &idev));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &parent));
    EXPECT_OK(st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
                            &nested));
    EXPECT_OK(st_mock_domain(fd, nested, 0, &stdev2, &hwpt2, NULL));
    cr_assert_eq(hwpt2, nested);
    EXPECT_ERR(EBUSY, destroy(fd, nested));
    EXPECT_OK(st_map(fd, ioas, buf, pg, MOCK_APERTURE_START));
    EXPECT_OK(st_check_map(fd, parent, MOCK_APERTURE_START, buf, pg));
    /* destroying the selftest object detaches: the nested HWPT is free */
    EXPECT_OK(destroy(fd, stdev2));
    EXPECT_OK(destroy(fd, nested));
    EXPECT_OK(st_mock_domain(fd, parent, 0, &stdev2, NULL, NULL));
    EXPECT_OK(st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
                            &nested));
    EXPECT_OK(replace(fd, stdev2, nested));
    mockfd_close(fd);
    /* closing the fd dropped every pin */
    fd = mockfd_open();
    EXPECT_OK(st_check_refs(fd, buf, pg, 0));
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

/* A failed replace away from a nested HWPT leaves the device on it. */
Test(st_fix_nested_attach, failed_replace_keeps_nested)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    uint32_t ioas, stdev = 0, idev = 0, parent = 0, nested = 0, dirty = 0;
    int fd = mockfd_open();

    cr_assert_geq(fd, 0);
    ioas = st_ioas(fd);
    EXPECT_OK(st_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev, NULL, &idev));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &parent));
    EXPECT_OK(st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
                            &nested));
    EXPECT_OK(replace(fd, stdev, nested));
    /* a dirty-tracking HWPT made for another device cannot take this
     * NO_DIRTY device: EINVAL, and the nested HWPT stays attached */
    {
        uint32_t idev2 = 0;

        EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, NULL, &idev2));
        EXPECT_OK(st_hwpt_alloc(fd, idev2, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
                                &dirty));
    }
    EXPECT_ERR(EINVAL, replace(fd, stdev, dirty));
    EXPECT_ERR(EBUSY, destroy(fd, nested));
    EXPECT_OK(replace(fd, stdev, parent));
    EXPECT_OK(destroy(fd, nested));
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}
