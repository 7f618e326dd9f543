/* IOAS ioctls: every errno path of iommufd.md §4.2-§4.8 with state checks. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "test_ioas_util.h"

static int fd;
static void setup(void) { fd = mockfd_open(); cr_assert_geq(fd, 0); }
static void teardown(void) { mockfd_close(fd); }

TestSuite(ioas, .init = setup, .fini = teardown);

/* The full IOVA_RANGES answer as a comparable snapshot. */
struct snap {
    uint32_t n;
    uint64_t align;
    struct iommu_iova_range r[8];
    size_t nareas;
};
static void snap(uint32_t ioas, struct snap *s)
{
    memset(s, 0, sizeof(*s));
    s->n = t_ranges(fd, ioas, s->r, 8, &s->align);
    s->nareas = t_nareas(fd, ioas);
}
static void same(const struct snap *a, const struct snap *b)
{
    cr_assert_eq(a->n, b->n);
    cr_assert_eq(a->align, b->align);
    cr_assert_eq(a->nareas, b->nareas);
    cr_assert_eq(memcmp(a->r, b->r, sizeof(a->r)), 0);
}

Test(ioas, alloc)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };
    uint32_t id1, id2;

    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &a));
    id1 = t_ioas_alloc(fd);
    id2 = t_ioas_alloc(fd);
    cr_assert_neq(id1, id2);
    ASSERT_NO_LEAKS();
}

Test(ioas, iova_ranges_empty_and_emsgsize)
{
    uint32_t id = t_ioas_alloc(fd);
    struct iommu_iova_range r[4];
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = id };
    uint64_t align;

    cr_assert_eq(t_ranges(fd, id, r, 4, &align), 1);
    cr_assert_eq(r[0].start, 0);
    cr_assert_eq(r[0].last, UMAX);
    cr_assert_eq(align, 1);

    /* Capacity 0: nothing written to the (bogus) array, counts reported. */
    q.allowed_iovas = 8;
    EXPECT_ERR(EMSGSIZE, mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
    cr_assert_eq(q.num_iovas, 1);
    cr_assert_eq(q.out_iova_alignment, 1);

    q.__reserved = 1;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
    q.__reserved = 0;
    q.ioas_id = id + 100;
    EXPECT_ERR(ENOENT, mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
    /* A bad array with capacity > 0: EFAULT. */
    q.ioas_id = id;
    q.num_iovas = 1;
    q.allowed_iovas = 8;
    EXPECT_ERR(EFAULT, mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
}

Test(ioas, iova_ranges_holes_and_partial_write)
{
    uint32_t id = t_ioas_alloc(fd);
    struct iommu_iova_range r[4];
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = id, .num_iovas = 1,
                                        .allowed_iovas = (uintptr_t)r };
    int owner;

    /* Overlapping and adjacent reserved ranges merge into one used span. */
    cr_assert_eq(t_reserve(fd, id, &owner, 0x1000, 0x1fff), 0);
    cr_assert_eq(t_reserve(fd, id, &owner, 0x1800, 0x2fff), 0);
    cr_assert_eq(t_reserve(fd, id, &owner, 0x3000, 0x3fff), 0);
    cr_assert_eq(t_reserve(fd, id, NULL, 0x10000, 0x10fff), 0);
    memset(r, 0xa5, sizeof(r));
    EXPECT_ERR(EMSGSIZE, mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q));
    cr_assert_eq(q.num_iovas, 3);
    cr_assert_eq(r[0].start, 0);
    cr_assert_eq(r[0].last, 0xfff);
    /* Entries beyond the capacity are untouched. */
    cr_assert_eq(r[1].start, 0xa5a5a5a5a5a5a5a5ull);
    cr_assert_eq(t_ranges(fd, id, r, 4, NULL), 3);
    cr_assert_eq(r[1].start, 0x4000);
    cr_assert_eq(r[1].last, 0xffff);
    cr_assert_eq(r[2].start, 0x11000);
    cr_assert_eq(r[2].last, UMAX);
    ASSERT_NO_LEAKS();
}

