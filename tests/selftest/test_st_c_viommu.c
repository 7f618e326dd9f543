/* Part C: IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_HW_QUEUE_ALLOC,
 * IOMMU_HWPT_INVALIDATE on a vIOMMU, DEV_CHECK_CACHE, mmap of the iommufd
 * fd (iommufd.md §2, §4.14, §4.16, §4.17, §4.19). */
#include <sys/mman.h>

#include "test_st_c_util.h"

Test(st_c_viommu, alloc_errnos)
{
    struct stc s;
    uint32_t plain = 0, v = 0;
    struct iommu_viommu_alloc a = { .size = sizeof(a), .flags = 1,
                                    .type = IOMMU_VIOMMU_TYPE_SELFTEST };

    stc_setup(&s, false);
    a.dev_id = s.idev;
    a.hwpt_id = s.parent;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(s.fd, IOMMU_VIOMMU_ALLOC, &a));   /* flags */
    EXPECT_ERR(EOPNOTSUPP, stc_viommu_alloc(s.fd, s.idev, s.parent, IOMMU_VIOMMU_TYPE_DEFAULT,
                                            NULL, 0, &v));
    EXPECT_ERR(ENOENT, stc_viommu_alloc(s.fd, 999, s.parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL,
                                        0, &v));
    EXPECT_ERR(EOPNOTSUPP, stc_viommu_alloc(s.fd, s.idev, s.parent, 0xdead, NULL, 0, &v));
    /* hwpt must be a paging HWPT (an IOAS id is ENOENT) */
    EXPECT_ERR(ENOENT, stc_viommu_alloc(s.fd, s.idev, s.ioas, IOMMU_VIOMMU_TYPE_SELFTEST, NULL,
                                        0, &v));
    /* not a nesting parent, and the auto domain */
    EXPECT_OK(st_hwpt_alloc(s.fd, s.idev, s.ioas, 0, 0, NULL, 0, &plain));
    EXPECT_ERR(EINVAL, stc_viommu_alloc(s.fd, s.idev, plain, IOMMU_VIOMMU_TYPE_SELFTEST, NULL,
                                        0, &v));
    EXPECT_ERR(EINVAL, stc_viommu_alloc(s.fd, s.idev, s.auto_hwpt, IOMMU_VIOMMU_TYPE_SELFTEST,
                                        NULL, 0, &v));
    EXPECT_OK(stc_destroy(s.fd, plain));
    /* a failed alloc leaves no ID behind: the next object gets plain's */
    EXPECT_OK(stc_viommu_alloc(s.fd, s.idev, s.parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &v));
    cr_assert_eq(v, plain);
    /* the vIOMMU holds its parent */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.parent));
    EXPECT_OK(stc_destroy(s.fd, v));
    EXPECT_OK(stc_destroy(s.fd, s.parent));
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}

Test(st_c_viommu, auto_destroy_on_close)
{
    struct stc s;

    stc_setup(&s, true);
    cr_assert(s.viommu);
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}

