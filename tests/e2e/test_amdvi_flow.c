/* AMD-Vi end to end: platform -> VFIO cdev -> iommufd -> HWPT -> DTE and v1
 * tables the driver wrote in guest memory -> DMA through the AMD-Vi model ->
 * dirty bitmap, for the default and the nodirty profile. */
#include "tests/e2e/test_amdvi_util.h"

#define PG 4096ull
#define IOVA 0x40000000ull

/* The bring-up left the unit running as Linux does (amdvi.md §3.3). */
static void check_bringup(struct e2e *e)
{
    uint64_t ctrl = a_reg(e, A_CONTROL, 8), st = a_reg(e, A_STATUS, 8), q[4];

    cr_assert(ctrl & 1, "IommuEn");
    cr_assert(ctrl & (1ull << 12), "CmdBufEn");
    cr_assert(ctrl & (1ull << 2), "EventLogEn");
    cr_assert(ctrl & (1ull << 10), "Coherent");
    cr_assert_eq((ctrl >> 5) & 7, 4, "InvTimeOut 1 s");
    cr_assert(st & (1ull << 4), "CmdBufRun");
    cr_assert(st & (1ull << 3), "EventLogRun");
    cr_assert_eq(a_reg(e, 0, 8) & 0x1ff, 0x1ff, "device table for 64K DeviceIDs");
    cr_assert_eq((a_reg(e, 0x8, 8) >> 56) & 0xf, 9, "512-entry command buffer");
    /* command head caught up with the tail: everything executed */
    cr_assert_eq(a_reg(e, 0x2000, 4), a_reg(e, 0x2008, 4));
    /* an unattached device is blocked: V=1 TV=1 Mode=0 IR=IW=0 */
    a_dte(e, q);
    cr_assert_eq(q[0], 3ull);
    cr_assert_eq(q[1] & 0xffff, 0);
}

