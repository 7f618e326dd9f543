/* SPDX-License-Identifier: MIT */
/*
 * vEVENTQs: IOMMU_VEVENTQ_ALLOC (0x93), the vevent fd and event reporting
 * (the kernel's drivers/iommu/iommufd/eventq.c iommufd_veventq_*,
 * driver.c iommufd_viommu_report_event, iommufd_private.h
 * iommufd_vevent_handler; iommufd.md §4.18), and the selftest's
 * IOMMU_TEST_OP_TRIGGER_VEVENT.
 *
 * The fd is the read end of a real pipe holding one byte exactly while
 * records are queued, so poll()/select()/epoll work unmodified and report
 * what the kernel's iommufd_eventq_fops_poll does for a vEVENTQ: EPOLLIN
 * when not empty and nothing else (iommufd.md §4.18; an eventfd would add
 * POLLOUT, which only the fault fd reports, §4.15). The mock keeps a private
 * dup of the read end and the write end, so the user's dup2/close of the
 * fd number never redirects the signalling. read() goes through mockfd_read. The open fd holds a user on the vEVENTQ object
 * (DESTROY -> EBUSY until close) and a reference on the iommufd file, as
 * iommufd_eventq_init does.
 *
 * Sequence numbers (fixes 6fc85bbbeaea, 41464a4628f3 and the kernel's
 * iommufd_vevent_handler): every record gets the queue's counter when it is
 * queued, then the counter advances modulo INT_MAX + 1. On overflow the one
 * preallocated lost-events header (flags LOST_EVENTS, no payload) is
 * (re)queued at the tail with a fresh sequence each time an event is dropped
 * — the kernel moves it to the tail even when it is already queued, so
 * userspace can count the drops. Reading the header does not decrement
 * num_events; normal headers have flags 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include "handlers.h"
#include "viommu.h"

/* data points just past the record in the same allocation (NULL for the
 * list head and the lost-events header, which carry no payload). Not a
 * flexible array: struct mfd_veventq embeds two of these, and a struct
 * ending in a flexible array may not be a member of another (C11 6.7.2.1p3;
 * gcc accepts it silently, clang warns -Wgnu-variable-sized-type-not-at-end). */
struct vevent {
    struct vevent *prev, *next;      /* deliver list */
    struct iommufd_vevent_header hdr;
    uint32_t data_len;
    uint8_t *data;
};

struct mfd_veventq {
    struct mfd_obj obj;              /* MFD_OBJ_VEVENTQ */
    struct mfd_viommu *viommu;       /* referenced */
    struct mfd_veventq *next;        /* viommu->veventqs */
    uint32_t type, depth, num_events, sequence;
    struct vevent deliver;           /* list head (sentinel) */
    struct vevent lost;              /* lost_events_header */
    int efd;                         /* the user's fd (pipe read end), -1 */
    int rfd, wfd;                    /* private read end dup and write end, -1 */
    bool signalled;                  /* the pipe holds its one byte */
    struct mfd_file *ictx_file;      /* held while the fd is open */
};

/* ---- list and eventfd --------------------------------------------------------- */

static bool on_list(const struct vevent *e) { return e->next != NULL; }

static void list_del_ev(struct vevent *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = NULL;
}

static void list_add_tail_ev(struct mfd_veventq *q, struct vevent *e)
{
    e->prev = q->deliver.prev;
    e->next = &q->deliver;
    q->deliver.prev->next = e;
    q->deliver.prev = e;
}

static bool list_empty_ev(const struct mfd_veventq *q) { return q->deliver.next == &q->deliver; }

/* Keep the pipe readable exactly while something is queued. */
static void sync_efd(struct mfd_veventq *q)
{
    bool want = !list_empty_ev(q);
    char c = 1;

    if (q->wfd < 0 || want == q->signalled)
        return;
    if (want)
        (void)!write(q->wfd, &c, 1);
    else
        (void)!read(q->rfd, &c, 1);
    q->signalled = want;
}

static void close_pipe(struct mfd_veventq *q)
{
    if (q->rfd >= 0)
        close(q->rfd);
    if (q->wfd >= 0)
        close(q->wfd);
    q->rfd = q->wfd = -1;
    q->signalled = false;
}

/* ---- the object ------------------------------------------------------------------ */