Test(st_c_viommu, data_loopback_and_mmap)
{
    struct stc s;
    struct iommu_viommu_selftest data = { .in_data = 0xbeef };
    long pg = sysconf(_SC_PAGESIZE);
    uint32_t v = 0, *p, *q;

    stc_setup(&s, false);
    /* data_len below offsetofend(out_data) -> EINVAL; longer than the
     * kernel's struct -> EINVAL whatever the tail holds
     * (__iommu_copy_struct_from_user checks data_len < src_data->len) */
    EXPECT_ERR(EINVAL, stc_viommu_alloc(s.fd, s.idev, s.parent, IOMMU_VIOMMU_TYPE_SELFTEST,
                                        &data, 4, &v));
    {
        uint8_t big[32] = { 0 };

        memcpy(big, &data, sizeof(data));
        big[30] = 1;
        EXPECT_ERR(EINVAL, stc_viommu_alloc(s.fd, s.idev, s.parent,
                                            IOMMU_VIOMMU_TYPE_SELFTEST, big, 32, &v));
        big[30] = 0;
        EXPECT_ERR(EINVAL, stc_viommu_alloc(s.fd, s.idev, s.parent,
                                            IOMMU_VIOMMU_TYPE_SELFTEST, big, 32, &v));
    }
    EXPECT_ERR(EFAULT, stc_viommu_alloc(s.fd, s.idev, s.parent, IOMMU_VIOMMU_TYPE_SELFTEST,
                                        (void *)8, sizeof(data), &v));
    EXPECT_OK(stc_viommu_alloc(s.fd, s.idev, s.parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data,
                               sizeof(data), &v));
    cr_assert_eq(data.out_data, 0xbeef);
    cr_assert_eq(data.out_mmap_length, 2 * (uint64_t)pg);
    cr_assert_eq(data.out_mmap_offset, (uint64_t)pg);   /* allocated from PAGE_SIZE */

    /* only the exact window maps */
    errno = 0;
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, s.fd,
                             (off_t)(data.out_mmap_offset + pg)), MAP_FAILED);
    cr_assert_eq(errno, ENXIO);
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, s.fd,
                             (off_t)(data.out_mmap_offset + 2 * pg)), MAP_FAILED);
    cr_assert_eq(errno, ENXIO);
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length / 2, PROT_READ, MAP_SHARED, s.fd,
                             (off_t)data.out_mmap_offset), MAP_FAILED);
    cr_assert_eq(errno, ENXIO);
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length * 2, PROT_READ, MAP_SHARED, s.fd,
                             (off_t)data.out_mmap_offset), MAP_FAILED);
    cr_assert_eq(errno, ENXIO);
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_PRIVATE, s.fd,
                             (off_t)data.out_mmap_offset), MAP_FAILED);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length, PROT_READ | PROT_EXEC, MAP_SHARED,
                             s.fd, (off_t)data.out_mmap_offset), MAP_FAILED);
    cr_assert_eq(errno, EPERM);
    cr_assert_eq(mockfd_mmap(NULL, 0, PROT_READ, MAP_SHARED, s.fd,
                             (off_t)data.out_mmap_offset), MAP_FAILED);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, s.fd,
                             (off_t)data.out_mmap_offset + 1), MAP_FAILED);
    cr_assert_eq(errno, EINVAL);

    /* the loopback: two mappings share the page */
    p = mockfd_mmap(NULL, data.out_mmap_length, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd,
                    (off_t)data.out_mmap_offset);
    cr_assert_neq(p, MAP_FAILED);
    cr_assert_eq(*p, 0xbeef);
    q = mockfd_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, s.fd,
                    (off_t)data.out_mmap_offset);
    cr_assert_neq(q, MAP_FAILED);
    p[1] = 0x1234;
    cr_assert_eq(q[1], 0x1234);
    cr_assert(mockfd_mmap_tracked(p, 8));
    /* a live mapping holds the vIOMMU */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, v));
    EXPECT_OK(mockfd_munmap(p, data.out_mmap_length));
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, v));
    /* a partial munmap keeps the reference until the rest goes */
    EXPECT_OK(mockfd_munmap(q, (size_t)pg));
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, v));
    EXPECT_OK(mockfd_munmap((uint8_t *)q + pg, (size_t)pg));
    EXPECT_OK(stc_destroy(s.fd, v));
    /* the offset is gone with its owner */
    cr_assert_eq(mockfd_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, s.fd,
                             (off_t)data.out_mmap_offset), MAP_FAILED);
    cr_assert_eq(errno, ENXIO);
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}

Test(st_c_viommu, mmap_outlives_close)
{
    struct stc s;
    struct iommu_viommu_selftest data = { .in_data = 7 };
    uint32_t v = 0, *p;

    stc_setup(&s, false);
    EXPECT_OK(stc_viommu_alloc(s.fd, s.idev, s.parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data,
                               sizeof(data), &v));
    p = mockfd_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, s.fd,
                    (off_t)data.out_mmap_offset);
    cr_assert_neq(p, MAP_FAILED);
    /* the vma keeps the file: closing destroys nothing until munmap */
    mockfd_close(s.fd);
    cr_assert_eq(*p, 7);
    EXPECT_OK(mockfd_munmap(p, data.out_mmap_length));
    cr_assert_not(mockfd_mmap_tracked(NULL, 0));
    ASSERT_NO_LEAKS();
}

Test(st_c_viommu, mmap_other_fds)
{
    struct stc s;
    int efd = -1;

    stc_setup(&s, true);
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, NULL, &efd));
    errno = 0;
    cr_assert_eq(mockfd_mmap(NULL, 4096, PROT_READ, MAP_SHARED, efd, 0), MAP_FAILED);
    cr_assert_eq(errno, ENODEV);
    /* no region registered without driver data */
    cr_assert_eq(mockfd_mmap(NULL, 4096, PROT_READ, MAP_SHARED, s.fd, 4096), MAP_FAILED);
    cr_assert_eq(errno, ENXIO);
    mockfd_close(efd);
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}

