/* Dirty tracking end to end: huge leaves, bitmap layout across u64 words and
 * pages with unaligned user pointers, the kernel quirks (holes, bad bitmap
 * pointer, tracking off -> 0) and strict mode, replacing the domain while
 * tracking, and the §9 regression cases. */
#include <sys/mman.h>

#include "e2e_util.h"

static uint32_t dirty_hwpt(struct e2e *e)
{
    uint32_t h = 0, pt;

    cr_assert_eq(e2e_hwpt_alloc(e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e->ioas, &h), 0);
    pt = h;
    cr_assert_eq(e2e_attach(e, &pt), 0);
    cr_assert_eq(e2e_set_dirty(e, h, true), 0);
    return h;
}

static void write_page(struct e2e *e, uint64_t iova)
{
    uint8_t v = 0xab;

    cr_assert_eq(e2e_dma(e, iova, &v, 1, true), 0, "DMA to %#lx", (unsigned long)iova);
}

/* Huge leaves: one byte written sets every bit of its leaf. The buffer is
 * 2 MiB aligned but not 4 MiB aligned, so VT-d and SMMUv3 (4K/2M/1G) and
 * AMD-Vi (every power of two) all use 2 MiB leaves for it. */
E2E_DIRTY_TEST(huge_leaf_bits)
{
    struct e2e e;
    const uint64_t sz = 8ull << 20, iova = 1ull << 30;
    uint8_t *buf = e2e_buf(sz + (2 << 20), 4 << 20) + (2 << 20);
    uint8_t *bm = calloc(1, sz / 4096 / 8 + 64);
    uint8_t *exp = calloc(1, sz / 4096 / 8 + 64);
    const struct e2e_mapping mp = { iova, buf, sz, true };
    uint32_t h;
    uint64_t i;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, sz, iova), 0);
    h = dirty_hwpt(&e);
    write_page(&e, iova + (2ull << 20) + 12345);        /* leaf 1 */
    write_page(&e, iova + (6ull << 20) + (2 << 20) - 1); /* last byte of leaf 3 */
    cr_assert_eq(e2e_get_dirty(&e, h, iova, sz, 4096, bm, 0), 0);
    e2e_expect_write(m, &mp, iova + (2ull << 20) + 12345, 1, iova, sz, 4096, exp);
    e2e_expect_write(m, &mp, iova + (8ull << 20) - 1, 1, iova, sz, 4096, exp);
    for (i = 0; i < sz / 4096; i++) {
        bool want = (i >= 512 && i < 1024) || (i >= 1536 && i < 2048);

        cr_assert_eq(e2e_bit(bm, i), want, "bit %lu", (unsigned long)i);
        cr_assert_eq(e2e_bit(exp, i), want, "helper bit %lu", (unsigned long)i);
    }
    /* at 2 MiB granularity: bits 1 and 3 */
    memset(bm, 0, 8);
    write_page(&e, iova + (2ull << 20));
    cr_assert_eq(e2e_get_dirty(&e, h, iova, sz, 2 << 20, bm, 0), 0);
    cr_assert_eq(bm[0], 1 << 1);
    /* a sub-range inside one leaf: only the requested bits are set */
    write_page(&e, iova + (4ull << 20) + 5);
    memset(bm, 0, 64);
    cr_assert_eq(e2e_get_dirty(&e, h, iova + (4ull << 20) + 8 * 4096, 16 * 4096, 4096, bm, 0), 0);
    cr_assert_eq(bm[0], 0xff);
    cr_assert_eq(bm[1], 0xff);
    cr_assert_eq(bm[2], 0, "nothing past the requested range");
    e2e_teardown(&e);
    free(bm);
    free(exp);
    munmap(buf - (2 << 20), sz + (2 << 20));
    ASSERT_NO_LEAKS();
}

/* A 64 KiB-aligned (not 128 KiB-aligned) buffer and IOVA: AMD-Vi's
 * pgsize_bitmap has 64 KiB, so the map is one 64 KiB leaf (NextLevel 7,
 * 16 replicas) and a one-byte write dirties all 16 bits at 4 KiB; VT-d and
 * SMMUv3 map 4 KiB leaves and report the one page. Real behaviour of each
 * driver (amd_iommu_pgsize_bitmap, docs/driver-amdvi.md). */
