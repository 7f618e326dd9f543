/* Domains and pinning: the attach API for the device/HWPT code, checked with
 * a fake paging domain (iommufd.md §4.5 "Pinning", §4.21). */
#include "test_ioas_util.h"

static int fd;
static void setup(void) { fd = mockfd_open(); cr_assert_geq(fd, 0); }
static void teardown(void) { mockfd_close(fd); }

TestSuite(ioas_pin, .init = setup, .fini = teardown);

Test(ioas_pin, attach_fills_and_pins_once_per_pages)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(4 * PG, PROT_READ | PROT_WRITE);
    struct fake_dom d1, d2;
    uint64_t iova = 0;

    EXPECT_OK(t_map_fixed(fd, id, buf, 4 * PG, 0x100000));
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 0);     /* no domain: no pin */
    fake_init(&d1, 0, UMAX, PG | (2ull << 20));
    cr_assert_eq(t_attach(fd, id, &d1), 0);
    cr_assert_eq(d1.maps, 1);
    cr_assert_eq(d1.last_iova, 0x100000);
    cr_assert_eq(d1.last_paddr, (uintptr_t)buf);          /* identity: paddr = VA */
    cr_assert_eq(d1.last_len, 4 * PG);
    cr_assert_eq(d1.last_prot, MFD_PROT_READ | MFD_PROT_WRITE | MFD_PROT_CACHE);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(mfd_pages_refs((uintptr_t)buf + i * PG), 1);
    /* A second domain maps too, but pins stay once per iopt_pages. */
    fake_init(&d2, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d2), 0);
    cr_assert_eq(t_attach(fd, id, &d2), -EEXIST);
    cr_assert_eq(d2.maps, 1);
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 1);
    /* COPY shares the iopt_pages: still one pin. */
    {
        struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW, .dst_ioas_id = id,
                                     .src_ioas_id = id, .length = PG, .src_iova = 0x101000 };

        EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_COPY, &c));
        cr_assert_eq(d1.maps, 2);
        cr_assert_eq(mfd_pages_refs((uintptr_t)buf + PG), 1);
    }
    /* A second MAP of the same memory is a new iopt_pages: two pins. */
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &iova));
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 2);
    EXPECT_OK(t_unmap(fd, id, iova, PG, NULL));
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 1);
    t_detach(fd, id, &d2);
    cr_assert_eq(d2.bytes, 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 1);      /* d1 still holds */
    t_detach(fd, id, &d1);
    cr_assert_eq(d1.bytes, 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(mfd_pages_refs((uintptr_t)buf + i * PG), 0);
    munmap(buf, 4 * PG);
    ASSERT_NO_LEAKS();
}

Test(ioas_pin, map_with_domain_pins_and_checks_memory)
{
    uint32_t id = t_ioas_alloc(fd);
    char *rw = t_buf(3 * PG, PROT_READ | PROT_WRITE);
    char *ro = t_buf(PG, PROT_READ);
    char *none = t_buf(PG, PROT_NONE);
    struct iommu_iova_range r[2];
    struct fake_dom d;
    uint64_t iova = 0;

    munmap(rw + 2 * PG, PG); /* a hole right after rw (see below) */
    fake_init(&d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d), 0);
    /* Unmapped VA: EFAULT, nothing left behind. */
    EXPECT_ERR(EFAULT, t_map(fd, id, RW, t_hole(PG), PG, &iova));
    /* Write-mapping read-only memory: EFAULT; read-only map works. */
    EXPECT_ERR(EFAULT, t_map(fd, id, RW, ro, PG, &iova));
    EXPECT_ERR(EFAULT, t_map(fd, id, IOMMU_IOAS_MAP_READABLE, none, PG, &iova));
    /* A range that runs off the end of the mapping. */
    EXPECT_ERR(EFAULT, t_map(fd, id, RW, rw + PG, 2 * PG, &iova));
    cr_assert_eq(t_nareas(fd, id), 0);
    cr_assert_eq(d.maps, 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)ro), 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)rw + PG), 0);
    EXPECT_OK(t_map(fd, id, IOMMU_IOAS_MAP_READABLE, ro, PG, &iova));
    cr_assert_eq(d.last_prot, MFD_PROT_READ | MFD_PROT_CACHE);
    cr_assert_eq(mfd_pages_refs((uintptr_t)ro), 1);
    /* Alignment is now the domain's page size. */
    {
        uint64_t align;

        t_ranges(fd, id, r, 2, &align);
        cr_assert_eq(align, PG);
    }
    EXPECT_ERR(EINVAL, t_map(fd, id, RW, rw, 0x100, &iova));
    EXPECT_ERR(EINVAL, t_map(fd, id, RW, rw + 0x10, PG, &iova));
    EXPECT_OK(t_map(fd, id, RW, rw, 2 * PG, &iova));
    cr_assert_eq(mfd_pages_refs((uintptr_t)rw + PG), 1);
    /* Closing the fd drops every pin. */
    mockfd_close(fd);
    fd = mockfd_open();
    cr_assert_eq(mfd_pages_refs((uintptr_t)ro), 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)rw), 0);
    munmap(rw, 2 * PG);
    munmap(ro, PG);
    munmap(none, PG);
    ASSERT_NO_LEAKS();
}