static void veventq_destroy(struct mfd_obj *obj)
{
    struct mfd_veventq *q = (struct mfd_veventq *)obj;
    struct mfd_veventq **pp;

    /* iommufd_veventq_abort: free the queued records, leave the vIOMMU */
    close_pipe(q);   /* no-op unless the fd was never installed */
    if (q->deliver.next) {
        while (!list_empty_ev(q)) {
            struct vevent *e = q->deliver.next;

            list_del_ev(e);
            if (e != &q->lost)
                free(e);
        }
    }
    if (q->viommu) {
        for (pp = &q->viommu->veventqs; *pp; pp = &(*pp)->next) {
            if (*pp == q) {
                *pp = q->next;
                break;
            }
        }
        mfd_obj_unref(&q->viommu->obj);
    }
}

static const struct mfd_obj_ops veventq_ops = { .destroy = veventq_destroy };

struct mfd_veventq *mfd_viommu_find_veventq(struct mfd_viommu *v, uint32_t type)
{
    for (struct mfd_veventq *q = v->veventqs; q; q = q->next)
        if (q->type == type)
            return q;
    return NULL;
}

void mfd_veventq_set_sequence(struct mfd_veventq *q, uint32_t seq)
{
    q->sequence = seq & INT_MAX;
}

/* ---- reporting ---------------------------------------------------------------------- */

/* iommufd_vevent_handler */
static void vevent_handler(struct mfd_veventq *q, struct vevent *e)
{
    /* the lost header, when queued, is always last: take it off and append
     * the new record (which may be the header again, for a new sequence) */
    if (on_list(&q->lost) && q->deliver.prev == &q->lost)
        list_del_ev(&q->lost);
    list_add_tail_ev(q, e);
    e->hdr.sequence = q->sequence;
    q->sequence = (q->sequence + 1) & INT_MAX;
    sync_efd(q);
}

int mfd_viommu_report_event(struct mfd_viommu *v, uint32_t type, const void *data, uint32_t len)
{
    struct mfd_veventq *q;
    struct vevent *e;
    int rc = 0;

    if (!len || !data)
        return -EINVAL;
    q = mfd_viommu_find_veventq(v, type);
    if (!q)
        return -EOPNOTSUPP;
    if (q->num_events == q->depth) {
        e = &q->lost;
    } else {
        e = mfd_should_fail() ? NULL : calloc(1, sizeof(*e) + len);
        if (!e) {
            rc = -ENOMEM;
            e = &q->lost;
        } else {
            e->data = (uint8_t *)(e + 1);
            memcpy(e->data, data, len);
            e->data_len = len;
            q->num_events++;
        }
    }
    vevent_handler(q, e);
    return rc;
}

/* ---- the vevent fd ---------------------------------------------------------------------- */

/* iommufd_veventq_fops_read: whole records back to back while they fit; 0
 * when nothing is queued or the first does not fit (never blocks). */
static long veventq_read(struct mfd_file *f, void *buf, size_t count)
{
    struct mfd_veventq *q = f->priv;
    struct mfd_ctx *ctx = q->obj.ctx;
    const size_t hsz = sizeof(struct iommufd_vevent_header);
    size_t done = 0;
    int rc = 0;

    pthread_mutex_lock(&ctx->lock);
    while (!list_empty_ev(q)) {
        struct vevent *e = q->deliver.next;
        bool lost = e == &q->lost;

        if (done >= count || hsz > count - done)
            break;
        if (!lost && hsz + e->data_len > count - done)
            break;
        if (mfd_copy_to_user(mfd_uptr(buf) + done, &e->hdr, hsz)) {
            rc = -EFAULT;
            break;
        }
        if (e->data_len && mfd_copy_to_user(mfd_uptr(buf) + done + hsz, e->data, e->data_len)) {
            rc = -EFAULT;
            break;
        }
        done += hsz + e->data_len;
        list_del_ev(e);
        if (!lost) {
            q->num_events--;
            free(e);
        }
    }
    sync_efd(q);
    pthread_mutex_unlock(&ctx->lock);
    return done ? (long)done : rc;
}

