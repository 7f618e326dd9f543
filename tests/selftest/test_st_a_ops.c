/* Part A: IOMMU_TEST_CMD envelope, mock domains, MD_CHECK_*, ADD_RESERVED,
 * SET_TEMP_MEMORY_LIMIT, PASID ops, nested mock HWPT (iommufd.md §6). */
#include <fcntl.h>
#include <sys/mman.h>

#include "test_st_a_util.h"


Test(st_a_envelope, unknown_and_dmabuf_ops_are_eopnotsupp)
{
    int fd = mockfd_open();
    struct iommu_test_cmd c = { 0 };

    cr_assert_geq(fd, 0);
    EXPECT_ERR(EOPNOTSUPP, st_cmd(fd, 0, 0, &c));
    EXPECT_ERR(EOPNOTSUPP, st_cmd(fd, 25, 0, &c));
    EXPECT_ERR(EOPNOTSUPP, st_cmd(fd, IOMMU_TEST_OP_DMABUF_GET, 0, &c));
    EXPECT_ERR(EOPNOTSUPP, st_cmd(fd, 0xffffffffu, 0, &c));
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(st_a_envelope, temp_memory_limit)
{
    int fd = mockfd_open();
    struct iommu_test_cmd c = { .memory_limit = { .limit = 11 } };

    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0, &c));
    c.memory_limit.limit = 12;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0, &c));
    c.memory_limit.limit = 65536;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0, &c));
    mockfd_close(fd);
}