Test(ioas_pin, attach_failures_leave_no_trace)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(2 * PG, PROT_READ | PROT_WRITE);
    struct iommu_iova_range r[4];
    struct fake_dom d;
    uint64_t align;

    /* An area over unmapped memory: pinning fails with EFAULT. */
    EXPECT_OK(t_map_fixed(fd, id, buf, 2 * PG, 0x10000));
    EXPECT_OK(t_map_fixed(fd, id, t_hole(PG), PG, 0x20000));
    fake_init(&d, 0x1000, 0xffffffff, PG);
    cr_assert_eq(t_attach(fd, id, &d), -EFAULT);
    cr_assert_eq(d.bytes, 0);                       /* first area unmapped again */
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 0);
    cr_assert_eq(t_ranges(fd, id, r, 4, &align), 1); /* no aperture reserve left */
    cr_assert_eq(align, 1);
    EXPECT_OK(t_unmap(fd, id, 0x20000, PG, NULL));

    /* The driver failing a map: everything before it is undone. */
    EXPECT_OK(t_map_fixed(fd, id, buf, PG, 0x30000));
    fake_init(&d, 0x1000, 0xffffffff, PG);
    d.fail_map_after = 1;
    cr_assert_eq(t_attach(fd, id, &d), -ENOMEM);
    cr_assert_eq(d.bytes, 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 0);
    cr_assert_eq(t_ranges(fd, id, r, 4, NULL), 1);

    /* Areas outside the aperture: EADDRINUSE. */
    fake_init(&d, 0x20000, 0xffffffff, PG);
    cr_assert_eq(t_attach(fd, id, &d), -EADDRINUSE);
    /* Misaligned areas: EADDRINUSE; too large a minimum page: EINVAL. */
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
    EXPECT_OK(t_map_fixed(fd, id, buf, 0x800, 0x10000));
    fake_init(&d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d), -EADDRINUSE);
    fake_init(&d, 0, UMAX, 2 * PG);
    cr_assert_eq(t_attach(fd, id, &d), -EINVAL);
    /* 2 KiB pages (the selftest mock's) accept the 2 KiB area. */
    fake_init(&d, 0x1000000, 0x7fffffff, 0x800);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
    EXPECT_OK(t_map_fixed(fd, id, buf, 0x800, 0x1000800));
    cr_assert_eq(t_attach(fd, id, &d), 0);
    cr_assert_eq(t_ranges(fd, id, r, 4, &align), 1);
    cr_assert_eq(r[0].start, 0x1000000);
    cr_assert_eq(r[0].last, 0x7fffffff);
    cr_assert_eq(align, 0x800);
    /* Outside the aperture is reserved: FIXED EINVAL, ALLOW EADDRINUSE. */
    EXPECT_ERR(EINVAL, t_map_fixed(fd, id, buf, PG, 0x10000));
    {
        struct iommu_iova_range bad = { 0x800000, 0x1ffffff };

        EXPECT_ERR(EADDRINUSE, t_allow(fd, id, &bad, 1));
    }
    t_detach(fd, id, &d);
    cr_assert_eq(t_ranges(fd, id, r, 4, &align), 1);
    cr_assert_eq(r[0].start, 0);
    cr_assert_eq(align, 1);
    munmap(buf, 2 * PG);
    ASSERT_NO_LEAKS();
}

