/* SPDX-License-Identifier: MIT */
/*
 * IOAS ioctls (the kernel's drivers/iommu/iommufd/ioas.c): ALLOC, IOVA_RANGES,
 * ALLOW_IOVAS, MAP, MAP_FILE, COPY, UNMAP, OPTION HUGE_PAGES, CHANGE_PROCESS.
 * Checks follow iommufd.md §4.2-§4.8 and §4.20 in the kernel's order, since
 * the order decides which errno wins.
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/iommufd.h>

#include "handlers.h"
#include "io_pagetable.h"

#define MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

static void ioas_destroy(struct mfd_obj *obj)
{
    struct mfd_ioas *ioas = mfd_container_of(obj, struct mfd_ioas, obj);

    /* iommufd_ioas_destroy(): unmap everything (drops pins), free the table. */
    iopt_destroy_table(&ioas->iopt);
}

static const struct mfd_obj_ops ioas_ops = { .destroy = ioas_destroy };

struct mfd_ioas *mfd_ioas_get(struct mfd_ctx *ctx, uint32_t id)
{
    struct mfd_obj *obj = mfd_obj_get(ctx, id, MFD_OBJ_IOAS);

    return obj ? mfd_container_of(obj, struct mfd_ioas, obj) : NULL;
}

struct mfd_ioas *mfd_ioas_alloc_obj(struct mfd_ctx *ctx)
{
    struct mfd_obj *obj = mfd_obj_alloc(ctx, MFD_OBJ_IOAS, sizeof(struct mfd_ioas), &ioas_ops);
    struct mfd_ioas *ioas;

    if (!obj)
        return NULL;
    ioas = mfd_container_of(obj, struct mfd_ioas, obj);
    iopt_init_table(&ioas->iopt);
    return ioas;
}