Test(st_a_mock_domain, ids_ranges_hw_info_destroy)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), stdev = 0, hwpt = 0, idev = 0, stdev2 = 0, hwpt2 = 0;
    struct iommu_iova_range r[4];
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 4,
                                        .allowed_iovas = (uintptr_t)r };
    struct iommu_test_hw_info info[2];
    struct iommu_hw_info hi = { .size = sizeof(hi), .data_len = sizeof(info),
                                .data_uptr = (uintptr_t)info };
    struct iommu_destroy d = { .size = sizeof(d) };

    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev, &hwpt, &idev));
    cr_assert(stdev && hwpt && idev && stdev != hwpt && hwpt != idev);
    /* the kernel allocates the SELFTEST object first, then binds, then the
     * auto domain */
    cr_assert_lt(stdev, idev);
    cr_assert_lt(idev, hwpt);
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
    cr_assert_eq(q.num_iovas, 1);
    cr_assert_eq(r[0].start, MOCK_APERTURE_START);
    cr_assert_eq(r[0].last, MOCK_APERTURE_LAST);
    cr_assert_eq(q.out_iova_alignment, MOCK_PAGE_SIZE);
    /* two mock domains on one IOAS share the auto HWPT (§6.2a) */
    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev2, &hwpt2, NULL));
    cr_assert_eq(hwpt2, hwpt);

    memset(info, 0xa5, sizeof(info));
    hi.dev_id = idev;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_GET_HW_INFO, &hi));
    cr_assert_eq(hi.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
    cr_assert_eq(hi.data_len, 8);
    cr_assert_eq(info[0].flags, 0);
    cr_assert_eq(info[0].test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
    cr_assert_eq(info[1].flags, 0);      /* zero-filled past the kernel length */
    cr_assert(hi.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
    cr_assert_eq(hi.out_max_pasid_log2, 0);

    /* the bound device is busy; the SELFTEST object unbinds it */
    d.id = idev;
    EXPECT_ERR(EBUSY, mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    d.id = hwpt;
    EXPECT_ERR(EBUSY, mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    d.id = stdev;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    d.id = idev;
    EXPECT_ERR(ENOENT, mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    d.id = stdev2;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    /* the auto domain went with its last device */
    d.id = hwpt;
    EXPECT_ERR(ENOENT, mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    d.id = ioas;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(st_a_mock_domain, errors)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), stdev = 0, hwpt = 0;
    struct iommu_test_cmd c = { 0 };

    EXPECT_ERR(ENOENT, st_mock_domain(fd, 1000, 0, NULL, NULL, NULL));
    /* HUGE_IOVA (2) left the mock with the iommupt conversion */
    EXPECT_ERR(EINVAL, st_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL, NULL, NULL));
    EXPECT_ERR(EINVAL, st_mock_domain(fd, ioas, 8, NULL, NULL, NULL));
    /* a failed MOCK_DOMAIN leaves no object: the next id is the IOAS + 1 */
    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev, &hwpt, NULL));
    cr_assert_eq(stdev, ioas + 1);
    /* replace: unknown stdev, not a stdev */
    c.mock_domain_replace.pt_id = ioas;
    EXPECT_ERR(ENOENT, st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, 999, &c));
    EXPECT_ERR(ENOENT, st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, ioas, &c));
    c.mock_domain_replace.pt_id = 999;
    EXPECT_ERR(ENOENT, st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c));
    c.mock_domain_replace.pt_id = stdev;
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c));
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(st_a_mock_domain, replace_to_new_ioas_and_hwpt)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), ioas2 = st_ioas(fd), stdev = 0, hwpt = 0, idev = 0, h2 = 0;
    struct iommu_test_cmd c = { 0 };

    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev, &hwpt, &idev));
    c.mock_domain_replace.pt_id = ioas2;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c));
    cr_assert_neq(c.mock_domain_replace.pt_id, ioas2);
    cr_assert_neq(c.mock_domain_replace.pt_id, hwpt);
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, 0, 0, NULL, 0, &h2));
    c.mock_domain_replace.pt_id = h2;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c));
    cr_assert_eq(c.mock_domain_replace.pt_id, h2);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(st_a_reserved, add_reserved)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd);
    void *buf = st_alloc_aligned(1 << 16, 4096);
    struct iommu_test_cmd c = { .add_reserved = { .start = 0x100000, .length = 0x10000 } };

    EXPECT_ERR(ENOENT, st_cmd(fd, IOMMU_TEST_OP_ADD_RESERVED, 999, &c));
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_ADD_RESERVED, ioas, &c));
    /* a fixed map into it is refused */
    EXPECT_ERR(EINVAL, st_map(fd, ioas, buf, 0x1000, 0x108000));
    EXPECT_OK(st_map(fd, ioas, buf, 0x1000, 0x200000));
    /* reserving over an area */
    c.add_reserved.start = 0x200000;
    c.add_reserved.length = 0x1000;
    EXPECT_ERR(EADDRINUSE, st_cmd(fd, IOMMU_TEST_OP_ADD_RESERVED, ioas, &c));
    mockfd_close(fd);
    munmap(buf, 1 << 16);
    ASSERT_NO_LEAKS();
}

