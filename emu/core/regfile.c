/* SPDX-License-Identifier: MIT */
/*
 * Register-file engine (emu_internal.h). The model's table is data; this file
 * turns it into QEMU-style per-byte value / wmask / w1cmask / womask arrays
 * (vtd.md §1.1) so that any offset and any width 1..8 has a defined result:
 *   write: new = ((old & ~wmask) | (val & wmask)) & ~(w1cmask & val)
 *   read:  stored & ~womask
 * Bytes covered by no row read as 0 and ignore writes.
 *
 * Table rules checked by emu_regfile_init (-EINVAL otherwise): every row is
 * 4 or 8 bytes wide, 4-byte aligned, inside the register space, and rows do
 * not overlap. So each dword belongs to at most one row and by_word[] gives
 * the row in O(1); an access of up to 8 bytes touches at most 3 rows.
 *
 * Tracing of guest accesses is done once per emu_mmio_read/write in iommu.c
 * (so reserved space the model answers itself is traced too), not here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

#define MAX_TOUCHED 3

/* Little-endian load/store of n (1..8) bytes of one array, clipped to size. */
static uint64_t ld(const uint8_t *a, size_t size, uint64_t off, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        if (off + i < size)
            v |= (uint64_t)a[off + i] << (8 * i);
    return v;
}

static void st(uint8_t *a, size_t size, uint64_t off, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        if (off + i < size)
            a[off + i] = (uint8_t)(v >> (8 * i));
}

/* Clip an access to the register space; false if nothing of it is inside. */
static bool clip(const struct emu_regfile *rf, uint64_t off, unsigned *width)
{
    if (!rf->val || off >= rf->size || *width == 0)
        return false;
    if (*width > 8)
        *width = 8;
    return true;
}

int emu_regfile_init(struct emu_regfile *rf, size_t size, const struct emu_reg *regs, size_t nregs)
{
    size_t nwords = (size + 3) / 4;

    memset(rf, 0, sizeof(*rf));
    if (!size || (nregs && !regs))
        return -EINVAL;
    rf->by_word = calloc(nwords, sizeof(*rf->by_word));
    rf->val = calloc(4, size);
    if (!rf->by_word || !rf->val) {
        free(rf->by_word);
        free(rf->val);
        memset(rf, 0, sizeof(*rf));
        return -ENOMEM;
    }
    rf->wmask = rf->val + size;
    rf->w1c = rf->val + 2 * size;
    rf->wo = rf->val + 3 * size;
    rf->size = size;
    rf->regs = regs;
    rf->nregs = nregs;
    for (size_t i = 0; i < nregs; i++) {
        const struct emu_reg *r = &regs[i];

        if ((r->width != 4 && r->width != 8) || (r->offset & 3) ||
            (uint64_t)r->offset + r->width > size)
            goto bad;
        for (unsigned w = 0; w < r->width / 4u; w++) {
            if (rf->by_word[r->offset / 4 + w])
                goto bad;   /* overlapping rows */
            rf->by_word[r->offset / 4 + w] = r;
        }
    }
    emu_regfile_reset(rf);
    return 0;
bad:
    emu_regfile_fini(rf);
    return -EINVAL;
}

/* Idempotent: the core calls it after ops->fini whether or not the model did. */
void emu_regfile_fini(struct emu_regfile *rf)
{
    if (!rf)
        return;
    free(rf->val);
    free(rf->by_word);
    memset(rf, 0, sizeof(*rf));
}

void emu_regfile_reset(struct emu_regfile *rf)
{
    if (!rf->val)
        return;
    memset(rf->val, 0, 4 * rf->size);
    for (size_t i = 0; i < rf->nregs; i++) {
        const struct emu_reg *r = &rf->regs[i];

        st(rf->val, rf->size, r->offset, r->width, r->reset);
        st(rf->wmask, rf->size, r->offset, r->width, r->wmask);
        st(rf->w1c, rf->size, r->offset, r->width, r->w1cmask);
        st(rf->wo, rf->size, r->offset, r->width, r->womask);
    }
}

uint64_t emu_regfile_get(const struct emu_regfile *rf, uint64_t off, unsigned width)
{
    if (!clip(rf, off, &width))
        return 0;
    return ld(rf->val, rf->size, off, width);
}

void emu_regfile_set(struct emu_regfile *rf, uint64_t off, unsigned width, uint64_t val)
{
    if (clip(rf, off, &width))
        st(rf->val, rf->size, off, width, val);
}

void emu_regfile_set_masks(struct emu_regfile *rf, uint64_t off, unsigned width,
                           uint64_t wmask, uint64_t w1cmask, uint64_t womask)
{
    if (!clip(rf, off, &width))
        return;
    st(rf->wmask, rf->size, off, width, wmask);
    st(rf->w1c, rf->size, off, width, w1cmask);
    st(rf->wo, rf->size, off, width, womask);
}

