/* SPDX-License-Identifier: MIT */
/*
 * The user dirty-bitmap engine, byte-oriented like the kernel's iova_bitmap.c
 * (iommufd.md §4.13, regression fixes of §9: a4ab7dedaee0, 2780025e01e2,
 * d18411ec3057, "consider page offset").
 *
 * The kernel pins up to 512 user pages of bitmap per window (FOLL_WRITE) and
 * sets bits in them directly. Here a window is "pinned" by copying its bytes
 * from the user and writing them straight back (a write probe, so a
 * read-only bitmap fails like FOLL_WRITE does), bits are set in that copy and
 * the copy is written back when the window is released. Only bits in range
 * are ever set; bytes keep every bit the user had set. A page that cannot be
 * pinned ends the window there (pin_user_pages_fast returning fewer pages);
 * no page at all is -EFAULT.
 *
 * Bits recorded past the current window (a huge leaf straddling two windows)
 * are kept pending and set when the next window is pinned, so no dirty bit
 * is lost; the kernel's set_ahead does the same job (it also skips the
 * re-walk of the bytes it filled, which this engine does not need to).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "iova_bitmap.h"
#include "mockfd_internal.h"

#define WIN_PAGES 512ull         /* PAGE_SIZE / sizeof(struct page *) */
#define UPAGE     4096ull

struct mfd_dirty_bitmap {
    uint64_t iova, last;         /* the user's range (inclusive) */
    unsigned pgshift;
    uint64_t data;               /* user pointer */
    uint64_t total;              /* bytes of bitmap (mapped_total_index) */
    uint64_t base;               /* bytes already processed (mapped_base_index) */
    uint8_t *buf;                /* copy of the pinned window */
    uint64_t nbytes;             /* bytes held (0: nothing pinned) */
    uint64_t win_iova, win_last;
    bool dirty;
    bool ahead;
    uint64_t ahead_lo, ahead_hi;
};

static unsigned ffs64(uint64_t v)
{
    unsigned s = 0;

    while (!(v & 1)) {
        v >>= 1;
        s++;
    }
    return s;
}

int mfd_iova_bitmap_alloc(uint64_t iova, uint64_t last, uint64_t page_size, uint64_t data,
                          struct mfd_dirty_bitmap **out)
{
    struct mfd_dirty_bitmap *bm;

    if (!page_size || mfd_should_fail())
        return -ENOMEM;
    bm = calloc(1, sizeof(*bm));
    if (!bm)
        return -ENOMEM;
    bm->iova = iova;
    bm->last = last;
    bm->pgshift = ffs64(page_size);
    bm->data = data;
    bm->total = ((last - iova) >> bm->pgshift) / 8 + 1;
    *out = bm;
    return 0;
}

static void put_window(struct mfd_dirty_bitmap *bm)
{
    if (bm->nbytes && bm->dirty)
        mfd_copy_to_user(bm->data + bm->base, bm->buf, (size_t)bm->nbytes);
    bm->nbytes = 0;
    bm->dirty = false;
}

void mfd_iova_bitmap_free(struct mfd_dirty_bitmap *bm)
{
    if (!bm)
        return;
    put_window(bm);
    free(bm->buf);
    free(bm);
}

static void set_bits(uint8_t *b, uint64_t first, uint64_t last)
{
    while (first <= last && (first & 7)) {
        b[first / 8] |= (uint8_t)(1u << (first & 7));
        first++;
    }
    if (first > last)
        return;
    if (last - first + 1 >= 8) {
        uint64_t nb = (last - first + 1) / 8;

        memset(b + first / 8, 0xff, (size_t)nb);
        first += nb * 8;
    }
    while (first <= last) {
        b[first / 8] |= (uint8_t)(1u << (first & 7));
        first++;
    }
}

/* Set the bits of [lo, hi] that lie in the pinned window; keep the rest
 * past the window pending. */