Test(st_a_check, check_map_and_refs_anon)
{
    int fd = mockfd_open(), fd2;
    uint32_t ioas = st_ioas(fd), stdev = 0, hwpt = 0;
    const uint64_t len = 16 * 4096, iova = MOCK_APERTURE_START;
    uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    cr_assert_neq(buf, MAP_FAILED);
    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev, &hwpt, NULL));
    EXPECT_OK(st_check_refs(fd, buf, len, 0));
    EXPECT_OK(st_map(fd, ioas, buf, len, iova));
    EXPECT_OK(st_check_map(fd, hwpt, iova, buf, len));
    EXPECT_OK(st_check_map(fd, hwpt, iova + 2048, buf + 2048, 2048));
    EXPECT_OK(st_check_refs(fd, buf, len, 1));
    EXPECT_ERR(EIO, st_check_refs(fd, buf, len, 2));
    /* shifted by one mock page: every PTE maps something else */
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, iova, buf + 2048, 2048));
    /* unmapped IOVA */
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, iova + len, buf, 2048));
    /* alignment */
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, iova + 1, buf, 2048));
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, iova, buf, 1024));
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, iova, buf + 1, 2048));
    EXPECT_ERR(EINVAL, st_check_refs(fd, buf + 2048, 4096, 1));
    EXPECT_ERR(EINVAL, st_check_refs(fd, buf, 2048, 1));
    /* wrong object kinds */
    EXPECT_ERR(ENOENT, st_check_map(fd, ioas, iova, buf, 2048));
    EXPECT_ERR(ENOENT, st_check_map(fd, 999, iova, buf, 2048));
    /* an unmapped user address: get_user_pages_fast fails */
    EXPECT_ERR(EFAULT, st_check_refs(fd, (void *)4096, 4096, 0));
    EXPECT_ERR(EFAULT, st_check_map(fd, hwpt, iova, (void *)4096, 2048));
    /* a PROT_NONE page is no better (check_vma_flags: no VM_READ), also in
     * the middle of a range that starts on readable memory */
    {
        char *g = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);

        cr_assert_neq(g, MAP_FAILED);
        cr_assert_eq(mprotect(g + 4096, 4096, PROT_NONE), 0);
        EXPECT_OK(st_check_refs(fd, g, 4096, 0));
        EXPECT_ERR(EFAULT, st_check_refs(fd, g + 4096, 4096, 0));
        EXPECT_ERR(EFAULT, st_check_refs(fd, g, 3 * 4096, 0));
        EXPECT_ERR(EFAULT, st_check_map(fd, hwpt, iova, g + 4096, 2048));
        munmap(g, 3 * 4096);
    }
    /* closing the fd drops every pin (the selftest teardown) */
    mockfd_close(fd);
    fd2 = mockfd_open();
    EXPECT_OK(st_check_refs(fd2, buf, len, 0));
    mockfd_close(fd2);
    munmap(buf, len);
    ASSERT_NO_LEAKS();
}

Test(st_a_check, no_domain_no_pin)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), stdev = 0;
    const uint64_t len = 4 * 4096;
    uint8_t *buf = st_alloc_aligned(len, 4096);
    struct iommu_destroy d = { .size = sizeof(d) };

    EXPECT_OK(st_map(fd, ioas, buf, len, MOCK_APERTURE_START));
    EXPECT_OK(st_check_refs(fd, buf, len, 0));
    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev, NULL, NULL));
    EXPECT_OK(st_check_refs(fd, buf, len, 1));
    d.id = stdev;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    EXPECT_OK(st_check_refs(fd, buf, len, 0));
    mockfd_close(fd);
    munmap(buf, len);
    ASSERT_NO_LEAKS();
}

Test(st_a_check, check_map_memfd_shared)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), hwpt = 0;
    const uint64_t len = 8 * 4096, iova = MOCK_APERTURE_START;
    int mfd = memfd_create("st_a", 0);
    uint8_t *a, *b, *priv;

    cr_assert_geq(mfd, 0);
    cr_assert_eq(ftruncate(mfd, (off_t)len), 0);
    a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    priv = st_alloc_aligned(len, 4096);
    cr_assert(a != MAP_FAILED && b != MAP_FAILED);
    EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, &hwpt, NULL));
    EXPECT_OK(st_map(fd, ioas, a, len, iova));
    /* another mapping of the same memfd pages is the same physical memory */
    EXPECT_OK(st_check_map(fd, hwpt, iova, b, len));
    EXPECT_OK(st_check_map(fd, hwpt, iova, a, len));
    /* the same file pages at another offset, or other memory, are not */
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, iova, b + 4096, 4096));
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, iova, priv, 4096));
    /* the pin is on the page, whichever VA asks */
    EXPECT_OK(st_check_refs(fd, b, len, 1));
    EXPECT_OK(st_check_refs(fd, a, len, 1));
    EXPECT_OK(st_check_refs(fd, priv, len, 0));
    mockfd_close(fd);
    munmap(a, len);
    munmap(b, len);
    munmap(priv, len);
    close(mfd);
    ASSERT_NO_LEAKS();
}

