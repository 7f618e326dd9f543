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

/* 2 MiB leaves: one byte written sets all 512 bits of its leaf. */
E2E_DIRTY_TEST(huge_leaf_bits)
{
    struct e2e e;
    const uint64_t sz = 8ull << 20, iova = 1ull << 30;
    uint8_t *buf = e2e_buf(sz, 2 << 20);
    uint8_t *bm = calloc(1, sz / 4096 / 8 + 64);
    uint32_t h;
    uint64_t i;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, sz, iova), 0);
    h = dirty_hwpt(&e);
    write_page(&e, iova + (2ull << 20) + 12345);        /* leaf 1 */
    write_page(&e, iova + (6ull << 20) + (2 << 20) - 1); /* last byte of leaf 3 */
    cr_assert_eq(e2e_get_dirty(&e, h, iova, sz, 4096, bm, 0), 0);
    for (i = 0; i < sz / 4096; i++) {
        bool want = (i >= 512 && i < 1024) || (i >= 1536 && i < 2048);

        cr_assert_eq(e2e_bit(bm, i), want, "bit %lu", (unsigned long)i);
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
    munmap(buf, sz);
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
    struct e2e e;
    size_t k, p;
    uint64_t i;
    uint32_t h;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, npages * 4096, iova), 0);
    h = dirty_hwpt(&e);
    for (k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
        uint8_t *bm = area + offs[k];

        memset(area, 0x00, 3 * 4096);
        if (offs[k])
            area[offs[k] - 1] = 0x5a;
        bm[npages / 8] = 0xa5;                       /* guard just past the bitmap */
        for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++)
            write_page(&e, iova + pages[p] * 4096);
        cr_assert_eq(e2e_get_dirty(&e, h, iova, npages * 4096, 4096, bm, 0), 0);
        for (i = 0, p = 0; i < npages; i++) {
            bool want = p < sizeof(pages) / sizeof(pages[0]) && pages[p] == i;

            cr_assert_eq(e2e_bit(bm, i), want, "offset %#zx bit %lu", offs[k], (unsigned long)i);
            if (want)
                p++;
        }
        cr_assert_eq(bm[npages / 8], 0xa5, "byte past the bitmap");
        if (offs[k])
            cr_assert_eq(area[offs[k] - 1], 0x5a, "byte before the bitmap");
    }
    /* a bitmap that is not a multiple of 8 bits: 12 bits -> 2 bytes */
    memset(area, 0, 16);
    area[2] = 0x77;
    write_page(&e, iova + 11 * 4096);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 12 * 4096, 4096, area, 0), 0);
    cr_assert_eq(area[1], 1 << 3);
    cr_assert_eq(area[2], 0x77);
    e2e_teardown(&e);
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
    uint64_t bm[2];
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
    cr_assert_eq(bm[0], 1 << 1);
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, h, iova + 5 * 4096, 3 * 4096, 4096, bm, 0), 0);
    cr_assert_eq(bm[0], 1 << 1, "page 6 still dirty");
    /* starting in a hole: nothing */
    cr_assert_eq(e2e_get_dirty(&e, h, iova + 3 * 4096, 2 * 4096, 4096, bm, 0),
                 strict ? -EINVAL : 0);
    /* bad and read-only bitmap pointers: nothing recorded, nothing cleared */
    write_page(&e, iova);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, (void *)8, 0), strict ? -EFAULT : 0);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, ro, 0), strict ? -EFAULT : 0);
    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, bm, 0), 0);
    cr_assert_eq(bm[0], 1, "page 0 survived the failed harvests");
    /* tracking off with a bitmap: the driver's -EINVAL */
    cr_assert_eq(e2e_set_dirty(&e, h, false), 0);
    cr_assert_eq(e2e_get_dirty(&e, h, iova, 3 * 4096, 4096, bm, 0), strict ? -EINVAL : 0);
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
    uint64_t bm;
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
    cr_assert_eq(bm, 1ull << 9);
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
    cr_assert_eq(bm, 1ull << 4);
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
    uint64_t bm = 0;
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
        cr_assert_eq(bm, 0, "fresh PTEs are clean");
    }
    e2e_teardown(&e);
    munmap(buf, 4 * 4096);
    ASSERT_NO_LEAKS();
}
