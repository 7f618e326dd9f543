/* Objects and IDs (iommufd.md §3, §4.1), close() cleanup, fail-nth, the
 * file table and concurrency. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "mockfd/core/mockfd_internal.h"
#include "tests/common/test_util.h"

/* ---- helpers ------------------------------------------------------------- */

struct tobj {
    struct mfd_obj obj;
    struct mfd_obj *parent;      /* holds a users reference on it */
    int tag;
};

static int destroyed_tags[64];
static int ndestroyed;

static void tobj_destroy(struct mfd_obj *obj)
{
    struct tobj *t = mfd_container_of(obj, struct tobj, obj);
    if (t->parent)
        mfd_obj_unref(t->parent);
    if (ndestroyed < 64)
        destroyed_tags[ndestroyed++] = t->tag;
}

static const struct mfd_obj_ops tobj_ops = { .destroy = tobj_destroy };

/* ctx of an fd; the file reference is dropped at once (the fd stays open). */
static struct mfd_ctx *ctx_of(int fd)
{
    struct mfd_file *f = mfd_file_get(fd);
    cr_assert_not_null(f);
    struct mfd_ctx *ctx = mfd_ctx_from_file(f);
    mfd_file_put(f);
    cr_assert_not_null(ctx);
    return ctx;
}

static struct tobj *tnew(struct mfd_ctx *ctx, enum mfd_obj_type type, int tag,
                         struct mfd_obj *parent, bool publish)
{
    pthread_mutex_lock(&ctx->lock);
    struct tobj *t = (struct tobj *)mfd_obj_alloc(ctx, type, sizeof(*t), &tobj_ops);
    cr_assert_not_null(t);
    t->tag = tag;
    t->parent = parent;
    if (parent)
        mfd_obj_ref(parent);
    if (publish)
        mfd_obj_finalize(&t->obj);
    pthread_mutex_unlock(&ctx->lock);
    return t;
}

static int destroy(int fd, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };
    errno = 0;
    return mockfd_ioctl(fd, IOMMU_DESTROY, &d) ? errno : 0;
}

static int ioas_alloc(int fd, uint32_t *id)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a), .out_ioas_id = 0xdead };
    errno = 0;
    if (mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &a))
        return errno;
    *id = a.out_ioas_id;
    return 0;
}

/* ---- IDs ----------------------------------------------------------------- */

Test(objects, ids_lowest_free_shared_space)
{
    int fd = mockfd_open();
    struct mfd_ctx *ctx = ctx_of(fd);
    struct tobj *t[6];

    for (int i = 0; i < 6; i++) {
        t[i] = tnew(ctx, i % 2 ? MFD_OBJ_SELFTEST : MFD_OBJ_FAULT, i, NULL, true);
        cr_assert_eq(t[i]->obj.id, (uint32_t)i + 1);
    }
    cr_assert_eq(mfd_obj_count(ctx), 6);
    cr_assert_eq(destroy(fd, 4), 0);
    cr_assert_eq(destroy(fd, 2), 0);
    cr_assert_eq(mfd_obj_count(ctx), 4);
    /* Lowest free first, whatever the kind. */
    cr_assert_eq(tnew(ctx, MFD_OBJ_VIOMMU, 10, NULL, true)->obj.id, 2);
    cr_assert_eq(tnew(ctx, MFD_OBJ_SELFTEST, 11, NULL, true)->obj.id, 4);
    cr_assert_eq(tnew(ctx, MFD_OBJ_SELFTEST, 12, NULL, true)->obj.id, 7);
    /* Iteration over published objects. */
    uint32_t seen = 0, last = 0;
    for (struct mfd_obj *o = mfd_obj_next(ctx, 0); o; o = mfd_obj_next(ctx, o->id)) {
        cr_assert_gt(o->id, last);
        last = o->id;
        seen++;
    }
    cr_assert_eq(seen, 7);
    cr_assert_eq(mockfd_close(fd), 0);
    cr_assert_eq(ndestroyed, 9);
    ASSERT_NO_LEAKS();
}