Test(st_a_pasid, attach_replace_detach_check)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), stdev = 0, stdev_np = 0, idev = 0, h1 = 0, h2 = 0, hw = 0;
    struct iommu_test_cmd c = { 0 };
    struct iommu_hw_info hi = { .size = sizeof(hi) };

    EXPECT_OK(st_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_PASID, &stdev, &hw, &idev));
    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev_np, NULL, NULL));
    hi.dev_id = idev;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_GET_HW_INFO, &hi));
    cr_assert_eq(hi.out_max_pasid_log2, MOCK_PASID_WIDTH);
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0, NULL, 0, &h1));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0, NULL, 0, &h2));

    /* the RID must sit on a PASID-compatible HWPT (iommufd_hwpt_pasid_compat) */
    c.mock_domain_replace.pt_id = h1;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c));
    memset(&c, 0, sizeof(c));
    c.pasid_check.pasid = 100;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));   /* none */
    c.pasid_attach.pasid = 100;
    c.pasid_attach.pt_id = h1;
    EXPECT_ERR(ENOENT, st_cmd(fd, IOMMU_TEST_OP_PASID_ATTACH, 999, &c));
    /* a device without PASID support */
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev_np, &c));
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, &c));
    c.pasid_check.pasid = 100;
    c.pasid_check.hwpt_id = h1;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));
    c.pasid_check.hwpt_id = h2;
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));
    c.pasid_check.hwpt_id = 0;
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));
    c.pasid_check.hwpt_id = 999;
    EXPECT_ERR(ENOENT, st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));
    /* attaching an attached pasid elsewhere */
    c.pasid_attach.pasid = 100;
    c.pasid_attach.pt_id = h2;
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, &c));
    /* replace */
    c.pasid_replace.pasid = 100;
    c.pasid_replace.pt_id = h2;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, &c));
    c.pasid_check.pasid = 100;
    c.pasid_check.hwpt_id = h2;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));
    /* replace of nothing */
    c.pasid_replace.pasid = 200;
    c.pasid_replace.pt_id = h1;
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, &c));
    /* the reserved pasid: attach works, replace fails in the mock */
    c.pasid_attach.pasid = IOMMU_TEST_PASID_RESERVED;
    c.pasid_attach.pt_id = h1;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, &c));
    c.pasid_replace.pasid = IOMMU_TEST_PASID_RESERVED;
    c.pasid_replace.pt_id = h2;
    EXPECT_ERR(ENOMEM, st_cmd(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, &c));
    c.pasid_check.pasid = IOMMU_TEST_PASID_RESERVED;
    c.pasid_check.hwpt_id = h1;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));
    /* detach */
    c.pasid_detach.pasid = 100;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_DETACH, stdev, &c));
    c.pasid_check.pasid = 100;
    c.pasid_check.hwpt_id = 0;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, &c));
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(st_a_nested, alloc_check_iotlb_invalidate)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd), idev = 0, parent = 0, auto_hwpt = 0, nested = 0;
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    struct iommu_hwpt_invalidate_selftest inv[2] = { { .flags = 0, .iotlb_id = 1 },
                                                      { .flags = 0, .iotlb_id = 4 } };
    struct iommu_hwpt_invalidate ic = { .size = sizeof(ic), .data_uptr = (uintptr_t)inv,
                                        .data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                        .entry_len = sizeof(inv[0]), .entry_num = 2 };
    struct iommu_test_cmd c = { 0 };
    uint8_t big[16] = { 0 };

    EXPECT_OK(st_mock_domain(fd, ioas, 0, NULL, &auto_hwpt, &idev));
    EXPECT_OK(st_hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &parent));
    /* an auto domain is no parent; a plain HWPT neither */
    EXPECT_ERR(EINVAL, st_hwpt_alloc(fd, idev, auto_hwpt, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
                                     sizeof(data), &nested));
    EXPECT_ERR(EOPNOTSUPP, st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_NONE, NULL, 0,
                                         &nested));
    EXPECT_ERR(EOPNOTSUPP, st_hwpt_alloc(fd, idev, parent, 0, 0x1234, &data, sizeof(data),
                                         &nested));
    EXPECT_ERR(EINVAL, st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, 2,
                                     &nested));
    /* __iommu_copy_struct_from_user: longer than the kernel struct is
     * EINVAL whatever the tail holds (include/linux/iommu.h) */
    big[12] = 1;
    EXPECT_ERR(EINVAL, st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, big,
                                    sizeof(big), &nested));
    EXPECT_OK(st_hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
                            &nested));
    for (uint32_t i = 0; i < 4; i++) {
        c.check_iotlb.id = i;
        c.check_iotlb.iotlb = IOMMU_TEST_IOTLB_DEFAULT;
        EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, &c));
    }
    c.check_iotlb.id = 4;
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, &c));
    c.check_iotlb.id = 0;
    c.check_iotlb.iotlb = 0;
    EXPECT_ERR(EINVAL, st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, &c));
    EXPECT_ERR(ENOENT, st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, parent, &c));

    /* the second entry fails: one handled, slot 1 cleared */
    ic.hwpt_id = nested;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &ic));
    cr_assert_eq(ic.entry_num, 1);
    c.check_iotlb.id = 1;
    c.check_iotlb.iotlb = 0;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, &c));
    /* unknown flag, wrong type, probe with zero entries */
    inv[0].flags = 2;
    ic.entry_num = 1;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &ic));
    cr_assert_eq(ic.entry_num, 0);
    ic.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID;
    ic.entry_num = 0;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &ic));
    ic.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &ic));
    /* FLAG_ALL */
    inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
    inv[0].iotlb_id = 77;
    ic.entry_num = 1;
    /* the kernel mock range-checks iotlb_id even with FLAG_ALL */
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &ic));
    inv[0].iotlb_id = 3;
    ic.entry_num = 1;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &ic));
    cr_assert_eq(ic.entry_num, 1);
    for (uint32_t i = 0; i < 4; i++) {
        c.check_iotlb.id = i;
        c.check_iotlb.iotlb = 0;
        EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, &c));
    }
    /* the parent is busy while the nested HWPT lives */
    {
        struct iommu_destroy d = { .size = sizeof(d), .id = parent };

        EXPECT_ERR(EBUSY, mockfd_ioctl(fd, IOMMU_DESTROY, &d));
        d.id = nested;
        EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
        d.id = parent;
        EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    }
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

