/* SPDX-License-Identifier: MIT */
/*
 * mmap of the iommufd fd (iommufd.md §2 "mmap", 6.17+; the kernel's
 * iommufd_ctx_alloc_mmap and iommufd_fops_mmap in main.c).
 *
 * A region is backed by a memfd, so every mmap of it shares the contents
 * (the kernel maps the same physical pages with remap_pfn_range). A live
 * mapping holds a user on the region's owner (IOMMU_DESTROY of the vIOMMU is
 * EBUSY until munmap) and a reference on the iommufd file (the vma's
 * vm_file), so closing the fd first only destroys the objects at munmap.
 *
 * mmap is not an ioctl: the registry has its own lock. Order: ctx->lock ->
 * reg_lock; munmap never holds reg_lock while taking a ctx->lock.
 * The real mmap/munmap are raw system calls: with the LD_PRELOAD shim the
 * mmap/munmap symbols are the shim's own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../mockfd_ext.h"
#include "viommu_mmap.h"

struct mfd_mmap_region {
    struct mfd_ctx *ctx;
    struct mfd_obj *owner;
    uint64_t offset, length;
    int memfd;
    struct mfd_mmap_region *next;
};

struct mapping {
    uintptr_t addr;
    uint64_t len;
    uint8_t *live;                   /* per page: still mapped */
    uint64_t nlive;
    struct mfd_ctx *ctx;
    struct mfd_obj *owner;
    struct mfd_file *file;           /* the iommufd file, referenced */
    struct mapping *next;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mfd_mmap_region *regions;
static struct mapping *mappings;
static atomic_uint nmappings;

static uint64_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);

    return p > 0 ? (uint64_t)p : 4096;
}

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int sys_munmap(void *addr, size_t len)
{
    return (int)syscall(SYS_munmap, addr, len);
}

/* ---- regions ----------------------------------------------------------------- */

int mfd_mmap_region_add(struct mfd_ctx *ctx, struct mfd_obj *owner, unsigned npages,
                        struct mfd_mmap_region **out)
{
    uint64_t pg = page_size(), len = (uint64_t)npages * pg, cand = pg;
    struct mfd_mmap_region *r, *it;
    bool moved;

    if (mfd_should_fail())
        return -ENOMEM;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->memfd = memfd_create("iommufd-mmap", MFD_CLOEXEC);
    if (r->memfd < 0 || ftruncate(r->memfd, (off_t)len)) {
        if (r->memfd >= 0)
            close(r->memfd);
        free(r);
        return -ENOMEM;
    }
    pthread_mutex_lock(&reg_lock);
    /* mtree_alloc_range(.., PAGE_SIZE, ULONG_MAX): lowest free start */
    do {
        moved = false;
        for (it = regions; it; it = it->next) {
            if (it->ctx != ctx)
                continue;
            if (cand < it->offset + it->length && it->offset < cand + len) {
                cand = it->offset + it->length;
                moved = true;
            }
        }
    } while (moved);
    r->ctx = ctx;
    r->owner = owner;
    r->offset = cand;
    r->length = len;
    r->next = regions;
    regions = r;
    pthread_mutex_unlock(&reg_lock);
    *out = r;
    return 0;
}

