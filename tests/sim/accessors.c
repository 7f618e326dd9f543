/* SPDX-License-Identifier: MIT */
/*
 * The platform/VFIO accessors iommu-sim and the MOCKFD_RECORD recorder use
 * (mockfd/core/device.h): mfd_platform_iommu, mfd_platform_table_ptr,
 * mfd_platform_set_iommu_hook (runs before the driver's probe, so the
 * probe's register traffic is visible) and mfd_vfio_df_index.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "../common/test_util.h"
#include "emu/emu.h"
#include "mockfd/core/device.h"
#include "mockfd/mockfd.h"

struct seen {
    int calls, index;
    struct emu_iommu *hw;
    unsigned mmio;              /* register accesses traced during probe */
};

static void count_mmio(void *opaque, const struct emu_iommu *iommu,
                       const struct emu_trace_rec *rec)
{
    struct seen *s = opaque;

    (void)iommu;
    if (rec->kind == EMU_TRACE_MMIO_READ || rec->kind == EMU_TRACE_MMIO_WRITE)
        s->mmio++;
}

static void on_create(void *arg, int index, struct emu_iommu *hw)
{
    struct seen *s = arg;

    s->calls++;
    s->index = index;
    s->hw = hw;
    emu_set_trace(hw, count_mmio, s);
}

Test(sim_accessors, platform_iommu_by_index_and_hook_before_probe)
{
    static const char *const specs[] = { "vtd", "amdvi", "smmuv3" };
    static const enum emu_model models[] = { EMU_VTD, EMU_AMDVI, EMU_SMMUV3 };

    for (int i = 0; i < 3; i++) {
        struct seen s = { .index = -1 };
        int idx;

        mfd_platform_set_iommu_hook(on_create, &s);
        idx = mockfd_platform_add_iommu(specs[i]);
        mfd_platform_set_iommu_hook(NULL, NULL);
        cr_assert_eq(idx, i);
        cr_assert_eq(s.calls, 1);
        cr_assert_eq(s.index, idx);
        cr_assert_not_null(s.hw);
        cr_assert_eq(mfd_platform_iommu(idx), s.hw, "the same model instance");
        cr_assert_eq(emu_iommu_model(s.hw), models[i]);
        /* every driver reads its capability registers and programs its
         * tables/queues at probe: the hook saw that traffic */
        cr_assert_gt(s.mmio, 0, "%s: probe register traffic traced", specs[i]);
        emu_set_trace(s.hw, NULL, NULL);
    }
    cr_assert_null(mfd_platform_iommu(3));
    cr_assert_null(mfd_platform_iommu(-1));
    cr_assert_null(mfd_platform_iommu(1 << 20));
}

Test(sim_accessors, hook_removed_is_not_called)
{
    struct seen s = { 0 };

    mfd_platform_set_iommu_hook(on_create, &s);
    mfd_platform_set_iommu_hook(NULL, NULL);
    cr_assert_geq(mockfd_platform_add_iommu("vtd"), 0);
    cr_assert_eq(s.calls, 0);
}

Test(sim_accessors, table_ptr_answers_pool_pages_only)
{
    int idx = mockfd_platform_add_iommu("vtd");
    uint64_t rtaddr;

    cr_assert_geq(idx, 0);
    /* VT-d's root table (RTADDR_REG 0x20, vtd.md §2) lives in the pool */
    rtaddr = emu_mmio_read(mfd_platform_iommu(idx), 0x20, 8) & ~0xfffull;
    cr_assert_neq(rtaddr, 0);
    cr_assert_not_null(mfd_platform_table_ptr(rtaddr));
    cr_assert_null(mfd_platform_table_ptr(0));
}

Test(sim_accessors, vfio_df_index)
{
    int io = mockfd_platform_add_iommu("vtd"), d0, d1, fd0, fd1, ifd;
    struct mfd_file *f;

    cr_assert_geq(io, 0);
    d0 = mockfd_platform_add_device(io, 0x8);
    d1 = mockfd_platform_add_device(io, 0x10);
    cr_assert(d0 >= 0 && d1 > d0);
    fd1 = mockfd_device_open(d1);
    fd0 = mockfd_device_open(d0);
    ifd = mockfd_open();
    cr_assert(fd0 >= 0 && fd1 >= 0 && ifd >= 0);

    f = mfd_file_get(fd0);
    cr_assert_eq(mfd_vfio_df_index(f), d0);
    mfd_file_put(f);
    f = mfd_file_get(fd1);
    cr_assert_eq(mfd_vfio_df_index(f), d1);
    mfd_file_put(f);
    f = mfd_file_get(ifd);
    cr_assert_eq(mfd_vfio_df_index(f), -EBADF, "an iommufd is not a VFIO device");
    mfd_file_put(f);
    cr_assert_eq(mfd_vfio_df_index(NULL), -EBADF);

    cr_assert_eq(mockfd_close(fd0), 0);
    cr_assert_eq(mockfd_close(fd1), 0);
    cr_assert_eq(mockfd_close(ifd), 0);
    ASSERT_NO_LEAKS();
}