const struct emu_reg *emu_regfile_find(const struct emu_regfile *rf, uint64_t off)
{
    const struct emu_reg *r;

    if (!rf || !rf->by_word || off >= rf->size)
        return NULL;
    r = rf->by_word[off / 4];
    return r && off - r->offset < r->width ? r : NULL;
}

/* Distinct rows touched by [off, off+width), ascending. */
static unsigned touched(const struct emu_regfile *rf, uint64_t off, unsigned width,
                        const struct emu_reg **out)
{
    unsigned n = 0;

    for (uint64_t w = off / 4; w <= (off + width - 1) / 4 && w < (rf->size + 3) / 4; w++) {
        const struct emu_reg *r = rf->by_word[w];

        if (r && (n == 0 || out[n - 1] != r) && n < MAX_TOUCHED)
            out[n++] = r;
    }
    return n;
}

uint64_t emu_regfile_read(struct emu_iommu *iommu, struct emu_regfile *rf, uint64_t off, unsigned width)
{
    const struct emu_reg *rows[MAX_TOUCHED];
    uint64_t v;
    unsigned n;

    if (!clip(rf, off, &width))
        return 0;
    v = ld(rf->val, rf->size, off, width) & ~ld(rf->wo, rf->size, off, width);
    n = touched(rf, off, width, rows);
    for (unsigned i = 0; i < n; i++) {
        const struct emu_reg *r = rows[i];
        uint64_t rv, lo, hi;

        if (!r->read)
            continue;
        /* The hook sees the row's full stored value and returns the full value a
         * guest read gives; splice the bytes of it this access covers. */
        rv = r->read(iommu, r, ld(rf->val, rf->size, r->offset, r->width));
        lo = off > r->offset ? off : r->offset;
        hi = off + width < (uint64_t)r->offset + r->width ? off + width : (uint64_t)r->offset + r->width;
        for (uint64_t b = lo; b < hi; b++) {
            unsigned sh = 8 * (unsigned)(b - off);
            v = (v & ~(0xffull << sh)) | (((rv >> (8 * (b - r->offset))) & 0xff) << sh);
        }
    }
    return v;
}

void emu_regfile_write(struct emu_iommu *iommu, struct emu_regfile *rf, uint64_t off, unsigned width, uint64_t val)
{
    const struct emu_reg *rows[MAX_TOUCHED];
    uint64_t olds[MAX_TOUCHED], news[MAX_TOUCHED], old, wm, w1c, nv, wmask_w;
    unsigned n;

    if (!clip(rf, off, &width))
        return;
    wmask_w = width == 8 ? ~0ull : (1ull << (8 * width)) - 1;
    val &= wmask_w;
    n = touched(rf, off, width, rows);
    for (unsigned i = 0; i < n; i++)
        olds[i] = ld(rf->val, rf->size, rows[i]->offset, rows[i]->width);
    old = ld(rf->val, rf->size, off, width);
    wm = ld(rf->wmask, rf->size, off, width);
    w1c = ld(rf->w1c, rf->size, off, width);
    /* vtd.md §1.1, QEMU's formula. */
    nv = ((old & ~wm) | (val & wm)) & ~(w1c & val);
    st(rf->val, rf->size, off, width, nv);
    /* Capture every row's new value before any hook runs: a hook may update
     * other registers (GSTS from GCMD) and must not disturb its siblings' view. */
    for (unsigned i = 0; i < n; i++)
        news[i] = ld(rf->val, rf->size, rows[i]->offset, rows[i]->width);
    for (unsigned i = 0; i < n; i++)
        if (rows[i]->write)
            rows[i]->write(iommu, rows[i], olds[i], news[i]);
}

int emu_reg_format_fields(const struct emu_reg *reg, uint64_t val, char *buf, size_t len)
{
    size_t total = 0;

    if (!buf)
        len = 0;
    if (len)
        buf[0] = '\0';
    if (!reg || !reg->fields)
        return 0;
    for (const struct emu_field *f = reg->fields; f->name; f++) {
        unsigned w = f->width ? f->width : 1, hi = f->lsb + w - 1u;
        uint64_t fv = f->lsb > 63 ? 0 : emu_bits(val, hi > 63 ? 63 : hi, f->lsb);
        char *p = total < len ? buf + total : NULL;
        size_t room = total < len ? len - total : 0;
        int k;

        if (w > 4)
            k = snprintf(p, room, "%s%s=0x%llx", total ? " " : "", f->name, (unsigned long long)fv);
        else
            k = snprintf(p, room, "%s%s=%llu", total ? " " : "", f->name, (unsigned long long)fv);
        if (k < 0)
            return -EINVAL;
        total += (size_t)k;
    }
    return total > INT32_MAX ? INT32_MAX : (int)total;
}
