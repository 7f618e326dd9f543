/*
 * The ioctl request numbers and ABI constants of uapi/, checked against
 * literal values from iommufd.md §1.1/§1.2/§6 and the upstream headers.
 * Struct layouts are checked at compile time inside the headers themselves.
 */
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <iommufd_test.h>

#include <criterion/criterion.h>

struct nr_case {
    const char *name;
    unsigned long value;
    unsigned long expect;
};

#define NR(n, v) { #n, (unsigned long)(n), (v) }

/* iommufd.md §1.2: _IO(';', 0x80 + n) = 0x3b00 | nr. */
static const struct nr_case iommufd_nrs[] = {
    NR(IOMMU_DESTROY, 0x3b80),
    NR(IOMMU_IOAS_ALLOC, 0x3b81),
    NR(IOMMU_IOAS_ALLOW_IOVAS, 0x3b82),
    NR(IOMMU_IOAS_COPY, 0x3b83),
    NR(IOMMU_IOAS_IOVA_RANGES, 0x3b84),
    NR(IOMMU_IOAS_MAP, 0x3b85),
    NR(IOMMU_IOAS_UNMAP, 0x3b86),
    NR(IOMMU_OPTION, 0x3b87),
    NR(IOMMU_VFIO_IOAS, 0x3b88),
    NR(IOMMU_HWPT_ALLOC, 0x3b89),
    NR(IOMMU_GET_HW_INFO, 0x3b8a),
    NR(IOMMU_HWPT_SET_DIRTY_TRACKING, 0x3b8b),
    NR(IOMMU_HWPT_GET_DIRTY_BITMAP, 0x3b8c),
    NR(IOMMU_HWPT_INVALIDATE, 0x3b8d),
    NR(IOMMU_FAULT_QUEUE_ALLOC, 0x3b8e),
    NR(IOMMU_IOAS_MAP_FILE, 0x3b8f),
    NR(IOMMU_VIOMMU_ALLOC, 0x3b90),
    NR(IOMMU_VDEVICE_ALLOC, 0x3b91),
    NR(IOMMU_IOAS_CHANGE_PROCESS, 0x3b92),
    NR(IOMMU_VEVENTQ_ALLOC, 0x3b93),
    NR(IOMMU_HW_QUEUE_ALLOC, 0x3b94),
    NR(IOMMU_TEST_CMD, 0x3ba0),
};

/* iommufd.md §1.1: VFIO shares the ';' type byte, VFIO_BASE = 100. */
static const struct nr_case vfio_nrs[] = {
    NR(VFIO_GET_API_VERSION, 0x3b64),
    NR(VFIO_CHECK_EXTENSION, 0x3b65),
    NR(VFIO_SET_IOMMU, 0x3b66),
    NR(VFIO_GROUP_GET_STATUS, 0x3b67),
    NR(VFIO_GROUP_SET_CONTAINER, 0x3b68),
    NR(VFIO_GROUP_UNSET_CONTAINER, 0x3b69),
    NR(VFIO_GROUP_GET_DEVICE_FD, 0x3b6a),
    NR(VFIO_DEVICE_GET_INFO, 0x3b6b),
    NR(VFIO_IOMMU_GET_INFO, 0x3b70),
    NR(VFIO_IOMMU_MAP_DMA, 0x3b71),
    NR(VFIO_IOMMU_UNMAP_DMA, 0x3b72),
    NR(VFIO_IOMMU_ENABLE, 0x3b73),
    NR(VFIO_IOMMU_DISABLE, 0x3b74),
    NR(VFIO_IOMMU_DIRTY_PAGES, 0x3b75),
    NR(VFIO_DEVICE_BIND_IOMMUFD, 0x3b76),
    NR(VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3b77),
    NR(VFIO_DEVICE_DETACH_IOMMUFD_PT, 0x3b78),
};

static void check_table(const struct nr_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(t[i].value, t[i].expect, "%s = %#lx, expected %#lx",
                     t[i].name, t[i].value, t[i].expect);
        /* _IO: no direction and no size bits (iommufd.md §1.1). */
        cr_expect_eq(_IOC_DIR(t[i].value), _IOC_NONE, "%s has direction bits",
                     t[i].name);
        cr_expect_eq(_IOC_SIZE(t[i].value), 0u, "%s has size bits", t[i].name);
        cr_expect_eq(_IOC_TYPE(t[i].value), (unsigned)';', "%s type byte",
                     t[i].name);
    }
}

