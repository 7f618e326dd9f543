/* SPDX-License-Identifier: MIT */
/*
 * Process-wide table of the fds the mock hands out (see mockfd_internal.h,
 * "The process-wide file table").
 *
 * Layout: a three-level radix tree indexed by the fd number (11+10+10 bits
 * cover every non-negative int). Interior nodes are created on demand under
 * a mutex and never freed, so a lookup is three acquire loads with no lock;
 * the LD_PRELOAD shim calls mockfd_owns_fd() on every ioctl/close of the
 * process, most of which are not ours.
 *
 * Lifetime: a struct mfd_file is type-stable (recycled through a pool, never
 * returned to malloc), so a lookup racing a close may safely touch a file
 * that has just been released: it takes a reference only if the count is not
 * zero and then re-checks that the slot still holds the same file (the
 * kernel's SLAB_TYPESAFE_BY_RCU pattern for struct file).
 *
 * Duplicates (mockfd_dup_fd): one file may sit in several slots, as one
 * struct file behind several fd numbers; each slot holds one reference.
 */
#include "mockfd_internal.h"
#include "vmas.h"
#include "mockfd/mockfd_ext.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define L3_BITS 10
#define L2_BITS 10
#define L1_BITS 11                  /* 31 bits: every fd number */
#define L3_SIZE (1u << L3_BITS)
#define L2_SIZE (1u << L2_BITS)
#define L1_SIZE (1u << L1_BITS)

typedef _Atomic(struct mfd_file *) slot_t;
struct leaf { slot_t s[L3_SIZE]; };
struct mid { _Atomic(struct leaf *) l[L2_SIZE]; };

static _Atomic(struct mid *) top[L1_SIZE];
static pthread_mutex_t grow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mfd_file *pool;

static slot_t *find_slot(int fd)
{
    unsigned u = (unsigned)fd;
    struct mid *m;
    struct leaf *l;

    if (fd < 0)
        return NULL;
    m = atomic_load_explicit(&top[u >> (L2_BITS + L3_BITS)], memory_order_acquire);
    if (!m)
        return NULL;
    l = atomic_load_explicit(&m->l[(u >> L3_BITS) & (L2_SIZE - 1)], memory_order_acquire);
    if (!l)
        return NULL;
    return &l->s[u & (L3_SIZE - 1)];
}

static slot_t *make_slot(int fd)
{
    unsigned u = (unsigned)fd;
    slot_t *s = find_slot(fd);
    struct mid *m;
    struct leaf *l;

    if (s || fd < 0)
        return s;
    pthread_mutex_lock(&grow_lock);
    m = atomic_load_explicit(&top[u >> (L2_BITS + L3_BITS)], memory_order_acquire);
    if (!m) {
        m = calloc(1, sizeof(*m));
        if (!m)
            goto out;
        atomic_store_explicit(&top[u >> (L2_BITS + L3_BITS)], m, memory_order_release);
    }
    l = atomic_load_explicit(&m->l[(u >> L3_BITS) & (L2_SIZE - 1)], memory_order_acquire);
    if (!l) {
        l = calloc(1, sizeof(*l));
        if (!l)
            goto out;
        atomic_store_explicit(&m->l[(u >> L3_BITS) & (L2_SIZE - 1)], l, memory_order_release);
    }
    s = &l->s[u & (L3_SIZE - 1)];
out:
    pthread_mutex_unlock(&grow_lock);
    return s;
}

static struct mfd_file *file_alloc(void)
{
    struct mfd_file *f;

    pthread_mutex_lock(&pool_lock);
    f = pool;
    if (f)
        pool = f->next_free;
    pthread_mutex_unlock(&pool_lock);
    if (!f) {
        f = calloc(1, sizeof(*f));
        if (!f)
            return NULL;
        atomic_init(&f->refs, 0);
    }
    return f;
}

static void file_free(struct mfd_file *f)
{
    pthread_mutex_lock(&pool_lock);
    f->next_free = pool;
    pool = f;
    pthread_mutex_unlock(&pool_lock);
}

/*
 * The real file behind iommufd and VFIO device fds. Those fds need a real
 * number (the LD_PRELOAD shim hands them to unmodified programs) but no
 * state of their own: the mock keeps everything in struct mfd_file. So each
 * is a dup of one library-held memfd, like the kernel's many struct files of
 * one /dev/iommu inode; a fresh anonymous file per fd cost an eventfd() plus
 * its __fput on close (~3 us per open/close pair, the largest system cost of
 * the fuzzing harness, docs/fuzzing.md). The template sits at a high number,
 * so the numbers the user sees are the lowest free ones as with the kernel.
 * The user may close or dup2() over that number (closefrom() before exec):
 * each dup is checked against the template's inode, and a number that is no
 * longer ours is abandoned, never closed. Raw syscalls: inside the shim, the
 * libc names fcntl/close are its own intercepts.
 */
