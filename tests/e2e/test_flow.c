/* The whole flow on every model: platform, device fd, bind, IOAS, map, HWPT
 * (with dirty tracking where the hardware has it), attach, DMA both ways,
 * dirty bitmap, NO_CLEAR, disable, detach, destroy, close. */
#include "e2e_util.h"

#define NPAGES 16

/* The first word of the bitmap a harvest of the whole mapping at page size
 * psz reports after writes of 1 byte to each of pages[] (a write dirties
 * its whole leaf: e2e_expect_write). */
static uint64_t want(const struct e2e_model *m, const struct e2e_mapping *mp, uint64_t psz,
                     const unsigned *pages, unsigned n)
{
    uint64_t bm[4] = { 0 };
    unsigned i;

    for (i = 0; i < n; i++)
        e2e_expect_write(m, mp, mp->iova + pages[i] * 4096ull, 1, mp->iova, mp->len, psz, bm);
    return bm[0];
}

E2E_TEST(full_flow)
{
    struct e2e e;
    uint8_t *buf = e2e_buf(NPAGES * 4096, 4096), data[256], back[256];
    const uint64_t iova = 0x100000;
    uint64_t bm[4];
    uint32_t hwpt = 0, pt;
    const struct e2e_mapping mp = { iova, buf, NPAGES * 4096, true };
    static const unsigned w0[] = { 0, 5, 6, 15 }, w5[] = { 5 }, w3[] = { 3 }, w7[] = { 7 };
    int i;

    e2e_setup(&e, m);
    /* DMA before any attach: blocked */
    cr_assert_eq(e2e_dma(&e, iova, data, sizeof(data), true), -EFAULT);
    cr_assert_eq(e2e_map(&e, e.ioas, buf, NPAGES * 4096, iova), 0);
    if (m->dirty) {
        cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt), 0);
    } else {
        cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &hwpt),
                     -EOPNOTSUPP);
        cr_assert_eq(e2e_hwpt_alloc(&e, 0, e.ioas, &hwpt), 0);
        cr_assert_eq(e2e_set_dirty(&e, hwpt, true), -EOPNOTSUPP);
    }
    pt = hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(pt, hwpt, "attach to a HWPT keeps pt_id");

    /* DMA write lands in the user buffer; a read gets it back */
    for (i = 0; i < (int)sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 1);
    cr_assert_eq(e2e_dma(&e, iova + 3 * 4096 + 100, data, sizeof(data), true), 0);
    cr_assert_eq(memcmp(buf + 3 * 4096 + 100, data, sizeof(data)), 0);
    memset(back, 0, sizeof(back));
    cr_assert_eq(e2e_dma(&e, iova + 3 * 4096 + 100, back, sizeof(back), false), 0);
    cr_assert_eq(memcmp(back, data, sizeof(data)), 0);
    /* outside the mapping: a translation fault */
    cr_assert_eq(e2e_dma(&e, iova + NPAGES * 4096, data, 8, true), -EFAULT);

    if (m->dirty) {
        cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
        /* the write before enabling is not reported (clean snapshot) */
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 4096, bm, 0), 0);
        cr_assert_eq(bm[0], 0);
        cr_assert_eq(e2e_dma(&e, iova + 0 * 4096, data, 1, true), 0);
        cr_assert_eq(e2e_dma(&e, iova + 5 * 4096 + 4000, data, 200, true), 0);  /* pages 5,6 */
        cr_assert_eq(e2e_dma(&e, iova + 15 * 4096, data, 8, true), 0);
        cr_assert_eq(e2e_dma(&e, iova + 9 * 4096, back, 8, false), 0);          /* read: clean */
        /* NO_CLEAR reports and keeps the bits */
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 4096, bm,
                                   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), 0);
        cr_assert_eq(bm[0], want(m, &mp, 4096, w0, 4));
        if (m->pgsizes == E2E_PG_4K_2M_1G)
            cr_assert_eq(bm[0], (1ull << 0) | (1ull << 5) | (1ull << 6) | (1ull << 15));
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 4096, bm, 0), 0);
        cr_assert_eq(bm[0], want(m, &mp, 4096, w0, 4));
        /* cleared: nothing now; bits the caller had set stay set */
        bm[0] = 1ull << 40;
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 4096, bm, 0), 0);
        cr_assert_eq(bm[0], 1ull << 40);
        /* after the clear+flush a new write to the same page is seen again */
        cr_assert_eq(e2e_dma(&e, iova + 5 * 4096, data, 1, true), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 4096, bm, 0), 0);
        cr_assert_eq(bm[0], want(m, &mp, 4096, w5, 1));
        /* 8 KiB granularity: bit i covers pages 2i, 2i+1 */
        cr_assert_eq(e2e_dma(&e, iova + 3 * 4096, data, 1, true), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 8192, bm, 0), 0);
        cr_assert_eq(bm[0], want(m, &mp, 8192, w3, 1));
        if (m->pgsizes == E2E_PG_4K_2M_1G)
            cr_assert_eq(bm[0], 1ull << 1);
        /* disable: writes no longer set D; a harvest with tracking off
         * reports nothing and still returns 0 (kernel quirk). SMMUv3
         * cannot disable (dirty_always_on): the write is reported. */
        cr_assert_eq(e2e_set_dirty(&e, hwpt, false), 0);
        cr_assert_eq(e2e_set_dirty(&e, hwpt, false), 0);
        cr_assert_eq(e2e_dma(&e, iova + 7 * 4096, data, 1, true), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 4096, bm,
                                   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), 0);
        cr_assert_eq(bm[0], m->dirty_always_on ? want(m, &mp, 4096, w7, 1) : 0);
        /* enabling starts from a clean snapshot on every model */
        cr_assert_eq(e2e_set_dirty(&e, hwpt, true), 0);
        memset(bm, 0, sizeof(bm));
        cr_assert_eq(e2e_get_dirty(&e, hwpt, iova, NPAGES * 4096, 4096, bm, 0), 0);
        cr_assert_eq(bm[0], 0, "nothing written while tracking was off");
    }

    /* the attached HWPT and its IOAS are busy; the bound device too */
    cr_assert_eq(e2e_destroy(&e, hwpt), -EBUSY);
    cr_assert_eq(e2e_destroy(&e, e.ioas), -EBUSY);
    cr_assert_eq(e2e_destroy(&e, e.dev_id), -EBUSY);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_detach(&e), 0, "detach when detached is fine");
    cr_assert_eq(e2e_dma(&e, iova, data, 8, false), -EFAULT);
    cr_assert_eq(e2e_destroy(&e, e.ioas), -EBUSY);
    cr_assert_eq(e2e_destroy(&e, hwpt), 0);
    cr_assert_eq(e2e_destroy(&e, e.ioas), 0);
    e2e_teardown(&e);
    munmap(buf, NPAGES * 4096);
    ASSERT_NO_LEAKS();
}