Test(st_c_vdevice, alloc_rules_and_tombstone)
{
    struct stc s;
    uint32_t vd = 0, vd2 = 0, stdev2 = 0, idev2 = 0, hw2 = 0;

    stc_setup(&s, true);
    EXPECT_ERR(ENOENT, stc_vdevice_alloc(s.fd, 999, s.idev, 0x99, &vd));
    EXPECT_ERR(ENOENT, stc_vdevice_alloc(s.fd, s.viommu, 999, 0x99, &vd));
    EXPECT_ERR(ENOENT, stc_vdevice_alloc(s.fd, s.parent, s.idev, 0x99, &vd));
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, s.idev, 0x99, &vd));
    /* one vdevice per device; one device per virt_id */
    EXPECT_ERR(EEXIST, stc_vdevice_alloc(s.fd, s.viommu, s.idev, 0x88, &vd2));
    EXPECT_OK(st_mock_domain(s.fd, s.ioas, 0, &stdev2, &hw2, &idev2));
    EXPECT_ERR(EEXIST, stc_vdevice_alloc(s.fd, s.viommu, idev2, 0x99, &vd2));
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, idev2, 0x88, &vd2));
    /* the vdevices hold the vIOMMU */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.viommu));
    EXPECT_OK(stc_destroy(s.fd, vd2));
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, idev2, 0x77, &vd2));
    /* the device goes away: its vdevice becomes a tombstone (ENOENT), and
     * its ID is not reused */
    EXPECT_OK(stc_destroy(s.fd, stdev2));
    EXPECT_ERR(ENOENT, stc_destroy(s.fd, vd2));
    {
        uint32_t other = 0;

        EXPECT_OK(st_hwpt_alloc(s.fd, s.idev, s.ioas, 0, 0, NULL, 0, &other));
        cr_assert_neq(other, vd2);
        EXPECT_OK(stc_destroy(s.fd, other));
    }
    EXPECT_OK(stc_destroy(s.fd, vd));
    EXPECT_OK(stc_destroy(s.fd, s.viommu));
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}

Test(st_c_vdevice, cache_invalidate)
{
    struct stc s;
    struct iommu_viommu_invalidate_selftest inv[2] = { 0 };
    uint32_t vd = 0, num;

    stc_setup(&s, true);
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, s.idev, 0x99, &vd));
    for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++)
        EXPECT_OK(stc_check_cache(s.fd, s.idev, i, IOMMU_TEST_DEV_CACHE_DEFAULT));
    EXPECT_ERR(EINVAL, stc_check_cache(s.fd, s.idev, 4, IOMMU_TEST_DEV_CACHE_DEFAULT));
    EXPECT_ERR(EINVAL, stc_check_cache(s.fd, s.idev, 0, 0));
    EXPECT_ERR(ENOENT, stc_check_cache(s.fd, 999, 0, IOMMU_TEST_DEV_CACHE_DEFAULT));

    /* an empty array probes the type */
    num = 0;
    EXPECT_OK(stc_viommu_invalidate(s.fd, s.viommu, inv, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                    sizeof(*inv), &num));
    cr_assert_eq(num, 0);
    num = 0;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
                                             sizeof(*inv), &num));
    num = 1;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
                                             sizeof(*inv), &num));
    cr_assert_eq(num, 0);
    /* entry sizes: zero-extended or zero tail, so vdev_id 0 is unknown */
    num = 1;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                             sizeof(*inv) + 1, &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 1, &num));
    {
        uint8_t raw[16] = { 0 };

        raw[4] = 0x99;
        raw[15] = 1;
        num = 1;
        EXPECT_ERR(E2BIG, stc_viommu_invalidate(s.fd, s.viommu, raw,
                                                IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 16, &num));
        cr_assert_eq(num, 0);
    }
    /* flags, data_uptr, entry_len, cache_id */
    inv[0].flags = 0xffffffff;
    inv[0].vdev_id = 0x99;
    num = 1;
    EXPECT_ERR(EOPNOTSUPP, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                                 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                                 sizeof(*inv), &num));
    cr_assert_eq(num, 0);
    inv[0].flags = 0;
    num = 1;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, NULL,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                             sizeof(*inv), &num));
    num = 1;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 0, &num));
    inv[0].cache_id = MOCK_DEV_CACHE_ID_MAX + 1;
    num = 1;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                             sizeof(*inv), &num));
    cr_assert_eq(num, 0);
    num = 1;
    EXPECT_ERR(EFAULT, stc_viommu_invalidate(s.fd, s.viommu, (void *)8,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                             sizeof(*inv), &num));

    /* the first entry works, the second names an unknown virt_id */
    inv[0].cache_id = 0;
    inv[1].vdev_id = 0x77;
    inv[1].cache_id = 1;
    num = 2;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.viommu, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                             sizeof(*inv), &num));
    cr_assert_eq(num, 1);
    EXPECT_OK(stc_check_cache(s.fd, s.idev, 0, 0));
    EXPECT_OK(stc_check_cache(s.fd, s.idev, 1, IOMMU_TEST_DEV_CACHE_DEFAULT));
    /* two good entries */
    inv[1].vdev_id = 0x99;
    inv[1].cache_id = 2;
    num = 2;
    EXPECT_OK(stc_viommu_invalidate(s.fd, s.viommu, inv, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                    sizeof(*inv), &num));
    cr_assert_eq(num, 2);
    EXPECT_OK(stc_check_cache(s.fd, s.idev, 2, 0));
    EXPECT_OK(stc_check_cache(s.fd, s.idev, 3, IOMMU_TEST_DEV_CACHE_DEFAULT));
    /* FLAG_ALL ignores cache_id (but it is still range-checked) */
    inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
    inv[0].cache_id = 3;
    num = 1;
    EXPECT_OK(stc_viommu_invalidate(s.fd, s.viommu, inv, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                    sizeof(*inv), &num));
    for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++)
        EXPECT_OK(stc_check_cache(s.fd, s.idev, i, 0));
    /* a paging HWPT is EINVAL */
    num = 0;
    EXPECT_ERR(EINVAL, stc_viommu_invalidate(s.fd, s.parent, inv,
                                             IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
                                             sizeof(*inv), &num));
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}