static struct { int fd; dev_t dev; ino_t ino; } tmpl = { .fd = -1 };
static pthread_mutex_t tmpl_lock = PTHREAD_MUTEX_INITIALIZER;
#define TMPL_FD_MIN 512

static bool is_tmpl_file(int fd)
{
    struct stat st;

    return !fstat(fd, &st) && st.st_dev == tmpl.dev && st.st_ino == tmpl.ino;
}

/* Called with tmpl_lock held. 0 or -errno. */
static int tmpl_create(void)
{
    struct rlimit rl;
    struct stat st;
    long hi;
    int fd = memfd_create("iommufd-mock", MFD_CLOEXEC);

    if (fd < 0)
        return -errno;
    hi = TMPL_FD_MIN;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur <= 2 * TMPL_FD_MIN)
        hi = (long)rl.rlim_cur / 2;
    hi = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, hi);
    if (hi >= 0) {
        syscall(SYS_close, fd);
        fd = (int)hi;
    }
    if (fstat(fd, &st)) {
        int e = errno;

        syscall(SYS_close, fd);
        return -e;
    }
    tmpl.fd = fd;
    tmpl.dev = st.st_dev;
    tmpl.ino = st.st_ino;
    return 0;
}

int mfd_file_new_fd(void)
{
    int rc = 0;
    long fd = -1;

    pthread_mutex_lock(&tmpl_lock);
    for (int tries = 0; tries < 2; tries++) {
        if (tmpl.fd < 0 && (rc = tmpl_create()))
            break;
        fd = syscall(SYS_fcntl, tmpl.fd, F_DUPFD_CLOEXEC, 0);
        if (fd >= 0 && is_tmpl_file((int)fd))
            break;
        if (fd < 0 && errno != EBADF) {
            rc = -errno;            /* EMFILE: the fd table is full */
            break;
        }
        if (fd >= 0)
            syscall(SYS_close, fd);  /* our dup of somebody else's file */
        fd = -1;
        rc = -EBADF;
        tmpl.fd = -1;               /* not ours any more: abandoned */
    }
    pthread_mutex_unlock(&tmpl_lock);
    return fd >= 0 ? (int)fd : rc;
}

bool mfd_private_fd(int fd)
{
    bool mine;

    pthread_mutex_lock(&tmpl_lock);
    mine = fd >= 0 && fd == tmpl.fd;
    pthread_mutex_unlock(&tmpl_lock);
    return mine || mfd_vmas_private_fd(fd);
}

int mfd_file_new_eventfd(void)
{
    int fd = eventfd(0, EFD_CLOEXEC);

    return fd < 0 ? -errno : fd;
}

int mfd_file_install(int fd, const struct mfd_file_ops *ops, void *priv)
{
    struct mfd_file *f, *old;
    slot_t *s;

    if (fd < 0)
        return -EBADF;
    s = make_slot(fd);
    if (!s)
        return -ENOMEM;
    f = file_alloc();
    if (!f)
        return -ENOMEM;
    /* Fields first, then the count (release), then publication: a racing
     * mfd_file_get either sees refs == 0 (and backs off) or a complete file. */
    f->ops = ops;
    f->priv = priv;
    f->fd = fd;
    f->next_free = NULL;
    atomic_store_explicit(&f->refs, 1, memory_order_release);
    old = atomic_exchange_explicit(s, f, memory_order_acq_rel);
    if (old)
        mfd_file_put(old);          /* stale: closed behind our back */
    return 0;
}

struct mfd_file *mfd_file_get(int fd)
{
    slot_t *s = find_slot(fd);
    struct mfd_file *f;

    if (!s)
        return NULL;
    for (;;) {
        unsigned r;

        f = atomic_load_explicit(s, memory_order_acquire);
        if (!f)
            return NULL;
        r = atomic_load_explicit(&f->refs, memory_order_relaxed);
        do {
            if (r == 0)
                break;
        } while (!atomic_compare_exchange_weak_explicit(&f->refs, &r, r + 1,
                                                        memory_order_acquire,
                                                        memory_order_relaxed));
        if (r == 0)
            continue;               /* released under us: reload the slot */
        if (atomic_load_explicit(s, memory_order_acquire) == f)
            return f;
        mfd_file_put(f);            /* recycled for another fd: retry */
    }
}

