/* SMMUv3 driver end to end: VFIO cdev -> iommufd -> HWPT -> STE/CD/LPAE
 * tables the driver wrote -> DMA through the SMMUv3 model -> HTTU dirty
 * state -> dirty bitmap; hw_info, faults in the event queue. */
#include "tests/e2e/test_smmuv3_util.h"

#define IOVA 0x40000000ull
#define NPG  16

/* The whole flow on a model (dirty or not). */
static void flow(const struct e2e_model *m)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(NPG * 4096, 4096), data[64], back[64];
    uint64_t bm[4], ste[8], cd[8], cd0_gpa;
    uint32_t hwpt = 0, pt;
    int i;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, NPG * 4096, IOVA), 0);
    if (!m->dirty) {
        cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt),
                     -EOPNOTSUPP);
        cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
    } else {
        cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    }
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(pt, hwpt);

    /* what the driver programmed: 2-level stream table, S1 STE, CD 0 */
    cr_assert_eq((s_reg(&e, S_STRTAB_BASE_CFG, 4) >> 16) & 3, 1);
    cr_assert_eq(s_reg(&e, S_CR0ACK, 4) & 0xd, 0xd);    /* SMMUEN|EVTQEN|CMDQEN */
    s_ste(&e, m->rid, ste);
    cr_assert_eq(ste[0] & 0xf, 0xb, "STE V + Config=S1 (0x%llx)", (unsigned long long)ste[0]);
    cr_assert_eq(ste[0] >> 59, m->max_pasid_log2);
    s_cd0(&e, m->rid, cd);
    cr_assert(cd[0] & (1ull << 31), "CD.V");
    cr_assert_eq((cd[0] >> 42) & 3, m->dirty ? 3u : 0u, "CD.HA|HD");
    cr_assert_neq(cd[0] >> 48, 0, "ASID 0 is reserved");
    cr_assert_eq(cd[3], 0xf404ff44ull);
    cd0_gpa = s_cd0_gpa(&e, m->rid);

    /* DMA both ways */
    for (i = 0; i < 64; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    cr_assert_eq(e2e_dma(&e, IOVA + 3 * 4096 + 100, data, sizeof(data), true), 0);
    cr_assert_eq(memcmp(buf + 3 * 4096 + 100, data, sizeof(data)), 0);
    memset(back, 0, sizeof(back));
    cr_assert_eq(e2e_dma(&e, IOVA + 3 * 4096 + 100, back, sizeof(back), false), 0);
    cr_assert_eq(memcmp(back, data, sizeof(data)), 0);

    if (!m->dirty) {
        cr_assert_eq(e2e_set_dirty(&e, hwpt, true), -EOPNOTSUPP);
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, NPG * 4096, 4096, bm, 0), -EOPNOTSUPP);
    } else {
        /* enabling clears: every writable leaf starts writable-dirty */
        cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, NPG * 4096, 4096, bm, 0), 0);
        cr_assert_eq(e2e_popcount(bm, NPG / 8), 0, "bm %llx", (unsigned long long)bm[0]);
        /* a write marks pages 1 and 7 (the second spans into 8); reads do not */
        cr_assert_eq(e2e_dma(&e, IOVA + 4096, data, 8, true), 0);
        cr_assert_eq(e2e_dma(&e, IOVA + 8 * 4096 - 4, data, 8, true), 0);
        cr_assert_eq(e2e_dma(&e, IOVA + 12 * 4096, back, 8, false), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, NPG * 4096, 4096, bm, 0), 0);
        cr_assert_eq(e2e_popcount(bm, NPG / 8), 3);
        cr_assert(e2e_bit(bm, 1) && e2e_bit(bm, 7) && e2e_bit(bm, 8));
        /* cleared: the next read is empty */
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, NPG * 4096, 4096, bm, 0), 0);
        cr_assert_eq(e2e_popcount(bm, NPG / 8), 0);
        /* the same page again: the TLBI after the clear makes it count */
        cr_assert_eq(e2e_dma(&e, IOVA + 4096 + 8, data, 8, true), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, NPG * 4096, 4096, bm,
                                   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), 0);
        cr_assert_eq(e2e_popcount(bm, NPG / 8), 1);
        cr_assert(e2e_bit(bm, 1));
        /* NO_CLEAR left it dirty */
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, NPG * 4096, 4096, bm, 0), 0);
        cr_assert_eq(e2e_popcount(bm, NPG / 8), 1);
        cr_assert(e2e_bit(bm, 1));
        /* the PTE itself: DBM with AP[2] set again (writable-clean) */
        {
            unsigned lvl = 9;
            uint64_t d = s_leaf(&e, cd[1], IOVA + 4096, &lvl);

            cr_assert_eq(lvl, 3);
            cr_assert_eq(d & ((1ull << 51) | (1ull << 7)), (1ull << 51) | (1ull << 7));
        }
        /* a smaller bitmap page size: 2 bits per 4 KiB page? no: 1 bit per 8 KiB */
        cr_assert_eq(e2e_dma(&e, IOVA + 5 * 4096, data, 1, true), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, NPG * 4096, 8192, bm, 0), 0);
        cr_assert_eq(e2e_popcount(bm, 1), 1);
        cr_assert(e2e_bit(bm, 2));
        /* disable is a no-op on SMMUv3 (HA|HD stay on in the CD) */
        cr_assert_eq(e2e_set_dirty(&e, hwpt, false), 0);
        s_cd0(&e, m->rid, cd);
        cr_assert_eq((cd[0] >> 42) & 3, 3u);
    }

    /* detach: abort STE, DMA fails, CD 0 invalid */
    cr_assert_eq(e2e_detach(&e), 0);
    s_ste(&e, m->rid, ste);
    cr_assert_eq(ste[0] & 0xf, 1, "abort STE");
    cr_assert_eq(s_get64(&e, cd0_gpa) & (1ull << 31), 0, "CD 0 cleared");
    cr_assert_eq(e2e_dma(&e, IOVA, data, 8, true), -EFAULT);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