/* Attaching to an IOAS makes (and reuses) an auto HWPT that dies with its
 * last device; replacing between IOASes moves the device. */
E2E_TEST(auto_domain)
{
    struct e2e e;
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    uint8_t *buf = e2e_buf(8 * 4096, 4096), v = 0x5a, r = 0;
    uint32_t pt = 0, auto1, ioas2;

    e2e_setup(&e, m);
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_ALLOC, &ia), 0);
    ioas2 = ia.out_ioas_id;
    cr_assert_eq(e2e_map(&e, e.ioas, buf, 8 * 4096, 0x10000), 0);
    cr_assert_eq(e2e_map(&e, ioas2, buf, 4096, 0x80000), 0);
    pt = e.ioas;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_neq(pt, e.ioas, "pt_id is rewritten to the auto HWPT");
    auto1 = pt;
    cr_assert_eq(e2e_destroy(&e, auto1), -EBUSY);
    cr_assert_eq(e2e_dma(&e, 0x10000 + 4096, &v, 1, true), 0);
    cr_assert_eq(buf[4096], 0x5a);
    /* attach again to the same IOAS: the same auto HWPT */
    pt = e.ioas;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(pt, auto1);
    /* replace into another IOAS: the old auto HWPT is gone */
    pt = ioas2;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_neq(pt, auto1);
    cr_assert_eq(e2e_destroy(&e, auto1), -ENOENT);
    cr_assert_eq(e2e_dma(&e, 0x10000, &v, 1, true), -EFAULT);
    cr_assert_eq(e2e_dma(&e, 0x80000 + 4096 - 1, &r, 1, false), 0);
    /* kinds that are neither an IOAS nor a HWPT */
    pt = e.dev_id;
    cr_assert_eq(e2e_attach(&e, &pt), -EINVAL);
    pt = 9999;
    cr_assert_eq(e2e_attach(&e, &pt), -ENOENT);
    cr_assert_eq(e2e_detach(&e), 0);
    cr_assert_eq(e2e_destroy(&e, ioas2), 0, "auto HWPT released its IOAS");
    e2e_teardown(&e);
    munmap(buf, 8 * 4096);
    ASSERT_NO_LEAKS();
}

/* IOVA_RANGES once a device is attached: outside the aperture and the
 * driver's reserved regions (MSI window; AMD's HyperTransport hole too);
 * alignment is the domain's smallest page. */
E2E_TEST(iova_ranges)
{
    struct e2e e;
    struct iommu_iova_range r[4];
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .num_iovas = 4,
                                        .allowed_iovas = (uintptr_t)r };
    uint32_t pt;
    unsigned i;

    e2e_setup(&e, m);
    q.ioas_id = e.ioas;
    pt = e.ioas;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
    cr_assert_eq(q.num_iovas, m->nranges);
    cr_assert_eq(q.out_iova_alignment, 4096);
    for (i = 0; i < m->nranges; i++) {
        cr_assert_eq(r[i].start, m->ranges[i].start, "range %u start %#llx", i,
                     (unsigned long long)r[i].start);
        cr_assert_eq(r[i].last, m->ranges[i].last, "range %u last %#llx", i,
                     (unsigned long long)r[i].last);
    }
    /* mapping into the MSI window (or any reserved range) is refused while
     * attached; just below it is fine */
    {
        uint8_t *buf = e2e_buf(4096, 4096);

        cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, m->msi_iova), -EINVAL);
        cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, m->msi_iova - 4096), 0);
        if (m->nranges > 2)
            cr_assert_eq(e2e_map(&e, e.ioas, buf, 4096, m->ranges[1].last + 1), -EINVAL);
        munmap(buf, 4096);
    }
    cr_assert_eq(e2e_detach(&e), 0);
    q.num_iovas = 4;
    cr_assert_eq(e2e_ioctl(e.fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
    cr_assert_eq(q.num_iovas, 1);
    e2e_teardown(&e);
    ASSERT_NO_LEAKS();
}