Test(objects, ids_via_ioctls)
{
    int fd = mockfd_open();
    uint32_t id;

    for (uint32_t i = 1; i <= 5; i++) {
        cr_assert_eq(ioas_alloc(fd, &id), 0);
        cr_assert_eq(id, i);
    }
    cr_assert_eq(destroy(fd, 3), 0);
    cr_assert_eq(destroy(fd, 3), ENOENT);
    cr_assert_eq(destroy(fd, 1), 0);
    cr_assert_eq(ioas_alloc(fd, &id), 0);
    cr_assert_eq(id, 1);
    cr_assert_eq(ioas_alloc(fd, &id), 0);
    cr_assert_eq(id, 3);
    cr_assert_eq(ioas_alloc(fd, &id), 0);
    cr_assert_eq(id, 6);
    /* IDs are per fd. */
    int fd2 = mockfd_open();
    cr_assert_eq(ioas_alloc(fd2, &id), 0);
    cr_assert_eq(id, 1);
    cr_assert_eq(mfd_obj_count(ctx_of(fd)), 6);
    mockfd_close(fd2);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(objects, unpublished_is_invisible_and_abort_frees_id)
{
    int fd = mockfd_open();
    struct mfd_ctx *ctx = ctx_of(fd);

    struct tobj *a = tnew(ctx, MFD_OBJ_SELFTEST, 1, NULL, false);
    cr_assert_eq(a->obj.id, 1, "the ID is reserved at allocation");
    cr_assert_null(mfd_obj_get(ctx, 1, MFD_OBJ_ANY));
    cr_assert_null(mfd_obj_next(ctx, 0));
    cr_assert_eq(destroy(fd, 1), ENOENT);
    /* A second allocation does not get the reserved ID. */
    struct tobj *b = tnew(ctx, MFD_OBJ_SELFTEST, 2, NULL, true);
    cr_assert_eq(b->obj.id, 2);
    pthread_mutex_lock(&ctx->lock);
    mfd_obj_abort(&a->obj);
    pthread_mutex_unlock(&ctx->lock);
    cr_assert_eq(ndestroyed, 1, "abort runs ops->destroy");
    cr_assert_eq(mfd_obj_count(ctx), 1);
    cr_assert_eq(tnew(ctx, MFD_OBJ_SELFTEST, 3, NULL, true)->obj.id, 1, "aborted ID is free");
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(objects, wrong_kind_is_enoent)
{
    int fd = mockfd_open();
    struct mfd_ctx *ctx = ctx_of(fd);
    struct tobj *t = tnew(ctx, MFD_OBJ_SELFTEST, 1, NULL, true);

    pthread_mutex_lock(&ctx->lock);
    cr_assert_null(mfd_obj_get(ctx, t->obj.id, MFD_OBJ_IOAS));
    cr_assert_null(mfd_obj_get(ctx, t->obj.id, MFD_OBJ_DEVICE));
    cr_assert_eq(mfd_obj_get(ctx, t->obj.id, MFD_OBJ_SELFTEST), &t->obj);
    cr_assert_eq(mfd_obj_get(ctx, t->obj.id, MFD_OBJ_ANY), &t->obj);
    cr_assert_null(mfd_obj_get(ctx, 0, MFD_OBJ_ANY));
    cr_assert_null(mfd_obj_get(ctx, 2, MFD_OBJ_ANY));
    cr_assert_null(mfd_obj_get(ctx, 0xffffffff, MFD_OBJ_ANY));
    pthread_mutex_unlock(&ctx->lock);
    /* Through an ioctl: HUGE_PAGES wants an IOAS; a selftest object is
     * ENOENT like a missing one. */
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = IOMMU_OPTION_OP_GET, .object_id = t->obj.id };
    errno = 0;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_OPTION, &o), -1);
    cr_assert_eq(errno, ENOENT);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(objects, destroy_enoent_and_ebusy)
{
    int fd = mockfd_open();
    struct mfd_ctx *ctx = ctx_of(fd);

    cr_assert_eq(destroy(fd, 0), ENOENT);
    cr_assert_eq(destroy(fd, 1), ENOENT);
    cr_assert_eq(destroy(fd, 0x7fffffff), ENOENT);
    cr_assert_eq(destroy(fd, 0x80000000), ENOENT);
    cr_assert_eq(destroy(fd, 0xffffffff), ENOENT);

    struct tobj *a = tnew(ctx, MFD_OBJ_SELFTEST, 1, NULL, true);
    struct tobj *b = tnew(ctx, MFD_OBJ_SELFTEST, 2, &a->obj, true);
    cr_assert_eq(a->obj.users, 2);
    /* Busy: EBUSY, nothing changes, and repeating changes nothing either
     * (99f98a7c0d69: DESTROY must not keep a reference). */
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(destroy(fd, a->obj.id), EBUSY);
        cr_assert_eq(a->obj.users, 2);
        cr_assert_eq(mfd_obj_get(ctx, a->obj.id, MFD_OBJ_ANY), &a->obj);
    }
    cr_assert_eq(ndestroyed, 0);
    cr_assert_eq(destroy(fd, b->obj.id), 0);
    cr_assert_eq(a->obj.users, 1);
    cr_assert_eq(destroy(fd, a->obj.id), 0);
    cr_assert_eq(destroy(fd, 1), ENOENT);
    cr_assert_eq(mfd_obj_count(ctx), 0);
    cr_assert_eq(ndestroyed, 2);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

