/* SPDX-License-Identifier: MIT */
/*
 * Fixes found by running the upstream iommufd selftest under the shim
 * (docs/selftest.md "Upstream selftest under the shim"):
 *  - IOMMU_HWPT_INVALIDATE writes entry_num back on every error path (the
 *    kernel's "out:" label), and a paging HWPT is ENOENT before 6.13 (the
 *    id was looked up as HWPT_NESTED only), EINVAL since.
 *  - Driver data longer than the kernel struct is EINVAL, zero tail or not
 *    (__iommu_copy_struct_from_user), for HWPT_ALLOC data and for each
 *    invalidation entry.
 */
#include "test_st_a_util.h"

struct nest {
    int fd;
    uint32_t ioas, idev, parent, nested;
};

static void nest_setup(struct nest *n)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

    n->fd = mockfd_open();
    cr_assert_geq(n->fd, 0);
    n->ioas = st_ioas(n->fd);
    EXPECT_OK(st_mock_domain(n->fd, n->ioas, 0, NULL, NULL, &n->idev));
    EXPECT_OK(st_hwpt_alloc(n->fd, n->idev, n->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
                            &n->parent));
    /* Only iotlb: kernels before 6.19 have no pagetable_type and refuse the
     * 8-byte struct (EINVAL on a real 6.12, docs/oracle.md); 4 bytes suit all. */
    EXPECT_OK(st_hwpt_alloc(n->fd, n->idev, n->parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
                            sizeof(data.iotlb), &n->nested));
}

static int inv(int fd, uint32_t id, void *reqs, uint32_t type, uint32_t len, uint32_t *num)
{
    struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = id, .data_type = type,
                                       .data_uptr = (uintptr_t)reqs, .entry_len = len,
                                       .entry_num = *num };
    int rc = mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &c);

    *num = c.entry_num;
    return rc;
}

static uint32_t iotlb(int fd, uint32_t nested, uint32_t slot)
{
    for (uint32_t v = 0;; v = IOMMU_TEST_IOTLB_DEFAULT) {
        struct iommu_test_cmd c = { .check_iotlb = { .id = slot, .iotlb = v } };

        if (!st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, &c))
            return v;
        cr_assert_eq(errno, EINVAL);
        cr_assert_eq(v, 0, "slot %u is neither 0 nor the default", slot);
    }
}

/* Newest kernel: any non-nested, non-vIOMMU object is EINVAL, and entry_num
 * comes back 0 (the selftest asserts !num_inv after the error). */
