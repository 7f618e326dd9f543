/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_HWPT_ALLOC with pt_id = a vIOMMU (hw_pagetable.c iommufd_hwpt_alloc
 * + iommufd_viommu_alloc_hwpt_nested, iommufd.md §4.10) and the attach of a
 * device onto such a nested HWPT (the selftest's mock_domain_nop_attach),
 * all through real ioctls: the vEVENT of TRIGGER_VEVENT reaches the vEVENTQ
 * fd end to end, refs, detach, invalidation of the nested iotlb.
 */
#include <linux/vfio.h>

#include "test_st_c_util.h"
#include "tests/common/platform_util.h"

static const size_t REC = sizeof(struct iommufd_vevent_header) +
                          sizeof(struct iommu_viommu_event_selftest);

struct rec {
    struct iommufd_vevent_header hdr;
    struct iommu_viommu_event_selftest ev;
};

static int replace(int fd, uint32_t stdev, uint32_t pt)
{
    struct iommu_test_cmd c = { .mock_domain_replace = { .pt_id = pt } };

    return st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c);
}

static int nested_alloc(int fd, uint32_t idev, uint32_t pt, uint32_t flags, uint32_t *out)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

    return st_hwpt_alloc(fd, idev, pt, flags, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
                         out);
}

static int check_iotlb(int fd, uint32_t hwpt, uint32_t id, uint32_t val)
{
    struct iommu_test_cmd c = { .check_iotlb = { .id = id, .iotlb = val } };

    return st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, hwpt, &c);
}

Test(st_viommu_nested, alloc_errnos)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    uint32_t nested = 0, ioas2, paging = 0, devid;
    int dfd;
    struct stc s;

    stc_setup(&s, true);
    /* the flag rule: NEST_PARENT / DIRTY_TRACKING are not nested flags */
    EXPECT_ERR(EOPNOTSUPP, nested_alloc(s.fd, s.idev, s.viommu, IOMMU_HWPT_ALLOC_NEST_PARENT,
                                        &nested));
    EXPECT_ERR(EOPNOTSUPP, nested_alloc(s.fd, s.idev, s.viommu,
                                        IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &nested));
    /* no user data: EOPNOTSUPP (type NONE with len 0 passes the core check) */
    EXPECT_ERR(EOPNOTSUPP, st_hwpt_alloc(s.fd, s.idev, s.viommu, 0, IOMMU_HWPT_DATA_NONE,
                                         NULL, 0, &nested));
    /* the core's data_type / data_len pairing comes first: EINVAL */
    EXPECT_ERR(EINVAL, st_hwpt_alloc(s.fd, s.idev, s.viommu, 0, IOMMU_HWPT_DATA_SELFTEST,
                                     &data, 0, &nested));
    /* driver data: a foreign type is EOPNOTSUPP, a short struct EINVAL */
    EXPECT_ERR(EOPNOTSUPP, st_hwpt_alloc(s.fd, s.idev, s.viommu, 0, IOMMU_HWPT_DATA_VTD_S1,
                                         &data, sizeof(data), &nested));
    EXPECT_ERR(EINVAL, st_hwpt_alloc(s.fd, s.idev, s.viommu, 0, IOMMU_HWPT_DATA_SELFTEST,
                                     &data, 2, &nested));
    /* unknown device: ENOENT; unknown pt: EINVAL */
    EXPECT_ERR(ENOENT, nested_alloc(s.fd, 999, s.viommu, 0, &nested));
    EXPECT_ERR(EINVAL, nested_alloc(s.fd, s.idev, 999, 0, &nested));
    /* FAULT_ID_VALID with no such FAULT object: ENOENT, nothing left */
    EXPECT_ERR(ENOENT, nested_alloc(s.fd, s.idev, s.viommu, IOMMU_HWPT_FAULT_ID_VALID, &nested));

    /* a device behind another IOMMU instance: EINVAL before the flag rule */
    dfd = t_bind_on_new_iommu("vtd", 0x10, s.fd, NULL, &devid);
    EXPECT_ERR(EINVAL, nested_alloc(s.fd, devid, s.viommu, 0, &nested));
    EXPECT_ERR(EINVAL, nested_alloc(s.fd, devid, s.viommu,
                                    IOMMU_HWPT_ALLOC_NEST_PARENT, &nested));
    /* that device's own unit (VT-d) has no nesting parent support of the
     * mock kind: a paging HWPT works, a nested one through it does not */
    ioas2 = st_ioas(s.fd);
    EXPECT_OK(st_hwpt_alloc(s.fd, devid, ioas2, 0, 0, NULL, 0, &paging));
    EXPECT_OK(stc_destroy(s.fd, paging));

    /* the good case */
    EXPECT_OK(nested_alloc(s.fd, s.idev, s.viommu, 0, &nested));
    cr_assert_neq(nested, 0);
    EXPECT_OK(check_iotlb(s.fd, nested, 0, IOMMU_TEST_IOTLB_DEFAULT));
    EXPECT_OK(stc_destroy(s.fd, nested));
    EXPECT_OK(mockfd_close(dfd));
    EXPECT_OK(mockfd_close(s.fd));
    ASSERT_NO_LEAKS();
}