static void flow(const struct e2e_model *m)
{
    const unsigned npg = 16;
    struct e2e e;
    uint8_t *buf;
    uint32_t hwpt = 0, pt;
    uint64_t q[4], leaf;
    unsigned lvl;
    char s[64];

    e2e_setup(&e, m);
    check_bringup(&e);
    /* 4 KiB leaves: exact per-page bits */
    cr_assert_eq(a_huge_pages(&e, false), 0);
    buf = e2e_buf(npg * PG, 2ull << 20);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, npg * PG, IOVA), 0);

    if (!m->dirty) {
        cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt),
                     -EOPNOTSUPP);
        cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
    } else {
        cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    }
    /* DMA before attach: blocked by the initial DTE */
    {
        uint8_t b[8];

        cr_assert_eq(e2e_dma(&e, IOVA, b, sizeof(b), false), -EFAULT);
    }
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(pt, hwpt);
    /* set_dte_entry: V TV Mode=3 root IR IW, a DomainID, HAD off */
    a_dte(&e, q);
    cr_assert_eq(q[0] & 3, 3);
    cr_assert_eq((q[0] >> 9) & 7, 3);
    cr_assert_neq(q[0] & A_ADDR_MASK, 0);
    cr_assert_eq(q[0] >> 61, 3, "IR|IW");
    cr_assert_eq((q[0] >> 7) & 3, 0, "HAD off");
    cr_assert_neq(q[1] & 0xffff, 0, "DomainID");
    /* the leaves: NextLevel 0 at level 1, PR|FC|IR|IW, identity gpa == VA */
    leaf = a_leaf(&e, IOVA + 3 * PG, &lvl);
    cr_assert_eq(lvl, 1);
    cr_assert_eq(leaf & A_ADDR_MASK, (uint64_t)(uintptr_t)buf + 3 * PG);
    cr_assert_eq(leaf & ~A_ADDR_MASK, 1ull | (7ull << 60));

    /* data path both ways */
    a_write(&e, IOVA + 1 * PG, 0x5a);
    cr_assert_eq(buf[1 * PG], 0x5a);
    buf[7 * PG] = 0x77;
    memset(buf + 7 * PG, 0x77, 64);
    a_read(&e, IOVA + 7 * PG, 0x77);

    if (!m->dirty) {
        uint64_t bm[1];

        cr_assert_eq(e2e_set_dirty(&e, hwpt, true), -EOPNOTSUPP);
        cr_assert_eq(e2e_get_dirty(&e, hwpt, IOVA, npg * PG, PG, bm, 0), -EOPNOTSUPP);
        /* no HAD, so the hardware set no D bit */
        cr_assert_eq(a_leaf(&e, IOVA + 1 * PG, NULL) & (1ull << 6), 0);
        goto detach;
    }

    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
    a_dte(&e, q);
    cr_assert_eq((q[0] >> 7) & 3, 3, "HAD=11b while tracking");
    /* enabling again is a no-op */
    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);

    a_write(&e, IOVA + 1 * PG, 0x11);
    a_write(&e, IOVA + 5 * PG, 0x55);
    a_read(&e, IOVA + 7 * PG, 0x77);
    /* the model set D (bit 6) on written leaves only, A on all used */
    cr_assert(a_leaf(&e, IOVA + 5 * PG, NULL) & (1ull << 6));
    cr_assert_eq(a_leaf(&e, IOVA + 7 * PG, NULL) & (1ull << 6), 0);
    cr_assert(a_leaf(&e, IOVA + 7 * PG, NULL) & (1ull << 5));
    a_dirty_str(&e, hwpt, IOVA, npg, PG, 0, s);
    cr_assert_str_eq(s, "0100010000000000");
    /* cleared (D bits and, via the IOTLB flush, the cached dirty state) */
    cr_assert_eq(a_leaf(&e, IOVA + 5 * PG, NULL) & (1ull << 6), 0);
    a_dirty_str(&e, hwpt, IOVA, npg, PG, 0, s);
    cr_assert_str_eq(s, "0000000000000000");
    /* a write to the same page after the harvest is seen again */
    a_write(&e, IOVA + 5 * PG, 0x56);
    a_write(&e, IOVA + 15 * PG, 0x56);
    /* NO_CLEAR reports without clearing */
    a_dirty_str(&e, hwpt, IOVA, npg, PG, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, s);
    cr_assert_str_eq(s, "0000010000000001");
    a_dirty_str(&e, hwpt, IOVA, npg, PG, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, s);
    cr_assert_str_eq(s, "0000010000000001");
    /* a sub-range and a bigger bitmap page */
    a_dirty_str(&e, hwpt, IOVA + 4 * PG, 4, PG, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, s);
    cr_assert_str_eq(s, "0100");
    a_dirty_str(&e, hwpt, IOVA, 2, 8 * PG, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, s);
    cr_assert_str_eq(s, "11");
    a_dirty_str(&e, hwpt, IOVA, npg, PG, 0, s);
    cr_assert_str_eq(s, "0000010000000001");
    a_dirty_str(&e, hwpt, IOVA, npg, PG, 0, s);
    cr_assert_str_eq(s, "0000000000000000");

    /* disable: HAD off, writes no longer mark D */
    cr_assert_eq(e2e_set_dirty(&e, hwpt, false), 0);
    a_dte(&e, q);
    cr_assert_eq((q[0] >> 7) & 3, 0);
    a_write(&e, IOVA + 2 * PG, 0x22);
    cr_assert_eq(a_leaf(&e, IOVA + 2 * PG, NULL) & (1ull << 6), 0);
    cr_assert_eq(buf[2 * PG], 0x22);
    /* re-enable: starts clean, then tracks again */
    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
    a_dirty_str(&e, hwpt, IOVA, npg, PG, 0, s);
    cr_assert_str_eq(s, "0000000000000000");
    a_write(&e, IOVA + 9 * PG, 0x99);
    a_dirty_str(&e, hwpt, IOVA, npg, PG, 0, s);
    cr_assert_str_eq(s, "0000000001000000");
    cr_assert_eq(e2e_set_dirty(&e, hwpt, false), 0);

detach:
    cr_assert_eq(e2e_detach(&e), 0);
    /* clear_dte_entry: back to V|TV, DomainID dropped */
    a_dte(&e, q);
    cr_assert_eq(q[0], 3ull);
    cr_assert_eq(q[1] & 0xffff, 0);
    {
        uint8_t b[8];

        cr_assert_eq(e2e_dma(&e, IOVA, b, sizeof(b), true), -EFAULT);
    }
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    /* the command buffer never stopped on an error */
    cr_assert(a_reg(&e, A_STATUS, 8) & (1ull << 4));
    e2e_teardown(&e);
    munmap(buf, npg * PG);
    ASSERT_NO_LEAKS();
}

