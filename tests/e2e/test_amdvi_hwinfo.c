/* AMD-Vi IOMMU_GET_HW_INFO (iommu_hw_info_amd: raw EFR, EFR2), the
 * capability bits, PASID width and the reserved IOVA regions. */
#include "tests/e2e/test_amdvi_util.h"
#include "tests/common/platform_util.h"

#define IOVA_ONE 0x40000000ull

static int hw_info(struct e2e *e, uint32_t flags, uint32_t in_type, void *data, uint32_t len,
                   struct iommu_hw_info *out)
{
    memset(out, 0, sizeof(*out));
    out->size = sizeof(*out);
    out->flags = flags;
    out->dev_id = e->dev_id;
    out->data_len = len;
    out->data_uptr = (uintptr_t)data;
    out->in_data_type = in_type;
    return e2e_ioctl(e->fd, IOMMU_GET_HW_INFO, out);
}

static void sweep(const struct e2e_model *m, uint64_t efr_bit52)
{
    static const uint32_t lens[] = { 0, 1, 4, 8, 12, 15, 16, 17, 24, 64 };
    struct iommu_hw_info info;
    struct e2e e;
    uint8_t buf[80];
    uint64_t efr, efr2;
    size_t i;

    e2e_setup(&e, m);
    efr = a_reg(&e, A_EFR, 8);
    efr2 = a_reg(&e, A_EFR2, 8);
    cr_assert_eq(efr & (1ull << 52), efr_bit52);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct iommu_hw_info_amd want = { .efr = efr, .efr2 = efr2 };
        uint32_t n = lens[i], c = n < 16 ? n : 16, k;

        memset(buf, 0xa5, sizeof(buf));
        cr_assert_eq(hw_info(&e, 0, 0, buf, n, &info), 0, "len %u", n);
        cr_assert_eq(info.out_data_type, IOMMU_HW_INFO_TYPE_AMD);
        cr_assert_eq(info.data_len, 16, "native length");
        cr_assert_eq(memcmp(buf, &want, c), 0, "len %u", n);
        for (k = c; k < n; k++)
            cr_assert_eq(buf[k], 0, "zero-filled tail at %u (len %u)", k, n);
        for (k = n; k < sizeof(buf); k++)
            cr_assert_eq(buf[k], 0xa5, "untouched beyond len at %u", k);
        cr_assert_eq(info.out_max_pasid_log2, m->max_pasid_log2);
        cr_assert_eq(!!(info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING), m->dirty);
    }
    /* an explicit type: AMD works, another driver's type does not */
    cr_assert_eq(hw_info(&e, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_AMD, buf, 16,
                         &info), 0);
    cr_assert_eq(info.out_data_type, IOMMU_HW_INFO_TYPE_AMD);
    cr_assert_eq(hw_info(&e, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_INTEL_VTD, buf,
                         16, &info), -EOPNOTSUPP);
    cr_assert_eq(hw_info(&e, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_ARM_SMMUV3, buf,
                         16, &info), -EOPNOTSUPP);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

Test(amdvi_e2e, hw_info_default) { sweep(&amdvi_model, 1ull << 52); }
Test(amdvi_e2e, hw_info_nodirty) { sweep(&amdvi_nodirty_model, 0); }
Test(amdvi_e2e, hw_info_qemu) { sweep(&amdvi_qemu_model, 0); }

/* A raw EFR override reaches the user unchanged (and drives the driver):
 * HDSup without HASup still reports dirty tracking, as Linux only checks
 * HDSup; PASmax = 9 gives ilog2((1 << 10) - 1) = 9. */
