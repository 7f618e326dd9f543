/* The iova_bitmap engine on its own (mockfd/core/iova_bitmap.c), for the
 * window geometry a test mapping cannot reach cheaply: 512-page windows,
 * the first page honouring the pointer's offset, records past the window
 * (a huge leaf straddling two windows, 2780025e01e2 / a4ab7dedaee0), and a
 * partially pinnable bitmap. */
#include <sys/mman.h>

#include "e2e_util.h"
#include "mockfd/core/iova_bitmap.h"

struct rec {
    uint64_t iova, len;
};

struct walk {
    const struct rec *recs;
    size_t n;
    unsigned windows;
    uint64_t first_last;      /* last iova of the first window */
};

/* Record every rec that starts in this window (as a driver walking the
 * window's PTEs would), whole, even past the window. */
static int walk_fn(struct mfd_dirty_bitmap *bm, uint64_t iova, uint64_t last, void *opaque)
{
    struct walk *w = opaque;
    size_t i;

    if (!w->windows++)
        w->first_last = last;
    for (i = 0; i < w->n; i++)
        if (w->recs[i].iova >= iova && w->recs[i].iova <= last)
            mfd_iova_bitmap_set(bm, w->recs[i].iova, w->recs[i].len);
    return 0;
}

static void run(uint8_t *bm, uint64_t iova, uint64_t len, uint64_t pgsz, const struct rec *r,
                size_t n, struct walk *w)
{
    struct mfd_dirty_bitmap *b;

    memset(w, 0, sizeof(*w));
    w->recs = r;
    w->n = n;
    cr_assert_eq(mfd_iova_bitmap_alloc(iova, iova + len - 1, pgsz, (uintptr_t)bm, &b), 0);
    cr_assert_eq(mfd_iova_bitmap_for_each(b, w, walk_fn), 0);
    mfd_iova_bitmap_free(b);
}

Test(e2e_bitmap_engine, windows_and_set_ahead)
{
    /* page_size 1: bit i <-> iova base+i. 3 MiB of bitmap = 24 Mi bits,
     * more than one 512-page window. */
    const uint64_t bytes = 3ull << 20, base = 0x1000;
    uint8_t *mem = e2e_buf(bytes + 8192, 4096), *bm = mem + 0xff1;
    const uint64_t win1_bits = (512ull * 4096 - 0xff1) * 8;
    const struct rec recs[] = {
        { base + 3, 1 },
        { base + win1_bits - 100, 1000 },     /* straddles the window boundary */
        { base + bytes * 8 - 5, 100 },        /* runs past the end: clipped */
    };
    struct walk w;
    uint64_t i;

    run(bm, base, bytes * 8, 1, recs, 3, &w);
    cr_assert_eq(w.windows, 2);
    cr_assert_eq(w.first_last, base + win1_bits - 1, "first window honours the offset");
    for (i = 0; i < bytes * 8; i++) {
        bool want = i == 3 || (i >= win1_bits - 100 && i < win1_bits + 900) || i >= bytes * 8 - 5;

        if (e2e_bit(bm, i) != want)
            cr_assert_fail("bit %lu", (unsigned long)i);
    }
    cr_assert_eq(bm[bytes], 0, "nothing past the bitmap");
    cr_assert_eq(mem[0xff0], 0, "nothing before it");
    munmap(mem, bytes + 8192);
    ASSERT_NO_LEAKS();
}

Test(e2e_bitmap_engine, partial_pin_and_fault)
{
    /* bitmap of 3 pages whose third page is not writable: the first window
     * holds 2 pages, the next pin fails -> -EFAULT after window 1 */
    uint8_t *mem = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    struct mfd_dirty_bitmap *b;
    const struct rec r[] = { { 10, 1 }, { 3 * 4096 * 8 - 1, 1 } };
    struct walk w = { .recs = r, .n = 2 };

    cr_assert_eq(mprotect(mem + 2 * 4096, 4096, PROT_READ), 0);
    memset(mem, 0, 2 * 4096);
    cr_assert_eq(mfd_iova_bitmap_alloc(0, 3 * 4096 * 8 - 1, 1, (uintptr_t)mem, &b), 0);
    cr_assert_eq(mfd_iova_bitmap_for_each(b, &w, walk_fn), -EFAULT);
    mfd_iova_bitmap_free(b);
    cr_assert_eq(w.windows, 1);
    cr_assert_eq(mem[1], 1 << 2, "window 1 was recorded");
    /* no page at all: -EFAULT before any callback */
    w.windows = 0;
    cr_assert_eq(mfd_iova_bitmap_alloc(0, 4095, 1, 8, &b), 0);
    cr_assert_eq(mfd_iova_bitmap_for_each(b, &w, walk_fn), -EFAULT);
    mfd_iova_bitmap_free(b);
    cr_assert_eq(w.windows, 0);
    munmap(mem, 3 * 4096);
    ASSERT_NO_LEAKS();
}

Test(e2e_bitmap_engine, non_power_of_two_page_size)
{
    /* the kernel uses __ffs(page_size): 12 KiB behaves as 4 KiB granules */
    uint8_t bm[8] = { 0 };
    const struct rec r[] = { { 5 * 4096, 4096 } };
    struct walk w;

    run(bm, 0, 24 * 4096, 3 * 4096, r, 1, &w);
    cr_assert_eq(bm[0], 1 << 5);
}