Test(amdvi_e2e, flow_default) { flow(&amdvi_model); }
Test(amdvi_e2e, flow_nodirty) { flow(&amdvi_nodirty_model); }
Test(amdvi_e2e, flow_qemu) { flow(&amdvi_qemu_model); }

/* 2 MiB leaves (NextLevel 0 at level 2) and a 64 KiB NextLevel-7 page (16
 * replicated level-1 PTEs): a write dirties the whole page. */
Test(amdvi_e2e, huge_leaves_dirty)
{
    const uint64_t two_m = 2ull << 20, iova2 = 0x80200000ull, iova64 = 0x90000000ull;
    struct e2e e;
    uint8_t *big, *small;
    uint32_t hwpt = 0, pt;
    uint64_t leaf, bm[16];
    unsigned lvl, i;
    char s[64];

    e2e_setup(&e, &amdvi_model);
    big = e2e_buf(2 * two_m, two_m);
    small = e2e_buf(64 * 1024, 64 * 1024);
    cr_assert_eq(e2e_map(&e, e.ioas, big, 2 * two_m, iova2), 0);
    cr_assert_eq(e2e_map(&e, e.ioas, small, 64 * 1024, iova64), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);

    leaf = a_leaf(&e, iova2 + two_m + 5 * PG, &lvl);
    cr_assert_eq(lvl, 2);
    cr_assert_eq((leaf >> 9) & 7, 0, "2 MiB: NextLevel 0");
    cr_assert_eq(leaf & A_ADDR_MASK, (uint64_t)(uintptr_t)big + two_m);
    /* 64 KiB: NextLevel 7, size encoded (bits 14:12 set, 15 clear), 16 replicas */
    leaf = a_leaf(&e, iova64 + 3 * PG, &lvl);
    cr_assert_eq(lvl, 1);
    cr_assert_eq((leaf >> 9) & 7, 7);
    cr_assert_eq(leaf & A_ADDR_MASK, ((uint64_t)(uintptr_t)small | 0x7000));
    for (i = 0; i < 16; i++)
        cr_assert_eq(a_leaf(&e, iova64 + i * PG, NULL), leaf);
    cr_assert_eq(a_leaf(&e, iova64 + 16 * PG, NULL), 0);

    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
    a_write(&e, iova2 + two_m + 5 * PG, 0xab);
    cr_assert_eq(big[two_m + 5 * PG], 0xab);
    a_write(&e, iova64 + 9 * PG, 0xcd);
    cr_assert_eq(small[9 * PG], 0xcd);
    /* only the replica the model walked got D; the harvest ORs them all */
    cr_assert(a_leaf(&e, iova64 + 9 * PG, NULL) & (1ull << 6));
    cr_assert_eq(a_leaf(&e, iova64 + 8 * PG, NULL) & (1ull << 6), 0);

    /* 4 KiB bitmap over 4 MiB: exactly the second 2 MiB leaf */
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, hwpt, iova2, 2 * two_m, PG, bm, 0), 0);
    for (i = 0; i < 1024; i++)
        cr_assert_eq(e2e_bit(bm, i), i >= 512, "bit %u", i);
    /* and with a 2 MiB bitmap page */
    a_write(&e, iova2 + 7 * PG, 0x01);
    a_dirty_str(&e, hwpt, iova2, 2, two_m, 0, s);
    cr_assert_str_eq(s, "10");
    /* the 64 KiB page: all 16 bits */
    a_dirty_str(&e, hwpt, iova64, 16, PG, 0, s);
    cr_assert_str_eq(s, "1111111111111111");
    for (i = 0; i < 16; i++)
        cr_assert_eq(a_leaf(&e, iova64 + i * PG, NULL) & (1ull << 6), 0);
    a_dirty_str(&e, hwpt, iova64, 16, PG, 0, s);
    cr_assert_str_eq(s, "0000000000000000");

    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    munmap(big, 2 * two_m);
    munmap(small, 64 * 1024);
    ASSERT_NO_LEAKS();
}

/* Replace the attached domain while tracking is on: the DTE switches
 * DomainID, root and HAD in one go; each domain sees only its own writes. */