/* close(): leaf first, with several passes when a parent has a lower ID. */
Test(objects, close_destroys_leaf_first)
{
    int fd = mockfd_open();
    struct mfd_ctx *ctx = ctx_of(fd);

    /* Chain root(1) <- mid(2) <- leaf(3) and a tree where the parent gets
     * the highest ID: p(6) <- c1(4), c2(5) via a late re-parenting. */
    struct tobj *root = tnew(ctx, MFD_OBJ_IOAS, 1, NULL, true);
    struct tobj *mid = tnew(ctx, MFD_OBJ_HWPT_PAGING, 2, &root->obj, true);
    (void)tnew(ctx, MFD_OBJ_DEVICE, 3, &mid->obj, true);
    struct tobj *c1 = tnew(ctx, MFD_OBJ_VDEVICE, 4, NULL, true);
    struct tobj *c2 = tnew(ctx, MFD_OBJ_VEVENTQ, 5, NULL, true);
    struct tobj *p = tnew(ctx, MFD_OBJ_VIOMMU, 6, NULL, true);
    /* Children of p have lower IDs than p; and p itself references c1's
     * sibling order worst case: p <- c2 <- c1. */
    c1->parent = &c2->obj, mfd_obj_ref(&c2->obj);
    c2->parent = &p->obj, mfd_obj_ref(&p->obj);
    cr_assert_eq(mfd_obj_count(ctx), 6);
    cr_assert_eq(mockfd_close(fd), 0);
    cr_assert_eq(ndestroyed, 6);
    int pos[7] = { 0 };
    for (int i = 0; i < ndestroyed; i++)
        pos[destroyed_tags[i]] = i + 1;
    cr_assert_lt(pos[3], pos[2]);
    cr_assert_lt(pos[2], pos[1]);
    cr_assert_lt(pos[4], pos[5]);
    cr_assert_lt(pos[5], pos[6]);
    ASSERT_NO_LEAKS();
}

Test(objects, close_cleans_up_everything)
{
    int fd = mockfd_open();
    uint32_t id;

    for (int i = 0; i < 100; i++)
        cr_assert_eq(ioas_alloc(fd, &id), 0);
    cr_assert_eq(mfd_obj_count(ctx_of(fd)), 100);
    cr_assert_eq(mockfd_close(fd), 0);
    cr_assert(!mockfd_owns_fd(fd));
    ASSERT_NO_LEAKS();
}