/* MOCKFD_SELFTEST_BACKEND: the mock device sits behind an emulated IOMMU,
 * so the mock-specific constants no longer hold (docs/selftest.md). */
Test(st_a_backend, vtd_backend_real_domain)
{
    int fd;
    uint32_t ioas, stdev = 0, hwpt = 0, idev = 0;
    struct iommu_hw_info hi = { .size = sizeof(hi) };
    struct iommu_test_cmd c = { 0 };
    uint64_t align = 0;
    const uint64_t len = 4 * 4096;
    uint8_t *buf = st_alloc_aligned(len, 4096);

    setenv("MOCKFD_SELFTEST_BACKEND", "vtd", 1);
    fd = mockfd_open();
    ioas = st_ioas(fd);
    EXPECT_OK(st_mock_domain(fd, ioas, 0, &stdev, &hwpt, &idev));
    EXPECT_ERR(EINVAL, st_mock_domain(fd, ioas, 8, NULL, NULL, NULL));
    hi.dev_id = idev;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_GET_HW_INFO, &hi));
    cr_assert_eq(hi.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
    {
        struct iommu_iova_range r[8];
        struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 8,
                                            .allowed_iovas = (uintptr_t)r };

        EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
        align = q.out_iova_alignment;
        cr_assert_eq(align, 4096);
        cr_assert_eq(r[0].start, 0);
    }
    EXPECT_OK(st_map(fd, ioas, buf, len, 0x100000));
    EXPECT_OK(st_check_refs(fd, buf, len, 1));
    /* not a mock page table */
    EXPECT_ERR(EINVAL, st_check_map(fd, hwpt, 0x100000, buf, len));
    c.mock_domain_replace.pt_id = ioas;
    EXPECT_OK(st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c));
    mockfd_close(fd);
    unsetenv("MOCKFD_SELFTEST_BACKEND");
    munmap(buf, len);
}