Test(st_viommu_nested, with_fault_object)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    struct iommu_fault_alloc fa = { .size = sizeof(fa) };
    struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_FAULT_ID_VALID,
                                  .data_type = IOMMU_HWPT_DATA_SELFTEST,
                                  .data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
    struct stc s;

    stc_setup(&s, true);
    EXPECT_OK(mockfd_ioctl(s.fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
    a.dev_id = s.idev;
    a.pt_id = s.viommu;
    a.fault_id = fa.out_fault_id;
    EXPECT_OK(mockfd_ioctl(s.fd, IOMMU_HWPT_ALLOC, &a));
    /* the HWPT holds its fault object and its vIOMMU */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, fa.out_fault_id));
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.viommu));
    EXPECT_OK(stc_destroy(s.fd, a.out_hwpt_id));
    EXPECT_OK(stc_destroy(s.fd, s.viommu));
    EXPECT_OK(mockfd_close((int)fa.out_fault_fd));
    EXPECT_OK(mockfd_close(s.fd));
    ASSERT_NO_LEAKS();
}

Test(st_viommu_nested, refs)
{
    uint32_t nested = 0;
    struct stc s;

    stc_setup(&s, true);
    EXPECT_OK(nested_alloc(s.fd, s.idev, s.viommu, 0, &nested));
    /* the nested HWPT holds the vIOMMU, which holds the parent */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.viommu));
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.parent));
    EXPECT_OK(stc_destroy(s.fd, nested));
    EXPECT_OK(stc_destroy(s.fd, s.viommu));
    EXPECT_OK(stc_destroy(s.fd, s.parent));
    EXPECT_OK(mockfd_close(s.fd));
    ASSERT_NO_LEAKS();
}

Test(st_viommu_nested, vevent_end_to_end)
{
    uint32_t nested = 0, vd = 0, veq = 0;
    struct rec r[2];
    struct stc s;
    int efd = -1;

    stc_setup(&s, true);
    EXPECT_OK(nested_alloc(s.fd, s.idev, s.viommu, 0, &nested));
    /* no vdevice on the vIOMMU: the mock's attach refuses, nothing changes */
    EXPECT_ERR(ENOENT, replace(s.fd, s.stdev, nested));
    EXPECT_OK(stc_destroy(s.fd, nested));   /* not attached: not busy */
    EXPECT_OK(nested_alloc(s.fd, s.idev, s.viommu, 0, &nested));
    EXPECT_ERR(ENOENT, stc_trigger(s.fd, s.idev));

    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, s.idev, 0x1234, &vd));
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &veq, &efd));
    EXPECT_OK(replace(s.fd, s.stdev, nested));
    /* attached: the nested HWPT (and through it the vIOMMU) is busy */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, nested));
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.viommu));

    EXPECT_OK(stc_trigger(s.fd, s.idev));
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)(2 * REC));
    cr_assert_eq(r[0].hdr.flags, 0);
    cr_assert_eq(r[0].hdr.sequence, 0);
    cr_assert_eq(r[0].ev.virt_id, 0x1234);
    cr_assert_eq(r[1].hdr.sequence, 1);
    cr_assert_eq(r[1].ev.virt_id, 0x1234);

    /* back to a paging HWPT: the vIOMMU attachment is gone */
    EXPECT_OK(replace(s.fd, s.stdev, s.parent));
    EXPECT_ERR(ENOENT, stc_trigger(s.fd, s.idev));
    EXPECT_OK(stc_destroy(s.fd, nested));

    EXPECT_OK(mockfd_close(efd));
    EXPECT_OK(mockfd_close(s.fd));
    ASSERT_NO_LEAKS();
}