/* ---- fail-nth ------------------------------------------------------------ */

Test(objects, fail_nth_leaves_no_id)
{
    uint32_t id;
    bool done = false;

    /* Sweep the injection point over the whole IOAS_ALLOC path: every
     * failing run leaves nothing behind; the run past the last point
     * succeeds with ID 1. */
    for (unsigned long n = 1; n < 100 && !done; n++) {
        int fd = mockfd_open();
        mfd_fail_nth_set(n);
        int e = ioas_alloc(fd, &id);
        unsigned long passed = mfd_fail_nth_count();
        mfd_fail_nth_set(0);
        if (e == 0) {
            cr_assert_lt(passed, n, "succeeded although point %lu was reached", n);
            cr_assert_eq(id, 1);
            done = true;
        } else {
            cr_assert_geq(passed, n);
            cr_assert_eq(mfd_obj_count(ctx_of(fd)), 0, "n=%lu left an object", n);
            cr_assert_eq(ioas_alloc(fd, &id), 0);
            cr_assert_eq(id, 1, "n=%lu left an ID", n);
        }
        mockfd_close(fd);
    }
    cr_assert(done);
    ASSERT_NO_LEAKS();
}

Test(objects, fail_nth_points)
{
    int fd = mockfd_open();
    struct mfd_ctx *ctx = ctx_of(fd);
    struct tobj *a = tnew(ctx, MFD_OBJ_SELFTEST, 1, NULL, true);

    cr_assert(!mfd_should_fail());
    mfd_fail_nth_set(2);
    pthread_mutex_lock(&ctx->lock);
    cr_assert_eq(mfd_obj_get(ctx, a->obj.id, MFD_OBJ_ANY), &a->obj);
    cr_assert_null(mfd_obj_get(ctx, a->obj.id, MFD_OBJ_ANY), "2nd point fails");
    cr_assert_eq(mfd_obj_get(ctx, a->obj.id, MFD_OBJ_ANY), &a->obj, "only once");
    cr_assert_eq(mfd_fail_nth_count(), 3);
    mfd_fail_nth_set(1);
    cr_assert_null(mfd_obj_alloc(ctx, MFD_OBJ_SELFTEST, sizeof(struct tobj), &tobj_ops));
    cr_assert_eq(mfd_obj_count(ctx), 1);
    mfd_fail_nth_set(0);
    cr_assert(!mfd_should_fail());
    pthread_mutex_unlock(&ctx->lock);
    mockfd_close(fd);
}

/* A failing response (out_ioas_id on a read-only page) aborts the object. */
Test(objects, efault_response_leaves_no_id)
{
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = mockfd_open();
    uint32_t id;

    cr_assert_neq(p, MAP_FAILED);
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    unsigned char *s = p + pg - 8;             /* out_ioas_id on page 2 */
    memcpy(s, &a, sizeof(a));
    cr_assert_eq(mprotect(p + pg, pg, PROT_READ), 0);
    errno = 0;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, s), -1);
    cr_assert_eq(errno, EFAULT);
    cr_assert_eq(mfd_obj_count(ctx_of(fd)), 0);
    cr_assert_eq(ioas_alloc(fd, &id), 0);
    cr_assert_eq(id, 1);
    munmap(p, 2 * pg);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

/* ---- the file table ------------------------------------------------------ */

Test(objects, stale_fd_closed_behind_our_back)
{
    int fd = mockfd_open();
    uint32_t id;

    cr_assert_eq(ioas_alloc(fd, &id), 0);
    close(fd);                              /* not mockfd_close */
    int fd2 = mockfd_open();                /* reuses the number */
    cr_assert_eq(fd2, fd);
    cr_assert_eq(mfd_obj_count(ctx_of(fd2)), 0, "a fresh context");
    cr_assert_eq(ioas_alloc(fd2, &id), 0);
    cr_assert_eq(id, 1);
    mockfd_close(fd2);
    ASSERT_NO_LEAKS();
}

