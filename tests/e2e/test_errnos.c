/* Every errno of iommufd.md §4.10-§4.13 in the kernel's check order, the
 * hw_info data_len sweep, and the VFIO cdev ABI. */
#include <unistd.h>

/* ALLOC() overrides its defaults with designated initializers on purpose */
#pragma GCC diagnostic ignored "-Woverride-init"

#include "e2e_util.h"

E2E_TEST(hwpt_alloc_errnos)
{
    struct e2e e;
    struct iommu_hwpt_alloc a;
    uint64_t data[4] = { 0 };
    uint32_t hwpt;

    e2e_setup(&e, m);
#define ALLOC(...) (a = (struct iommu_hwpt_alloc){ .size = sizeof(a), .dev_id = e.dev_id, \
                    .pt_id = e.ioas, __VA_ARGS__ }, e2e_ioctl(e.fd, IOMMU_HWPT_ALLOC, &a))
    /* 1: __reserved beats everything else */
    cr_assert_eq(ALLOC(.__reserved = 1, .dev_id = 999, .data_len = 4), -EOPNOTSUPP);
    /* 2: data_type/data_len pairing, both halves (7adc0c1cfa77) */
    cr_assert_eq(ALLOC(.data_len = 8, .data_uptr = (uintptr_t)data, .dev_id = 999), -EINVAL);
    cr_assert_eq(ALLOC(.data_type = IOMMU_HWPT_DATA_VTD_S1, .dev_id = 999), -EINVAL);
    /* 3: dev_id (a non-device id too), 4: pt_id lookup is EINVAL */
    cr_assert_eq(ALLOC(.dev_id = 999, .pt_id = 999), -ENOENT);
    cr_assert_eq(ALLOC(.dev_id = e.ioas), -ENOENT);
    cr_assert_eq(ALLOC(.pt_id = 999, .flags = 0xffff), -EINVAL);
    cr_assert_eq(ALLOC(.pt_id = e.dev_id), -EINVAL);
    /* 5: paging flags */
    cr_assert_eq(ALLOC(.flags = 1u << 7), -EOPNOTSUPP);
    cr_assert_eq(ALLOC(.flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_NEST_PARENT),
                 -EOPNOTSUPP);
    cr_assert_eq(ALLOC(.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING), m->dirty ? 0 : -EOPNOTSUPP);
    if (m->dirty)
        cr_assert_eq(e2e_destroy(&e, a.out_hwpt_id), 0);
    /* a nesting parent needs hardware nesting: VT-d ECAP.NEST, AMD GT/GIoSup/
     * GCR3TRPMode (none in these profiles), SMMUv3 S1+S2 (yes) */
    cr_assert_eq(ALLOC(.flags = IOMMU_HWPT_ALLOC_NEST_PARENT), m->nest_parent_rc);
    if (!m->nest_parent_rc) {
        uint32_t parent = a.out_hwpt_id;

        /* a valid parent, but the hardware drivers have no
         * domain_alloc_nested: -EOPNOTSUPP after the parent checks */
        cr_assert_eq(ALLOC(.pt_id = parent, .data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
                           .data_len = 16, .data_uptr = (uintptr_t)data), -EOPNOTSUPP);
        cr_assert_eq(e2e_destroy(&e, parent), 0);
    }
    /* driver data is not accepted for a VT-d paging domain */
    cr_assert_eq(ALLOC(.data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = 24,
                       .data_uptr = (uintptr_t)data), -EOPNOTSUPP);
    /* 6: FAULT_ID_VALID with no such FAULT object */
    cr_assert_eq(ALLOC(.flags = IOMMU_HWPT_FAULT_ID_VALID, .fault_id = 999), -ENOENT);
    cr_assert_eq(ALLOC(.flags = IOMMU_HWPT_FAULT_ID_VALID, .fault_id = e.ioas), -ENOENT);
    /* __reserved2 and fault_id without the flag are ignored */
    cr_assert_eq(ALLOC(.__reserved2 = 7, .fault_id = 1234), 0);
    hwpt = a.out_hwpt_id;
    /* nested on a paging parent: flags/data first, then the parent */
    cr_assert_eq(ALLOC(.pt_id = hwpt), -EOPNOTSUPP);
    cr_assert_eq(ALLOC(.pt_id = hwpt, .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                       .data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = 24,
                       .data_uptr = (uintptr_t)data), -EOPNOTSUPP);
    cr_assert_eq(ALLOC(.pt_id = hwpt, .data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = 24,
                       .data_uptr = (uintptr_t)data), -EINVAL, "parent is not NEST_PARENT");
    /* a failed alloc leaves no ID behind: the next one reuses the lowest */
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    cr_assert_eq(ALLOC(), 0);
    cr_assert_eq(a.out_hwpt_id, hwpt);
    /* short struct (min 24): the tail reads as zero */
    a = (struct iommu_hwpt_alloc){ .size = 24, .dev_id = e.dev_id, .pt_id = e.ioas };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_HWPT_ALLOC, &a), 0);
    a.size = 20;
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_HWPT_ALLOC, &a), -EINVAL);
#undef ALLOC
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

