/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_VFIO_IOAS and the VFIO type1 container ioctls that /dev/iommu also
 * answers (the kernel's drivers/iommu/iommufd/vfio_compat.c; iommufd.md §4.9).
 * They operate on the "compat IOAS" (ctx->vfio_ioas_id).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "handlers.h"
#include "io_pagetable.h"

static struct mfd_ioas *get_compat_ioas(struct mfd_ctx *ctx)
{
    if (!ctx->vfio_ioas_id)
        return NULL;
    return mfd_ioas_get(ctx, ctx->vfio_ioas_id);
}

int mfd_vfio_ioas(struct mfd_ucmd *ucmd)
{
    struct iommu_vfio_ioas *cmd = ucmd->cmd_buf;
    struct mfd_ioas *ioas;

    if (cmd->__reserved)
        return -EOPNOTSUPP;
    switch (cmd->op) {
    case IOMMU_VFIO_IOAS_GET:
        ioas = get_compat_ioas(ucmd->ctx);
        if (!ioas)
            return -ENODEV;
        cmd->ioas_id = ioas->obj.id;
        return mfd_ucmd_respond(ucmd, sizeof(*cmd));
    case IOMMU_VFIO_IOAS_SET:
        ioas = mfd_ioas_get(ucmd->ctx, cmd->ioas_id);
        if (!ioas)
            return -ENOENT;
        ucmd->ctx->vfio_ioas_id = ioas->obj.id;
        return 0;
    case IOMMU_VFIO_IOAS_CLEAR:
        ucmd->ctx->vfio_ioas_id = 0;
        return 0;
    default:
        return -EOPNOTSUPP;
    }
}

static long map_dma(struct mfd_ctx *ctx, uint64_t arg)
{
    const size_t minsz = offsetof(struct vfio_iommu_type1_dma_map, size) + sizeof(uint64_t);
    struct vfio_iommu_type1_dma_map map;
    unsigned prot = MFD_PROT_CACHE;
    struct mfd_ioas *ioas;
    uint64_t iova;

    if (mfd_copy_from_user(&map, arg, minsz))
        return -EFAULT;
    if (map.argsz < minsz || (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
        return -EINVAL;
    if (map.flags & VFIO_DMA_MAP_FLAG_READ)
        prot |= MFD_PROT_READ;
    if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
        prot |= MFD_PROT_WRITE;
    ioas = get_compat_ioas(ctx);
    if (!ioas)
        return -ENODEV;
    /* Always a fixed IOVA; nothing is written back. */
    iova = map.iova;
    return iopt_map_user_pages(&ioas->iopt, &iova, map.vaddr, map.size, prot, 0);
}

static long unmap_dma(struct mfd_ctx *ctx, uint64_t arg)
{
    const size_t minsz = offsetof(struct vfio_iommu_type1_dma_unmap, size) + sizeof(uint64_t);
    struct vfio_iommu_type1_dma_unmap unmap;
    struct mfd_ioas *ioas;
    uint64_t unmapped = 0;
    int rc;

    if (mfd_copy_from_user(&unmap, arg, minsz))
        return -EFAULT;
    /* GET_DIRTY_BITMAP is obsolete in iommufd, VADDR unsupported. */
    if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
        return -EINVAL;
    ioas = get_compat_ioas(ctx);
    if (!ioas)
        return -ENODEV;
    if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
        if (unmap.iova != 0 || unmap.size != 0)
            return -EINVAL;
        rc = iopt_unmap_all(&ioas->iopt, &unmapped);
    } else {
        if (ioas->iopt.disable_large_pages) {
            /* Type1 (v1) semantics: cut the areas at both ends of the range
             * so that an unmap inside a mapping succeeds (no cut needed
             * before IOVA 0). */
            uint64_t iovas[2] = { unmap.iova + unmap.size - 1, unmap.iova - 1 };

            rc = iopt_cut_iova(&ioas->iopt, iovas, unmap.iova ? 2 : 1);
            if (rc)
                return rc;
        }
        rc = iopt_unmap_iova(&ioas->iopt, unmap.iova, unmap.size, &unmapped);
    }
    /* size is written back even when the unmap stopped part way. */
    unmap.size = unmapped;
    if (mfd_copy_to_user(arg, &unmap, minsz))
        rc = -EFAULT;
    return rc;
}

/* iommufd_vfio_cc_iommu: 1 when every paging domain of the compat IOAS
 * enforces cache coherency (none at all: 1), else 0; no compat IOAS:
 * -ENODEV. */
static long cc_iommu(struct mfd_ctx *ctx)
{
    struct mfd_ioas *ioas = get_compat_ioas(ctx);
    size_t i;

    if (!ioas)
        return -ENODEV;
    for (i = 0; i < ioas->iopt.ndomains; i++)
        if (!ioas->iopt.domains[i]->enforce_cache_coherency)
            return 0;
    return 1;
}

static long check_extension(struct mfd_ctx *ctx, unsigned long type)
{
    switch (type) {
    case VFIO_TYPE1_IOMMU:
    case VFIO_TYPE1v2_IOMMU:
    case VFIO_UNMAP_ALL:
        return 1;
    case VFIO_DMA_CC_IOMMU:
        return cc_iommu(ctx);
    case VFIO_NOIOMMU_IOMMU:       /* no CONFIG_VFIO_NOIOMMU in the mock */
    case VFIO_UPDATE_VADDR:        /* cannot be implemented safely */
    default:
        return 0;
    }
}

static long set_iommu(struct mfd_ctx *ctx, unsigned long type)
{
    struct mfd_ioas *ioas;
    int rc = 0;

    if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
        return -EINVAL;
    /* VFIO fails SET_IOMMU without a group: here, without a compat IOAS. */
    ioas = get_compat_ioas(ctx);
    if (!ioas)
        return -ENODEV;
    /* Type1 (v1) may unmap inside a mapping: emulated by never using large
     * IOPTEs, which can then be cut. */
    if (type == VFIO_TYPE1_IOMMU)
        rc = iopt_disable_large_pages(&ioas->iopt);
    if (!rc)
        ctx->vfio_type = (int)type;
    return rc;
}

/* Capability writers: return the capability's size; write it only when it
 * fits in `avail` bytes at `cur`. */
static long fill_cap_dma_avail(struct mfd_ioas *ioas, uint64_t cur, size_t avail)
{
    struct vfio_iommu_type1_info_dma_avail cap;

    (void)ioas;
    memset(&cap, 0, sizeof(cap));
    cap.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
    cap.header.version = 1;
    /* iommufd's limit is the cgroup's: vfio_compat.c reports U32_MAX. */
    cap.avail = UINT32_MAX;
    if (avail >= sizeof(cap) && mfd_copy_to_user(cur, &cap, sizeof(cap)))
        return -EFAULT;
    return sizeof(cap);
}

static long fill_cap_iova(struct mfd_ioas *ioas, uint64_t cur, size_t avail)
{
    struct vfio_iommu_type1_info_cap_iova_range cap;
    const size_t hdr = sizeof(cap), esz = sizeof(struct vfio_iova_range);
    struct mfd_span_iter span;

    memset(&cap, 0, sizeof(cap));
    cap.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
    cap.header.version = 1;
    mfd_for_each_span(&span, &ioas->iopt.reserved_itree, NULL, 0, MFD_ULONG_MAX) {
        struct vfio_iova_range r;

        if (!span.is_hole)
            continue;
        r.start = span.start_span;
        r.end = span.last_span;
        if (avail >= hdr + esz * (cap.nr_iovas + 1) &&
            mfd_copy_to_user(cur + hdr + esz * cap.nr_iovas, &r, sizeof(r)))
            return -EFAULT;
        cap.nr_iovas++;
    }
    if (avail >= hdr + esz * cap.nr_iovas && mfd_copy_to_user(cur, &cap, sizeof(cap)))
        return -EFAULT;
    return (long)(hdr + esz * cap.nr_iovas);
}

static long get_info(struct mfd_ctx *ctx, uint64_t arg)
{
    typedef long (*fill_fn)(struct mfd_ioas *, uint64_t, size_t);
    static const fill_fn fills[] = { fill_cap_dma_avail, fill_cap_iova };
    size_t minsz = offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + sizeof(uint64_t);
    struct vfio_iommu_type1_info info;
    uint64_t last_cap = 0;
    struct mfd_ioas *ioas;
    size_t total;

    memset(&info, 0, sizeof(info));
    if (mfd_copy_from_user(&info, arg, minsz))
        return -EFAULT;
    if (info.argsz < minsz)
        return -EINVAL;
    minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
    ioas = get_compat_ioas(ctx);
    if (!ioas)
        return -ENODEV;
    info.flags = VFIO_IOMMU_INFO_PGSIZES;
    info.iova_pgsizes = iopt_vfio_pgsizes(&ioas->iopt);
    info.cap_offset = 0;

    /* The capability chain follows the struct; each capability is padded to
     * 8 bytes; a capability's `next` is patched once the following one's
     * offset is known and still inside argsz (vfio_compat.c get_info). */
    total = sizeof(info);
    for (size_t i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
        long sz;

        if (info.argsz > total)
            sz = fills[i](ioas, arg + total, info.argsz - total);
        else
            sz = fills[i](ioas, 0, 0);
        if (sz < 0)
            return sz;
        sz = (sz + 7) & ~7L;
        if (last_cap && info.argsz >= total) {
            uint32_t next = (uint32_t)total;

            if (mfd_copy_to_user(last_cap + offsetof(struct vfio_info_cap_header, next), &next,
                                 sizeof(next)))
                return -EFAULT;
        }
        last_cap = arg + total;
        total += (size_t)sz;
    }
    /* Too small a buffer: no caps, but argsz says how much is needed. */
    if (info.argsz >= total)
        info.cap_offset = sizeof(info);
    info.argsz = (uint32_t)total;
    info.flags |= VFIO_IOMMU_INFO_CAPS;
    if (mfd_copy_to_user(arg, &info, minsz))
        return -EFAULT;
    return 0;
}

long mfd_vfio_compat_ioctl(struct mfd_ctx *ctx, unsigned int cmd, unsigned long arg)
{
    switch (cmd) {
    case VFIO_GET_API_VERSION:
        return VFIO_API_VERSION;
    case VFIO_SET_IOMMU:
        return set_iommu(ctx, arg);
    case VFIO_CHECK_EXTENSION:
        return check_extension(ctx, arg);
    case VFIO_IOMMU_GET_INFO:
        return get_info(ctx, arg);
    case VFIO_IOMMU_MAP_DMA:
        return map_dma(ctx, arg);
    case VFIO_IOMMU_UNMAP_DMA:
        return unmap_dma(ctx, arg);
    default:
        /* VFIO_IOMMU_DIRTY_PAGES and everything else: -ENOIOCTLCMD. */
        return -ENOTTY;
    }
}
