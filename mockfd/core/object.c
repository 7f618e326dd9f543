/* SPDX-License-Identifier: MIT */
/*
 * The per-fd object ID table (iommufd.md §3; the kernel keeps an xarray with
 * XA_FLAGS_ALLOC1 and xa_limit_31b in drivers/iommu/iommufd/main.c).
 *
 *  - IDs are 1 .. 2^31-1, shared by every object kind; the lowest free ID is
 *    handed out first (so destroying ID 2 makes the next object ID 2).
 *  - Allocation reserves the ID but keeps the object invisible to lookups
 *    until mfd_obj_finalize(); mfd_obj_abort() frees the ID again, so a
 *    failed allocating command leaves no ID behind (iommufd.md §2 step 7).
 *  - users: 1 for the table plus one per long-term reference. DESTROY of an
 *    object with users > 1 is EBUSY and changes nothing (99f98a7c0d69: the
 *    destroy path must not take a reference of its own).
 *
 * Everything here runs with ctx->lock held (the whole ioctl, or close()).
 */
#include "mockfd_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define ID_MAX 0x7fffffffu          /* xa_limit_31b */

static int grow(struct mfd_ctx *ctx, uint32_t need)
{
    uint64_t ncap = ctx->cap ? ctx->cap : 16;
    struct mfd_obj **n;

    while (ncap <= need)
        ncap *= 2;
    if (ncap > (uint64_t)ID_MAX + 1)
        ncap = (uint64_t)ID_MAX + 1;
    n = realloc(ctx->objs, (size_t)ncap * sizeof(*n));
    if (!n)
        return -ENOMEM;
    for (uint64_t i = ctx->cap; i < ncap; i++)
        n[i] = NULL;
    ctx->objs = n;
    ctx->cap = (uint32_t)ncap;
    return 0;
}

/* Lowest free ID >= 1; 0 if none (all 2^31-1 in use) or out of memory. */
static uint32_t alloc_id(struct mfd_ctx *ctx)
{
    uint32_t id = ctx->lowest_free ? ctx->lowest_free : 1;

    while (id < ctx->cap && ctx->objs[id])
        id++;
    if (id > ID_MAX)
        return 0;
    if (id >= ctx->cap && grow(ctx, id))
        return 0;
    ctx->lowest_free = id + 1;
    return id;
}

static void free_id(struct mfd_ctx *ctx, uint32_t id)
{
    ctx->objs[id] = NULL;
    ctx->nobj--;
    if (id < ctx->lowest_free)
        ctx->lowest_free = id;
}

struct mfd_obj *mfd_obj_alloc(struct mfd_ctx *ctx, enum mfd_obj_type type, size_t size,
                              const struct mfd_obj_ops *ops)
{
    struct mfd_obj *obj;
    uint32_t id;

    if (size < sizeof(*obj) || type <= MFD_OBJ_NONE || type >= MFD_OBJ_MAX)
        return NULL;
    /* The kernel's kzalloc / xa_alloc: a fail-nth point. */
    if (mfd_should_fail())
        return NULL;
    obj = calloc(1, size);
    if (!obj)
        return NULL;
    id = alloc_id(ctx);
    if (!id) {
        free(obj);
        return NULL;
    }
    obj->type = type;
    obj->id = id;
    obj->users = 1;
    obj->ctx = ctx;
    obj->ops = ops;
    obj->published = false;
    ctx->objs[id] = obj;
    ctx->nobj++;
    return obj;
}

void mfd_obj_finalize(struct mfd_obj *obj)
{
    obj->published = true;
}

void mfd_obj_abort(struct mfd_obj *obj)
{
    struct mfd_ctx *ctx = obj->ctx;
    uint32_t id = obj->id;

    /* iommufd_object_abort_and_destroy(): undo what the handler built, then
     * give the reserved ID back. */
    if (obj->ops && obj->ops->destroy)
        obj->ops->destroy(obj);
    if (id < ctx->cap && ctx->objs[id] == obj)
        free_id(ctx, id);
    free(obj);
}

static struct mfd_obj *load(struct mfd_ctx *ctx, uint32_t id)
{
    struct mfd_obj *obj;

    if (id == 0 || id >= ctx->cap)
        return NULL;
    obj = ctx->objs[id];
    return obj && obj->published ? obj : NULL;
}

struct mfd_obj *mfd_obj_get(struct mfd_ctx *ctx, uint32_t id, enum mfd_obj_type type)
{
    struct mfd_obj *obj;

    /* iommufd_get_object() is a fail-nth point (-> ENOENT). */
    if (mfd_should_fail())
        return NULL;
    obj = load(ctx, id);
    if (!obj || (type != MFD_OBJ_ANY && obj->type != type))
        return NULL;
    return obj;
}

static void destroy_obj(struct mfd_ctx *ctx, struct mfd_obj *obj)
{
    uint32_t id = obj->id;

    /* Leave the table first (iommufd_object_remove: xas_store NULL, then
     * destroy), so destroy callbacks never see themselves by ID. */
    free_id(ctx, id);
    if (ctx->vfio_ioas_id == id)
        ctx->vfio_ioas_id = 0;
    obj->users = 0;
    if (obj->ops && obj->ops->destroy)
        obj->ops->destroy(obj);
    free(obj);
}

int mfd_obj_destroy_id(struct mfd_ctx *ctx, uint32_t id)
{
    struct mfd_obj *obj = load(ctx, id);

    /* iommufd.md §3 / §4.1: missing, 0 or not yet published -> ENOENT;
     * refcount_dec_if_one() failing -> EBUSY with nothing changed. */
    if (!obj)
        return -ENOENT;
    if (obj->users != 1)
        return -EBUSY;
    destroy_obj(ctx, obj);
    return 0;
}

void mfd_obj_destroy_all(struct mfd_ctx *ctx)
{
    /* iommufd_fops_release(): objects form a graph of users counts; destroy
     * every leaf (users == 1) and repeat until the table is empty. A pass
     * that destroys nothing means a reference-count bug elsewhere. */
    while (ctx->nobj) {
        uint32_t destroyed = 0;

        for (uint32_t id = 1; id < ctx->cap; id++) {
            struct mfd_obj *obj = ctx->objs[id];
            if (!obj)
                continue;
            if (!obj->published) {
                /* Cannot happen after an ioctl returned (the dispatcher
                 * finalizes or aborts); drop it like an abort. */
                mfd_obj_abort(obj);
                destroyed++;
                continue;
            }
            if (obj->users != 1)
                continue;
            destroy_obj(ctx, obj);
            destroyed++;
        }
        if (!destroyed) {
            fprintf(stderr, "mockfd: %u object(s) still referenced at close "
                    "(reference-count bug), leaking them\n", ctx->nobj);
            break;
        }
    }
    free(ctx->objs);
    ctx->objs = NULL;
    ctx->cap = 0;
    ctx->nobj = 0;
    ctx->lowest_free = 1;
}

size_t mfd_obj_count(struct mfd_ctx *ctx)
{
    return ctx->nobj;
}

struct mfd_obj *mfd_obj_next(struct mfd_ctx *ctx, uint32_t after_id)
{
    for (uint64_t id = (uint64_t)after_id + 1; id < ctx->cap; id++) {
        struct mfd_obj *obj = ctx->objs[id];
        if (obj && obj->published)
            return obj;
    }
    return NULL;
}