Test(amdvi_e2e, hw_info_raw_override)
{
    struct e2e_model m = amdvi_model;
    struct iommu_hw_info info;
    struct iommu_hw_info_amd got;
    struct e2e e;
    /* HDSup, PASmax 9, IASup, GTSup, HATS=01b (5 levels) */
    const uint64_t efr = (1ull << 52) | (9ull << 32) | (1ull << 6) | (1ull << 4) | (1ull << 10);

    m.spec = "amdvi:efr=0x10000900000450,efr2=0x800";
    m.max_pasid_log2 = 9;
    e2e_setup(&e, &m);
    cr_assert_eq(a_reg(&e, A_EFR, 8), efr);
    cr_assert_eq(hw_info(&e, 0, 0, &got, sizeof(got), &info), 0);
    cr_assert_eq(got.efr, efr);
    cr_assert_eq(got.efr2, 0x800);
    cr_assert_eq(info.out_max_pasid_log2, 9);
    cr_assert(info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

/* amd_iommu_get_resv_regions: the MSI window always, the HyperTransport
 * range unless EFR2.HTRangeIgnore; they become holes of the IOAS. */
static void resv(const char *spec, bool ht)
{
    struct e2e_model m = amdvi_model;
    struct iommu_iova_range r[16];
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .num_iovas = 16 };
    struct e2e e;
    uint32_t hwpt = 0, pt;
    bool msi_hole = true, ht_hole = true;
    uint32_t i;

    m.spec = spec;
    e2e_setup(&e, &m);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    q.ioas_id = e.ioas;
    q.allowed_iovas = (uintptr_t)r;
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
    for (i = 0; i < q.num_iovas; i++) {
        if (r[i].start <= 0xfeefffffull && r[i].last >= 0xfee00000ull)
            msi_hole = false;
        if (r[i].start <= 0xffffffffffull && r[i].last >= 0xfd00000000ull)
            ht_hole = false;
    }
    cr_assert(msi_hole);
    cr_assert_eq(ht_hole, ht);
    /* and a fixed map into the MSI window is refused */
    {
        uint8_t *buf = e2e_buf(4096, 4096);

        cr_assert_neq(e2e_map(&e, e.ioas, buf, 4096, 0xfee00000ull), 0);
        munmap(buf, 4096);
    }
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

Test(amdvi_e2e, resv_regions_msi_and_ht) { resv("amdvi", true); }
Test(amdvi_e2e, resv_regions_ht_ignored) { resv("amdvi:default,efr2=0x800", false); }

/* Flags the driver refuses (amd_iommu_domain_alloc_paging_flags). */
Test(amdvi_e2e, alloc_flags)
{
    struct e2e e;
    uint32_t h = 0;

    e2e_setup(&e, &amdvi_model);
    /* no v2 table: PASID-capable domains are refused */
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_PASID, e.ioas, &h), -EOPNOTSUPP);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                                e.ioas, &h), -EOPNOTSUPP);
    /* nest parent needs EFR2.GCR3TRPMode, which the default lacks */
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_NEST_PARENT, e.ioas, &h), -EOPNOTSUPP);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &h), 0);
    cr_assert_eq(e2e_destroy(&e, h), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

/* A dirty-tracking domain cannot be attached to a device behind an IOMMU
 * without HDSup (amd_iommu_attach_device: -EINVAL); a plain one spans both
 * IOMMUs, and the hw_info EFR is the AND of both (the global EFR). */
Test(amdvi_e2e, two_iommus)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct iommu_hw_info info;
    struct iommu_hw_info_amd got;
    struct e2e e;
    int d2, dfd2;
    uint32_t hd = 0, hp = 0, pt;
    uint8_t *buf;
    uint64_t efr1, efr2;

    e2e_setup(&e, &amdvi_model);
    dfd2 = t_bind_on_new_iommu("amdvi:nodirty", 0x20, e.fd, &d2, NULL);

    efr1 = a_reg(&e, A_EFR, 8);
    efr2 = emu_mmio_read(mfd_platform_device(d2)->unit->hw, A_EFR, 8);
    cr_assert_eq(hw_info(&e, 0, 0, &got, sizeof(got), &info), 0);
    cr_assert_eq(got.efr, efr1 & efr2);
    /* capability is per IOMMU (amd_iommu_hd_support(iommu)) */
    cr_assert(info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);

    buf = e2e_buf(4096, 4096);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, IOVA_ONE), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hd), 0);
    at.pt_id = hd;
    cr_assert_eq(e2e_ioctl(dfd2, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hp), 0);
    pt = hp;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    at.pt_id = hp;
    cr_assert_eq(e2e_ioctl(dfd2, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
    {
        uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, r[8];

        cr_assert_eq(mockfd_device_dma(dfd2, 0, IOVA_ONE, b, 8, true), 0);
        cr_assert_eq(e2e_dma(&e, IOVA_ONE, r, 8, false), 0);
        cr_assert_eq(memcmp(b, r, 8), 0);
    }
    cr_assert_eq(mockfd_close(dfd2), 0);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hp), 0);
    cr_assert_eq(e2e_destroy(&e, hd), 0);
    e2e_teardown(&e);
    munmap(buf, 4096);
    ASSERT_NO_LEAKS();
}

/* Hostile register programming: with the command buffer stopped behind the
 * driver's back (CmdBufEn cleared), completion waits time out and the ring
 * fills, but every call returns, nothing crashes and translation itself
 * keeps working. */
Test(amdvi_e2e, command_buffer_stopped)
{
    struct e2e e;
    uint8_t *buf;
    uint32_t hwpt = 0, pt;
    uint64_t ctrl;
    int i;

    e2e_setup(&e, &amdvi_model);
    buf = e2e_buf(4096, 4096);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    ctrl = a_reg(&e, A_CONTROL, 8);
    emu_mmio_write(a_unit(&e)->hw, A_CONTROL, 8, ctrl & ~(1ull << 12));
    cr_assert_eq(a_reg(&e, A_STATUS, 8) & (1ull << 4), 0, "CmdBufRun off");
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    for (i = 0; i < 300; i++) {
        struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = e.ioas,
                                      .iova = IOVA_ONE, .length = 4096 };

        cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, IOVA_ONE), 0);
        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_UNMAP, &u), 0);
        cr_assert_eq(e2e_set_dirty(&e, hwpt, i & 1), 0);
    }
    /* the DTE (cached by the model before the stop) still translates a
     * fresh mapping: not-present entries are never cached */
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, IOVA_ONE), 0);
    a_write(&e, IOVA_ONE, 0x3c);
    cr_assert_eq(buf[0], 0x3c);
    /* restart as software would: CmdBufEn again; the driver recovers */
    emu_mmio_write(a_unit(&e)->hw, A_CONTROL, 8, ctrl);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    munmap(buf, 4096);
    ASSERT_NO_LEAKS();
}