Test(amdvi_e2e, replace_while_tracking)
{
    struct e2e e;
    uint8_t *buf;
    uint32_t h1 = 0, h2 = 0, pt;
    uint64_t q[4], root1, dom1;
    char s[16];

    e2e_setup(&e, &amdvi_model);
    cr_assert_eq(a_huge_pages(&e, false), 0);
    buf = e2e_buf(8 * PG, PG);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 8 * PG, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &h1), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &h2), 0);
    pt = h1;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    a_dte(&e, q);
    root1 = q[0] & A_ADDR_MASK;
    dom1 = q[1] & 0xffff;
    cr_assert_eq(e2e_set_dirty(&e, h1, true), 0);
    a_write(&e, IOVA + 1 * PG, 1);

    /* h2 not tracking yet: the new DTE has HAD off */
    pt = h2;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    a_dte(&e, q);
    cr_assert_neq(q[1] & 0xffff, dom1);
    cr_assert_neq(q[0] & A_ADDR_MASK, root1);
    cr_assert_eq((q[0] >> 7) & 3, 0);
    cr_assert_eq(e2e_set_dirty(&e, h2, true), 0);
    a_dte(&e, q);
    cr_assert_eq((q[0] >> 7) & 3, 3);
    a_write(&e, IOVA + 4 * PG, 4);
    a_dirty_str(&e, h2, IOVA, 8, PG, 0, s);
    cr_assert_str_eq(s, "00001000");
    a_dirty_str(&e, h1, IOVA, 8, PG, 0, s);
    cr_assert_str_eq(s, "01000000");

    /* back to h1 (still tracking): HAD comes with it */
    pt = h1;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    a_dte(&e, q);
    cr_assert_eq(q[1] & 0xffff, dom1);
    cr_assert_eq((q[0] >> 7) & 3, 3);
    a_write(&e, IOVA + 6 * PG, 6);
    a_dirty_str(&e, h1, IOVA, 8, PG, 0, s);
    cr_assert_str_eq(s, "00000010");
    a_dirty_str(&e, h2, IOVA, 8, PG, 0, s);
    cr_assert_str_eq(s, "00000000");

    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, h1), 0);
    cr_assert_eq(e2e_destroy(&e, h2), 0);
    e2e_teardown(&e);
    munmap(buf, 8 * PG);
    ASSERT_NO_LEAKS();
}

/* A DMA to an unmapped IOVA fails with EFAULT and the IOMMU logs an
 * IO_PAGE_FAULT event (amdvi.md §7.2/§7.3) with the DeviceID, DomainID,
 * RW flag and address. */
static void fault_logged(const struct e2e_model *m)
{
    struct e2e e;
    uint8_t *buf, b[16] = { 0 };
    uint32_t hwpt = 0, pt;
    uint64_t q[4], ev[2];
    unsigned n0;

    e2e_setup(&e, m);
    buf = e2e_buf(4 * PG, PG);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4 * PG, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    a_dte(&e, q);
    n0 = a_events(&e);
    cr_assert_eq(n0, 0, "no event after bring-up and attach");
    a_mask_event_irq(&e);    /* the record stays (test_fault_irq.c: the handler) */

    cr_assert_eq(e2e_dma(&e, IOVA + 4 * PG + 0x10, b, sizeof(b), true), -EFAULT);
    cr_assert_eq(a_events(&e), 1);
    a_event(&e, 0, ev);
    cr_assert_eq(ev[0] >> 60, 2, "IO_PAGE_FAULT");
    cr_assert_eq(ev[0] & 0xffff, m->rid);
    cr_assert_eq((ev[0] >> 32) & 0xffff, q[1] & 0xffff, "DomainID");
    cr_assert(ev[0] & (1ull << 53), "RW = write");
    cr_assert_eq(ev[0] & (1ull << 52), 0, "PR = 0: not present");
    cr_assert_eq(ev[1] & ~0xfffull, IOVA + 4 * PG);

    /* a read outside the 3-level range faults too */
    cr_assert_eq(e2e_dma(&e, 1ull << 45, b, sizeof(b), false), -EFAULT);
    cr_assert_eq(a_events(&e), 2);
    a_event(&e, 1, ev);
    cr_assert_eq(ev[0] >> 60, 2);
    cr_assert_eq(ev[0] & (1ull << 53), 0, "RW = read");

    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    munmap(buf, 4 * PG);
    ASSERT_NO_LEAKS();
}

