/* SPDX-License-Identifier: MIT */
/*
 * The generic IOMMU unit (contract.md §1): model selection, locking, MMIO
 * dispatch with tracing, the page-by-page DMA loop and register-name helpers.
 *
 * Models are referenced weakly, so a program (or a test suite) that links only
 * one model, or none, still links; asking for a model that is not linked in
 * gives NULL with errno = EINVAL (the contract has no ENODEV).
 *
 * Documented choices:
 *  - MMIO width other than 1, 2, 4, 8: reads return 0, writes are ignored, and
 *    the model is not called (a CPU cannot issue such an access). Same for an
 *    access whose offset + width wraps past 2^64.
 *  - Writes pass only the low `width` bytes of value to the model; reads
 *    return at most `width` bytes.
 *  - MMIO_READ / MMIO_WRITE trace records are emitted here, exactly once per
 *    guest access, after the model handled it (b = value returned / written).
 *  - emu_dma: a guest-memory error on the translated output address (the
 *    IOMMU allowed the access but nothing backs it) returns -EFAULT with
 *    *fault = { iova, rid, pasid, reason 0, write }; it is not an IOMMU fault,
 *    so nothing is recorded in the model's fault log. Zero-length DMA returns
 *    0 without translating; a DMA whose iova + len wraps past 2^64, or with a
 *    NULL buf and len > 0, returns -EINVAL.
 *  - EMU_TRACE_TRANSLATE is emitted here for each translated page of a DMA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_internal.h"

#pragma weak emu_vtd_ops
#pragma weak emu_amdvi_ops
#pragma weak emu_smmuv3_ops

static const struct emu_model_ops *model_ops(enum emu_model model)
{
    switch (model) {
    case EMU_VTD:
        return &emu_vtd_ops;
    case EMU_AMDVI:
        return &emu_amdvi_ops;
    case EMU_SMMUV3:
        return &emu_smmuv3_ops;
    }
    return NULL;
}

const char *emu_model_name(enum emu_model model)
{
    switch (model) {
    case EMU_VTD:
        return "vtd";
    case EMU_AMDVI:
        return "amdvi";
    case EMU_SMMUV3:
        return "smmuv3";
    }
    return "unknown";
}

struct emu_iommu *emu_iommu_new_ops(const struct emu_model_ops *ops, const char *profile,
                                    struct emu_mem *mem)
{
    struct emu_iommu *iommu;
    int rc;

    if (!ops || !ops->init || !mem) {
        errno = EINVAL;
        return NULL;
    }
    iommu = calloc(1, sizeof(*iommu));
    if (!iommu) {
        errno = ENOMEM;
        return NULL;
    }
    iommu->ops = ops;
    iommu->mem = mem;
    if (pthread_mutex_init(&iommu->lock, NULL)) {
        free(iommu);
        errno = ENOMEM;
        return NULL;
    }
    rc = ops->init(iommu, profile);
    if (rc) {
        emu_regfile_fini(&iommu->regs);
        pthread_mutex_destroy(&iommu->lock);
        free(iommu);
        errno = rc < 0 ? -rc : EINVAL;
        return NULL;
    }
    /* Start in the power-on state whatever init left behind. */
    if (ops->reset)
        ops->reset(iommu);
    return iommu;
}

struct emu_iommu *emu_iommu_new(enum emu_model model, const char *profile, struct emu_mem *mem)
{
    const struct emu_model_ops *ops = model_ops(model);

    if (!ops) {
        errno = EINVAL;
        return NULL;
    }
    return emu_iommu_new_ops(ops, profile, mem);
}

void emu_iommu_free(struct emu_iommu *iommu)
{
    if (!iommu)
        return;
    if (iommu->ops->fini)
        iommu->ops->fini(iommu);
    emu_regfile_fini(&iommu->regs);
    pthread_mutex_destroy(&iommu->lock);
    free(iommu);
}

