/* SPDX-License-Identifier: MIT */
/* emu_apply_stream(): the fuzzing entry point; format in stream.h. */
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"
#include "stream.h"

struct cursor {
    const uint8_t *p;
    size_t left;
};

/* Little-endian n-byte operand; false if the input is exhausted. */
static bool take(struct cursor *c, unsigned n, uint64_t *v)
{
    if (c->left < n)
        return false;
    *v = 0;
    for (unsigned i = 0; i < n; i++)
        *v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    c->left -= n;
    return true;
}

size_t emu_apply_stream(struct emu_iommu *iommu, const uint8_t *data, size_t len)
{
    struct cursor c = { data, data ? len : 0 };
    uint8_t *buf = NULL;
    size_t ops = 0;
    uint64_t op;

    if (!iommu)
        return 0;
    while (take(&c, 1, &op)) {
        unsigned code = op & 7, width = 1u << ((op >> EMU_STREAM_F_WIDTH_SHIFT) & 3);
        uint64_t off, val, gpa, rid, pasid = EMU_NO_PASID, iova, n;

        switch (code) {
        case EMU_STREAM_MMIO_WRITE:
        case EMU_STREAM_MMIO_READ:
            if (!take(&c, 4, &off))
                goto out;
            if (op & EMU_STREAM_F_INRANGE) {
                uint64_t sz = emu_mmio_size(iommu);
                off = sz ? off % sz : 0;
            }
            if (code == EMU_STREAM_MMIO_WRITE) {
                if (!take(&c, width, &val))
                    goto out;
                emu_mmio_write(iommu, off, width, val);
            } else {
                (void)emu_mmio_read(iommu, off, width);
            }
            break;
        case EMU_STREAM_MEM_WRITE:
            if (!take(&c, 8, &gpa) || !take(&c, 2, &n) || c.left < n)
                goto out;
            (void)emu_mem_write(iommu->mem, gpa, c.p, (size_t)n);
            c.p += n;
            c.left -= n;
            break;
        case EMU_STREAM_MEM_WRITE64:
            if (!take(&c, 8, &gpa) || !take(&c, 8, &val))
                goto out;
            (void)emu_mem_write64(iommu->mem, gpa, val);
            break;
        case EMU_STREAM_DMA: {
            bool wr = op & EMU_STREAM_F_WRITE;

            if (!take(&c, 4, &rid) || ((op & EMU_STREAM_F_PASID) && !take(&c, 4, &pasid)) ||
                !take(&c, 8, &iova) || !take(&c, 2, &n))
                goto out;
            n += 1;
            if (!buf && !(buf = malloc(EMU_STREAM_DMA_MAX)))
                goto out;
            if (wr)
                for (uint64_t i = 0; i < n; i++)
                    buf[i] = (uint8_t)(iova + i);
            (void)emu_dma(iommu, (uint32_t)rid, (uint32_t)pasid, iova, buf, (size_t)n, wr, NULL);
            break;
        }
        case EMU_STREAM_RESET:
            emu_iommu_reset(iommu);
            break;
        case EMU_STREAM_MEM_READ64:
            if (!take(&c, 8, &gpa))
                goto out;
            (void)emu_mem_read64(iommu->mem, gpa, &val);
            break;
        default:    /* NOP */
            continue;
        }
        ops++;
    }
out:
    free(buf);
    return ops;
}