E2E_TEST(hw_info_sweep)
{
    static const uint32_t lens[] = { 0, 1, 4, 8, 16, 23, 24, 25, 32, 64, 4096 };
    struct e2e e;
    struct iommu_hw_info h;
    uint8_t *buf = e2e_buf(8192, 4096);
    size_t i, j;

    e2e_setup(&e, m);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        memset(buf, 0xcc, 8192);
        h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = e.dev_id,
                                    .data_len = lens[i], .data_uptr = (uintptr_t)buf };
        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), 0);
        cr_assert_eq(h.out_data_type, m->hw_info_type);
        cr_assert_eq(h.data_len, m->hw_info_len, "data_len is the native length");
        cr_assert_eq(!!(h.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING), m->dirty);
        cr_assert_eq(h.out_max_pasid_log2, m->max_pasid_log2);
        for (j = 0; j < 8192; j++) {
            if (j >= lens[i])
                cr_assert_eq(buf[j], 0xcc, "byte %zu past data_len %u touched", j, lens[i]);
            else if (j >= m->hw_info_len)
                cr_assert_eq(buf[j], 0, "byte %zu not zero-filled", j);
        }
        if (lens[i] >= 24 && m->hw_info_type == IOMMU_HW_INFO_TYPE_INTEL_VTD) {
            struct iommu_hw_info_vtd v;

            memcpy(&v, buf, sizeof(v));
            cr_assert_eq(v.flags, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
            cr_assert_eq(!!(v.ecap_reg & (1ull << 45)), m->dirty, "raw ECAP.SSADS");
        }
    }
    /* data_len 0: the pointer is not touched */
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = e.dev_id, .data_uptr = 8 };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), 0);
    /* bad pointer with a length */
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = e.dev_id, .data_len = 8,
                                .data_uptr = 8 };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), -EFAULT);
    /* errnos in order: flags, __reserved, dev_id, requested type */
    h = (struct iommu_hw_info){ .size = sizeof(h), .flags = 2, .dev_id = 999 };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = 999, .__reserved = { 0, 1, 0 } };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = 999 };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), -ENOENT);
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = e.ioas };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), -ENOENT);
    /* without INPUT_TYPE a garbage in_data_type is ignored */
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = e.dev_id, .in_data_type = 77 };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), 0);
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = e.dev_id, .in_data_type = 77,
                                .flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
    h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = e.dev_id,
                                .in_data_type = m->hw_info_type,
                                .flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &h), 0);
    /* an old 32-byte caller gets no capabilities word written */
    {
        uint8_t raw[40];

        memset(raw, 0xee, sizeof(raw));
        h = (struct iommu_hw_info){ .size = 32, .dev_id = e.dev_id };
        memcpy(raw, &h, 32);
        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, raw), 0);
        cr_assert_eq(raw[32], 0xee);
    }
    e2e_teardown(&e);
    munmap(buf, 8192);
    ASSERT_NO_LEAKS();
}

