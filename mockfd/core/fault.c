/* SPDX-License-Identifier: MIT */
/*
 * The fault queue object and its fd (iommufd.md §4.15; the kernel's
 * eventq.c IOMMUFD_OBJ_FAULT functions).
 *
 * A fault group is a list of page requests sharing one grpid and ending in
 * LAST_PAGE; the mock's reporter (TRIGGER_IOPF) always makes one-fault
 * groups. Groups sit on `deliver` until read(); a read moves each whole group
 * to `response` under a fresh cookie (lowest free >= 1, the kernel's
 * XA_FLAGS_ALLOC1 xarray) until write() answers it.
 */
#include "fault.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "device.h"

struct fault_group {
    struct fault_group *next;
    /* The attach handle the group came through (device + pasid on hwpt). */
    struct mfd_hwpt *hwpt;
    struct mfd_device *idev;
    uint32_t attach_pasid;
    uint32_t cookie;               /* 0 while undelivered */
    uint32_t nfaults;
    struct iommu_hwpt_pgfault faults[1];
};

struct fault_file;

struct mfd_fault {
    struct mfd_obj obj;            /* MFD_OBJ_FAULT */
    struct fault_group *deliver, **deliver_tail;
    struct fault_group *response;  /* read, awaiting write(); any order */
    struct fault_file *ff;         /* NULL once the fd is released */
    int efd;                       /* the fd's eventfd */
    bool signalled;                /* efd counter is non-zero */
    uint64_t resp_success, resp_invalid;
};

struct fault_file {
    struct mfd_ctx *ctx;
    struct mfd_file *ictx_file;    /* iommufd_ctx_get */
    struct mfd_fault *fault;       /* holds a user of the object */
};

/* Keep "counter > 0 iff groups are pending" (poll EPOLLIN, §4.15). */
static void sync_efd(struct mfd_fault *f)
{
    uint64_t v;

    if (f->efd < 0)
        return;
    if (f->deliver && !f->signalled) {
        if (eventfd_write(f->efd, 1) == 0)
            f->signalled = true;
    } else if (!f->deliver && f->signalled) {
        if (read(f->efd, &v, sizeof(v)) == (ssize_t)sizeof(v) || errno == EAGAIN)
            f->signalled = false;
    }
}

/* iopf_group_response + iopf_free_group. The mock device takes the answer
 * and does nothing with it; the counts are for tests. */
static void respond_free(struct mfd_fault *f, struct fault_group *g, uint32_t code)
{
    if (code == IOMMUFD_PAGE_RESP_SUCCESS)
        f->resp_success++;
    else
        f->resp_invalid++;
    free(g);
}

static void fault_destroy(struct mfd_obj *obj)
{
    struct mfd_fault *f = (struct mfd_fault *)obj;
    struct fault_group *g;

    /* iommufd_fault_destroy: everything still queued is answered INVALID. */
    while ((g = f->deliver)) {
        f->deliver = g->next;
        respond_free(f, g, IOMMUFD_PAGE_RESP_INVALID);
    }
    while ((g = f->response)) {
        f->response = g->next;
        respond_free(f, g, IOMMUFD_PAGE_RESP_INVALID);
    }
    if (f->ff)
        f->ff->fault = NULL;
}

static const struct mfd_obj_ops fault_obj_ops = { .destroy = fault_destroy };

/* ---- the fd ------------------------------------------------------------------ */

static bool cookie_used(struct mfd_fault *f, uint32_t c)
{
    for (struct fault_group *g = f->response; g; g = g->next)
        if (g->cookie == c)
            return true;
    return false;
}

/* xa_alloc(XA_FLAGS_ALLOC1, xa_limit_32b): lowest free cookie >= 1. */
static int alloc_cookie(struct mfd_fault *f, uint32_t *out)
{
    for (uint32_t c = 1; c != 0; c++) {
        if (!cookie_used(f, c)) {
            *out = c;
            return 0;
        }
    }
    return -EBUSY;
}