Test(st_c_hw_queue, rules)
{
    struct stc s;
    uint64_t iova = MOCK_APERTURE_START, pg = (uint64_t)sysconf(_SC_PAGESIZE);
    uint32_t q[2] = { 0 }, x = 0;
    void *buf = st_alloc_aligned(2 * pg, pg);
    struct iommu_ioas_unmap um = { .size = sizeof(um), .iova = MOCK_APERTURE_START,
                                   .length = pg };

    stc_setup(&s, true);
    um.ioas_id = s.ioas;
    EXPECT_ERR(EOPNOTSUPP, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_DEFAULT, 0,
                                              iova, pg, &x));
    EXPECT_ERR(EINVAL, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova,
                                          0, &x));
    EXPECT_ERR(EOVERFLOW, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                             ~0ull, pg, &x));
    EXPECT_ERR(ENOENT, stc_hw_queue_alloc(s.fd, 999, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, pg,
                                          &x));
    EXPECT_ERR(EOPNOTSUPP, stc_hw_queue_alloc(s.fd, s.viommu, 0x1234, 0, iova, pg, &x));
    /* not mapped */
    EXPECT_ERR(ENOENT, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova,
                                          pg, &x));
    EXPECT_OK(st_map(s.fd, s.ioas, buf, pg, iova));
    /* partly mapped */
    EXPECT_ERR(ENOENT, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova,
                                          2 * pg, &x));
    EXPECT_ERR(EIO, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 1, iova, pg,
                                       &x));
    EXPECT_ERR(EINVAL, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
                                          IOMMU_TEST_HW_QUEUE_MAX, iova, pg, &x));
    EXPECT_OK(stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, pg,
                                 &q[0]));
    EXPECT_ERR(EEXIST, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova,
                                          pg, &x));
    /* the queue owns the IOVA */
    EXPECT_ERR(EBUSY, mockfd_ioctl(s.fd, IOMMU_IOAS_UNMAP, &um));
    EXPECT_OK(stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 1, iova + 16, 8,
                                 &q[1]));
    /* destroy order: q1 depends on q0; both hold the vIOMMU */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, q[0]));
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.viommu));
    EXPECT_OK(stc_destroy(s.fd, q[1]));
    EXPECT_ERR(EBUSY, mockfd_ioctl(s.fd, IOMMU_IOAS_UNMAP, &um));
    EXPECT_OK(stc_destroy(s.fd, q[0]));
    EXPECT_OK(mockfd_ioctl(s.fd, IOMMU_IOAS_UNMAP, &um));

    /* two areas: virtually contiguous is fine, a gap in VA is EFAULT */
    EXPECT_OK(st_map(s.fd, s.ioas, buf, pg, iova));
    EXPECT_OK(st_map(s.fd, s.ioas, (uint8_t *)buf + pg, pg, iova + pg));
    EXPECT_OK(stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, 2 * pg,
                                 &q[0]));
    EXPECT_OK(stc_destroy(s.fd, q[0]));
    um.length = 2 * pg;
    EXPECT_OK(mockfd_ioctl(s.fd, IOMMU_IOAS_UNMAP, &um));
    EXPECT_OK(st_map(s.fd, s.ioas, (uint8_t *)buf + pg, pg, iova));
    EXPECT_OK(st_map(s.fd, s.ioas, buf, pg, iova + pg));
    EXPECT_ERR(EFAULT, stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova,
                                          2 * pg, &x));
    /* a queue left at close is torn down with everything else */
    EXPECT_OK(stc_hw_queue_alloc(s.fd, s.viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, pg,
                                 &q[0]));
    mockfd_close(s.fd);
    munmap(buf, 2 * pg);
    ASSERT_NO_LEAKS();
}