void mfd_mmap_region_del(struct mfd_mmap_region *r)
{
    struct mfd_mmap_region **pp;

    pthread_mutex_lock(&reg_lock);
    for (pp = &regions; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    close(r->memfd);
    free(r);
}

void mfd_mmap_region_write(struct mfd_mmap_region *r, uint64_t off, const void *src, size_t len)
{
    if (off + len <= r->length)
        (void)!pwrite(r->memfd, src, len, (off_t)off);
}

uint64_t mfd_mmap_region_offset(const struct mfd_mmap_region *r) { return r->offset; }
uint64_t mfd_mmap_region_length(const struct mfd_mmap_region *r) { return r->length; }

/* ---- mmap / munmap ---------------------------------------------------------------- */

static void *fail(int err)
{
    errno = err;
    return MAP_FAILED;
}

void *mockfd_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    uint64_t pg = page_size(), alen;
    struct mfd_mmap_region *r;
    struct mapping *m = NULL;
    struct mfd_file *f;
    struct mfd_ctx *ctx;
    void *p;
    int type = flags & MAP_TYPE, mfd = -1, err;

    f = mfd_file_get(fd);
    if (!f)
        return fail(EBADF);
    /* do_mmap's generic checks come first (mmap(2)) */
    if (!len || (off & (off_t)(pg - 1)) || off < 0) {
        err = EINVAL;
        goto out_put;
    }
    alen = ((uint64_t)len + pg - 1) & ~(pg - 1);
    if (alen < len) {
        err = ENOMEM;
        goto out_put;
    }
    if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE && type != MAP_PRIVATE) {
        err = EINVAL;
        goto out_put;
    }
    ctx = mfd_ctx_from_file(f);
    if (!ctx) {
        /* fault, vEVENTQ, access and device files have no mmap */
        err = ENODEV;
        goto out_put;
    }
    /* iommufd_fops_mmap: the vma length is page-aligned by mmap(2), so its
     * "!PAGE_ALIGNED(length) -> EINVAL" cannot trigger from userspace */
    if (type == MAP_PRIVATE) {
        err = EINVAL;
        goto out_put;
    }
    if (prot & PROT_EXEC) {
        err = EPERM;
        goto out_put;
    }
    pthread_mutex_lock(&ctx->lock);
    pthread_mutex_lock(&reg_lock);
    for (r = regions; r; r = r->next)
        if (r->ctx == ctx && (uint64_t)off >= r->offset && (uint64_t)off < r->offset + r->length)
            break;
    /* mtree_load finds the region containing off; only the exact window */
    if (!r || (uint64_t)off != r->offset || alen != r->length) {
        pthread_mutex_unlock(&reg_lock);
        pthread_mutex_unlock(&ctx->lock);
        err = ENXIO;
        goto out_put;
    }
    mfd = dup(r->memfd);
    if (mfd >= 0)
        mfd_obj_ref(r->owner);
    m = calloc(1, sizeof(*m));
    if (m)
        m->live = calloc(alen / pg, 1);
    pthread_mutex_unlock(&reg_lock);
    if (mfd < 0 || !m || !m->live) {
        if (mfd >= 0)
            mfd_obj_unref(r->owner);
        pthread_mutex_unlock(&ctx->lock);
        err = ENOMEM;
        goto out_free;
    }
    m->owner = r->owner;
    pthread_mutex_unlock(&ctx->lock);
    p = sys_mmap(addr, alen, prot, flags, mfd, 0);
    err = errno;
    close(mfd);
    mfd = -1;
    if (p == MAP_FAILED) {
        pthread_mutex_lock(&ctx->lock);
        mfd_obj_unref(m->owner);
        pthread_mutex_unlock(&ctx->lock);
        goto out_free;
    }
    m->addr = (uintptr_t)p;
    m->len = alen;
    m->nlive = alen / pg;
    memset(m->live, 1, m->nlive);
    m->ctx = ctx;
    m->file = f;                     /* the mapping keeps the file */
    pthread_mutex_lock(&reg_lock);
    m->next = mappings;
    mappings = m;
    atomic_fetch_add(&nmappings, 1);
    pthread_mutex_unlock(&reg_lock);
    return p;
out_free:
    if (m)
        free(m->live);
    free(m);
    if (mfd >= 0)
        close(mfd);
out_put:
    mfd_file_put(f);
    return fail(err);
}

bool mockfd_mmap_tracked(const void *addr, size_t len)
{
    (void)addr;
    (void)len;
    return atomic_load_explicit(&nmappings, memory_order_acquire) != 0;
}

int mockfd_munmap(void *addr, size_t len)
{
    uint64_t pg = page_size(), start = (uintptr_t)addr, end;
    struct mapping **pp, *m, *drop = NULL;
    int rc;

    pthread_mutex_lock(&reg_lock);
    rc = sys_munmap(addr, len);
    if (rc) {
        pthread_mutex_unlock(&reg_lock);
        return -1;
    }
    end = start + (((uint64_t)len + pg - 1) & ~(pg - 1));
    for (pp = &mappings; (m = *pp);) {
        uint64_t s = start > m->addr ? start : m->addr;
        uint64_t e = end < m->addr + m->len ? end : m->addr + m->len;

        for (uint64_t a = s; a < e; a += pg) {
            uint64_t i = (a - m->addr) / pg;

            if (m->live[i]) {
                m->live[i] = 0;
                m->nlive--;
            }
        }
        if (s < e && !m->nlive) {
            /* the whole mapping is gone: vm_ops close */
            *pp = m->next;
            m->next = drop;
            drop = m;
            atomic_fetch_sub(&nmappings, 1);
            continue;
        }
        pp = &m->next;
    }
    pthread_mutex_unlock(&reg_lock);
    while ((m = drop)) {
        drop = m->next;
        pthread_mutex_lock(&m->ctx->lock);
        mfd_obj_unref(m->owner);
        pthread_mutex_unlock(&m->ctx->lock);
        mfd_file_put(m->file);
        free(m->live);
        free(m);
    }
    return 0;
}
