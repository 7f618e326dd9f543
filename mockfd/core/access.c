/* SPDX-License-Identifier: MIT */
/*
 * Selftest access objects: IOMMU_TEST_OP_CREATE_ACCESS, ACCESS_PAGES,
 * DESTROY_ACCESS_PAGES, ACCESS_RW, ACCESS_REPLACE_IOAS (iommufd.md §6.2,
 * §6.4). Two layers, as in the kernel:
 *  - the core access (iommufd_access_*: an MFD_OBJ_ACCESS object in the ID
 *    table holding its IOAS, raising the IOAS iova_alignment, pinning and
 *    reading/writing IOAS memory, and answering unmap requests);
 *  - the selftest's "staccess" wrapper: an fd whose close destroys the
 *    access, and the list of ACCESS_PAGES items it unpins on request.
 */
#include "access.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iommufd_test.h>
#include <linux/iommufd.h>

#include "io_pagetable.h"
#include "vmas.h"

#define ACCESS_MAX_LEN (16ull << 20)   /* selftest.c: > 16 MiB -> ENOMEM (§5) */

struct access_item {
    uint64_t iova, length;
    uint32_t id;
};

struct mfd_access {
    struct mfd_obj obj;                /* MFD_OBJ_ACCESS */
    struct mfd_ioas *ioas;             /* referenced; NULL once detached */
    bool needs_pin;                    /* selftest_access_ops_pin */
    struct access_file *af;            /* back pointer to the fd side */
    struct access_item *items;
    size_t nitems, items_cap;
    uint32_t next_id;
};

/* The fd side (the selftest's struct selftest_access + its struct file). */
struct access_file {
    struct mfd_ctx *ctx;
    struct mfd_file *ictx_file;        /* iommufd_ctx_get: keeps ctx alive */
    struct mfd_access *acc;            /* NULL once destroyed */
};

/* The ctx whose lock this thread holds inside an access op: a close() of the
 * access fd racing the op makes the op's mfd_file_put run the release here,
 * which must then not take the lock again (the kernel defers fput). */
static _Thread_local struct mfd_ctx *op_ctx;

/* ---- the core access (the kernel's device.c iommufd_access_*) ------------------ */

/* check_area_prot() */
static bool area_prot_ok(const struct iopt_area *a, bool write)
{
    return write ? (a->prot & MFD_PROT_WRITE) : (a->prot & MFD_PROT_READ);
}

static uint64_t area_index(const struct iopt_area *a, uint64_t iova)
{
    return (a->start_byte + (iova - iopt_area_iova(a))) / MFD_PAGE_SIZE;
}

/* iommufd_access_unpin_pages: the range was pinned by access_pin, so the
 * same contiguous areas are still there (unmap waits for the unpin). */
static void access_unpin(struct mfd_ioas *ioas, uint64_t iova, uint64_t length)
{
    struct iopt_area_contig_iter it;
    struct iopt_area *a;
    uint64_t last = iova + length - 1;

    iopt_for_each_contig_area(&it, a, &ioas->iopt, iova, last) {
        uint64_t l = last < iopt_area_last_iova(a) ? last : iopt_area_last_iova(a);

        iopt_pages_unpin(a->pages, area_index(a, it.cur_iova), area_index(a, l));
        if (a->num_accesses)
            a->num_accesses--;
    }
}

/* The checks iommufd_access_pin_pages and iommufd_access_rw both start
 * with, in their order: an empty range is EINVAL, one that wraps EOVERFLOW,
 * an access without an IOAS ENOENT. *last is the range's last IOVA. */
static int access_range(const struct mfd_access *acc, uint64_t iova, uint64_t length,
                        uint64_t *last)
{
    if (!length)
        return -EINVAL;
    if (__builtin_add_overflow(iova, length - 1, last))
        return -EOVERFLOW;
    if (!acc->ioas)
        return -ENOENT;
    return 0;
}

/* iommufd_access_pin_pages. Pinned page k is written to pva[k] (its VA in
 * the iopt_pages' backing mapping) for the identity check. */