E2E_TEST(dirty_errnos)
{
    struct e2e e;
    struct iommu_hwpt_set_dirty_tracking s;
    uint8_t *buf = e2e_buf(16 * 4096, 4096);
    uint64_t bm[2] = { 0 };
    uint32_t plain = 0, dirty = 0;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 16 * 4096, 0x40000), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &plain), 0);
    /* SET_DIRTY_TRACKING §4.12 */
    s = (struct iommu_hwpt_set_dirty_tracking){ .size = sizeof(s), .flags = 2, .hwpt_id = 999 };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -EOPNOTSUPP);
    cr_assert_eq(e2e_set_dirty(&e, 999, true), -ENOENT);
    cr_assert_eq(e2e_set_dirty(&e, e.ioas, true), -ENOENT);
    cr_assert_eq(e2e_set_dirty(&e, plain, true), -EOPNOTSUPP);
    s = (struct iommu_hwpt_set_dirty_tracking){ .size = sizeof(s), .hwpt_id = plain,
                                                .__reserved = 5 };
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -EOPNOTSUPP,
                 "__reserved unchecked; the domain has no dirty ops");
    /* GET_DIRTY_BITMAP §4.13, in order */
    cr_assert_eq(e2e_get_dirty(&e, 999, 1, 0, 0, NULL, 2), -EOPNOTSUPP);
    {
        struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = 999,
                                                 .__reserved = 1 };

        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
    }
    cr_assert_eq(e2e_get_dirty(&e, 999, 0x40000, 4096, 4096, bm, 0), -ENOENT);
    cr_assert_eq(e2e_get_dirty(&e, e.ioas, 0x40000, 4096, 4096, bm, 0), -ENOENT);
    cr_assert_eq(e2e_get_dirty(&e, plain, UINT64_MAX - 4095, 8192, 4096, bm, 0), -EOVERFLOW);
    /* length 0 is EINVAL even with iova != 0, where iova + length - 1 would
     * wrap: measured on 6.12.117 (tests/golden/kernel-6.12/14_dirty.out,
     * call 19), which the mock follows (hwpt.c) */
    cr_assert_eq(e2e_get_dirty(&e, plain, 0x40000, 0, 4096, bm, 0), -EINVAL);
    cr_assert_eq(e2e_get_dirty(&e, plain, 0x40000, 4096, 0, bm, 0), -EINVAL);
    cr_assert_eq(e2e_get_dirty(&e, plain, 0x40000, 4096, 8192, bm, 0), -EINVAL);
    cr_assert_eq(e2e_get_dirty(&e, plain, 0x40000, 4096 * 3, 8192, bm, 0), -EINVAL);
    cr_assert_eq(e2e_get_dirty(&e, plain, 0x40000, 4096, 4096, bm, 0), -EOPNOTSUPP);
    /* once a domain is attached the IOAS alignment is 4 KiB */
    {
        uint32_t pt = plain;

        cr_assert_eq(e2e_attach(&e, &pt), 0);
        cr_assert_eq(e2e_get_dirty(&e, plain, 0x40800, 4096, 2048, bm, 0), -EINVAL);
        cr_assert_eq(e2e_detach(&e), 0);
    }
    if (m->dirty) {
        cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &dirty), 0);
        cr_assert_eq(e2e_get_dirty(&e, dirty, 0x40000, 16 * 4096, 4096, bm, 0), 0);
        cr_assert_eq(e2e_set_dirty(&e, dirty, true), 0);
        cr_assert_eq(e2e_set_dirty(&e, dirty, true), 0, "idempotent");
    }
    e2e_teardown(&e);
    munmap(buf, 16 * 4096);
    ASSERT_NO_LEAKS();
}