static void veventq_release(struct mfd_file *f)
{
    struct mfd_veventq *q = f->priv;
    struct mfd_ctx *ctx = q->obj.ctx;
    struct mfd_file *ictx = q->ictx_file;

    /* iommufd_eventq_fops_release: the user's fd is closed already */
    pthread_mutex_lock(&ctx->lock);
    q->efd = -1;
    close_pipe(q);
    q->ictx_file = NULL;
    mfd_obj_unref(&q->obj);
    pthread_mutex_unlock(&ctx->lock);
    mfd_file_put(ictx);
}

static const struct mfd_file_ops veventq_fops = {
    .name = "[iommufd-viommu-event]",
    .read = veventq_read,
    /* no write (VFS: EINVAL), no ioctl (ENOTTY) */
    .release = veventq_release,
};

/* ---- IOMMU_VEVENTQ_ALLOC (0x93) ------------------------------------------------------------ */

int mfd_veventq_alloc(struct mfd_ucmd *ucmd)
{
    struct iommu_veventq_alloc *cmd = ucmd->cmd_buf;
    struct mfd_ctx *ctx = ucmd->ctx;
    struct mfd_file *ictx;
    struct mfd_veventq *q;
    struct mfd_viommu *v;
    int fd, rc, pfd[2];

    /* §4.18, iommufd_veventq_alloc order */
    if (cmd->flags || cmd->__reserved || cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
        return -EOPNOTSUPP;
    if (!cmd->veventq_depth)
        return -EINVAL;
    v = mfd_viommu_get(ctx, cmd->viommu_id);
    if (!v)
        return -ENOENT;
    if (mfd_viommu_find_veventq(v, cmd->type))
        return -EEXIST;
    q = (struct mfd_veventq *)mfd_obj_alloc(ctx, MFD_OBJ_VEVENTQ, sizeof(*q), &veventq_ops);
    if (!q)
        return -ENOMEM;
    ucmd->new_obj = &q->obj;
    q->deliver.next = q->deliver.prev = &q->deliver;
    q->efd = q->rfd = q->wfd = -1;
    q->type = cmd->type;
    q->depth = cmd->veventq_depth;
    q->viommu = v;
    mfd_obj_ref(&v->obj);
    q->next = v->veventqs;
    v->veventqs = q;
    q->lost.hdr.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
    /* iommufd_eventq_init: the file, then an fd number */
    if (mfd_should_fail())
        return -ENOMEM;
    if (pipe2(pfd, O_CLOEXEC))
        return -errno;
    fd = pfd[0];
    q->wfd = pfd[1];
    q->rfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (q->rfd < 0) {
        rc = -errno;
        goto out_close;
    }
    cmd->out_veventq_id = q->obj.id;
    cmd->out_veventq_fd = (uint32_t)fd;
    rc = mfd_ucmd_respond(ucmd, sizeof(*cmd));
    if (rc)
        goto out_close;
    ictx = mfd_file_ref(ctx->file);
    if (!ictx) {
        rc = -EBADF;
        goto out_close;
    }
    q->efd = fd;
    q->ictx_file = ictx;
    mfd_obj_ref(&q->obj);            /* the open file's user */
    rc = mfd_file_install(fd, &veventq_fops, q);
    if (rc) {
        mfd_obj_unref(&q->obj);
        q->efd = -1;
        q->ictx_file = NULL;
        mfd_file_put(ictx);
        goto out_close;
    }
    return 0;
out_close:
    close_pipe(q);
    close(fd);
    return rc;
}

/* ---- IOMMU_TEST_OP_TRIGGER_VEVENT ---------------------------------------------------------- */

int mfd_test_trigger_vevent(struct mfd_ctx *ctx, uint32_t dev_id)
{
    struct iommu_viommu_event_selftest ev = { 0 };
    struct mfd_device *idev;
    struct mfd_viommu *v;
    uint64_t vdev_id;

    /* iommufd_test_trigger_vevent: the device must be attached through a
     * vIOMMU with a vdev_id (0 counts as none, as in the mock) */
    idev = mfd_device_get(ctx, dev_id);
    if (!idev)
        return -ENOENT;
    if (mfd_viommu_dev_attached(idev, &v, &vdev_id) || !vdev_id)
        return -ENOENT;
    ev.virt_id = (uint32_t)vdev_id;
    return mfd_viommu_report_event(v, IOMMU_VEVENTQ_TYPE_SELFTEST, &ev, sizeof(ev));
}