Test(ioas, allow_iovas_errors)
{
    uint32_t id = t_ioas_alloc(fd);
    struct iommu_iova_range r[2] = { { 0x10000, 0x1ffff }, { 0x18000, 0x2ffff } };
    struct iommu_ioas_allow_iovas a = { .size = sizeof(a), .ioas_id = id, .num_iovas = 1,
                                        .allowed_iovas = (uintptr_t)r, .__reserved = 1 };
    uint64_t iova = 0;
    char *buf = t_buf(PG, PROT_READ | PROT_WRITE);

    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a));
    EXPECT_ERR(ENOENT, t_allow(fd, id + 7, r, 1));
    EXPECT_ERR(EINVAL, t_allow(fd, id, r, 2));           /* overlapping entries */
    EXPECT_ERR(EFAULT, t_allow(fd, id, (void *)8, 1));
    {
        struct iommu_iova_range one = { 0x5000, 0x5000 }, inv = { 0x6000, 0x5000 };

        EXPECT_ERR(EINVAL, t_allow(fd, id, &one, 1)); /* start == last */
        EXPECT_ERR(EINVAL, t_allow(fd, id, &inv, 1));
    }
    /* A valid list constrains automatic allocation. */
    EXPECT_OK(t_allow(fd, id, r, 1));
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &iova));
    cr_assert_eq(iova, 0x10000);
    /* A list intersecting a reserved range: EADDRINUSE, old list kept. */
    cr_assert_eq(t_reserve(fd, id, NULL, 0x40000, 0x40fff), 0);
    {
        struct iommu_iova_range bad = { 0x40000, 0x4ffff };

        EXPECT_ERR(EADDRINUSE, t_allow(fd, id, &bad, 1));
    }
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &iova));
    cr_assert_eq(iova, 0x11000);
    /* Reserving over an allowed range is refused too. */
    cr_assert_eq(t_reserve(fd, id, NULL, 0x1f000, 0x20fff), -EADDRINUSE);
    /* num 0 clears: allocation starts at PAGE_SIZE again. */
    EXPECT_OK(t_allow(fd, id, NULL, 0));
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &iova));
    cr_assert_eq(iova, 0x1000);
    munmap(buf, PG);
    ASSERT_NO_LEAKS();
}