static int access_pin(struct mfd_access *acc, uint64_t iova, uint64_t length, bool write,
                      uint64_t *pva)
{
    struct iopt_area_contig_iter it;
    struct iopt_area *a;
    uint64_t last, done_last = 0;
    bool any = false;
    size_t k = 0;
    int rc;

    rc = access_range(acc, iova, length, &last);
    if (rc)
        return rc;
    iopt_for_each_contig_area(&it, a, &acc->ioas->iopt, iova, last) {
        uint64_t l = last < iopt_area_last_iova(a) ? last : iopt_area_last_iova(a);
        uint64_t first_idx = area_index(a, it.cur_iova), last_idx = area_index(a, l);

        /* iopt_area_contig_is_aligned: every piece of the range, the first
         * included, must start on a page boundary of the backing pages, and
         * every piece but the last must end on one (an unaligned IOVA is
         * EINVAL on a real 6.12 kernel: docs/oracle.md). */
        if (((a->start_byte + (it.cur_iova - iopt_area_iova(a))) % MFD_PAGE_SIZE) ||
            (l != last && (a->start_byte + (l - iopt_area_iova(a)) + 1) % MFD_PAGE_SIZE)) {
            rc = -EINVAL;
            break;
        }
        if (!area_prot_ok(a, write)) {
            rc = -EPERM;
            break;
        }
        rc = iopt_pages_pin(a->pages, first_idx, last_idx);
        if (rc)
            break;
        a->num_accesses++;
        any = true;
        done_last = l;
        for (uint64_t i = first_idx; i <= last_idx; i++)
            pva[k++] = a->pages->uptr + i * MFD_PAGE_SIZE;
    }
    if (!rc && !iopt_area_contig_done(&it))
        rc = -ENOENT;
    if (rc && any)
        access_unpin(acc->ioas, iova, done_last - iova + 1);
    return rc;
}

/* iommufd_access_rw: copy through the areas' backing memory (the mapping
 * process's VA, or our shared mapping of a MAP_FILE file). */
static int access_rw(struct mfd_access *acc, uint64_t iova, char *data, uint64_t length,
                     bool write)
{
    struct iopt_area_contig_iter it;
    struct iopt_area *a;
    uint64_t last;
    int rc;

    rc = access_range(acc, iova, length, &last);
    if (rc)
        return rc;
    iopt_for_each_contig_area(&it, a, &acc->ioas->iopt, iova, last) {
        uint64_t l = last < iopt_area_last_iova(a) ? last : iopt_area_last_iova(a);
        uint64_t bytes = l - it.cur_iova + 1;
        uint64_t uva = iopt_area_uva(a) + (it.cur_iova - iopt_area_iova(a));

        if (!area_prot_ok(a, write)) {
            rc = -EPERM;
            break;
        }
        rc = write ? mfd_copy_to_user(uva, data, bytes) : mfd_copy_from_user(data, uva, bytes);
        if (rc)
            break;
        data += bytes;
    }
    if (!rc && !iopt_area_contig_done(&it))
        rc = -ENOENT;
    return rc;
}

/* iommufd_test_access_unmap: unpin every item overlapping the range. */
static void access_unmap_cb(void *data, uint64_t iova, uint64_t length)
{
    struct mfd_access *acc = data;
    uint64_t last = iova + length - 1;
    size_t i = 0;

    while (i < acc->nitems) {
        struct access_item *it = &acc->items[i];

        if (iova > it->iova + it->length - 1 || last < it->iova) {
            i++;
            continue;
        }
        access_unpin(acc->ioas, it->iova, it->length);
        /* Keep creation order (ids are reported in order). */
        memmove(it, it + 1, (acc->nitems - i - 1) * sizeof(*it));
        acc->nitems--;
    }
}

/* iommufd_access_change_ioas: attach to new (may be NULL), then let go of
 * the old one. A failing attach leaves the old IOAS and its registration
 * untouched (fix "iopt_access_list_id overwrite bug", iommufd.md §9). */
static int access_change_ioas(struct mfd_access *acc, struct mfd_ioas *new_ioas)
{
    struct mfd_ioas *cur = acc->ioas;
    int rc;

    if (cur == new_ioas)
        return 0;
    if (new_ioas) {
        /* iommufd_access_create: a pinning access needs PAGE_SIZE
         * alignment, others byte granularity. */
        rc = iopt_add_access_cb(new_ioas, acc, acc->needs_pin ? MFD_PAGE_SIZE : 1,
                                access_unmap_cb, acc);
        if (rc)
            return rc;
        mfd_obj_ref(&new_ioas->obj);
    }
    if (cur) {
        access_unmap_cb(acc, 0, MFD_ULONG_MAX);
        iopt_remove_access(cur, acc);
        mfd_obj_unref(&cur->obj);
    }
    acc->ioas = new_ioas;
    return 0;
}