Test(uapi_numbers, iommufd_ioctls)
{
    check_table(iommufd_nrs, sizeof(iommufd_nrs) / sizeof(iommufd_nrs[0]));
}

Test(uapi_numbers, vfio_ioctls)
{
    check_table(vfio_nrs, sizeof(vfio_nrs) / sizeof(vfio_nrs[0]));
}

Test(uapi_numbers, iommufd_cmd_enum_is_nr)
{
    /* The enum value is the ioctl nr, consecutive from IOMMUFD_CMD_BASE. */
    cr_expect_eq(IOMMUFD_CMD_BASE, 0x80);
    cr_expect_eq(IOMMUFD_TYPE, ';');
    cr_expect_eq(IOMMUFD_CMD_HW_QUEUE_ALLOC - IOMMUFD_CMD_DESTROY, 20);
    for (size_t i = 0; i + 1 < sizeof(iommufd_nrs) / sizeof(iommufd_nrs[0]); i++)
        cr_expect_eq(_IOC_NR(iommufd_nrs[i].value), IOMMUFD_CMD_BASE + i,
                     "%s nr", iommufd_nrs[i].name);
}

Test(uapi_constants, iommufd_enums)
{
    cr_expect_eq(IOMMU_IOAS_MAP_FIXED_IOVA, 1);
    cr_expect_eq(IOMMU_IOAS_MAP_WRITEABLE, 2);
    cr_expect_eq(IOMMU_IOAS_MAP_READABLE, 4);
    cr_expect_eq(IOMMU_OPTION_RLIMIT_MODE, 0);
    cr_expect_eq(IOMMU_OPTION_HUGE_PAGES, 1);
    cr_expect_eq(IOMMU_OPTION_OP_GET, 1);
    cr_expect_eq(IOMMU_VFIO_IOAS_CLEAR, 2);
    cr_expect_eq(IOMMU_HWPT_ALLOC_NEST_PARENT, 1);
    cr_expect_eq(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 2);
    cr_expect_eq(IOMMU_HWPT_FAULT_ID_VALID, 4);
    cr_expect_eq(IOMMU_HWPT_ALLOC_PASID, 8);
    cr_expect_eq(IOMMU_HWPT_DATA_NONE, 0);
    cr_expect_eq(IOMMU_HWPT_DATA_VTD_S1, 1);
    cr_expect_eq(IOMMU_HWPT_DATA_ARM_SMMUV3, 2);
    cr_expect_eq(IOMMU_HW_INFO_TYPE_NONE, 0);
    cr_expect_eq(IOMMU_HW_INFO_TYPE_DEFAULT, 0);
    cr_expect_eq(IOMMU_HW_INFO_TYPE_INTEL_VTD, 1);
    cr_expect_eq(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, 2);
    cr_expect_eq(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 3);
    cr_expect_eq(IOMMU_HW_INFO_TYPE_AMD, 4);
    cr_expect_eq(IOMMU_HW_CAP_DIRTY_TRACKING, 1);
    cr_expect_eq(IOMMU_HW_CAP_PCI_PASID_EXEC, 2);
    cr_expect_eq(IOMMU_HW_CAP_PCI_PASID_PRIV, 4);
    cr_expect_eq(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, 8);
    cr_expect_eq(IOMMU_HW_INFO_FLAG_INPUT_TYPE, 1);
    cr_expect_eq(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, 1);
    cr_expect_eq(IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI, 1);
    cr_expect_eq(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 1);
    cr_expect_eq(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 1);
    cr_expect_eq(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0);
    cr_expect_eq(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 1);
    cr_expect_eq(IOMMU_VTD_INV_FLAGS_LEAF, 1);
    cr_expect_eq(IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE | IOMMU_VTD_S1_WPE, 7);
    cr_expect_eq(IOMMU_PGFAULT_FLAGS_PASID_VALID, 1);
    cr_expect_eq(IOMMU_PGFAULT_FLAGS_LAST_PAGE, 2);
    cr_expect_eq(IOMMU_PGFAULT_PERM_PRIV, 8);
    cr_expect_eq(IOMMUFD_PAGE_RESP_INVALID, 1);
    cr_expect_eq(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 1);
    cr_expect_eq(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, 2);
    cr_expect_eq(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 1u);
    cr_expect_eq(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1);
    cr_expect_eq(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 2);
    cr_expect_eq(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 1);
}