E2E_DIRTY_TEST(leaf_64k)
{
    struct e2e e;
    const uint64_t iova = 0x110000;
    uint8_t *buf = e2e_buf(2 * 65536, 131072) + 65536;
    const struct e2e_mapping mp = { iova, buf, 65536, true };
    uint64_t bm = 0, exp = 0;
    uint32_t h;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 65536, iova), 0);
    h = dirty_hwpt(&e);
    write_page(&e, iova + 9 * 4096 + 17);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 65536, 4096, &bm, 0), 0);
    cr_assert_eq(bm, m->pgsizes & 65536 ? 0xffffull : 1ull << 9, "bm %#llx",
                 (unsigned long long)bm);
    e2e_expect_write(m, &mp, iova + 9 * 4096 + 17, 1, iova, 65536, 4096, &exp);
    cr_assert_eq(bm, exp);
    /* a sub-range: only its bits, though the whole leaf was dirty */
    write_page(&e, iova + 2 * 4096);
    bm = 0;
    cr_assert_eq(e2e_get_dirty(&e, h, iova + 4 * 4096, 4 * 4096, 4096, &bm, 0), 0);
    cr_assert_eq(bm, m->pgsizes & 65536 ? 0xfull : 0);
    e2e_teardown(&e);
    munmap(buf - 65536, 2 * 65536);
    ASSERT_NO_LEAKS();
}

/* 4 KiB leaves without HUGE_PAGES: a 2 MiB aligned buffer is not a leaf. */
E2E_DIRTY_TEST(small_leaves_when_huge_disabled)
{
    struct e2e e;
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = IOMMU_OPTION_OP_SET, .val64 = 0 };
    const uint64_t sz = 2ull << 20, iova = 1ull << 30;
    uint8_t *buf = e2e_buf(sz, 2 << 20);
    uint64_t bm[8] = { 0 };
    uint32_t h;

    e2e_setup(&e, m);
    o.object_id = e.ioas;
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_OPTION, &o), 0);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, sz, iova), 0);
    h = dirty_hwpt(&e);
    write_page(&e, iova + 65 * 4096);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, sz, 4096, bm, 0), 0);
    cr_assert_eq(e2e_popcount(bm, sizeof(bm)), 1);
    cr_assert(e2e_bit(bm, 65));
    e2e_teardown(&e);
    munmap(buf, sz);
    ASSERT_NO_LEAKS();
}

/* Bits across u64 words and bitmap pages, with the user pointer at every
 * odd offset (d18411ec3057, "consider page offset", selftest +0xff1); the
 * bytes around the bitmap are never touched (79ea4a496ab5). */
E2E_DIRTY_TEST(unaligned_bitmaps)
{
    static const size_t offs[] = { 0, 1, 7, 8, 0xff1, 4095 };
    static const uint64_t pages[] = { 0, 1, 63, 64, 65, 127, 128, 511, 4095, 4096, 4097, 8191 };
    const uint64_t npages = 8192, iova = 1ull << 32;   /* 8192 bits = 1 KiB of bitmap */
    uint8_t *buf = e2e_buf(npages * 4096, 4096);
    uint8_t *area = e2e_buf(3 * 4096, 4096);
    uint8_t *exp = calloc(1, npages / 8);
    const struct e2e_mapping mp = { iova, buf, npages * 4096, true };
    struct e2e e;
    size_t k, p;
    uint64_t i;
    uint32_t h;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, npages * 4096, iova), 0);
    h = dirty_hwpt(&e);
    /* the bits the pages' leaves cover (exactly pages[] with 4 KiB leaves) */
    for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++)
        e2e_expect_write(m, &mp, iova + pages[p] * 4096, 1, iova, npages * 4096, 4096, exp);
    for (k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
        uint8_t *bm = area + offs[k];

        memset(area, 0x00, 3 * 4096);
        if (offs[k])
            area[offs[k] - 1] = 0x5a;
        bm[npages / 8] = 0xa5;                       /* guard just past the bitmap */
        for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++)
            write_page(&e, iova + pages[p] * 4096);
        cr_assert_eq(e2e_get_dirty(&e, h, iova, npages * 4096, 4096, bm, 0), 0);
        for (i = 0; i < npages; i++)
            cr_assert_eq(e2e_bit(bm, i), e2e_bit(exp, i), "offset %#zx bit %lu", offs[k],
                         (unsigned long)i);
        cr_assert_eq(bm[npages / 8], 0xa5, "byte past the bitmap");
        if (offs[k])
            cr_assert_eq(area[offs[k] - 1], 0x5a, "byte before the bitmap");
    }
    /* a bitmap that is not a multiple of 8 bits: 12 bits -> 2 bytes */
    memset(area, 0, 16);
    memset(exp, 0, 2);
    area[2] = 0x77;
    write_page(&e, iova + 11 * 4096);
    e2e_expect_write(m, &mp, iova + 11 * 4096, 1, iova, 12 * 4096, 4096, exp);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 12 * 4096, 4096, area, 0), 0);
    cr_assert_eq(area[0], exp[0]);
    cr_assert_eq(area[1], exp[1]);
    cr_assert(area[1] & (1 << 3));
    cr_assert_eq(area[2], 0x77);
    e2e_teardown(&e);
    free(exp);
    munmap(buf, npages * 4096);
    munmap(area, 3 * 4096);
    ASSERT_NO_LEAKS();
}