/* iommufd_fault_fops_read */
static long fault_read(struct mfd_file *file, void *buf, size_t count)
{
    const size_t fsz = sizeof(struct iommu_hwpt_pgfault);
    struct fault_file *ff = file->priv;
    struct mfd_fault *f;
    size_t done = 0;
    int rc = 0;

    /* The fd is nonseekable: *ppos is always 0 here. */
    if (count % fsz)
        return -ESPIPE;
    pthread_mutex_lock(&ff->ctx->lock);
    f = ff->fault;
    while (f && f->deliver) {
        struct fault_group *g = f->deliver;

        /* Whole groups only: stop when the next one does not fit. */
        if (done >= count || g->nfaults * fsz > count - done)
            break;
        rc = alloc_cookie(f, &g->cookie);
        if (rc)
            break;
        for (uint32_t i = 0; i < g->nfaults; i++)
            g->faults[i].cookie = g->cookie;
        if (mfd_copy_to_user(mfd_uptr((char *)buf + done), g->faults, g->nfaults * fsz)) {
            g->cookie = 0;
            rc = -EFAULT;
            break;
        }
        done += g->nfaults * fsz;
        f->deliver = g->next;
        if (!f->deliver)
            f->deliver_tail = &f->deliver;
        g->next = f->response;
        f->response = g;
    }
    if (f)
        sync_efd(f);
    pthread_mutex_unlock(&ff->ctx->lock);
    return done ? (long)done : rc;
}

/* iommufd_fault_fops_write */
static long fault_write(struct mfd_file *file, const void *buf, size_t count)
{
    const size_t rsz = sizeof(struct iommu_hwpt_page_response);
    struct fault_file *ff = file->priv;
    struct mfd_fault *f;
    size_t done = 0;
    int rc = 0;

    if (count % rsz)
        return -ESPIPE;
    pthread_mutex_lock(&ff->ctx->lock);
    f = ff->fault;
    while (f && count > done) {
        struct iommu_hwpt_page_response r;
        struct fault_group **pp;

        if (mfd_copy_from_user(&r, mfd_uptr((const char *)buf + done), rsz)) {
            rc = -EFAULT;
            break;
        }
        if (r.code != IOMMUFD_PAGE_RESP_SUCCESS && r.code != IOMMUFD_PAGE_RESP_INVALID) {
            rc = -EINVAL;
            break;
        }
        for (pp = &f->response; *pp && (*pp)->cookie != r.cookie; pp = &(*pp)->next)
            ;
        if (!*pp) {
            rc = -EINVAL;
            break;
        }
        {
            struct fault_group *g = *pp;

            *pp = g->next;
            respond_free(f, g, r.code);
        }
        done += rsz;
    }
    pthread_mutex_unlock(&ff->ctx->lock);
    return done ? (long)done : rc;
}

static void fault_release(struct mfd_file *file)
{
    struct fault_file *ff = file->priv;

    /* iommufd_eventq_fops_release: drop the fd's user of the object, then
     * the iommufd reference (outside the lock: it may be the last). */
    pthread_mutex_lock(&ff->ctx->lock);
    if (ff->fault) {
        ff->fault->ff = NULL;
        ff->fault->efd = -1;
        mfd_obj_unref(&ff->fault->obj);
    }
    pthread_mutex_unlock(&ff->ctx->lock);
    if (ff->ictx_file)
        mfd_file_put(ff->ictx_file);
    free(ff);
}

static const struct mfd_file_ops fault_fops = {
    .name = "[iommufd-pgfault]",
    .read = fault_read,
    .write = fault_write,
    .release = fault_release,
};

/* ---- IOMMU_FAULT_QUEUE_ALLOC --------------------------------------------------- */

int mfd_fault_alloc(struct mfd_ucmd *ucmd)
{
    struct iommu_fault_alloc *cmd = ucmd->cmd_buf;
    struct mfd_ctx *ctx = ucmd->ctx;
    struct fault_file *ff;
    struct mfd_fault *f;
    int fd, rc;

    if (cmd->flags)
        return -EOPNOTSUPP;
    f = (struct mfd_fault *)mfd_obj_alloc(ctx, MFD_OBJ_FAULT, sizeof(*f), &fault_obj_ops);
    if (!f)
        return -ENOMEM;
    /* The dispatcher publishes it on success and aborts it on failure. */
    ucmd->new_obj = &f->obj;
    f->deliver_tail = &f->deliver;
    f->efd = -1;
    ff = calloc(1, sizeof(*ff));
    if (!ff)
        return -ENOMEM;
    ff->ctx = ctx;
    fd = mfd_file_new_eventfd();
    if (fd < 0) {
        free(ff);
        return fd;
    }
    /* EFD_NONBLOCK: sync_efd never sleeps, and a poll-less reader of the
     * raw counter could not hang. */
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    ff->ictx_file = mfd_file_ref(ctx->file);
    if (!ff->ictx_file) {
        rc = -EBADF;
        goto out_fd;
    }
    cmd->out_fault_id = f->obj.id;
    cmd->out_fault_fd = (uint32_t)fd;
    rc = mfd_ucmd_respond(ucmd, sizeof(*cmd));
    if (rc)
        goto out_ictx;
    ff->fault = f;
    f->ff = ff;
    f->efd = fd;
    /* iommufd_eventq_init: the fd holds a user of the object, so DESTROY
     * is EBUSY while it is open. */
    mfd_obj_ref(&f->obj);
    rc = mfd_file_install(fd, &fault_fops, ff);
    if (rc) {
        mfd_obj_unref(&f->obj);
        f->ff = NULL;
        f->efd = -1;
        goto out_ictx;
    }
    return 0;

out_ictx:
    /* Not the last reference: this ioctl holds the iommufd file. */
    mfd_file_put(ff->ictx_file);
out_fd:
    close(fd);
    free(ff);
    return rc;
}