Test(uapi_constants, vfio)
{
    cr_expect_eq(VFIO_API_VERSION, 0);
    cr_expect_eq(VFIO_TYPE1_IOMMU, 1);
    cr_expect_eq(VFIO_TYPE1v2_IOMMU, 3);
    cr_expect_eq(VFIO_DMA_CC_IOMMU, 4);
    cr_expect_eq(VFIO_NOIOMMU_IOMMU, 8);
    cr_expect_eq(VFIO_UNMAP_ALL, 9);
    cr_expect_eq(VFIO_UPDATE_VADDR, 10);
    cr_expect_eq(VFIO_IOMMU_INFO_PGSIZES, 1);
    cr_expect_eq(VFIO_IOMMU_INFO_CAPS, 2);
    cr_expect_eq(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
    cr_expect_eq(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 3);
    cr_expect_eq(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, 3);
    cr_expect_eq(VFIO_DMA_UNMAP_FLAG_ALL, 2);
    cr_expect_eq(VFIO_DEVICE_BIND_FLAG_TOKEN, 1);
    cr_expect_eq(VFIO_DEVICE_ATTACH_PASID, 1);
    cr_expect_eq(VFIO_DEVICE_DETACH_PASID, 1);
}

Test(uapi_constants, selftest)
{
    /* iommufd.md §6.2 op numbers, §6.3 constants. */
    cr_expect_eq(IOMMU_TEST_OP_ADD_RESERVED, 1);
    cr_expect_eq(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, 10);
    cr_expect_eq(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, 12);
    cr_expect_eq(IOMMU_TEST_OP_DIRTY, 13);
    cr_expect_eq(IOMMU_TEST_OP_TRIGGER_IOPF, 15);
    cr_expect_eq(IOMMU_TEST_OP_TRIGGER_VEVENT, 17);
    cr_expect_eq(IOMMU_TEST_OP_PASID_CHECK_HWPT, 21);
    cr_expect_eq(IOMMU_TEST_OP_MD_CHECK_DMABUF, 24);
    cr_expect_eq(MOCK_APERTURE_START, 1UL << 24);
    cr_expect_eq(MOCK_APERTURE_LAST, 0x7fffffffUL);
    cr_expect_eq(MOCK_PAGE_SIZE, 2048);
    cr_expect_eq(MOCK_HUGE_PAGE_SIZE, 1 << 20);
    cr_expect_eq(MOCK_FLAGS_DEVICE_NO_DIRTY, 1);
    cr_expect_eq(MOCK_FLAGS_DEVICE_PASID, 4);
    cr_expect_eq(MOCK_FLAGS_ACCESS_SYZ, 1 << 16);
    cr_expect_eq(MOCK_ACCESS_RW_SLOW_PATH, 4);
    cr_expect_eq(MOCK_PASID_WIDTH, 20);
    cr_expect_eq(IOMMU_TEST_PASID_RESERVED, 1024);
    cr_expect_eq(IOMMU_HW_INFO_TYPE_SELFTEST, 0xfeedbeefu);
    cr_expect_eq(IOMMU_HWPT_DATA_SELFTEST, 0xdead);
    cr_expect_eq(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, 0xdadbeef);
    cr_expect_eq(IOMMU_VEVENTQ_TYPE_SELFTEST, 0xbeefbeefu);
    cr_expect_eq(IOMMU_TEST_HW_QUEUE_MAX, 2);
    cr_expect_eq(IOMMU_TEST_IOTLB_DEFAULT, 0xbadbeef);
    cr_expect_eq(IOMMU_TEST_DEV_CACHE_DEFAULT, 0xbaddad);
}

Test(uapi_layout, min_sizes)
{
    /* The op-table minimum sizes of iommufd.md §1.2 must land on field ends,
     * so a shorter (older) struct ends exactly at a field boundary. */
    cr_expect_eq(offsetof(struct iommu_hwpt_alloc, __reserved) + 4, 24u);
    cr_expect_eq(offsetof(struct iommu_hw_info, __reserved) + 3, 32u);
    cr_expect_eq(offsetof(struct iommu_viommu_alloc, out_viommu_id) + 4, 24u);
    cr_expect_eq(offsetof(struct iommu_veventq_alloc, out_veventq_fd) + 4, 28u);
    cr_expect_eq(offsetof(struct iommu_test_cmd, last) + 4, 68u);
    cr_expect_eq(sizeof(struct iommu_test_cmd), 72u);
    /* VFIO compat minimums (iommufd.md §4.9). */
    cr_expect_eq(offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + 8, 16u);
    cr_expect_eq(sizeof(struct vfio_iommu_type1_dma_map), 32u);
    cr_expect_eq(sizeof(struct vfio_iommu_type1_dma_unmap), 24u);
}