/* iommufd.md §4.13 step 10: holes, a bad bitmap pointer and tracking off
 * all return 0 (quirk); MOCKFD_DIRTY_STRICT=1 reports the internal error. */
static void quirks(const struct e2e_model *m, bool strict)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(8 * 4096, 4096);
    uint8_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const uint64_t iova = 0x200000;
    const struct e2e_mapping m1 = { iova, buf, 3 * 4096, true },
                             m2 = { iova + 5 * 4096, buf + 5 * 4096, 3 * 4096, true };
    uint64_t bm[2], exp;
    uint32_t h;

    if (strict)
        setenv("MOCKFD_DIRTY_STRICT", "1", 1);
    e2e_setup(&e, m);
    /* two areas with a hole of 2 pages between them */
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 3 * 4096, iova), 0);
    cr_assert_eq(e2e_map(&e, e.ioas, buf + 5 * 4096, 3 * 4096, iova + 5 * 4096), 0);
    h = dirty_hwpt(&e);
    write_page(&e, iova + 1 * 4096);
    write_page(&e, iova + 6 * 4096);
    /* the walk stops at the hole: bits before it only; after it neither
     * reported nor cleared */
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 8 * 4096, 4096, bm, 0), strict ? -EINVAL : 0);
    exp = 0;
    e2e_expect_write(m, &m1, iova + 4096, 1, iova, 8 * 4096, 4096, &exp);
    cr_assert_eq(bm[0], exp);
    cr_assert(bm[0] & (1 << 1));
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, h, iova + 5 * 4096, 3 * 4096, 4096, bm, 0), 0);
    exp = 0;
    e2e_expect_write(m, &m2, iova + 6 * 4096, 1, iova + 5 * 4096, 3 * 4096, 4096, &exp);
    cr_assert_eq(bm[0], exp, "page 6 still dirty");
    cr_assert(bm[0] & (1 << 1));
    /* starting in a hole: nothing */
    cr_assert_eq(e2e_get_dirty(&e, h, iova + 3 * 4096, 2 * 4096, 4096, bm, 0),
                 strict ? -EINVAL : 0);
    /* bad and read-only bitmap pointers: nothing recorded, nothing cleared */
    write_page(&e, iova);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, (void *)8, 0), strict ? -EFAULT : 0);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, ro, 0), strict ? -EFAULT : 0);
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, bm, 0), 0);
    exp = 0;
    e2e_expect_write(m, &m1, iova, 1, iova, 3 * 4096, 4096, &exp);
    cr_assert_eq(bm[0], exp, "page 0 survived the failed harvests");
    cr_assert(bm[0] & 1);
    /* tracking off with a bitmap: the driver's -EINVAL (SMMUv3 has no
     * "off": arm_smmu_read_and_clear_dirty just walks) */
    cr_assert_eq(e2e_set_dirty(&e, h, false), 0);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, bm, 0),
                 strict && !m->dirty_always_on ? -EINVAL : 0);
    e2e_teardown(&e);
    munmap(buf, 8 * 4096);
    munmap(ro, 4096);
    ASSERT_NO_LEAKS();
}

E2E_DIRTY_TEST(quirk_default) { quirks(m, false); }
E2E_DIRTY_TEST(quirk_strict) { quirks(m, true); }

/* Replacing the attached domain while tracking: each domain sees the
 * writes made while it was attached; the new domain's PASID entry gets
 * SSADE from the start. */
E2E_DIRTY_TEST(replace_while_tracking)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(16 * 4096, 4096);
    const uint64_t iova = 0x800000;
    const struct e2e_mapping mp = { iova, buf, 16 * 4096, true };
    uint64_t bm, exp;
    uint32_t a, b = 0, pt;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 16 * 4096, iova), 0);
    a = dirty_hwpt(&e);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &b), 0);
    cr_assert_eq(e2e_set_dirty(&e, b, true), 0);
    write_page(&e, iova + 2 * 4096);
    pt = b;
    cr_assert_eq(e2e_attach(&e, &pt), 0, "replace a -> b");
    cr_assert_eq(e2e_destroy(&e, a), 0, "a is no longer attached");
    a = 0;
    write_page(&e, iova + 9 * 4096);
    bm = 0;
    cr_assert_eq(e2e_get_dirty(&e, b, iova, 16 * 4096, 4096, &bm, 0), 0);
    exp = 0;
    e2e_expect_write(m, &mp, iova + 9 * 4096, 1, iova, 16 * 4096, 4096, &exp);
    cr_assert_eq(bm, exp);
    cr_assert(bm & (1ull << 9));
    if (!(exp & (1ull << 2)))
        cr_assert_eq(bm & (1ull << 2), 0, "page 2 was written through a");
    /* replace by a non-dirty domain and back: tracking state is per domain */
    cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &a), 0);
    pt = a;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    write_page(&e, iova + 3 * 4096);
    pt = b;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    write_page(&e, iova + 4 * 4096);
    bm = 0;
    cr_assert_eq(e2e_get_dirty(&e, b, iova, 16 * 4096, 4096, &bm, 0), 0);
    exp = 0;
    e2e_expect_write(m, &mp, iova + 4 * 4096, 1, iova, 16 * 4096, 4096, &exp);
    cr_assert_eq(bm, exp);
    e2e_teardown(&e);
    munmap(buf, 16 * 4096);
    ASSERT_NO_LEAKS();
}