Test(ioas, map_errors_in_order)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(4 * PG, PROT_READ | PROT_WRITE);
    struct iommu_ioas_map m = { .size = sizeof(m), .flags = FIXED, .ioas_id = id,
                                .user_va = (uintptr_t)buf, .length = PG, .iova = 0x100000 };
    struct snap before, after;

    snap(id, &before);
    m.flags = FIXED | 8;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.flags = FIXED;
    m.__reserved = 1;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.__reserved = 0;
    m.iova = UMAX; /* EOVERFLOW wins over the missing R/W flags below */
    m.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
    EXPECT_ERR(EOVERFLOW, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.iova = 0x100000;
    m.length = UMAX;
    EXPECT_ERR(EOVERFLOW, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.length = PG;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m)); /* neither R nor W */
    m.flags = FIXED;
    m.ioas_id = id + 9;
    EXPECT_ERR(ENOENT, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.ioas_id = id;
    m.length = 0;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.length = PG;
    m.user_va = UMAX - 10; /* uptr + length overflows */
    EXPECT_ERR(EOVERFLOW, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.user_va = (uintptr_t)buf;
    m.iova = UMAX - 100; /* iova + length - 1 overflows */
    EXPECT_ERR(EOVERFLOW, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    snap(id, &after);
    same(&before, &after);

    m.iova = 0x100000;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    cr_assert_eq(m.iova, 0x100000);
    /* Intersecting an area: EEXIST, at any overlap. */
    m.iova = 0x100000 - PG + 1;
    EXPECT_ERR(EEXIST, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    m.iova = 0x100fff;
    EXPECT_ERR(EEXIST, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    /* Intersecting a reserved range: EINVAL (reserved checked first). */
    cr_assert_eq(t_reserve(fd, id, NULL, 0x200000, 0x200fff), 0);
    m.iova = 0x1ff001;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    cr_assert_eq(t_nareas(fd, id), 1);
    /* Byte granularity without a domain. */
    m.iova = 0x300001;
    m.length = 3;
    m.user_va = (uintptr_t)buf + 5;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m));
    munmap(buf, 4 * PG);
    ASSERT_NO_LEAKS();
}

Test(ioas, map_unmapped_va_without_domain)
{
    uint32_t id = t_ioas_alloc(fd);
    uint64_t iova = 0;
    void *hole = t_hole(16 * PG);

    /* No domain, no access: nothing is pinned, so any VA maps (§4.5). */
    EXPECT_OK(t_map(fd, id, RW, hole, 16 * PG, &iova));
    cr_assert_neq(iova, 0);
    cr_assert_eq(mfd_pages_refs((uintptr_t)hole), 0);
}

Test(ioas, auto_iova_lowest_hole_and_alignment)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(16 * PG, PROT_READ | PROT_WRITE);
    uint64_t iova, a1 = 0, a2 = 0;

    /* Never IOVA 0: the search starts at PAGE_SIZE. */
    iova = 0;
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &a1));
    cr_assert_eq(a1, PG);
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &a2));
    cr_assert_eq(a2, 2 * PG);
    /* Page offset preserved; alignment from the VA (here 1 byte). */
    EXPECT_OK(t_map(fd, id, RW, buf + 0x123, 0x100, &iova));
    cr_assert_eq(iova, 3 * PG + 0x123);
    /* 8 KiB from an 8 KiB aligned VA picks an 8 KiB aligned hole: 4*PG. */
    {
        char *b8 = (char *)(((uintptr_t)buf + 2 * PG - 1) & ~(2 * PG - 1));

        EXPECT_OK(t_map(fd, id, RW, b8, 2 * PG, &iova));
        cr_assert_eq(iova % (2 * PG), 0);
        cr_assert_eq(iova, 4 * PG);
    }
    /* Free the first hole: it is reused (first fit from the lowest). */
    EXPECT_OK(t_unmap(fd, id, a1, PG, NULL));
    EXPECT_OK(t_map(fd, id, RW, buf, PG, &iova));
    cr_assert_eq(iova, PG);
    /* VA alignment capped at 2 MiB (THP): a 4 MiB VA-aligned length still
     * lands on a 2 MiB boundary. */
    EXPECT_OK(t_map(fd, id, RW, (void *)(1ull << 40), 4ull << 20, &iova));
    cr_assert_eq(iova, 2ull << 20);
    munmap(buf, 16 * PG);
    ASSERT_NO_LEAKS();
}

