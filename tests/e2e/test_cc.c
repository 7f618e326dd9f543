/* VFIO_CHECK_EXTENSION(VFIO_DMA_CC_IOMMU) on the iommufd (iommufd.md §4.9;
 * the kernel's iommufd_vfio_cc_iommu): 1 only when every paging domain of
 * the compat IOAS enforces cache coherency, which each driver decides as
 * Linux does (mfd_domain.enforce_cache_coherency). */
#include "e2e_util.h"
#include "tests/common/platform_util.h"

static int vfio_ioas_set(struct e2e *e, uint32_t id)
{
    struct iommu_vfio_ioas v = { .size = sizeof(v), .ioas_id = id, .op = IOMMU_VFIO_IOAS_SET };

    return e2e_ioctl(e->fd, IOMMU_VFIO_IOAS, &v);
}

static int cc_iommu(struct e2e *e)
{
    int rc = mockfd_ioctl(e->fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_DMA_CC_IOMMU);

    return rc < 0 ? -errno : rc;
}

E2E_TEST(vfio_cc_iommu)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(4 * 4096, 4096), v = 0x3c;
    uint32_t pt, h = 0;

    e2e_setup(&e, m);
    cr_assert_eq(cc_iommu(&e), -ENODEV, "no compat IOAS");
    cr_assert_eq(vfio_ioas_set(&e, e.ioas), 0);
    cr_assert_eq(cc_iommu(&e), 1, "no domain: nothing breaks coherency");
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4 * 4096, 0x100000), 0);
    pt = e.ioas;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(cc_iommu(&e), m->enforce_cc);
    /* the hardware accepts what the driver programmed for it (VT-d: SNP in
     * the leaves, legal with ECAP.SC only) */
    cr_assert_eq(e2e_dma(&e, 0x100000 + 4096 + 5, &v, 1, true), 0);
    cr_assert_eq(buf[4096 + 5], 0x3c);
    /* a second, unattached HWPT on the IOAS counts too */
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &h), 0);
    cr_assert_eq(cc_iommu(&e), m->enforce_cc);
    cr_assert_eq(e2e_destroy(&e, h), 0);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(cc_iommu(&e), 1, "the auto domain went with the detach");
    e2e_teardown(&e);
    munmap(buf, 4 * 4096);
    ASSERT_NO_LEAKS();
}

/* Two IOMMUs on one compat IOAS: a coherent VT-d (ECAP.SC) and QEMU's
 * VT-d without snoop control: one non-enforcing domain makes it 0. */
Test(e2e_cc, mixed_domains)
{
    struct e2e e;
    int dfd2;
    uint32_t pt;

    e2e_setup(&e, &e2e_vtd);
    dfd2 = t_bind_on_new_iommu("vtd:qemu", 0x20, e.fd, NULL, NULL);
    cr_assert_eq(vfio_ioas_set(&e, e.ioas), 0);
    pt = e.ioas;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(cc_iommu(&e), 1);
    {
        struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = e.ioas };

        cr_assert_eq(e2e_ioctl(dfd2, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
        cr_assert_neq(at.pt_id, pt, "another IOMMU: its own auto domain");
    }
    cr_assert_eq(cc_iommu(&e), 0);
    cr_assert_eq(mockfd_close(dfd2), 0);
    cr_assert_eq(cc_iommu(&e), 1, "the non-coherent domain died with its device");
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}