/* Unmapping and remapping under tracking: stale D bits of a re-used IOVA
 * do not leak into the new mapping's first harvest, and enabling clears
 * stale bits (iopt_set_dirty_tracking's clean snapshot). */
E2E_DIRTY_TEST(enable_clears_stale)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(4 * 4096, 4096);
    const uint64_t iova = 0x10000000;
    const struct e2e_mapping mp = { iova, buf, 4 * 4096, true };
    uint64_t bm = 0, exp = 0;
    uint32_t h;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4 * 4096, iova), 0);
    h = dirty_hwpt(&e);
    write_page(&e, iova + 4096);
    cr_assert_eq(e2e_set_dirty(&e, h, false), 0);
    cr_assert_eq(e2e_set_dirty(&e, h, true), 0);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 4 * 4096, 4096, &bm, 0), 0);
    cr_assert_eq(bm, 0, "enable started from a clean snapshot");
    {
        struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = e.ioas, .iova = iova,
                                      .length = 4 * 4096 };

        write_page(&e, iova + 2 * 4096);
        cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_UNMAP, &u), 0);
        cr_assert_eq(e2e_get_dirty(&e, h, iova, 4 * 4096, 4096, &bm, 0), 0, "hole: quirk 0");
        cr_assert_eq(e2e_map(&e, e.ioas, buf, 4 * 4096, iova), 0);
        cr_assert_eq(e2e_get_dirty(&e, h, iova, 4 * 4096, 4096, &bm, 0), 0);
        /* fresh PTEs are clean, except SMMUv3's: writable leaves are
         * mapped writable-dirty (DBM=1, AP[2]=0) */
        if (m->dirty_always_on)
            e2e_expect_write(m, &mp, iova, 4 * 4096, iova, 4 * 4096, 4096, &exp);
        cr_assert_eq(bm, exp, "fresh PTEs");
        cr_assert_eq(bm, m->dirty_always_on ? 0xfull : 0);
    }
    e2e_teardown(&e);
    munmap(buf, 4 * 4096);
    ASSERT_NO_LEAKS();
}

/* Regression (fuzz/repro/ioctl/smmuv3_dirty_bit_unwritten_page): a
 * SET_DIRTY_TRACKING with an unknown flag bit is -EOPNOTSUPP (iommufd.md
 * §4.12) and clears nothing. Without an enable, VT-d and AMD-Vi report no
 * page (tracking off, the quirk returns 0), while SMMUv3 reports every
 * writable leaf: io-pgtable-arm maps them DBM=1 with AP[2]=0, already dirty
 * (smmuv3.md §9.2), so the first harvest is all-dirty. A valid enable then
 * clears every leaf on all three: only the written page is reported. */
E2E_DIRTY_TEST(unknown_flag_enable_then_clean)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(4 * 4096, 4096);
    const uint64_t iova = 0x100000;
    const struct e2e_mapping mp = { iova, buf, 4 * 4096, true };
    struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s),
                                               .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE | 0x10000 };
    uint64_t bm = 0, exp = 0;
    uint32_t h = 0, pt;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 4 * 4096, iova), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &h), 0);
    pt = h;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    s.hwpt_id = h;
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -EOPNOTSUPP);
    write_page(&e, iova + 2 * 4096);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 4 * 4096, 4096, &bm, 0), 0);
    cr_assert_eq(bm, m->dirty_always_on ? 0xfull : 0, "never enabled: %#llx",
                 (unsigned long long)bm);
    cr_assert_eq(e2e_set_dirty(&e, h, true), 0);
    bm = 0;
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 4 * 4096, 4096, &bm, 0), 0);
    cr_assert_eq(bm, 0, "enable cleared every leaf");
    write_page(&e, iova + 3 * 4096);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 4 * 4096, 4096, &bm, 0), 0);
    e2e_expect_write(m, &mp, iova + 3 * 4096, 1, iova, 4 * 4096, 4096, &exp);
    cr_assert_eq(bm, exp);   /* its leaf only (AMD-Vi may use one 16 KiB leaf) */
    cr_assert_neq(bm, 0);
    e2e_teardown(&e);
    munmap(buf, 4 * 4096);
    ASSERT_NO_LEAKS();
}