Test(ioas, auto_iova_regressions_near_ulong_max)
{
    uint32_t id = t_ioas_alloc(fd);
    uint64_t iova = 0;

    /* Length limits (roundup_pow_of_two guard). */
    EXPECT_ERR(EOVERFLOW, t_map(fd, id, RW, (void *)0x1000, UMAX / 2, &iova));
    EXPECT_ERR(EOVERFLOW, t_map(fd, id, RW, (void *)0x1000, UMAX / 2 + 5, &iova));
    /* Just below: fits without wrapping. */
    EXPECT_OK(t_map(fd, id, RW, (void *)0x1000, UMAX / 2 - 1, &iova));
    cr_assert_eq(iova, PG);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));

    /* Only the top hole left: [ULONG_MAX-2*PG+1, ULONG_MAX]. A 2 MiB aligned
     * request would ALIGN() past ULONG_MAX: ENOSPC, never a wrapped IOVA. */
    cr_assert_eq(t_reserve(fd, id, NULL, PG, UMAX - 2 * PG), 0);
    EXPECT_ERR(ENOSPC, t_map(fd, id, RW, (void *)(2ull << 20), 2ull << 20, &iova));
    EXPECT_ERR(ENOSPC, t_map(fd, id, RW, (void *)(2ull << 20), 2 * PG, &iova));
    /* One page fits at ULONG_MAX - 2*PG + 1 (search ends at ULONG_MAX - PG). */
    EXPECT_OK(t_map(fd, id, RW, (void *)(2ull << 20), PG, &iova));
    cr_assert_eq(iova, UMAX - 2 * PG + 1);
    EXPECT_ERR(ENOSPC, t_map(fd, id, RW, (void *)(2ull << 20), PG, &iova));

    /* An allowed range ending at ULONG_MAX (on a fresh IOAS). */
    id = t_ioas_alloc(fd);
    {
        struct iommu_iova_range top = { UMAX - (4ull << 20) + 1, UMAX };

        EXPECT_OK(t_allow(fd, id, &top, 1));
    }
    EXPECT_OK(t_map(fd, id, RW, (void *)(2ull << 20), 2ull << 20, &iova));
    cr_assert_eq(iova, UMAX - (4ull << 20) + 1);
    /* The rest of the allowed range ends at ULONG_MAX-PG for the search. */
    EXPECT_ERR(ENOSPC, t_map(fd, id, RW, (void *)(2ull << 20), 2ull << 20, &iova));
    EXPECT_OK(t_map(fd, id, RW, (void *)(2ull << 20), PG, &iova));
    cr_assert_eq(iova, UMAX - (2ull << 20) + 1);
    ASSERT_NO_LEAKS();
}

Test(ioas, unmap_rules)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(8 * PG, PROT_READ | PROT_WRITE);
    uint64_t out = 99;
    struct snap before, after;

    EXPECT_ERR(ENOENT, t_unmap(fd, id + 3, 0, UMAX, NULL));
    /* Unmap-all of an empty IOAS succeeds with 0 bytes. */
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, &out));
    cr_assert_eq(out, 0);
    EXPECT_ERR(EOVERFLOW, t_unmap(fd, id, UMAX, 1, NULL));
    EXPECT_ERR(EOVERFLOW, t_unmap(fd, id, 1, UMAX, NULL));
    EXPECT_ERR(EINVAL, t_unmap(fd, id, 0x1000, 0, NULL));
    EXPECT_ERR(EOVERFLOW, t_unmap(fd, id, UMAX - 5, 10, NULL));
    EXPECT_ERR(ENOENT, t_unmap(fd, id, 0x1000, PG, NULL));

    EXPECT_OK(t_map_fixed(fd, id, buf, PG, 0x10000));
    EXPECT_OK(t_map_fixed(fd, id, buf, 2 * PG, 0x11000));
    EXPECT_OK(t_map_fixed(fd, id, buf, 2 * PG, 0x20000));
    snap(id, &before);
    /* No splitting: a range cutting into an area is ENOENT, state kept. */
    EXPECT_ERR(ENOENT, t_unmap(fd, id, 0x10001, PG, NULL));
    EXPECT_ERR(ENOENT, t_unmap(fd, id, 0x12000, PG, NULL));
    snap(id, &after);
    same(&before, &after);
    /* Not atomic: the first area goes, the second (not contained) stays. */
    EXPECT_ERR(ENOENT, t_unmap(fd, id, 0x10000, 2 * PG, NULL));
    cr_assert_eq(t_nareas(fd, id), 2);
    EXPECT_OK(t_map_fixed(fd, id, buf, PG, 0x10000)); /* it was really gone */
    /* A covering range unmaps several areas and reports their bytes. */
    EXPECT_OK(t_unmap(fd, id, 0x8000, 0x10000, &out));
    cr_assert_eq(out, 3 * PG);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, &out));
    cr_assert_eq(out, 2 * PG);
    cr_assert_eq(t_nareas(fd, id), 0);
    munmap(buf, 8 * PG);
    ASSERT_NO_LEAKS();
}