Test(ioas_pin, map_into_two_domains_unwinds)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(PG, PROT_READ | PROT_WRITE);
    struct fake_dom d1, d2;
    uint64_t iova = 0;

    fake_init(&d1, 0, UMAX, PG);
    fake_init(&d2, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d1), 0);
    cr_assert_eq(t_attach(fd, id, &d2), 0);
    d2.fail_map_after = 0;
    EXPECT_ERR(ENOMEM, t_map(fd, id, RW, buf, PG, &iova));
    cr_assert_eq(d1.maps, 1);
    cr_assert_eq(d1.unmaps, 1);
    cr_assert_eq(d1.bytes, 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 0);
    cr_assert_eq(t_nareas(fd, id), 0);
    d2.fail_map_after = -1;
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &iova));
    cr_assert_eq(d1.bytes, PG);
    cr_assert_eq(d2.bytes, PG);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
    cr_assert_eq(d1.bytes + d2.bytes, 0);
    t_detach(fd, id, &d1);
    t_detach(fd, id, &d2);
    munmap(buf, PG);
    ASSERT_NO_LEAKS();
}

Test(ioas_pin, reserve_and_contig_walk)
{
    uint32_t id = t_ioas_alloc(fd);
    struct mfd_ioas *ioas = t_ioas(fd, id);
    struct iopt_area_contig_iter it;
    struct iopt_area *a;
    uint64_t covered = 0;
    int owner;

    EXPECT_OK(t_map_fixed(fd, id, (void *)0x100000, 0x2000, 0x10000));
    EXPECT_OK(t_map_fixed(fd, id, (void *)0x100000, 0x1000, 0x12000));
    EXPECT_OK(t_map_fixed(fd, id, (void *)0x100000, 0x1000, 0x14000));
    cr_assert_eq(t_reserve(fd, id, &owner, 0x11000, 0x11000), -EADDRINUSE);
    cr_assert_eq(t_reserve(fd, id, &owner, 0x13000, 0x13fff), 0);
    cr_assert_eq(t_reserve(fd, id, &owner, 0x13800, 0x13fff), 0); /* overlap ok */
    cr_assert_eq(t_reserve(fd, id, &owner, 5, 4), -EINVAL);
    /* [0x10800, 0x12fff] is covered by two contiguous areas. */
    iopt_for_each_contig_area(&it, a, &ioas->iopt, 0x10800, 0x12fff)
        covered += (iopt_area_last_iova(a) < 0x12fff ? iopt_area_last_iova(a) : 0x12fff) -
                   it.cur_iova + 1;
    cr_assert(iopt_area_contig_done(&it));
    cr_assert_eq(covered, 0x2800);
    /* Across the gap at 0x13000: not done. */
    iopt_for_each_contig_area(&it, a, &ioas->iopt, 0x10000, 0x14fff)
        ;
    cr_assert(!iopt_area_contig_done(&it));
    /* Removing by owner removes both overlapping ranges. */
    {
        struct mfd_ctx *ctx = t_ctx(fd);
        struct iommu_iova_range r[4];

        pthread_mutex_lock(&ctx->lock);
        iopt_remove_reserved(ioas, &owner);
        pthread_mutex_unlock(&ctx->lock);
        cr_assert_eq(t_ranges(fd, id, r, 4, NULL), 1);
    }
    ASSERT_NO_LEAKS();
}

/* Regression (fuzz/repro/ioctl/hang_pin_huge_unmapped_range): MAP accepts a
 * huge never-mapped user range lazily; pinning it for a domain must fail
 * EFAULT at once (one pass over the VMA list), not walk or allocate per page
 * of the range (iommufd.md §4.5 "Pinning"). 64 TiB is 2^34 pages: a per-page
 * walk or pin array would time out or fail ENOMEM instead. */
Test(ioas_pin, huge_unmapped_range_fails_fast, .timeout = 20)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(2 * PG, PROT_READ | PROT_WRITE);
    const uint64_t huge = 1ull << 46;
    struct fake_dom d;

    /* never mapped at all */
    EXPECT_OK(t_map_fixed(fd, id, t_hole(PG), huge, 1ull << 47));
    fake_init(&d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d), -EFAULT);
    cr_assert_eq(d.bytes, 0);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
    /* mapped at the start, then a hole */
    EXPECT_OK(t_map_fixed(fd, id, buf, huge, 1ull << 47));
    fake_init(&d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d), -EFAULT);
    cr_assert_eq(d.bytes, 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf), 0);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
    /* the mapped part alone still pins, and a page pinned before the user
     * unmapped it stays pinnable (long-term pin) */
    EXPECT_OK(t_map_fixed(fd, id, buf, 2 * PG, 0x100000));
    fake_init(&d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d), 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)buf + PG), 1);
    t_detach(fd, id, &d);
    munmap(buf, 2 * PG);
    ASSERT_NO_LEAKS();
}