/* §4.2 */
int mfd_ioas_alloc(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_alloc *cmd = ucmd->cmd_buf;
    struct mfd_ioas *ioas;

    if (cmd->flags)
        return -EOPNOTSUPP;
    ioas = mfd_ioas_alloc_obj(ucmd->ctx);
    if (!ioas)
        return -ENOMEM;
    cmd->out_ioas_id = ioas->obj.id;
    /* Published by the dispatcher on success, destroyed if the response
     * cannot be written (no ID leaks). */
    ucmd->new_obj = &ioas->obj;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* §4.3: the holes of the reserved tree; EMSGSIZE after the response. */
int mfd_ioas_iova_ranges(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_iova_ranges *cmd = ucmd->cmd_buf;
    struct mfd_span_iter span;
    struct mfd_ioas *ioas;
    uint32_t max;
    int rc;

    if (cmd->__reserved)
        return -EOPNOTSUPP;
    ioas = mfd_ioas_get(ucmd->ctx, cmd->ioas_id);
    if (!ioas)
        return -ENOENT;
    max = cmd->num_iovas;
    cmd->num_iovas = 0;
    cmd->out_iova_alignment = ioas->iopt.iova_alignment;
    mfd_for_each_span(&span, &ioas->iopt.reserved_itree, NULL, 0, MFD_ULONG_MAX) {
        if (!span.is_hole)
            continue;
        if (cmd->num_iovas < max) {
            struct iommu_iova_range elm = { .start = span.start_span, .last = span.last_span };

            if (mfd_copy_to_user(cmd->allowed_iovas + (uint64_t)cmd->num_iovas * sizeof(elm),
                                 &elm, sizeof(elm)))
                return -EFAULT;
        }
        cmd->num_iovas++;
    }
    rc = mfd_ucmd_respond(ucmd, sizeof(*cmd));
    if (rc)
        return rc;
    return cmd->num_iovas > max ? -EMSGSIZE : 0;
}

/* §4.4 */
int mfd_ioas_allow_iovas(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_allow_iovas *cmd = ucmd->cmd_buf;
    struct mfd_itree t = { 0 };
    struct mfd_ioas *ioas;
    int rc = 0;

    if (cmd->__reserved)
        return -EOPNOTSUPP;
    ioas = mfd_ioas_get(ucmd->ctx, cmd->ioas_id);
    if (!ioas)
        return -ENOENT;
    /* ioas.c iommufd_ioas_load_iovas: read one by one; a one-byte range
     * (start == last) is rejected as well. */
    for (uint32_t i = 0; i != cmd->num_iovas; i++) {
        struct iommu_iova_range r;
        struct iopt_allowed *a;

        if (mfd_copy_from_user(&r, cmd->allowed_iovas + (uint64_t)i * sizeof(r), sizeof(r))) {
            rc = -EFAULT;
            goto out;
        }
        if (r.start >= r.last || mfd_itree_iter_first(&t, r.start, r.last)) {
            rc = -EINVAL;
            goto out;
        }
        a = iopt_zalloc(sizeof(*a));
        if (!a) {
            rc = -ENOMEM;
            goto out;
        }
        a->node.start = r.start;
        a->node.last = r.last;
        mfd_itree_insert(&t, &a->node);
    }
    /* Atomic replace: on success t receives the old list. */
    rc = iopt_set_allow_iova(&ioas->iopt, &t);
out:
    iopt_free_allowed(&t);
    return rc;
}

static unsigned conv_prot(uint32_t flags)
{
    /* ioas.c conv_iommu_prot: IOMMU_CACHE always (coherent DMA only). */
    unsigned prot = MFD_PROT_CACHE;

    if (flags & IOMMU_IOAS_MAP_WRITEABLE)
        prot |= MFD_PROT_WRITE;
    if (flags & IOMMU_IOAS_MAP_READABLE)
        prot |= MFD_PROT_READ;
    return prot;
}

/* §4.5 */
int mfd_ioas_map(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_map *cmd = ucmd->cmd_buf;
    struct mfd_ioas *ioas;
    uint64_t iova = cmd->iova;
    int rc;

    if ((cmd->flags & ~MAP_FLAGS) || cmd->__reserved)
        return -EOPNOTSUPP;
    if (cmd->iova >= MFD_ULONG_MAX || cmd->length >= MFD_ULONG_MAX)
        return -EOVERFLOW;
    if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
        return -EINVAL;
    ioas = mfd_ioas_get(ucmd->ctx, cmd->ioas_id);
    if (!ioas)
        return -ENOENT;
    rc = iopt_map_user_pages(&ioas->iopt, &iova, cmd->user_va, cmd->length,
                             conv_prot(cmd->flags),
                             (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA);
    if (rc)
        return rc;
    /* The mapping stays even if the response faults (iommufd.md §2). */
    cmd->iova = iova;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* §4.5 MAP_FILE: a memfd/shmem (or hugetlbfs) range. */
int mfd_ioas_map_file(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_map_file *cmd = ucmd->cmd_buf;
    struct iopt_pages_elm elm = { 0 };
    struct mfd_ioas *ioas;
    uint64_t iova = cmd->iova;
    int rc = 0;

    if (cmd->flags & ~MAP_FLAGS)
        return -EOPNOTSUPP;
    if (cmd->iova >= MFD_ULONG_MAX || cmd->length >= MFD_ULONG_MAX)
        return -EOVERFLOW;
    if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
        return -EINVAL;
    ioas = mfd_ioas_get(ucmd->ctx, cmd->ioas_id);
    if (!ioas)
        return -ENOENT;
    elm.pages = iopt_alloc_file_pages(cmd->fd, cmd->start, cmd->length,
                                      cmd->flags & IOMMU_IOAS_MAP_WRITEABLE, &rc);
    if (!elm.pages)
        return rc;
    elm.start_byte = cmd->start - elm.pages->file_start;
    elm.length = cmd->length;
    rc = iopt_map_pages(&ioas->iopt, &elm, 1, cmd->length, &iova, conv_prot(cmd->flags),
                        (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA);
    if (rc) {
        iopt_put_pages(elm.pages);
        return rc;
    }
    cmd->iova = iova;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* §4.6, in ioas.c iommufd_ioas_copy order: the source is resolved (ENOENT
 * for holes) before the destination IOAS is looked up. */
int mfd_ioas_copy(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_copy *cmd = ucmd->cmd_buf;
    struct iopt_pages_elm *elms = NULL;
    struct mfd_ioas *src, *dst;
    uint64_t iova;
    size_t n = 0;
    int rc;

    if (cmd->flags & ~MAP_FLAGS)
        return -EOPNOTSUPP;
    if (cmd->length >= MFD_ULONG_MAX || cmd->src_iova >= MFD_ULONG_MAX ||
        cmd->dst_iova >= MFD_ULONG_MAX)
        return -EOVERFLOW;
    if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
        return -EINVAL;
    src = mfd_ioas_get(ucmd->ctx, cmd->src_ioas_id);
    if (!src)
        return -ENOENT;
    rc = iopt_get_pages(&src->iopt, cmd->src_iova, cmd->length, &elms, &n);
    if (rc)
        return rc;
    dst = mfd_ioas_get(ucmd->ctx, cmd->dst_ioas_id);
    if (!dst) {
        rc = -ENOENT;
        goto out;
    }
    iova = cmd->dst_iova;
    rc = iopt_map_pages(&dst->iopt, elms, n, cmd->length, &iova, conv_prot(cmd->flags),
                        (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA);
    if (rc)
        goto out;
    cmd->dst_iova = iova;
    rc = mfd_ucmd_respond(ucmd, sizeof(*cmd));
out:
    iopt_free_pages_list(elms, n);
    return rc;
}

/* §4.7 */
int mfd_ioas_unmap(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_unmap *cmd = ucmd->cmd_buf;
    struct mfd_ioas *ioas;
    uint64_t unmapped = 0;
    int rc;

    ioas = mfd_ioas_get(ucmd->ctx, cmd->ioas_id);
    if (!ioas)
        return -ENOENT;
    if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
        rc = iopt_unmap_all(&ioas->iopt, &unmapped);
        if (rc)
            return rc;
    } else {
        if (cmd->iova >= MFD_ULONG_MAX || cmd->length >= MFD_ULONG_MAX)
            return -EOVERFLOW;
        rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length, &unmapped);
        if (rc)
            return rc;
        /* A ranged unmap that found nothing is ENOENT. */
        if (!unmapped)
            return -ENOENT;
    }
    cmd->length = unmapped;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* §4.8 HUGE_PAGES (option.c does __reserved and option_id). */
int mfd_ioas_option_huge_pages(struct mfd_ctx *ctx, uint32_t ioas_id, unsigned op,
                               uint64_t *val64)
{
    struct mfd_ioas *ioas = mfd_ioas_get(ctx, ioas_id);

    if (!ioas)
        return -ENOENT;
    if (op == IOMMU_OPTION_OP_GET) {
        *val64 = !ioas->iopt.disable_large_pages;
        return 0;
    }
    if (op == IOMMU_OPTION_OP_SET) {
        if (*val64 == 0)
            return iopt_disable_large_pages(&ioas->iopt);
        if (*val64 == 1) {
            iopt_enable_large_pages(&ioas->iopt);
            return 0;
        }
        return -EINVAL;
    }
    return -EOPNOTSUPP;
}

/* §4.20: only possible when every area of every IOAS is file backed. The
 * mock has a single process and no accounting to move, so success is a
 * no-op. */
int mfd_ioas_change_process(struct mfd_ucmd *ucmd)
{
    struct iommu_ioas_change_process *cmd = ucmd->cmd_buf;
    struct mfd_obj *obj;
    uint32_t id = 0;

    if (cmd->__reserved)
        return -EOPNOTSUPP;
    while ((obj = mfd_obj_next(ucmd->ctx, id))) {
        id = obj->id;
        if (obj->type == MFD_OBJ_IOAS) {
            struct mfd_ioas *ioas = mfd_container_of(obj, struct mfd_ioas, obj);
            struct iopt_area *a;

            for (a = iopt_area_iter_first(&ioas->iopt, 0, MFD_ULONG_MAX); a;
                 a = iopt_area_iter_next(a, 0, MFD_ULONG_MAX))
                if (a->pages && a->pages->type != IOPT_ADDRESS_FILE)
                    return -EINVAL;
        }
    }
    return 0;
}