static int copy(uint32_t flags, uint32_t dst, uint32_t src, uint64_t len, uint64_t *dst_iova,
                uint64_t src_iova)
{
    struct iommu_ioas_copy c = { .size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
                                 .src_ioas_id = src, .length = len,
                                 .dst_iova = *dst_iova, .src_iova = src_iova };
    int rc = mockfd_ioctl(fd, IOMMU_IOAS_COPY, &c);

    if (!rc)
        *dst_iova = c.dst_iova;
    return rc;
}

Test(ioas, copy_rules)
{
    uint32_t a = t_ioas_alloc(fd), b = t_ioas_alloc(fd);
    char *buf = t_buf(8 * PG, PROT_READ | PROT_WRITE);
    uint64_t iova = 0, ro = 0x90000;

    EXPECT_OK(t_map_fixed(fd, a, buf, 2 * PG, 0x10000));
    EXPECT_OK(t_map_fixed(fd, a, buf + 2 * PG, 2 * PG, 0x12000));
    EXPECT_OK(t_map(fd, a, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE, buf, PG, &ro));

    EXPECT_ERR(EOPNOTSUPP, copy(RW | 16, b, a, PG, &iova, 0x10000));
    EXPECT_ERR(EOVERFLOW, copy(RW, b, a, UMAX, &iova, 0x10000));
    EXPECT_ERR(EOVERFLOW, copy(RW, b, a, PG, &iova, UMAX));
    iova = UMAX;
    EXPECT_ERR(EOVERFLOW, copy(RW, b, a, PG, &iova, 0x10000));
    iova = 0;
    EXPECT_ERR(EINVAL, copy(IOMMU_IOAS_MAP_FIXED_IOVA, b, a, PG, &iova, 0x10000));
    EXPECT_ERR(ENOENT, copy(RW, b, a + 50, PG, &iova, 0x10000));
    EXPECT_ERR(EINVAL, copy(RW, b, a, 0, &iova, 0x10000));
    EXPECT_ERR(ENOENT, copy(RW, b, a, PG, &iova, 0x30000));         /* hole */
    EXPECT_ERR(ENOENT, copy(RW, b, a, 5 * PG, &iova, 0x10000));     /* runs past */
    EXPECT_ERR(ENOENT, copy(RW, b + 50, a, PG, &iova, 0x10000));    /* dst */
    EXPECT_ERR(EPERM, copy(RW, b, a, PG, &iova, ro));               /* RO source */
    cr_assert_eq(t_nareas(fd, b), 0);

    /* A range over two contiguous areas (and a sub-range start) copies. */
    EXPECT_OK(copy(RW, b, a, 3 * PG, &iova, 0x11000));
    {
        /* Alignment from the source VA (buf + PG), capped by the length. */
        uint64_t va = (uintptr_t)buf + PG, al = va & (~va + 1);

        cr_assert_eq(iova, al < 4 * PG ? al : 4 * PG);
    }
    cr_assert_eq(t_nareas(fd, b), 2);
    /* Fixed destination: EEXIST on overlap. */
    EXPECT_ERR(EEXIST, copy(FIXED, b, a, PG, &iova, 0x10000));
    iova = 0x50000;
    EXPECT_OK(copy(FIXED, b, a, PG, &iova, 0x10000));
    /* Same IOAS is allowed; read-only copy of the read-only area works. */
    iova = 0;
    EXPECT_OK(copy(IOMMU_IOAS_MAP_READABLE, a, a, PG, &iova, ro));
    /* The source can go away: the copy keeps the pages. */
    EXPECT_OK(t_unmap(fd, a, 0, UMAX, NULL));
    EXPECT_OK(t_unmap(fd, b, 0, UMAX, NULL));
    munmap(buf, 8 * PG);
    ASSERT_NO_LEAKS();
}

static int opt(unsigned op, uint32_t obj, uint64_t *val)
{
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = (uint16_t)op, .object_id = obj, .val64 = *val };
    int rc = mockfd_ioctl(fd, IOMMU_OPTION, &o);

    if (!rc)
        *val = o.val64;
    return rc;
}