static const struct mfd_file_ops bare_ops = { .name = "bare" };

Test(objects, many_fds_and_high_numbers)
{
    int fds[64];
    for (int i = 0; i < 64; i++) {
        fds[i] = mockfd_open();
        cr_assert_geq(fds[i], 0);
    }
    /* An fd number in another radix leaf. */
    int hi = dup2(fds[0], 5000);
    if (hi == 5000) {
        close(5000);
        cr_assert(!mockfd_owns_fd(5000));
        cr_assert_eq(mfd_file_install(5000, &bare_ops, NULL), 0);
        cr_assert(mockfd_owns_fd(5000));
        errno = 0;
        cr_assert_eq(mockfd_ioctl(5000, IOMMU_DESTROY, NULL), -1);
        cr_assert_eq(errno, ENOTTY, "a file without ops->ioctl");
        cr_assert_eq(mfd_file_uninstall(5000), 0);
    }
    for (int i = 0; i < 64; i++)
        cr_assert_eq(mockfd_close(fds[i]), 0);
    ASSERT_NO_LEAKS();
}

/* ---- concurrency --------------------------------------------------------- */

struct race {
    int fd;
    atomic_int stop;
    atomic_long ok, ebadf, other;
};

static void *option_loop(void *arg)
{
    struct race *r = arg;
    while (!atomic_load(&r->stop)) {
        struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
                                  .op = IOMMU_OPTION_OP_GET };
        uint32_t id = 0;
        int rc = mockfd_ioctl(r->fd, IOMMU_OPTION, &o);
        if (rc == 0)
            atomic_fetch_add(&r->ok, 1);
        else if (errno == EBADF)
            atomic_fetch_add(&r->ebadf, 1);
        else
            atomic_fetch_add(&r->other, 1);
        int e = ioas_alloc(r->fd, &id);
        if (e == 0)
            destroy(r->fd, id);
        else if (e != EBADF)
            atomic_fetch_add(&r->other, 1);
    }
    return NULL;
}

Test(objects, concurrent_close_and_ioctl, .timeout = 60)
{
    for (int round = 0; round < 100; round++) {
        struct race r = { .fd = mockfd_open() };
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            cr_assert_eq(pthread_create(&t[i], NULL, option_loop, &r), 0);
        usleep(200);
        cr_assert_eq(mockfd_close(r.fd), 0);
        usleep(100);
        atomic_store(&r.stop, 1);
        for (int i = 0; i < 3; i++)
            pthread_join(t[i], NULL);
        cr_assert_eq(atomic_load(&r.other), 0);
    }
    ASSERT_NO_LEAKS();
}

struct alloc_race {
    int fd;
    uint32_t ids[2000];
};

static void *alloc_loop(void *arg)
{
    struct alloc_race *a = arg;
    for (int i = 0; i < 2000; i++)
        if (ioas_alloc(a->fd, &a->ids[i]))
            return (void *)1;
    for (int i = 0; i < 2000; i += 2)
        if (destroy(a->fd, a->ids[i]))
            return (void *)1;
    return NULL;
}

Test(objects, concurrent_ioctls_one_fd, .timeout = 60)
{
    int fd = mockfd_open();
    static struct alloc_race a[4];
    pthread_t t[4];
    void *res;

    for (int i = 0; i < 4; i++) {
        a[i].fd = fd;
        cr_assert_eq(pthread_create(&t[i], NULL, alloc_loop, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], &res);
        cr_assert_null(res);
    }
    cr_assert_eq(mfd_obj_count(ctx_of(fd)), 4000);
    /* The surviving IDs are distinct. */
    char *seen = calloc(8001, 1);
    for (int i = 0; i < 4; i++)
        for (int j = 1; j < 2000; j += 2) {
            cr_assert_lt(a[i].ids[j], 8001u);
            cr_assert_eq(seen[a[i].ids[j]], 0);
            seen[a[i].ids[j]] = 1;
        }
    free(seen);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}