Test(amdvi_e2e, fault_logged_default) { fault_logged(&amdvi_model); }
Test(amdvi_e2e, fault_logged_nodirty) { fault_logged(&amdvi_nodirty_model); }

/* An IOVA above 512 GiB grows the table (increase_address_space): the DTE
 * of the attached device is rewritten with Mode 4 and the new root. */
Test(amdvi_e2e, table_grows_and_dte_follows)
{
    const uint64_t hi = 2ull << 40;
    struct e2e e;
    uint8_t *buf;
    uint32_t hwpt = 0, pt;
    uint64_t q[4], root3;

    e2e_setup(&e, &amdvi_model);
    buf = e2e_buf(2 * PG, PG);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, PG, IOVA), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
    a_dte(&e, q);
    cr_assert_eq((q[0] >> 9) & 7, 3);
    root3 = q[0] & A_ADDR_MASK;

    cr_assert_eq(e2e_map(&e, e.ioas, buf + PG, PG, hi), 0);
    a_dte(&e, q);
    cr_assert_eq((q[0] >> 9) & 7, 4, "Mode 4");
    cr_assert_eq((q[0] >> 7) & 3, 3, "HAD kept");
    /* entry 0 of the new root points to the old level-3 root (NextLevel 3) */
    cr_assert_eq(a_rd64(&e, q[0] & A_ADDR_MASK), root3 | (3ull << 9) | 1 | (3ull << 61));
    a_write(&e, hi + 8, 0x42);
    cr_assert_eq(buf[PG + 8], 0x42);
    a_write(&e, IOVA, 0x24);
    cr_assert_eq(buf[0], 0x24);
    {
        char s[4];

        a_dirty_str(&e, hwpt, hi, 1, PG, 0, s);
        cr_assert_str_eq(s, "1");
        a_dirty_str(&e, hwpt, IOVA, 1, PG, 0, s);
        cr_assert_str_eq(s, "1");
    }
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    munmap(buf, 2 * PG);
    ASSERT_NO_LEAKS();
}

/* The kernel's amd_iommu=v2_pgsizes_only / nohugepages (MOCKFD_AMD_IOMMU)
 * restrict the leaf sizes: a 64 KiB-aligned 64 KiB area becomes 16 plain
 * 4 KiB leaves (exact dirty bits); with nohugepages even 2 MiB is split. */
static void pgsize_option(const char *opt, unsigned want_lvl_2m)
{
    const uint64_t two_m = 2ull << 20, iova2 = 0x80000000ull, iova64 = 0x90000000ull;
    struct e2e e;
    uint8_t *big, *small;
    uint32_t hwpt = 0, pt;
    uint64_t leaf;
    unsigned lvl;
    char s[64];

    cr_assert_eq(setenv("MOCKFD_AMD_IOMMU", opt, 1), 0);
    e2e_setup(&e, &amdvi_model);
    big = e2e_buf(two_m, two_m);
    small = e2e_buf(64 * 1024, 64 * 1024);
    cr_assert_eq(e2e_map(&e, e.ioas, big, two_m, iova2), 0);
    cr_assert_eq(e2e_map(&e, e.ioas, small, 64 * 1024, iova64), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    leaf = a_leaf(&e, iova64 + 3 * PG, &lvl);
    cr_assert_eq(lvl, 1);
    cr_assert_eq((leaf >> 9) & 7, 0);
    cr_assert_eq(leaf & A_ADDR_MASK, (uint64_t)(uintptr_t)small + 3 * PG);
    leaf = a_leaf(&e, iova2, &lvl);
    cr_assert_eq(lvl, want_lvl_2m);
    cr_assert_eq((leaf >> 9) & 7, 0);
    cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
    a_write(&e, iova64 + 9 * PG, 9);
    a_dirty_str(&e, hwpt, iova64, 16, PG, 0, s);
    cr_assert_str_eq(s, "0000000001000000");
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    e2e_teardown(&e);
    munmap(big, two_m);
    munmap(small, 64 * 1024);
    ASSERT_NO_LEAKS();
}

Test(amdvi_e2e, pgsizes_v2_only) { pgsize_option("v2_pgsizes_only", 2); }
Test(amdvi_e2e, pgsizes_nohugepages) { pgsize_option("irtcachedis,nohugepages", 1); }