Test(ioas, option_huge_pages)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(4 * PG, PROT_READ | PROT_WRITE);
    uint64_t v = 7, align;
    struct iommu_iova_range r[2];

    EXPECT_OK(opt(IOMMU_OPTION_OP_GET, id, &v));
    cr_assert_eq(v, 1);
    v = 0;
    EXPECT_ERR(ENOENT, opt(IOMMU_OPTION_OP_GET, id + 4, &v));
    EXPECT_ERR(EOPNOTSUPP, opt(9, id, &v));
    v = 2;
    EXPECT_ERR(EINVAL, opt(IOMMU_OPTION_OP_SET, id, &v));

    /* An area that is not PAGE_SIZE aligned blocks SET 0: EADDRINUSE and
     * the flag is rolled back. */
    EXPECT_OK(t_map_fixed(fd, id, buf, 0x100, 0x10000));
    v = 0;
    EXPECT_ERR(EADDRINUSE, opt(IOMMU_OPTION_OP_SET, id, &v));
    EXPECT_OK(opt(IOMMU_OPTION_OP_GET, id, &v));
    cr_assert_eq(v, 1);
    t_ranges(fd, id, r, 2, &align);
    cr_assert_eq(align, 1);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));

    v = 0;
    EXPECT_OK(opt(IOMMU_OPTION_OP_SET, id, &v));
    EXPECT_OK(opt(IOMMU_OPTION_OP_SET, id, &v)); /* already disabled: 0 */
    EXPECT_OK(opt(IOMMU_OPTION_OP_GET, id, &v));
    cr_assert_eq(v, 0);
    t_ranges(fd, id, r, 2, &align);
    cr_assert_eq(align, PG);
    EXPECT_ERR(EINVAL, t_map_fixed(fd, id, buf, 0x100, 0x10000));
    v = 1;
    EXPECT_OK(opt(IOMMU_OPTION_OP_SET, id, &v));
    t_ranges(fd, id, r, 2, &align);
    cr_assert_eq(align, 1);

    /* With a domain and areas: EINVAL. */
    {
        struct fake_dom d;

        fake_init(&d, 0, UMAX, PG | (2ull << 20));
        EXPECT_OK(t_map_fixed(fd, id, buf, PG, 0x10000));
        cr_assert_eq(t_attach(fd, id, &d), 0);
        cr_assert(d.d.allow_huge);
        v = 0;
        EXPECT_ERR(EINVAL, opt(IOMMU_OPTION_OP_SET, id, &v));
        EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
        EXPECT_OK(opt(IOMMU_OPTION_OP_SET, id, &v)); /* domain, no areas: fine */
        cr_assert(!d.d.allow_huge);
        t_detach(fd, id, &d);
    }
    munmap(buf, 4 * PG);
    ASSERT_NO_LEAKS();
}

Test(ioas, destroy_busy_and_free)
{
    uint32_t id = t_ioas_alloc(fd);
    struct iommu_destroy d = { .size = sizeof(d), .id = id };
    struct mfd_ctx *ctx = t_ctx(fd);
    struct mfd_ioas *ioas = t_ioas(fd, id);
    uint64_t iova = 0;

    EXPECT_OK(t_map(fd, id, RW, (void *)0x100000, PG, &iova));
    pthread_mutex_lock(&ctx->lock);
    mfd_obj_ref(&ioas->obj);
    pthread_mutex_unlock(&ctx->lock);
    EXPECT_ERR(EBUSY, mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    pthread_mutex_lock(&ctx->lock);
    mfd_obj_unref(&ioas->obj);
    pthread_mutex_unlock(&ctx->lock);
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    EXPECT_ERR(ENOENT, t_map(fd, id, RW, (void *)0x100000, PG, &iova));
    EXPECT_ERR(ENOENT, mockfd_ioctl(fd, IOMMU_DESTROY, &d));
    ASSERT_NO_LEAKS();
}

Test(ioas, change_process)
{
    struct iommu_ioas_change_process c = { .size = sizeof(c), .__reserved = 1 };
    uint32_t id = t_ioas_alloc(fd);
    uint64_t iova = 0;
    int mfd = memfd_create("ioas", 0);
    struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = RW, .ioas_id = id,
                                      .fd = mfd, .start = 0, .length = 4 * PG };

    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &c));
    c.__reserved = 0;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &c)); /* nothing to move */
    cr_assert_eq(ftruncate(mfd, 4 * PG), 0);
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &c)); /* file-backed only */
    EXPECT_OK(t_map(fd, id, RW, (void *)0x100000, PG, &iova));
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &c));
    close(mfd);
}