Test(e2e_smmuv3, flow_default) { flow(&smmu_model); }
Test(e2e_smmuv3, flow_nodirty) { flow(&smmu_nodirty_model); }
Test(e2e_smmuv3, flow_ha_only) { flow(&smmu_haonly_model); }
Test(e2e_smmuv3, flow_qemu) { flow(&smmu_qemu_model); }

/* GET_HW_INFO: every data_len from 0 to past the struct; raw registers. */
static void hw_info(const struct e2e_model *m)
{
    struct e2e e;
    uint8_t out[64], want[40];
    uint32_t w32;
    unsigned len, i;

    e2e_setup(&e, m);
    memset(want, 0, sizeof(want));
    for (i = 0; i < 6; i++) {
        w32 = (uint32_t)s_reg(&e, S_IDR0 + 4 * i, 4);
        memcpy(want + 8 + 4 * i, &w32, 4);
    }
    w32 = (uint32_t)s_reg(&e, S_IIDR, 4);
    memcpy(want + 32, &w32, 4);
    w32 = (uint32_t)s_reg(&e, S_AIDR, 4);
    memcpy(want + 36, &w32, 4);
    for (len = 0; len <= sizeof(out); len++) {
        struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = e.dev_id, .data_len = len,
                                    .data_uptr = (uintptr_t)out };

        memset(out, 0xa5, sizeof(out));
        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &hi), 0);
        cr_assert_eq(hi.out_data_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
        cr_assert_eq(hi.data_len, 40);
        cr_assert_eq(memcmp(out, want, len < 40 ? len : 40), 0, "data_len %u", len);
        for (i = 40; i < len; i++)
            cr_assert_eq(out[i], 0, "zero fill at %u", i);
        for (i = len; i < sizeof(out); i++)
            cr_assert_eq(out[i], 0xa5, "untouched at %u", i);
        cr_assert_eq(!!(hi.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING), m->dirty);
        cr_assert_eq(hi.out_max_pasid_log2, m->max_pasid_log2);
    }
    /* a type the driver does not provide */
    {
        struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = e.dev_id, .data_len = 40,
                                    .data_uptr = (uintptr_t)out,
                                    .flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
                                    .in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD };

        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &hi), -EOPNOTSUPP);
        hi.in_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_GET_HW_INFO, &hi), 0);
        cr_assert_eq(hi.out_data_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
    }
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