static void access_obj_destroy(struct mfd_obj *obj)
{
    struct mfd_access *acc = (struct mfd_access *)obj;

    access_change_ioas(acc, NULL);
    free(acc->items);
    if (acc->af)
        acc->af->acc = NULL;
}

static const struct mfd_obj_ops access_obj_ops = { .destroy = access_obj_destroy };

/* ---- the access fd ------------------------------------------------------------ */

static void destroy_locked(struct access_file *af)
{
    struct mfd_access *acc = af->acc;

    if (!acc)
        return;
    /* iommufd_access_destroy -> iommufd_object_destroy_user: drop the
     * driver's user, then the object (its destroy unpins and detaches). */
    acc->af = NULL;
    af->acc = NULL;
    mfd_obj_unref(&acc->obj);
    if (acc->obj.published)
        mfd_obj_destroy_id(af->ctx, acc->obj.id);
    else
        mfd_obj_abort(&acc->obj);
}

static void access_release(struct mfd_file *f)
{
    struct access_file *af = f->priv;
    bool locked = op_ctx != af->ctx;

    if (locked)
        pthread_mutex_lock(&af->ctx->lock);
    destroy_locked(af);
    if (locked)
        pthread_mutex_unlock(&af->ctx->lock);
    /* iommufd_ctx_put, outside the lock: it may be the last reference. */
    if (af->ictx_file)
        mfd_file_put(af->ictx_file);
    free(af);
}

/* "[iommufd_test_staccess]": only release; ioctl ENOTTY, read/write EINVAL. */
static const struct mfd_file_ops access_fops = {
    .name = "iommufd_test_staccess",
    .release = access_release,
};

/* iommufd_access_get: EBADFD for anything but an access fd (§6.2a). The
 * caller drops the reference. */
static struct mfd_access *access_get(struct mfd_ctx *ctx, uint32_t fd, struct mfd_file **fp,
                                     int *err)
{
    struct mfd_file *f = (int)fd >= 0 ? mfd_file_get((int)fd) : NULL;
    struct access_file *af;

    *fp = NULL;
    if (!f || f->ops != &access_fops) {
        if (f)
            mfd_file_put(f);
        *err = -EBADFD;
        return NULL;
    }
    af = f->priv;
    /* An access of another iommufd works in the kernel; here it runs under
     * its own ctx lock, which this thread does not hold: decline rather than
     * race (documented deviation). */
    if (!af->acc || af->ctx != ctx) {
        mfd_file_put(f);
        *err = af->acc ? -EBUSY : -EBADFD;
        return NULL;
    }
    *fp = f;
    return af->acc;
}