Test(ioas, map_file_rules)
{
    uint32_t id = t_ioas_alloc(fd);
    int mfd = memfd_create("ioas", 0), nfd = open("/dev/null", O_RDWR), rofd;
    struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = RW | 8, .ioas_id = id,
                                      .fd = mfd, .start = PG + 0x10, .length = PG };
    char path[64];
    struct fake_dom d;

    cr_assert_eq(ftruncate(mfd, 4 * PG), 0);
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
    mf.iova = UMAX;
    EXPECT_ERR(EOVERFLOW, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.iova = 0;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.flags = RW;
    mf.ioas_id = id + 1;
    EXPECT_ERR(ENOENT, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.ioas_id = id;
    mf.fd = -1;
    EXPECT_ERR(EBADF, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.fd = nfd;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.fd = mfd;
    mf.length = 4 * PG; /* beyond the file */
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.length = 0;
    EXPECT_ERR(EINVAL, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
    rofd = open(path, O_RDONLY);
    cr_assert_geq(rofd, 0);
    mf.fd = rofd;
    mf.length = PG;
    EXPECT_ERR(EPERM, mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    mf.flags = IOMMU_IOAS_MAP_READABLE;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    /* Auto IOVA keeps the file page offset. */
    cr_assert_eq(mf.iova % PG, 0x10);
    mf.fd = mfd;
    mf.flags = RW;
    mf.start = 0;
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    /* A domain maps the file pages at our private mapping's address. */
    fake_init(&d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, id, &d), -EADDRINUSE); /* the 0x10 offset area */
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
    cr_assert_eq(t_attach(fd, id, &d), 0);
    EXPECT_OK(mockfd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf));
    cr_assert_eq(d.maps, 1);
    cr_assert_eq(mfd_pages_refs(d.last_paddr), 1);
    EXPECT_OK(t_unmap(fd, id, 0, UMAX, NULL));
    t_detach(fd, id, &d);
    close(mfd);
    close(nfd);
    close(rofd);
    ASSERT_NO_LEAKS();
}

Test(ioas, hostile_pointers_change_nothing)
{
    uint32_t id = t_ioas_alloc(fd);
    char *buf = t_buf(2 * PG, PROT_READ | PROT_WRITE);
    char *ro = t_buf(PG, PROT_READ | PROT_WRITE);
    struct snap before, after;
    const unsigned long reqs[] = { IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_COPY,
                                   IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_MAP, IOMMU_IOAS_UNMAP,
                                   IOMMU_VFIO_IOAS, IOMMU_IOAS_MAP_FILE,
                                   IOMMU_IOAS_CHANGE_PROCESS };

    EXPECT_OK(t_map_fixed(fd, id, buf, PG, 0x10000));
    snap(id, &before);
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        EXPECT_ERR(EFAULT, mockfd_ioctl(fd, reqs[i], NULL));
        EXPECT_ERR(EFAULT, mockfd_ioctl(fd, reqs[i], (void *)(uintptr_t)t_hole(PG)));
    }
    /* u64 edges on every IOVA/length field. */
    EXPECT_ERR(EOVERFLOW, t_unmap(fd, id, UMAX, UMAX, NULL));
    EXPECT_ERR(ENOENT, t_unmap(fd, id, 0x10001, UMAX - 0x10001, NULL));
    EXPECT_ERR(EOVERFLOW, t_unmap(fd, id, 3, UMAX - 1, NULL));
    EXPECT_ERR(EOVERFLOW, t_map_fixed(fd, id, buf, UMAX, 0));
    EXPECT_ERR(EOVERFLOW, t_map_fixed(fd, id, buf, PG, UMAX - PG + 2));
    EXPECT_ERR(EOVERFLOW, t_map_fixed(fd, id, (void *)(UMAX - PG + 1), PG, 0x20000));
    snap(id, &after);
    same(&before, &after);

    /* A response that cannot be written: the kernel keeps the side effect
     * (the mapping exists) but reports EFAULT (iommufd.md §2). */
    {
        struct iommu_ioas_map *m = (void *)ro;

        memset(m, 0, sizeof(*m));
        m->size = sizeof(*m);
        m->flags = RW;
        m->ioas_id = id;
        m->user_va = (uintptr_t)buf;
        m->length = PG;
        mprotect(ro, PG, PROT_READ);
        EXPECT_ERR(EFAULT, mockfd_ioctl(fd, IOMMU_IOAS_MAP, m));
        cr_assert_eq(t_nareas(fd, id), 2);
        /* IOAS_ALLOC: the new object is destroyed, its ID not leaked. */
        mprotect(ro, PG, PROT_READ | PROT_WRITE);
        memset(ro, 0, 16);
        ((struct iommu_ioas_alloc *)ro)->size = sizeof(struct iommu_ioas_alloc);
        mprotect(ro, PG, PROT_READ);
        EXPECT_ERR(EFAULT, mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, ro));
        cr_assert_eq(t_ioas_alloc(fd), id + 1);
    }
    munmap(buf, 2 * PG);
    munmap(ro, PG);
    ASSERT_NO_LEAKS();
}