Test(e2e_smmuv3, hw_info_default) { hw_info(&smmu_model); }
Test(e2e_smmuv3, hw_info_nodirty) { hw_info(&smmu_nodirty_model); }
Test(e2e_smmuv3, hw_info_ha_only) { hw_info(&smmu_haonly_model); }
Test(e2e_smmuv3, hw_info_qemu) { hw_info(&smmu_qemu_model); }

/* 2 MiB blocks and their bitmap bits. */
Test(e2e_smmuv3, huge_blocks_dirty)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(4u << 20, 2u << 20), v = 0x5a;
    uint64_t cd[8], bm[32], d;
    uint32_t hwpt = 0, pt;
    unsigned lvl = 9;

    e2e_setup(&e, &smmu_model);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4u << 20, 0x80000000ull), 0);
    s_cd0(&e, smmu_model.rid, cd);
    d = s_leaf(&e, cd[1], 0x80000000ull + (2u << 20), &lvl);
    cr_assert_eq(lvl, 2, "2 MiB block expected, level %u", lvl);
    cr_assert_eq(d & 3, 1);
    cr_assert_eq(d & S_PTE_ADDR, (uint64_t)(uintptr_t)buf + (2u << 20));
    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
    cr_assert_eq(e2e_dma(&e, 0x80000000ull + (2u << 20) + 12345, &v, 1, true), 0);
    cr_assert_eq(buf[(2u << 20) + 12345], 0x5a);
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, hwpt, 0x80000000ull, 4u << 20, 4096, bm, 0), 0);
    /* the whole block: pages 512..1023 */
    cr_assert_eq(e2e_popcount(bm, sizeof(bm)), 512);
    cr_assert(!e2e_bit(bm, 511) && e2e_bit(bm, 512) && e2e_bit(bm, 1023));
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, hwpt, 0x80000000ull, 4u << 20, 4096, bm, 0), 0);
    cr_assert_eq(e2e_popcount(bm, sizeof(bm)), 0);
    /* 2 MiB bitmap pages: one bit per block */
    cr_assert_eq(e2e_dma(&e, 0x80000000ull + 5, &v, 1, true), 0);
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, hwpt, 0x80000000ull, 4u << 20, 2u << 20, bm, 0), 0);
    cr_assert_eq(((uint8_t *)bm)[0], 1);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