static struct mfd_fault *fault_of(struct mfd_hwpt *h)
{
    return h && h->fault ? (struct mfd_fault *)h->fault : NULL;
}

int mfd_fault_report_iopf(struct mfd_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint32_t grpid,
                          uint32_t perm, uint64_t addr)
{
    struct mfd_device *idev = mfd_device_get(ctx, dev_id);
    struct mfd_hwpt *h = NULL;
    uint32_t attach_pasid = pasid;
    struct fault_group *g;
    struct mfd_fault *f;

    if (!idev)
        return -ENOENT;
    /* The attach handle at pasid (IOMMU_NO_PASID = 0: the RID). */
    if (!pasid) {
        h = idev->hwpt;
    } else {
        for (int i = 0; i < MFD_MAX_PASID_ATTACH; i++)
            if (idev->pasids[i].hwpt && idev->pasids[i].pasid == pasid)
                h = idev->pasids[i].hwpt;
        /* io-pgfault.c find_fault_handler: no handle at this PASID and a
         * driver with a user-managed PASID table -> the NESTED domain at the
         * RID takes the request; the fault keeps its PASID, the group
         * belongs to the RID attachment (auto-response on its detach). */
        if (!h && idev->pdev->unit->drv->user_pasid_table && idev->hwpt &&
            idev->hwpt->obj.type == MFD_OBJ_HWPT_NESTED) {
            h = idev->hwpt;
            attach_pasid = 0;
        }
    }
    f = fault_of(h);
    /* No IOPF-capable attachment: iommu_report_device_fault answers the
     * request itself; TRIGGER_IOPF still succeeds. */
    if (!f)
        return 0;
    g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->hwpt = h;
    g->idev = idev;
    g->attach_pasid = attach_pasid;
    g->nfaults = 1;
    /* iommufd_compose_fault_message; __reserved stays 0 (e721f619e3ec). */
    g->faults[0].flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE |
                         (pasid ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0);
    g->faults[0].dev_id = idev->obj.id;
    g->faults[0].pasid = pasid;
    g->faults[0].grpid = grpid;
    g->faults[0].perm = perm;
    g->faults[0].addr = addr;
    g->faults[0].length = 0;
    *f->deliver_tail = g;
    f->deliver_tail = &g->next;
    sync_efd(f);
    return 0;
}

void mfd_fault_auto_respond(struct mfd_hwpt *hwpt, struct mfd_device *idev, uint32_t pasid)
{
    struct mfd_fault *f = fault_of(hwpt);
    struct fault_group **pp, *g;

    if (!f)
        return;
    f->deliver_tail = &f->deliver;
    for (pp = &f->deliver; (g = *pp);) {
        if (g->hwpt == hwpt && g->idev == idev && g->attach_pasid == pasid) {
            *pp = g->next;
            respond_free(f, g, IOMMUFD_PAGE_RESP_INVALID);
        } else {
            pp = &g->next;
            f->deliver_tail = pp;
        }
    }
    for (pp = &f->response; (g = *pp);) {
        if (g->hwpt == hwpt && g->idev == idev && g->attach_pasid == pasid) {
            *pp = g->next;
            respond_free(f, g, IOMMUFD_PAGE_RESP_INVALID);
        } else {
            pp = &g->next;
        }
    }
    sync_efd(f);
}

int mfd_fault_stats(struct mfd_ctx *ctx, uint32_t fault_id, struct mfd_fault_stats *out)
{
    struct mfd_fault *f = (struct mfd_fault *)mfd_obj_get(ctx, fault_id, MFD_OBJ_FAULT);

    if (!f)
        return -ENOENT;
    memset(out, 0, sizeof(*out));
    for (struct fault_group *g = f->deliver; g; g = g->next)
        out->pending++;
    for (struct fault_group *g = f->response; g; g = g->next)
        out->outstanding++;
    out->resp_success = f->resp_success;
    out->resp_invalid = f->resp_invalid;
    return 0;
}