static void set_in_window(struct mfd_dirty_bitmap *bm, uint64_t lo, uint64_t hi)
{
    if (lo < bm->win_iova)
        lo = bm->win_iova;
    if (hi > bm->win_last) {
        uint64_t alo = lo > bm->win_last ? lo : bm->win_last + 1;

        if (!bm->ahead) {
            bm->ahead = true;
            bm->ahead_lo = alo;
            bm->ahead_hi = hi;
        } else {
            if (alo < bm->ahead_lo)
                bm->ahead_lo = alo;
            if (hi > bm->ahead_hi)
                bm->ahead_hi = hi;
        }
        hi = bm->win_last;
    }
    if (lo > hi)
        return;
    set_bits(bm->buf, (lo - bm->win_iova) >> bm->pgshift, (hi - bm->win_iova) >> bm->pgshift);
    bm->dirty = true;
}

static int get_window(struct mfd_dirty_bitmap *bm)
{
    uint64_t remaining = bm->total - bm->base, addr = bm->data + bm->base;
    uint64_t pgoff = addr & (UPAGE - 1), held = 0, i;

    if (!bm->buf) {
        bm->buf = malloc(WIN_PAGES * UPAGE);
        if (!bm->buf)
            return -ENOMEM;
    }
    /* pin page by page; the first page honours the pointer's offset. The
     * write probe stores back one byte of the chunk, the value just read:
     * a chunk lies in one page, so this faults exactly when writing the
     * whole chunk back would, without a second pass over the window (the
     * bytes themselves are written back by put_window if bits were set). */
    for (i = 0; i < WIN_PAGES && held < remaining; i++) {
        uint64_t chunk = (i ? UPAGE : UPAGE - pgoff);

        if (chunk > remaining - held)
            chunk = remaining - held;
        if (mfd_copy_from_user(bm->buf + held, addr + held, (size_t)chunk) ||
            mfd_copy_to_user(addr + held, bm->buf + held, 1))
            break;
        held += chunk;
    }
    if (!held)
        return -EFAULT;
    bm->nbytes = held;
    bm->dirty = false;
    bm->win_iova = bm->iova + ((bm->base * 8) << bm->pgshift);
    /* IOVA covered by `held` bytes, saturating at the user's last */
    if (bm->pgshift >= 61 || held * 8 > ((bm->last - bm->win_iova) >> bm->pgshift))
        bm->win_last = bm->last;
    else
        bm->win_last = bm->win_iova + ((held * 8) << bm->pgshift) - 1;
    if (bm->ahead) {
        uint64_t lo = bm->ahead_lo, hi = bm->ahead_hi;

        bm->ahead = false;
        if (hi >= bm->win_iova)
            set_in_window(bm, lo, hi);
    }
    return 0;
}

void mfd_iova_bitmap_set(struct mfd_dirty_bitmap *bm, uint64_t iova, uint64_t len)
{
    uint64_t lo = iova, hi;

    if (!bm || !len || !bm->nbytes)
        return;
    hi = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
    if (lo < bm->iova)
        lo = bm->iova;
    if (hi > bm->last)
        hi = bm->last;
    if (lo > hi)
        return;
    set_in_window(bm, lo, hi);
}

void mfd_dirty_record(struct mfd_dirty_bitmap *bm, uint64_t iova, uint64_t len)
{
    mfd_iova_bitmap_set(bm, iova, len);
}

int mfd_iova_bitmap_for_each(struct mfd_dirty_bitmap *bm, void *opaque, mfd_iova_bitmap_fn fn)
{
    int rc = get_window(bm);

    while (!rc) {
        rc = fn(bm, bm->win_iova, bm->win_last, opaque);
        if (rc)
            break;
        {
            uint64_t used = bm->nbytes;

            put_window(bm);
            bm->base += used;
        }
        if (bm->base >= bm->total)
            break;
        rc = get_window(bm);
    }
    put_window(bm);
    return rc;
}