/* Replace the domain while tracking is on: the new CD takes over. */
Test(e2e_smmuv3, replace_while_tracking)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(NPG * 4096, 4096), v = 1;
    uint64_t bm[4], cd[8];
    uint32_t a = 0, b = 0, pt;
    uint16_t asid_a;

    e2e_setup(&e, &smmu_model);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, NPG * 4096, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &a), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &b), 0);
    pt = a;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    s_cd0(&e, smmu_model.rid, cd);
    asid_a = (uint16_t)(cd[0] >> 48);
    cr_assert_eq(e2e_set_dirty(&e, a, true), 0);
    cr_assert_eq(e2e_set_dirty(&e, b, true), 0);
    cr_assert_eq(e2e_dma(&e, IOVA + 2 * 4096, &v, 1, true), 0);
    pt = b;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    s_cd0(&e, smmu_model.rid, cd);
    cr_assert_neq((uint16_t)(cd[0] >> 48), asid_a, "new ASID in CD 0");
    cr_assert_eq((cd[0] >> 42) & 3, 3u);
    cr_assert_eq(e2e_dma(&e, IOVA + 9 * 4096, &v, 1, true), 0);
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, a, IOVA, NPG * 4096, 4096, bm, 0), 0);
    cr_assert_eq(e2e_popcount(bm, NPG / 8), 1);
    cr_assert(e2e_bit(bm, 2));
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, b, IOVA, NPG * 4096, 4096, bm, 0), 0);
    cr_assert_eq(e2e_popcount(bm, NPG / 8), 1);
    cr_assert(e2e_bit(bm, 9));
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, a), 0);
    cr_assert_eq(e2e_destroy(&e, b), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

/* A DMA to an unmapped IOVA: EFAULT and F_TRANSLATION in the event queue. */
static void fault_event(const struct e2e_model *m)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(4096, 4096), v = 3;
    uint64_t rec[4];
    uint32_t hwpt = 0, pt;
    unsigned n0;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    s_mask_eventq_irq(&e);   /* the record stays (test_fault_irq.c: the handler) */
    n0 = s_evt_count(&e);
    cr_assert_eq(e2e_dma(&e, IOVA + 0x10000 + 0x24, &v, 1, true), -EFAULT);
    cr_assert_eq(s_evt_count(&e), n0 + 1);
    s_evt(&e, (unsigned)s_reg(&e, S_EVTQ_CONS, 4) + n0, rec);
    cr_assert_eq(rec[0] & 0xff, 0x10, "F_TRANSLATION, got 0x%llx", (unsigned long long)rec[0]);
    cr_assert_eq(rec[0] >> 32, m->rid);
    cr_assert_eq(rec[2], IOVA + 0x10000 + 0x24);
    cr_assert_eq((rec[1] >> 35) & 1, 0, "RnW=0 for a write");
    /* the mapped page still works; unmap then DMA faults (TLB invalidated) */
    cr_assert_eq(e2e_dma(&e, IOVA, &v, 1, true), 0);
    {
        struct iommu_ioas_unmap um = { .size = sizeof(um), .ioas_id = e.ioas, .iova = IOVA,
                                       .length = 4096 };

        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_UNMAP, &um), 0);
    }
    cr_assert_eq(e2e_dma(&e, IOVA, &v, 1, false), -EFAULT);
    cr_assert_eq(s_evt_count(&e), n0 + 2);
    /* no global error from anything the driver queued */
    cr_assert_eq(s_reg(&e, S_GERROR, 4), s_reg(&e, S_GERRORN, 4));
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

Test(e2e_smmuv3, fault_event_default) { fault_event(&smmu_model); }
Test(e2e_smmuv3, fault_event_qemu) { fault_event(&smmu_qemu_model); }

/* Nesting parent: a stage-2 STE; dirty tracking refused on it. */
Test(e2e_smmuv3, nest_parent_stage2)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(8 * 4096, 4096), data[16] = "stage two dma!!", back[16];
    uint64_t ste[8];
    uint32_t hwpt = 0, pt;

    e2e_setup(&e, &smmu_model);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 8 * 4096, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                                e.ioas, &hwpt), -EOPNOTSUPP);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_NEST_PARENT, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    s_ste(&e, smmu_model.rid, ste);
    cr_assert_eq(ste[0] & 0xf, 0xd, "STE V + Config=S2");
    cr_assert_neq(ste[2] & 0xffff, 0, "VMID 0 is reserved");
    cr_assert(ste[2] & (1ull << 51), "S2AA64");
    cr_assert_eq(e2e_dma(&e, IOVA + 4096 + 7, data, sizeof(data), true), 0);
    cr_assert_eq(memcmp(buf + 4096 + 7, data, sizeof(data)), 0);
    cr_assert_eq(e2e_dma(&e, IOVA + 4096 + 7, back, sizeof(back), false), 0);
    cr_assert_eq(memcmp(back, data, sizeof(data)), 0);
    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), -EOPNOTSUPP);
    cr_assert_eq(e2e_dma(&e, IOVA + 9 * 4096, back, 1, false), -EFAULT);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}

/* Probe refuses what Linux's arm_smmu_device_hw_probe refuses. */
Test(e2e_smmuv3, probe_refusals)
{
    /* no stage at all */
    cr_assert_lt(mockfd_platform_add_iommu("smmuv3:idr0=0x0D4C7498"), 0);
    cr_assert_eq(errno, ENXIO);
    /* AArch32 tables only (TTF=01) */
    cr_assert_lt(mockfd_platform_add_iommu("smmuv3:idr0=0x0D4C7497"), 0);
    cr_assert_eq(errno, ENXIO);
    /* a 64-entry command queue (CMDQS=6) */
    cr_assert_lt(mockfd_platform_add_iommu("smmuv3:idr1=0x00D30510"), 0);
    cr_assert_eq(errno, ENXIO);
    /* the default probes, and left SMMUEN with every ACK in step */
    {
        int i = mockfd_platform_add_iommu("smmuv3");

        cr_assert_geq(i, 0);
    }
}