/* Every failure point of MAP/COPY (allocations, lookups) leaves the state as
 * it was; eventually the call succeeds. */
Test(ioas, fail_nth_map_and_copy)
{
    uint32_t a = t_ioas_alloc(fd), b = t_ioas_alloc(fd);
    char *buf = t_buf(4 * PG, PROT_READ | PROT_WRITE);
    struct fake_dom d;
    struct snap sa, sb, now;
    unsigned long nth;
    int rc = -1;

    fake_init(&d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, a, &d), 0);
    EXPECT_OK(t_map_fixed(fd, a, buf, 2 * PG, 0x10000));
    snap(a, &sa);
    for (nth = 1; nth < 100 && rc; nth++) {
        uint64_t iova = 0;

        mfd_fail_nth_set(nth);
        rc = t_map(fd, a, RW, buf + 2 * PG, 2 * PG, &iova);
        mfd_fail_nth_set(0);
        if (rc) {
            cr_assert(errno == ENOMEM || errno == ENOENT, "nth %lu: errno %d", nth, errno);
            snap(a, &now);
            same(&sa, &now);
            cr_assert_eq(d.bytes, 2 * PG);
            cr_assert_eq(mfd_pages_refs((uintptr_t)buf + 2 * PG), 0);
        }
    }
    cr_assert_eq(rc, 0);
    cr_assert_gt(nth, 2);
    snap(b, &sb);
    rc = -1;
    for (nth = 1; nth < 100 && rc; nth++) {
        struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW, .dst_ioas_id = b,
                                     .src_ioas_id = a, .length = 2 * PG, .src_iova = 0x10000 };

        mfd_fail_nth_set(nth);
        rc = mockfd_ioctl(fd, IOMMU_IOAS_COPY, &c);
        mfd_fail_nth_set(0);
        if (rc) {
            snap(b, &now);
            same(&sb, &now);
        }
    }
    cr_assert_eq(rc, 0);
    EXPECT_OK(t_unmap(fd, a, 0, UMAX, NULL));
    t_detach(fd, a, &d);
    munmap(buf, 4 * PG);
    ASSERT_NO_LEAKS();
}