Test(st_fix_invalidate, paging_hwpt_newest_einval_writes_back)
{
    struct iommu_hwpt_invalidate_selftest r[2] = { 0 };
    struct nest n = { 0 };
    uint32_t num = 1;

    unsetenv("MOCKFD_KERNEL");
    nest_setup(&n);
    EXPECT_ERR(EINVAL, inv(n.fd, n.parent, r, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                           sizeof(r[0]), &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(EINVAL, inv(n.fd, n.ioas, r, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                           sizeof(r[0]), &num));
    cr_assert_eq(num, 0);
    mockfd_close(n.fd);
    ASSERT_NO_LEAKS();
}

/* 6.12: iommufd_get_hwpt_nested -> ENOENT for a paging HWPT or an IOAS. */
Test(st_fix_invalidate, paging_hwpt_612_enoent)
{
    struct iommu_hwpt_invalidate_selftest r[2] = { 0 };
    struct nest n = { 0 };
    uint32_t num = 1;

    setenv("MOCKFD_KERNEL", "6.12", 1);
    nest_setup(&n);
    EXPECT_ERR(ENOENT, inv(n.fd, n.parent, r, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                           sizeof(r[0]), &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(ENOENT, inv(n.fd, n.ioas, r, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                           sizeof(r[0]), &num));
    cr_assert_eq(num, 0);
    /* the nested HWPT itself still works on 6.12 */
    num = 1;
    r[0].iotlb_id = 2;
    EXPECT_OK(inv(n.fd, n.nested, r, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(r[0]), &num));
    cr_assert_eq(num, 1);
    cr_assert_eq(iotlb(n.fd, n.nested, 2), 0);
    cr_assert_eq(iotlb(n.fd, n.nested, 1), IOMMU_TEST_IOTLB_DEFAULT);
    mockfd_close(n.fd);
    unsetenv("MOCKFD_KERNEL");
    ASSERT_NO_LEAKS();
}

/* Every early error answers entry_num = 0 as well. */
Test(st_fix_invalidate, early_errors_write_back_zero)
{
    struct iommu_hwpt_invalidate_selftest r[2] = { 0 };
    struct iommu_hwpt_invalidate c = { .size = sizeof(c) };
    struct nest n = { 0 };
    uint32_t num;

    nest_setup(&n);
    num = 1;
    EXPECT_ERR(EINVAL, inv(n.fd, n.nested, NULL, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                           sizeof(r[0]), &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(EINVAL, inv(n.fd, n.nested, r, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(ENOENT, inv(n.fd, 999, r, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(r[0]),
                           &num));
    cr_assert_eq(num, 0);
    c.hwpt_id = n.nested;
    c.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
    c.data_uptr = (uintptr_t)r;
    c.entry_len = sizeof(r[0]);
    c.entry_num = 1;
    c.__reserved = 1;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(n.fd, IOMMU_HWPT_INVALIDATE, &c));
    cr_assert_eq(c.entry_num, 0);
    /* nothing was invalidated by any of these */
    for (uint32_t i = 0; i < 4; i++)
        cr_assert_eq(iotlb(n.fd, n.nested, i), IOMMU_TEST_IOTLB_DEFAULT);
    mockfd_close(n.fd);
    ASSERT_NO_LEAKS();
}

/* An entry longer than the kernel struct is EINVAL even with a zero tail
 * (the selftest's "structure size sanity"); shorter than iotlb_id too. */
Test(st_fix_invalidate, entry_len_longer_than_struct)
{
    uint8_t raw[32] = { 0 };
    struct nest n = { 0 };
    uint32_t num;

    nest_setup(&n);
    num = 1;
    EXPECT_ERR(EINVAL, inv(n.fd, n.nested, raw, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                           sizeof(struct iommu_hwpt_invalidate_selftest) + 1, &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(EINVAL, inv(n.fd, n.nested, raw, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 16, &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(EINVAL, inv(n.fd, n.nested, raw, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 7, &num));
    cr_assert_eq(num, 0);
    for (uint32_t i = 0; i < 4; i++)
        cr_assert_eq(iotlb(n.fd, n.nested, i), IOMMU_TEST_IOTLB_DEFAULT);
    /* the exact size works */
    num = 1;
    EXPECT_OK(inv(n.fd, n.nested, raw, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                  sizeof(struct iommu_hwpt_invalidate_selftest), &num));
    cr_assert_eq(num, 1);
    cr_assert_eq(iotlb(n.fd, n.nested, 0), 0);
    mockfd_close(n.fd);
    ASSERT_NO_LEAKS();
}

/* HWPT_ALLOC data longer than struct iommu_hwpt_selftest: EINVAL whether the
 * tail is zero or not, for paging and nested allocations; no object left. */
Test(st_fix_invalidate, hwpt_alloc_data_longer_than_struct)
{
    uint8_t big[sizeof(struct iommu_hwpt_selftest) + 8] = { 0 };
    struct nest n = { 0 };
    uint32_t id = 0;

    nest_setup(&n);
    EXPECT_ERR(EINVAL, st_hwpt_alloc(n.fd, n.idev, n.parent, 0, IOMMU_HWPT_DATA_SELFTEST, big,
                                     sizeof(big), &id));
    EXPECT_ERR(EINVAL, st_hwpt_alloc(n.fd, n.idev, n.ioas, 0, IOMMU_HWPT_DATA_SELFTEST, big,
                                     sizeof(big), &id));
    big[sizeof(big) - 1] = 1;
    EXPECT_ERR(EINVAL, st_hwpt_alloc(n.fd, n.idev, n.parent, 0, IOMMU_HWPT_DATA_SELFTEST, big,
                                     sizeof(big), &id));
    EXPECT_ERR(EINVAL, st_hwpt_alloc(n.fd, n.idev, n.ioas, 0, IOMMU_HWPT_DATA_SELFTEST, big,
                                     sizeof(big), &id));
    /* the exact size still works: the next id follows directly */
    EXPECT_OK(st_hwpt_alloc(n.fd, n.idev, n.parent, 0, IOMMU_HWPT_DATA_SELFTEST, big,
                            sizeof(struct iommu_hwpt_selftest), &id));
    cr_assert_eq(id, n.nested + 1);
    mockfd_close(n.fd);
    ASSERT_NO_LEAKS();
}