void emu_iommu_reset(struct emu_iommu *iommu)
{
    if (!iommu)
        return;
    pthread_mutex_lock(&iommu->lock);
    if (iommu->ops->reset)
        iommu->ops->reset(iommu);
    else
        emu_regfile_reset(&iommu->regs);
    pthread_mutex_unlock(&iommu->lock);
}

uint64_t emu_mmio_size(const struct emu_iommu *iommu)
{
    if (!iommu)
        return 0;
    return iommu->ops->mmio_size ? iommu->ops->mmio_size(iommu) : iommu->regs.size;
}

static bool width_ok(uint64_t offset, unsigned width)
{
    return (width == 1 || width == 2 || width == 4 || width == 8) && offset + width > offset;
}

static uint64_t width_mask(unsigned width)
{
    return width >= 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

uint64_t emu_mmio_read(struct emu_iommu *iommu, uint64_t offset, unsigned width)
{
    uint64_t v;

    if (!iommu || !width_ok(offset, width))
        return 0;
    pthread_mutex_lock(&iommu->lock);
    if (iommu->ops->mmio_read)
        v = iommu->ops->mmio_read(iommu, offset, width);
    else
        v = offset + width <= iommu->regs.size ?
            emu_regfile_read(iommu, &iommu->regs, offset, width) : 0;
    v &= width_mask(width);
    if (emu_tracing(iommu)) {
        struct emu_trace_rec rec = { .kind = EMU_TRACE_MMIO_READ, .a = offset, .b = v,
                                     .width = width, .rid = 0, .pasid = EMU_NO_PASID,
                                     .what = emu_reg_name(iommu, offset) };
        emu_trace(iommu, &rec);
    }
    pthread_mutex_unlock(&iommu->lock);
    return v;
}

void emu_mmio_write(struct emu_iommu *iommu, uint64_t offset, unsigned width, uint64_t value)
{
    if (!iommu || !width_ok(offset, width))
        return;
    value &= width_mask(width);
    pthread_mutex_lock(&iommu->lock);
    if (emu_tracing(iommu)) {
        /* Traced before the model acts, so the write precedes the fetches,
         * A/D updates and events it triggers in the trace. */
        struct emu_trace_rec rec = { .kind = EMU_TRACE_MMIO_WRITE, .a = offset, .b = value,
                                     .width = width, .rid = 0, .pasid = EMU_NO_PASID,
                                     .what = emu_reg_name(iommu, offset) };
        emu_trace(iommu, &rec);
    }
    if (iommu->ops->mmio_write)
        iommu->ops->mmio_write(iommu, offset, width, value);
    else if (offset + width <= iommu->regs.size)
        emu_regfile_write(iommu, &iommu->regs, offset, width, value);
    pthread_mutex_unlock(&iommu->lock);
}

int emu_dma(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
            void *buf, size_t len, bool write, struct emu_fault *fault)
{
    uint8_t *p = buf;
    uint64_t cur = iova;
    size_t left = len;
    int rc = 0;

    if (!iommu || (len && !buf))
        return -EINVAL;
    if (!len)
        return 0;
    if (iova + (len - 1) < iova)
        return -EINVAL;
    if (!iommu->ops->translate)
        return -EINVAL;
    pthread_mutex_lock(&iommu->lock);
    while (left) {
        struct emu_xlate x = { 0 };
        struct emu_fault f = { .iova = cur, .rid = rid, .pasid = pasid, .write = write };
        unsigned sh;
        uint64_t in_page, chunk;

        rc = iommu->ops->translate(iommu, rid, pasid, cur, write, &x, &f);
        if (rc) {
            if (rc > 0)
                rc = -EFAULT;   /* defensive: models return negative errno */
            if (fault)
                *fault = f;
            break;
        }
        /* A translation covers at least one 4 KiB page (emu_xlate.shift >= 12). */
        sh = x.shift < 12 ? 12 : x.shift > 63 ? 63 : x.shift;
        in_page = (1ull << sh) - (cur & ((1ull << sh) - 1));
        chunk = left < in_page ? left : in_page;
        if (emu_tracing(iommu)) {
            struct emu_trace_rec rec = { .kind = EMU_TRACE_TRANSLATE, .a = cur, .b = x.out,
                                         .width = sh, .rid = rid, .pasid = pasid };
            emu_trace(iommu, &rec);
        }
        rc = write ? emu_mem_write(iommu->mem, x.out, p, (size_t)chunk)
                   : emu_mem_read(iommu->mem, x.out, p, (size_t)chunk);
        if (rc) {
            rc = -EFAULT;
            if (fault)
                *fault = (struct emu_fault){ .iova = cur, .rid = rid, .pasid = pasid,
                                             .reason = 0, .write = write };
            break;
        }
        p += chunk;
        cur += chunk;
        left -= (size_t)chunk;
    }
    pthread_mutex_unlock(&iommu->lock);
    return rc;
}

int emu_fetch(struct emu_iommu *iommu, const char *what, uint64_t gpa, void *dst, size_t len)
{
    int rc = emu_mem_read(iommu->mem, gpa, dst, len);

    if (!rc && emu_tracing(iommu)) {
        uint64_t first = 0;
        struct emu_trace_rec rec = { .kind = EMU_TRACE_TABLE_FETCH, .a = gpa,
                                     .width = (unsigned)len, .rid = 0, .pasid = EMU_NO_PASID,
                                     .what = what };

        memcpy(&first, dst, len < 8 ? len : 8);
        rec.b = first;
        emu_trace(iommu, &rec);
    }
    return rc;
}

void emu_set_trace(struct emu_iommu *iommu, emu_trace_fn fn, void *opaque)
{
    if (!iommu)
        return;
    pthread_mutex_lock(&iommu->lock);
    iommu->trace = fn;
    iommu->trace_opaque = opaque;
    pthread_mutex_unlock(&iommu->lock);
}

int emu_iommu_set_id(struct emu_iommu *iommu, const char *name, uint64_t value)
{
    int rc;

    if (!iommu || !name || !iommu->ops->set_id)
        return -EINVAL;
    pthread_mutex_lock(&iommu->lock);
    rc = iommu->ops->set_id(iommu, name, value);
    pthread_mutex_unlock(&iommu->lock);
    return rc;
}

enum emu_model emu_iommu_model(const struct emu_iommu *iommu)
{
    return iommu ? iommu->ops->model : (enum emu_model)0;
}

struct emu_mem *emu_iommu_mem(const struct emu_iommu *iommu)
{
    return iommu ? iommu->mem : NULL;
}

/* Name of the row covering offset (any byte of it, so the _HI half of a
 * 64-bit register traced by a 32-bit access still gets a name). */
const char *emu_reg_name(const struct emu_iommu *iommu, uint64_t offset)
{
    const struct emu_reg *r;

    if (!iommu)
        return NULL;
    r = emu_regfile_find(&iommu->regs, offset);
    return r ? r->name : NULL;
}

int64_t emu_reg_lookup(const struct emu_iommu *iommu, const char *name, unsigned *width)
{
    if (!iommu || !name)
        return -1;
    for (size_t i = 0; i < iommu->regs.nregs; i++) {
        const struct emu_reg *r = &iommu->regs.regs[i];

        if (r->name && !strcasecmp(r->name, name)) {
            if (width)
                *width = r->width;
            return r->offset;
        }
    }
    return -1;
}

int emu_reg_decode(const struct emu_iommu *iommu, uint64_t offset, uint64_t value,
                   char *buf, size_t len)
{
    const struct emu_reg *r;
    unsigned sh;

    if (buf && len)
        buf[0] = '\0';
    if (!iommu)
        return 0;
    r = emu_regfile_find(&iommu->regs, offset);
    if (!r)
        return 0;
    /* A value read at offset lines up with the row's bits at (offset - row). */
    sh = 8 * (unsigned)(offset - r->offset);
    return emu_reg_format_fields(r, sh >= 64 ? 0 : value << sh, buf, len);
}