/* The linear stream table (SIDSIZE 8) and an out-of-range StreamID. */
Test(e2e_smmuv3, linear_strtab)
{
    struct e2e e;
    struct e2e_model lin = smmu_model;
    uint8_t *buf = e2e_buf(4096, 4096), v = 9;
    uint32_t hwpt = 0, pt;

    lin.spec = "smmuv3:idr1=0x02730508";
    lin.rid = 0x42;
    e2e_setup(&e, &lin);
    cr_assert_eq((s_reg(&e, S_STRTAB_BASE_CFG, 4) >> 16) & 3, 0);
    cr_assert_eq(s_reg(&e, S_STRTAB_BASE_CFG, 4) & 0x3f, 8);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(e2e_dma(&e, IOVA + 1, &v, 1, true), 0);
    cr_assert_eq(buf[1], 9);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    /* StreamID 0x100 does not fit 8 bits: attach fails as probe_device would */
    {
        int dev = mockfd_platform_add_device(e.iommu, 0x100), dfd, fd;
        struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
        struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
        struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

        cr_assert_geq(dev, 0);
        fd = mockfd_open();
        dfd = mockfd_device_open(dev);
        bind.iommufd = fd;
        cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
        cr_assert_eq(e2e_ioctl(fd, IOMMU_IOAS_ALLOC, &ia), 0);
        at.pt_id = ia.out_ioas_id;
        cr_assert_eq(e2e_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -ERANGE);
        cr_assert_eq(mockfd_close(dfd), 0);
        cr_assert_eq(mockfd_close(fd), 0);
    }
    ASSERT_NO_LEAKS();
}

/* Two StreamIDs in different L2 stream tables share one stage-1 domain
 * (one ASID, two CD tables); unmap invalidates for both. */
Test(e2e_smmuv3, two_masters_one_domain)
{
    struct e2e e;
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    uint8_t *buf = e2e_buf(2 * 4096, 4096), v = 0x77, r = 0;
    uint64_t cd_a[8], cd_b[8];
    uint32_t hwpt = 0, pt;
    int dev2, dfd2;

    e2e_setup(&e, &smmu_model);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 2 * 4096, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    dev2 = mockfd_platform_add_device(e.iommu, 0x1234);
    cr_assert_geq(dev2, 0);
    dfd2 = mockfd_device_open(dev2);
    cr_assert_geq(dfd2, 0);
    bind.iommufd = e.fd;
    cr_assert_eq(e2e_ioctl(dfd2, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
    at.pt_id = hwpt;
    cr_assert_eq(e2e_ioctl(dfd2, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
    s_cd0(&e, 0x10, cd_a);
    s_cd0(&e, 0x1234, cd_b);
    cr_assert_neq(s_cd0_gpa(&e, 0x10), s_cd0_gpa(&e, 0x1234));
    cr_assert_eq(cd_a[0], cd_b[0]);
    cr_assert_eq(cd_a[1], cd_b[1]);
    cr_assert_eq(mockfd_device_dma(dfd2, 0, IOVA + 4096 + 3, &v, 1, true), 0);
    cr_assert_eq(e2e_dma(&e, IOVA + 4096 + 3, &r, 1, false), 0);
    cr_assert_eq(r, 0x77);
    {
        struct iommu_ioas_unmap um = { .size = sizeof(um), .ioas_id = e.ioas, .iova = IOVA,
                                       .length = 2 * 4096 };

        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_UNMAP, &um), 0);
    }
    cr_assert_eq(e2e_dma(&e, IOVA + 4096, &r, 1, false), -EFAULT);
    cr_assert_eq(mockfd_device_dma(dfd2, 0, IOVA + 4096, &r, 1, false), -1);
    cr_assert_eq(errno, EFAULT);
    cr_assert_eq(mockfd_close(dfd2), 0);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}