Test(st_viommu_nested, detach_clears_attachment)
{
    uint32_t nested = 0, vd = 0, veq = 0;
    struct rec r[1];
    struct stc s;
    int efd = -1;

    stc_setup(&s, true);
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, s.idev, 7, &vd));
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &veq, &efd));
    EXPECT_OK(nested_alloc(s.fd, s.idev, s.viommu, 0, &nested));
    EXPECT_OK(replace(s.fd, s.stdev, nested));
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)REC);
    cr_assert_eq(r[0].ev.virt_id, 7);
    /* destroying the selftest device detaches it (blocked domain): the
     * device object is gone, so TRIGGER_VEVENT on it is ENOENT, and the
     * nested HWPT is no longer busy */
    EXPECT_OK(stc_destroy(s.fd, s.stdev));
    EXPECT_ERR(ENOENT, stc_trigger(s.fd, s.idev));
    EXPECT_OK(stc_destroy(s.fd, nested));
    EXPECT_OK(mockfd_close(efd));
    EXPECT_OK(mockfd_close(s.fd));
    ASSERT_NO_LEAKS();
}

Test(st_viommu_nested, invalidate_nested_iotlb)
{
    struct iommu_hwpt_invalidate_selftest inv[2] = {
        { .iotlb_id = 1 },
        { .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL },
    };
    struct iommu_hwpt_invalidate c = { .size = sizeof(c) };
    uint32_t nested = 0;
    struct stc s;

    stc_setup(&s, true);
    EXPECT_OK(nested_alloc(s.fd, s.idev, s.viommu, 0, &nested));
    c.hwpt_id = nested;
    c.data_uptr = (uintptr_t)inv;
    c.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
    c.entry_len = sizeof(inv[0]);
    c.entry_num = 1;
    EXPECT_OK(mockfd_ioctl(s.fd, IOMMU_HWPT_INVALIDATE, &c));
    cr_assert_eq(c.entry_num, 1);
    EXPECT_OK(check_iotlb(s.fd, nested, 0, IOMMU_TEST_IOTLB_DEFAULT));
    EXPECT_OK(check_iotlb(s.fd, nested, 1, 0));
    EXPECT_OK(check_iotlb(s.fd, nested, 2, IOMMU_TEST_IOTLB_DEFAULT));
    /* a bad id stops the array: entry_num = handled, EINVAL */
    inv[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
    c.entry_num = 2;
    EXPECT_ERR(EINVAL, mockfd_ioctl(s.fd, IOMMU_HWPT_INVALIDATE, &c));
    cr_assert_eq(c.entry_num, 0);
    inv[0].iotlb_id = 0;
    c.entry_num = 2;
    EXPECT_OK(mockfd_ioctl(s.fd, IOMMU_HWPT_INVALIDATE, &c));
    cr_assert_eq(c.entry_num, 2);
    for (uint32_t i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++)
        EXPECT_OK(check_iotlb(s.fd, nested, i, 0));
    EXPECT_OK(stc_destroy(s.fd, nested));
    EXPECT_OK(mockfd_close(s.fd));
    ASSERT_NO_LEAKS();
}

/* MOCKFD_KERNEL=6.12: the vIOMMU family is 6.13, so VIOMMU_ALLOC is a hole
 * (ENOTTY) and no pt_id can name a vIOMMU. */
Test(st_viommu_nested, kernel_6_12_has_no_viommu)
{
    uint32_t viommu = 0;
    struct stc s;

    setenv("MOCKFD_KERNEL", "6.12", 1);
    stc_setup(&s, false);
    EXPECT_ERR(ENOTTY, stc_viommu_alloc(s.fd, s.idev, s.parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL,
                                        0, &viommu));
    EXPECT_OK(mockfd_close(s.fd));
    unsetenv("MOCKFD_KERNEL");
    ASSERT_NO_LEAKS();
}