static int respond(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    if ((void *)cmd != ucmd->cmd_buf)
        memcpy(ucmd->cmd_buf, cmd, sizeof(*cmd));
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* iommufd_test_create_access */
static int create_access(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct mfd_ctx *ctx = ucmd->ctx;
    uint32_t flags = cmd->create_access.flags;
    struct access_file *af;
    struct mfd_access *acc;
    struct mfd_ioas *ioas;
    int fd, rc;

    if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
        return -EOPNOTSUPP;
    af = calloc(1, sizeof(*af));
    if (!af)
        return -ENOMEM;
    af->ctx = ctx;
    fd = mfd_file_new_fd();
    if (fd < 0) {
        free(af);
        return -ENOMEM;             /* get_unused_fd_flags failure -> ENOMEM */
    }
    acc = (struct mfd_access *)mfd_obj_alloc(ctx, MFD_OBJ_ACCESS, sizeof(*acc),
                                             &access_obj_ops);
    if (!acc) {
        rc = -ENOMEM;
        goto out_fd;
    }
    acc->needs_pin = flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
    /* The driver's user (iommufd_access_create: refcount_inc(users)). */
    mfd_obj_ref(&acc->obj);
    /* iommufd_access_create finalizes the object before the attach: the ID
     * is taken even though no uAPI names it (DESTROY of it: EBUSY). */
    mfd_obj_finalize(&acc->obj);
    af->acc = acc;
    acc->af = af;
    /* iommufd_access_attach */
    ioas = mfd_ioas_get(ctx, cmd->id);
    if (!ioas) {
        rc = -ENOENT;
        goto out_destroy;
    }
    rc = access_change_ioas(acc, ioas);
    if (rc)
        goto out_destroy;
    af->ictx_file = mfd_file_ref(ctx->file);
    if (!af->ictx_file) {
        rc = -EBADF;
        goto out_destroy;
    }
    cmd->create_access.out_access_fd = (uint32_t)fd;
    rc = respond(ucmd, cmd);
    if (rc)
        goto out_put_ictx;
    rc = mfd_file_install(fd, &access_fops, af);
    if (rc)
        goto out_put_ictx;
    return 0;

out_put_ictx:
    /* Cannot be the last reference: this ioctl holds the iommufd file. */
    mfd_file_put(af->ictx_file);
out_destroy:
    destroy_locked(af);
out_fd:
    close(fd);
    free(af);
    return rc;
}

/* iommufd_test_syz_conv_iova (with the CVE-2024-26785 fix): iova carries
 * {u32 nth_area, u32 offset}; a detached access or too few areas give 0. */
static uint64_t syz_conv_iova(struct mfd_access *acc, uint64_t raw)
{
    uint32_t nth = (uint32_t)raw, offset = (uint32_t)(raw >> 32);
    struct iopt_area *a;

    if (!acc->ioas)
        return 0;
    for (a = iopt_area_iter_first(&acc->ioas->iopt, 0, MFD_ULONG_MAX); a;
         a = iopt_area_iter_next(a, 0, MFD_ULONG_MAX)) {
        if (!nth--)
            return iopt_area_iova(a) + offset;
    }
    return 0;
}

/* iommufd_test_access_pages */
static int access_pages(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    uint64_t iova = cmd->access_pages.iova, length = cmd->access_pages.length;
    uint64_t uptr = cmd->access_pages.uptr, npages, down, up;
    uint32_t flags = cmd->access_pages.flags;
    struct access_item *item;
    struct mfd_access *acc;
    struct mfd_file *f;
    uint64_t *pva = NULL;
    int rc;

    if (length > ACCESS_MAX_LEN)
        return -ENOMEM;
    if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
        return -EOPNOTSUPP;
    acc = access_get(ucmd->ctx, cmd->id, &f, &rc);
    if (!acc)
        return rc;
    if (!acc->needs_pin) {
        rc = -EOPNOTSUPP;
        goto out_put;
    }
    if (flags & MOCK_FLAGS_ACCESS_SYZ)
        iova = syz_conv_iova(acc, iova);
    down = iova & ~(MFD_PAGE_SIZE - 1);
    /* ALIGN(iova + length) wraps to 0 near the top, as in the kernel; the
     * pin below rejects such ranges (EOVERFLOW) before pva is used. */
    up = (iova + length + MFD_PAGE_SIZE - 1) & ~(MFD_PAGE_SIZE - 1);
    npages = up > down ? (up - down) / MFD_PAGE_SIZE : 0;
    pva = calloc(npages ? npages : 1, sizeof(*pva));
    if (!pva) {
        rc = -ENOMEM;
        goto out_put;
    }
    rc = access_pin(acc, iova, length, flags & MOCK_FLAGS_ACCESS_WRITE, pva);
    if (rc)
        goto out_put;
    /* For syzkaller a NULL uptr skips the check (selftest.c). */
    if (uptr) {
        struct mfd_vmas *v = mfd_vmas_load();
        uint64_t u = uptr - (iova - down);

        rc = v ? 0 : -ENOMEM;
        for (uint64_t k = 0; !rc && k < npages; k++) {
            struct mfd_page_ident a, b;

            /* A private file mapping counts as the file page, which is what
             * GUP returns until the page is written (ro_unshare then
             * differs: accepted), hence shared_only false. */
            rc = mfd_vmas_ident(v, u + k * MFD_PAGE_SIZE, false, &b);
            if (!rc && (mfd_vmas_ident(v, pva[k], false, &a) || memcmp(&a, &b, sizeof(a))))
                rc = -EBADE;
        }
        mfd_vmas_free(v);
        if (rc)
            goto out_unpin;
    }
    if (acc->nitems == acc->items_cap) {
        size_t cap = acc->items_cap ? acc->items_cap * 2 : 8;
        struct access_item *ni = iopt_zalloc(cap * sizeof(*ni));

        if (!ni) {
            rc = -ENOMEM;
            goto out_unpin;
        }
        if (acc->nitems)
            memcpy(ni, acc->items, acc->nitems * sizeof(*ni));
        free(acc->items);
        acc->items = ni;
        acc->items_cap = cap;
    }
    item = &acc->items[acc->nitems++];
    item->iova = iova;
    item->length = length;
    item->id = acc->next_id++;
    cmd->access_pages.out_access_pages_id = item->id;
    rc = respond(ucmd, cmd);
    if (rc) {
        acc->nitems--;
        goto out_unpin;
    }
    goto out_put;

out_unpin:
    access_unpin(acc->ioas, iova, length);
out_put:
    free(pva);
    mfd_file_put(f);
    return rc;
}

/* iommufd_test_access_item_destroy */
static int destroy_access_pages(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    uint32_t id = cmd->destroy_access_pages.access_pages_id;
    struct mfd_access *acc;
    struct mfd_file *f;
    int rc = -ENOENT;

    acc = access_get(ucmd->ctx, cmd->id, &f, &rc);
    if (!acc)
        return rc;
    rc = -ENOENT;
    for (size_t i = 0; i < acc->nitems; i++) {
        if (acc->items[i].id != id)
            continue;
        access_unpin(acc->ioas, acc->items[i].iova, acc->items[i].length);
        memmove(&acc->items[i], &acc->items[i + 1], (acc->nitems - i - 1) * sizeof(acc->items[0]));
        acc->nitems--;
        rc = 0;
        break;
    }
    mfd_file_put(f);
    return rc;
}

/* iommufd_test_access_rw */
static int access_rw_op(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    uint64_t iova = cmd->access_rw.iova, length = cmd->access_rw.length;
    uint64_t uptr = cmd->access_rw.uptr;
    uint32_t flags = cmd->access_rw.flags;
    bool write = flags & MOCK_ACCESS_RW_WRITE;
    struct mfd_access *acc;
    struct mfd_file *f;
    char *tmp;
    int rc;

    if (length > ACCESS_MAX_LEN)
        return -ENOMEM;
    if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ))
        return -EOPNOTSUPP;
    acc = access_get(ucmd->ctx, cmd->id, &f, &rc);
    if (!acc)
        return rc;
    tmp = calloc(1, length ? length : 1);
    if (!tmp) {
        rc = -ENOMEM;
        goto out_put;
    }
    if (write && mfd_copy_from_user(tmp, uptr, length)) {
        rc = -EFAULT;
        goto out_free;
    }
    if (flags & MOCK_FLAGS_ACCESS_SYZ)
        iova = syz_conv_iova(acc, iova);
    /* SLOW_PATH only selects the kernel's kmap path over copy_to_user: the
     * same bytes move either way. */
    rc = access_rw(acc, iova, tmp, length, write);
    if (!rc && !write && mfd_copy_to_user(uptr, tmp, length))
        rc = -EFAULT;