E2E_TEST(vfio_cdev_abi)
{
    struct e2e e;
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };
    struct vfio_device_info info = { .argsz = sizeof(info) };
    int dfd, dfd2, fd, pipefd[2];
    uint32_t pt;

    e2e_setup(&e, m);
    fd = e.fd;
    dfd = mockfd_device_open(e.dev);
    cr_assert_geq(dfd, 0);
    /* before BIND every other ioctl is -EINVAL */
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, NULL), -EFAULT);
    bind = (struct vfio_device_bind_iommufd){ .argsz = 12, .iommufd = fd };
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EINVAL);
    bind = (struct vfio_device_bind_iommufd){ .argsz = 16, .iommufd = fd, .flags = 2 };
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EINVAL);
    bind = (struct vfio_device_bind_iommufd){ .argsz = 16, .iommufd = -1 };
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EINVAL);
    cr_assert_eq(pipe(pipefd), 0);
    bind = (struct vfio_device_bind_iommufd){ .argsz = 16, .iommufd = pipefd[0] };
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EBADF);
    bind.iommufd = e.dfd;   /* a mock fd that is not an iommufd */
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EBADFD);
    /* the device is already bound through e.dfd */
    bind.iommufd = fd;
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EINVAL);
    /* binding the same file twice */
    bind = (struct vfio_device_bind_iommufd){ .argsz = 16, .iommufd = fd };
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EINVAL);
    /* GET_INFO */
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_GET_INFO, &info), 0);
    cr_assert(info.flags & VFIO_DEVICE_FLAGS_PCI);
    cr_assert_eq(info.num_regions, 9);
    info.argsz = 8;
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
    cr_assert_eq(e2e_ioctl(e.dfd, 0x3b00 | 99, &info), -ENOTTY);
    /* ATTACH / DETACH argsz and flags */
    at = (struct vfio_device_attach_iommufd_pt){ .argsz = 8, .pt_id = e.ioas };
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
    at = (struct vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = e.ioas, .flags = 2 };
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
    at = (struct vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = e.ioas,
                                                 .flags = VFIO_DEVICE_ATTACH_PASID };
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
    at = (struct vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = e.ioas };
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
    cr_assert_neq(at.pt_id, e.ioas);
    de = (struct vfio_device_detach_iommufd_pt){ .argsz = 4 };
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), -EINVAL);
    de = (struct vfio_device_detach_iommufd_pt){ .argsz = 8, .flags = 4 };
    cr_assert_eq(e2e_ioctl(e.dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), -EINVAL);
    /* close the iommufd first: the bound device keeps it alive */
    pt = at.pt_id;
    cr_assert_eq(mockfd_close(e.fd), 0);
    cr_assert_eq(mockfd_close(e.dfd), 0);
    /* the device is free again: bind it through the other fd to a new ctx */
    fd = mockfd_open();
    bind = (struct vfio_device_bind_iommufd){ .argsz = 16, .iommufd = fd };
    cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
    (void)pt;
    cr_assert_eq(mockfd_close(dfd), 0);
    cr_assert_eq(mockfd_close(fd), 0);
    dfd2 = mockfd_device_open(99);
    cr_assert_eq(dfd2, -1);
    close(pipefd[0]);
    close(pipefd[1]);
    ASSERT_NO_LEAKS();
}

/* The platform API and MOCKFD_PLATFORM grammar. */
Test(e2e_platform, add_errors)
{
    cr_assert_eq(mockfd_platform_add_iommu("nosuch"), -1);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mockfd_platform_add_iommu("vtd:nosuchprofile"), -1);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mockfd_platform_add_iommu("vtd"), 0);
    cr_assert_eq(mockfd_platform_add_device(1, 0x10), -1);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mockfd_platform_add_device(0, 0x10000), -1);
    cr_assert_eq(mockfd_platform_add_device(0, 0x10), 0);
    cr_assert_eq(mockfd_platform_add_device(0, 0x10), -1);
    cr_assert_eq(errno, EEXIST);
    cr_assert_eq(mockfd_platform_add_device(0, 0x11), 1);
}

Test(e2e_platform, env_grammar)
{
    int d;

    setenv("MOCKFD_PLATFORM", "vtd:nodirty:0x10,0x18;vtd:0x20", 1);
    d = mockfd_device_open(2);
    cr_assert_geq(d, 0, "third device exists");
    cr_assert_eq(mockfd_close(d), 0);
    cr_assert_eq(mockfd_device_open(3), -1);
    cr_assert_eq(mockfd_platform_add_device(1, 0x20), -1, "vtd:0x20 is IOMMU 1");
    cr_assert_eq(errno, EEXIST);
    cr_assert_eq(mockfd_platform_add_device(0, 0x18), -1);
    cr_assert_eq(mockfd_platform_add_device(2, 0x18), -1);
    cr_assert_eq(errno, EINVAL, "only two IOMMUs");
}

Test(e2e_platform, env_default)
{
    int d;

    unsetenv("MOCKFD_PLATFORM");
    d = mockfd_device_open(0);
    cr_assert_geq(d, 0);
    cr_assert_eq(mockfd_close(d), 0);
    cr_assert_eq(mockfd_device_open(1), -1);
    cr_assert_eq(mockfd_platform_add_device(0, 0x10), -1);
    cr_assert_eq(errno, EEXIST, "default device is 0x10 on VT-d 0");
}
