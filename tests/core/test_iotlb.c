/* IOTLB helper: insert/lookup, page sizes, tags, every invalidation kind, capacity, CLOCK. */
#include <errno.h>

#include "emu/core/emu_internal.h"
#include "tests/common/test_util.h"

static struct emu_tlb_entry ent(uint32_t sid, uint32_t dom, uint32_t pasid, uint64_t iova,
                                unsigned shift, uint64_t out)
{
    return (struct emu_tlb_entry){ .iova = iova, .out = out, .sid = sid, .domain = dom,
                                   .pasid = pasid, .shift = (uint8_t)shift,
                                   .perm = EMU_PERM_R | EMU_PERM_W };
}

static void ins(struct emu_iotlb *t, struct emu_tlb_entry e)
{
    emu_iotlb_insert(t, &e);
}

Test(iotlb, insert_lookup_sizes_and_tags)
{
    struct emu_iotlb *t = emu_iotlb_new(64);
    struct emu_tlb_entry *e;

    cr_assert_null(emu_iotlb_lookup(t, 1, 2, 3, 0x1000));
    ins(t, ent(1, 2, 3, 0x1234, 12, 0xA000));           /* iova gets aligned */
    ins(t, ent(1, 2, 3, 0x40000000, 21, 0x200000));
    ins(t, ent(1, 2, 3, 0x80000000, 30, 0xC0000000));
    cr_assert_eq(emu_iotlb_count(t), 3);
    e = emu_iotlb_lookup(t, 1, 2, 3, 0x1FFF);
    cr_assert_not_null(e);
    cr_assert_eq(e->iova, 0x1000);
    cr_assert_eq(e->out, 0xA000);
    cr_assert(e->valid);
    cr_assert_null(emu_iotlb_lookup(t, 1, 2, 3, 0x2000));
    cr_assert_null(emu_iotlb_lookup(t, 1, 2, 3, 0xFFF));
    e = emu_iotlb_lookup(t, 1, 2, 3, 0x401FFFFF);
    cr_assert_not_null(e);
    cr_assert_eq(e->shift, 21);
    cr_assert_null(emu_iotlb_lookup(t, 1, 2, 3, 0x40200000));
    e = emu_iotlb_lookup(t, 1, 2, 3, 0xBFFFFFFF);
    cr_assert_not_null(e);
    cr_assert_eq(e->shift, 30);
    /* Any tag difference misses. */
    cr_assert_null(emu_iotlb_lookup(t, 9, 2, 3, 0x1000));
    cr_assert_null(emu_iotlb_lookup(t, 1, 9, 3, 0x1000));
    cr_assert_null(emu_iotlb_lookup(t, 1, 2, 9, 0x1000));
    cr_assert_null(emu_iotlb_lookup(t, 1, 2, EMU_TLB_ANY, 0x1000));
    /* Re-insert the same page: refreshed in place, not duplicated. */
    ins(t, ent(1, 2, 3, 0x1000, 12, 0xB000));
    cr_assert_eq(emu_iotlb_count(t), 3);
    cr_assert_eq(emu_iotlb_lookup(t, 1, 2, 3, 0x1000)->out, 0xB000);
    /* Same iova, another tag: a separate entry. */
    ins(t, ent(1, 5, 3, 0x1000, 12, 0xC000));
    cr_assert_eq(emu_iotlb_count(t), 4);
    cr_assert_eq(emu_iotlb_lookup(t, 1, 5, 3, 0x1000)->out, 0xC000);
    cr_assert_eq(emu_iotlb_lookup(t, 1, 2, 3, 0x1000)->out, 0xB000);
    /* Bad shift is ignored. */
    ins(t, ent(1, 2, 3, 0, 64, 0));
    cr_assert_eq(emu_iotlb_count(t), 4);
    emu_iotlb_inval_all(t);
    cr_assert_eq(emu_iotlb_count(t), 0);
    cr_assert_null(emu_iotlb_lookup(t, 1, 2, 3, 0x1000));
    cr_assert_null(emu_iotlb_lookup(t, 1, 2, 3, 0x80000000));
    emu_iotlb_free(t);
    ASSERT_NO_LEAKS();
}

static struct emu_iotlb *populated(void)
{
    struct emu_iotlb *t = emu_iotlb_new(256);
    /* sid 1..2 x domain 10..11 x pasid {0, ANY} x 4 pages at 0x10000 */
    for (uint32_t s = 1; s <= 2; s++)
        for (uint32_t d = 10; d <= 11; d++)
            for (int p = 0; p < 2; p++)
                for (uint64_t i = 0; i < 4; i++)
                    ins(t, ent(s, d, p ? EMU_TLB_ANY : 0, 0x10000 + i * 0x1000, 12, i));
    cr_assert_eq(emu_iotlb_count(t), 32);
    return t;
}

Test(iotlb, inval_by_each_tag)
{
    struct emu_iotlb *t = populated();
    cr_assert_eq(emu_iotlb_inval(t, 1, EMU_TLB_ANY, EMU_TLB_ANY, 0, 0), 16);
    cr_assert_null(emu_iotlb_lookup(t, 1, 10, 0, 0x10000));
    cr_assert_not_null(emu_iotlb_lookup(t, 2, 10, 0, 0x10000));
    cr_assert_eq(emu_iotlb_inval(t, EMU_TLB_ANY, 11, EMU_TLB_ANY, 0, 0), 8);
    cr_assert_null(emu_iotlb_lookup(t, 2, 11, 0, 0x10000));
    cr_assert_not_null(emu_iotlb_lookup(t, 2, 10, 0, 0x10000));
    /* pasid 5: entries tagged pasid 0 stay; entries stored untagged (ANY) go. */
    cr_assert_eq(emu_iotlb_inval(t, EMU_TLB_ANY, EMU_TLB_ANY, 5, 0, 0), 4);
    cr_assert_not_null(emu_iotlb_lookup(t, 2, 10, 0, 0x10000));
    cr_assert_null(emu_iotlb_lookup(t, 2, 10, EMU_TLB_ANY, 0x10000));
    cr_assert_eq(emu_iotlb_count(t), 4);
    emu_iotlb_free(t);
    ASSERT_NO_LEAKS();
}