out_free:
    free(tmp);
out_put:
    mfd_file_put(f);
    return rc;
}

/* iommufd_test_access_replace_ioas -> iommufd_access_replace */
static int access_replace_ioas(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct mfd_access *acc;
    struct mfd_ioas *ioas;
    struct mfd_file *f;
    int rc;

    acc = access_get(ucmd->ctx, cmd->id, &f, &rc);
    if (!acc)
        return rc;
    if (!acc->ioas) {
        rc = -ENOENT;
        goto out;
    }
    ioas = mfd_ioas_get(ucmd->ctx, cmd->access_replace_ioas.ioas_id);
    rc = ioas ? access_change_ioas(acc, ioas) : -ENOENT;
out:
    mfd_file_put(f);
    return rc;
}

int mfd_test_access_op(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct mfd_ctx *saved = op_ctx;
    int rc;

    op_ctx = ucmd->ctx;
    switch (cmd->op) {
    case IOMMU_TEST_OP_CREATE_ACCESS:
        rc = create_access(ucmd, cmd);
        break;
    case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
        rc = destroy_access_pages(ucmd, cmd);
        break;
    case IOMMU_TEST_OP_ACCESS_PAGES:
        rc = access_pages(ucmd, cmd);
        break;
    case IOMMU_TEST_OP_ACCESS_RW:
        rc = access_rw_op(ucmd, cmd);
        break;
    case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
        rc = access_replace_ioas(ucmd, cmd);
        break;
    default:
        rc = -EOPNOTSUPP;
        break;
    }
    op_ctx = saved;
    return rc;
}