struct mfd_file *mfd_file_ref(struct mfd_file *f)
{
    /* The caller holds a reference, so refs > 0 and the file cannot be
     * recycled under us: a plain increment suffices. */
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

void mfd_file_put(struct mfd_file *f)
{
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (f->ops && f->ops->release)
        f->ops->release(f);
    f->ops = NULL;
    f->priv = NULL;
    file_free(f);
}

int mfd_file_uninstall(int fd)
{
    slot_t *s = find_slot(fd);
    struct mfd_file *f;

    if (!s)
        return -EBADF;
    /* Only one closer wins the exchange; the slot is empty before the real
     * fd is closed, so a new open that reuses the number installs cleanly. */
    f = atomic_exchange_explicit(s, NULL, memory_order_acq_rel);
    if (!f)
        return -EBADF;
    close(fd);
    mfd_file_put(f);
    return 0;
}

bool mfd_file_owned(int fd)
{
    slot_t *s = find_slot(fd);

    return s && atomic_load_explicit(s, memory_order_acquire) != NULL;
}

/* The real fd operations for a duplicate, as raw system calls: inside
 * libmockfd-preload.so the libc names dup3/fcntl/close resolve to the shim's
 * own intercepts, which would call back into the mock. */
static long sys_dup_to(int oldfd, int newfd)
{
    return newfd < 0 ? syscall(SYS_fcntl, oldfd, F_DUPFD_CLOEXEC, 0)
                     : syscall(SYS_dup3, oldfd, newfd, O_CLOEXEC);
}

int mockfd_dup_fd(int oldfd, int newfd)
{
    struct mfd_file *f = mfd_file_get(oldfd), *old;
    slot_t *s = NULL;
    long fd;

    if (oldfd < 0) {
        if (f)
            mfd_file_put(f);
        errno = EBADF;
        return -1;
    }
    if (newfd >= 0 && newfd == oldfd) {
        /* dup2(fd, fd): nothing to do once fd is known to be open */
        if (f) {
            mfd_file_put(f);
            return newfd;
        }
        return syscall(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
    }
    /* the slot first, so that nothing can fail once newfd was replaced */
    if (newfd >= 0 && f && !(s = make_slot(newfd))) {
        mfd_file_put(f);
        errno = ENOMEM;
        return -1;
    }
    fd = sys_dup_to(oldfd, newfd);
    if (fd < 0) {
        int e = errno;

        if (f)
            mfd_file_put(f);
        errno = e;
        return -1;
    }
    if (f && !s && !(s = make_slot((int)fd))) {
        syscall(SYS_close, fd);
        mfd_file_put(f);
        errno = ENOMEM;
        return -1;
    }
    /* the reference mfd_file_get took becomes the new slot's; a file that
     * held newfd lost its real fd to dup3 (the kernel closed it): drop the
     * table's reference it had there */
    if (f) {
        old = atomic_exchange_explicit(s, f, memory_order_acq_rel);
    } else {
        s = find_slot((int)fd);
        old = s ? atomic_exchange_explicit(s, NULL, memory_order_acq_rel) : NULL;
    }
    if (old)
        mfd_file_put(old);
    return (int)fd;
}

/* ---- the public entry points shared by every fd kind --------------------- */

bool mockfd_owns_fd(int fd)
{
    return mfd_file_owned(fd);
}

/* The syscall convention of the public mockfd_* calls: -1 + errno for a
 * negative errno, else the result. */
static long ret_errno_l(long rc)
{
    if (rc < 0) {
        errno = (int)-rc;
        return -1;
    }
    return rc;
}

static int ret_errno(long rc)
{
    return (int)ret_errno_l(rc);
}

int mfd_record_ioctl(int fd, unsigned long request, void *arg);   /* record.c */

int mockfd_ioctl(int fd, unsigned long request, void *arg)
{
    struct mfd_file *f;
    long rc;

    /* MOCKFD_RECORD (record.c): the recorder performs and logs the call */
    if ((rc = mfd_record_ioctl(fd, request, arg)) != -0x7fffffff)
        return (int)rc;
    f = mfd_file_get(fd);
    if (!f)
        return ret_errno(-EBADF);
    /* sys_ioctl() takes an unsigned int cmd: the upper bits are dropped. */
    rc = f->ops->ioctl ? f->ops->ioctl(f, (unsigned int)request, (unsigned long)(uintptr_t)arg)
                       : -ENOTTY;
    mfd_file_put(f);
    return ret_errno(rc);
}

int mockfd_close(int fd)
{
    return ret_errno(mfd_file_uninstall(fd));
}

long mockfd_read(int fd, void *buf, size_t count)
{
    struct mfd_file *f = mfd_file_get(fd);
    long rc;

    if (!f)
        return ret_errno_l(-EBADF);
    rc = f->ops->read ? f->ops->read(f, buf, count) : -EINVAL;
    mfd_file_put(f);
    return ret_errno_l(rc);
}

long mockfd_write(int fd, const void *buf, size_t count)
{
    struct mfd_file *f = mfd_file_get(fd);
    long rc;

    if (!f)
        return ret_errno_l(-EBADF);
    rc = f->ops->write ? f->ops->write(f, buf, count) : -EINVAL;
    mfd_file_put(f);
    return ret_errno_l(rc);
}