Test(iotlb, inval_range_edges)
{
    struct emu_iotlb *t = emu_iotlb_new(16);

    ins(t, ent(1, 1, 0, 0x200000, 21, 0));      /* [0x200000, 0x400000) */
    ins(t, ent(1, 1, 0, 0x400000, 12, 0));      /* [0x400000, 0x401000) */
    ins(t, ent(1, 1, 0, 0xFFFFFFFFFFFFF000ull, 12, 0)); /* top page */
    /* Range ending exactly at the 2M page start / starting at its end: no overlap. */
    cr_assert_eq(emu_iotlb_inval(t, 1, 1, 0, 0x1FF000, 0x1000), 0);
    cr_assert_eq(emu_iotlb_inval(t, 1, 1, 0, 0x401000, 0x1000), 0);
    /* One byte inside the big page drops only it. */
    cr_assert_eq(emu_iotlb_inval(t, 1, 1, 0, 0x3FFFFF, 1), 1);
    cr_assert_null(emu_iotlb_lookup(t, 1, 1, 0, 0x200000));
    cr_assert_not_null(emu_iotlb_lookup(t, 1, 1, 0, 0x400000));
    /* Range wrapping past 2^64 is clamped, still hits the top page. */
    cr_assert_eq(emu_iotlb_inval(t, 1, 1, 0, 0xFFFFFFFFFFFFFFF0ull, 0x100), 1);
    /* Another domain does not match; size 0 = everything. */
    cr_assert_eq(emu_iotlb_inval(t, 1, 2, 0, 0, 0), 0);
    cr_assert_eq(emu_iotlb_inval(t, 1, 1, 0, 0x12345000, 0), 1);
    cr_assert_eq(emu_iotlb_count(t), 0);
    emu_iotlb_free(t);
    ASSERT_NO_LEAKS();
}

Test(iotlb, capacity_bound_and_clock)
{
    struct emu_iotlb *t = emu_iotlb_new(32);

    for (uint64_t i = 0; i < 32; i++)
        ins(t, ent(0, 0, 0, i << 12, 12, i));
    cr_assert_eq(emu_iotlb_count(t), 32);
    /* Reference the even pages; then 16 new inserts must evict only odd ones. */
    for (uint64_t i = 0; i < 32; i += 2)
        cr_assert_not_null(emu_iotlb_lookup(t, 0, 0, 0, i << 12));
    for (uint64_t i = 100; i < 116; i++)
        ins(t, ent(0, 0, 0, i << 12, 12, i));
    cr_assert_eq(emu_iotlb_count(t), 32);
    for (uint64_t i = 0; i < 32; i++) {
        if (i % 2 == 0)
            cr_assert_not_null(emu_iotlb_lookup(t, 0, 0, 0, i << 12), "hot page %lu evicted", (unsigned long)i);
        else
            cr_assert_null(emu_iotlb_lookup(t, 0, 0, 0, i << 12));
    }
    for (uint64_t i = 100; i < 116; i++)
        cr_assert_not_null(emu_iotlb_lookup(t, 0, 0, 0, i << 12));
    /* Far beyond capacity: stays bounded, the latest insert is always present. */
    for (uint64_t i = 1000; i < 5000; i++) {
        ins(t, ent(0, 0, 0, i << 12, i % 3 ? 12 : 21, i));
        cr_assert_not_null(emu_iotlb_lookup(t, 0, 0, 0, i << 12));
        cr_assert_leq(emu_iotlb_count(t), 32);
    }
    cr_assert_eq(emu_iotlb_count(t), 32);
    emu_iotlb_free(t);
    ASSERT_NO_LEAKS();
}

Test(iotlb, deterministic_replacement)
{
    struct emu_iotlb *a = emu_iotlb_new(8), *b = emu_iotlb_new(8);
    uint32_t x = 1;

    for (int i = 0; i < 2000; i++) {
        x = x * 1103515245u + 12345u;
        uint64_t iova = (uint64_t)(x >> 20) << 12;
        if (x & 1) {
            ins(a, ent(0, 0, 0, iova, 12, iova));
            ins(b, ent(0, 0, 0, iova, 12, iova));
        } else {
            cr_assert_eq(emu_iotlb_lookup(a, 0, 0, 0, iova) != NULL,
                         emu_iotlb_lookup(b, 0, 0, 0, iova) != NULL);
        }
    }
    emu_iotlb_free(a);
    emu_iotlb_free(b);
    ASSERT_NO_LEAKS();
}

Test(iotlb, zero_capacity_and_limits)
{
    struct emu_iotlb *t = emu_iotlb_new(0);
    cr_assert_not_null(t);
    ins(t, ent(0, 0, 0, 0x1000, 12, 0));
    cr_assert_eq(emu_iotlb_count(t), 0);
    cr_assert_null(emu_iotlb_lookup(t, 0, 0, 0, 0x1000));
    cr_assert_eq(emu_iotlb_inval(t, 0, 0, 0, 0, 0), 0);
    emu_iotlb_free(t);
    errno = 0;
    cr_assert_null(emu_iotlb_new(UINT32_MAX));
    cr_assert_eq(errno, EINVAL);
    emu_iotlb_free(NULL);
    ASSERT_NO_LEAKS();
}
