/* SPDX-License-Identifier: MIT */
/*
 * Guest-physical memory (contract.md §1, emu_mem_*).
 *
 * Regions live in one array sorted by gpa and never overlap, so a lookup is a
 * binary search; a "last hit" hint makes the common case (a model walking
 * one table, a DMA streaming into one buffer) a single range compare.
 *
 * Concurrency: the mock pins user pages (map) on one thread while another
 * thread does DMA (read/write/cmpxchg). Every accessor holds the rwlock for
 * reading for the whole copy, so once emu_mem_unmap() returns no copy into or
 * out of the removed range is still running and the caller may free/unmap its
 * host memory. The lock prefers writers so a stream of DMA cannot starve a
 * map/unmap. No accessor takes the lock recursively.
 *
 * Choices the contract leaves open (documented here):
 *  - gpa + len must not reach 2^64 (the sum must not wrap): else -EINVAL.
 *  - emu_mem_unmap(gpa, len) removes any range all of whose bytes are mapped,
 *    even if it spans several adjacent regions; partially covered regions are
 *    trimmed or split in two. Misaligned/zero/overflowing range -> -EINVAL;
 *    any byte of it unmapped -> -ENOENT, and nothing changes.
 *  - A zero-length read/write touches nothing and returns 0.
 *  - emu_mem_read64/write64 accept any alignment; aligned words are accessed
 *    with a single atomic load/store so they never tear against a concurrent
 *    emu_mem_cmpxchg64 (hardware A/D updates are atomic, vtd.md §7).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu_internal.h"

#define PAGE_MASK_4K 4095ull

struct region {
    uint64_t gpa, len;
    uint8_t *host;
    bool own;            /* backing is our own anonymous mmap */
};

struct emu_mem {
    pthread_rwlock_t lock;
    struct region *r;    /* sorted by gpa, disjoint */
    size_t n, cap;
    size_t hint;         /* index of the last region hit (racy hint, checked) */
};

static inline uint64_t le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

struct emu_mem *emu_mem_new(void)
{
    struct emu_mem *m = calloc(1, sizeof(*m));
    pthread_rwlockattr_t at;

    if (!m)
        return NULL;
    pthread_rwlockattr_init(&at);
    pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (pthread_rwlock_init(&m->lock, &at)) {
        pthread_rwlockattr_destroy(&at);
        free(m);
        return NULL;
    }
    pthread_rwlockattr_destroy(&at);
    return m;
}

static void release(struct region *r, uint64_t off, uint64_t len)
{
    if (r->own)
        munmap(r->host + off, len);
}

void emu_mem_free(struct emu_mem *mem)
{
    if (!mem)
        return;
    for (size_t i = 0; i < mem->n; i++)
        release(&mem->r[i], 0, mem->r[i].len);
    free(mem->r);
    pthread_rwlock_destroy(&mem->lock);
    free(mem);
}

/* Index of the last region with gpa <= addr, or -1. Caller holds the lock. */
static ptrdiff_t floor_idx(const struct emu_mem *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->r[mid].gpa <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

/* Region containing addr, or -1. Tries the last-hit hint first. */
static ptrdiff_t find(struct emu_mem *m, uint64_t addr)
{
    size_t h = __atomic_load_n(&m->hint, __ATOMIC_RELAXED);
    ptrdiff_t i;

    if (h < m->n && addr - m->r[h].gpa < m->r[h].len)
        return (ptrdiff_t)h;
    i = floor_idx(m, addr);
    if (i < 0 || addr - m->r[i].gpa >= m->r[i].len)
        return -1;
    __atomic_store_n(&m->hint, (size_t)i, __ATOMIC_RELAXED);
    return i;
}

/*
 * Check that every byte of [gpa, gpa+len) is mapped; return the index of the
 * first region or -1. Adjacent regions are contiguous in gpa but not in host
 * memory, so the copy loops below walk regions too.
 */
static ptrdiff_t check_range(struct emu_mem *m, uint64_t gpa, size_t len)
{
    ptrdiff_t first = find(m, gpa), i = first;
    uint64_t addr = gpa, left = len;

    if (first < 0)
        return -1;
    for (;;) {
        const struct region *r = &m->r[i];
        uint64_t avail = r->len - (addr - r->gpa);

        if (left <= avail)
            return first;
        left -= avail;
        addr = r->gpa + r->len;     /* never wraps: map rejects gpa+len >= 2^64 */
        if ((size_t)++i >= m->n || m->r[i].gpa != addr)
            return -1;
    }
}

static void copy_range(struct emu_mem *m, ptrdiff_t i, uint64_t gpa, uint8_t *buf,
                       size_t len, bool write)
{
    while (len) {
        struct region *r = &m->r[i++];
        uint64_t off = gpa - r->gpa;
        size_t n = r->len - off < len ? (size_t)(r->len - off) : len;

        if (write)
            memcpy(r->host + off, buf, n);
        else
            memcpy(buf, r->host + off, n);
        buf += n;
        gpa += n;
        len -= n;
    }
}

static int access_range(struct emu_mem *mem, uint64_t gpa, void *buf, size_t len, bool write)
{
    ptrdiff_t i;
    int rc = 0;

    if (!mem || (len && !buf))
        return -EINVAL;
    if (!len)
        return 0;
    if (gpa + len - 1 < gpa)
        return -EFAULT;
    pthread_rwlock_rdlock(&mem->lock);
    i = find(mem, gpa);
    if (i >= 0 && len <= mem->r[i].len - (gpa - mem->r[i].gpa)) {
        /* Fast path: the whole access lies in one region. */
        uint8_t *h = mem->r[i].host + (gpa - mem->r[i].gpa);
        if (write)
            memcpy(h, buf, len);
        else
            memcpy(buf, h, len);
    } else if (i >= 0 && (i = check_range(mem, gpa, len)) >= 0) {
        copy_range(mem, i, gpa, buf, len, write);
    } else {
        rc = -EFAULT;
    }
    pthread_rwlock_unlock(&mem->lock);
    return rc;
}

int emu_mem_read(struct emu_mem *mem, uint64_t gpa, void *dst, size_t len)
{
    return access_range(mem, gpa, dst, len, false);
}

int emu_mem_write(struct emu_mem *mem, uint64_t gpa, const void *src, size_t len)
{
    return access_range(mem, gpa, (void *)src, len, true);
}

int emu_mem_read64(struct emu_mem *mem, uint64_t gpa, uint64_t *val)
{
    ptrdiff_t i;
    uint64_t v;

    if (!mem || !val)
        return -EINVAL;
    if (gpa & 7) {
        int rc = access_range(mem, gpa, &v, 8, false);
        if (!rc)
            *val = le64(v);
        return rc;
    }
    pthread_rwlock_rdlock(&mem->lock);
    i = find(mem, gpa);     /* aligned: 8 bytes never cross a 4K-aligned region end */
    if (i < 0) {
        pthread_rwlock_unlock(&mem->lock);
        return -EFAULT;
    }
    v = __atomic_load_n((uint64_t *)(void *)(mem->r[i].host + (gpa - mem->r[i].gpa)),
                        __ATOMIC_RELAXED);
    pthread_rwlock_unlock(&mem->lock);
    *val = le64(v);
    return 0;
}

int emu_mem_write64(struct emu_mem *mem, uint64_t gpa, uint64_t val)
{
    ptrdiff_t i;

    if (!mem)
        return -EINVAL;
    val = le64(val);
    if (gpa & 7)
        return access_range(mem, gpa, &val, 8, true);
    pthread_rwlock_rdlock(&mem->lock);
    i = find(mem, gpa);
    if (i < 0) {
        pthread_rwlock_unlock(&mem->lock);
        return -EFAULT;
    }
    __atomic_store_n((uint64_t *)(void *)(mem->r[i].host + (gpa - mem->r[i].gpa)), val,
                     __ATOMIC_RELAXED);
    pthread_rwlock_unlock(&mem->lock);
    return 0;
}

int emu_mem_cmpxchg64(struct emu_mem *mem, uint64_t gpa, uint64_t *expected, uint64_t desired)
{
    ptrdiff_t i;
    uint64_t exp;
    bool ok;

    if (!mem || !expected || (gpa & 7))
        return -EINVAL;
    exp = le64(*expected);
    pthread_rwlock_rdlock(&mem->lock);
    i = find(mem, gpa);
    if (i < 0) {
        pthread_rwlock_unlock(&mem->lock);
        return -EFAULT;
    }
    /* Host pointer is 8-aligned: regions are 4K-aligned in gpa and host. */
    ok = __atomic_compare_exchange_n((uint64_t *)(void *)(mem->r[i].host + (gpa - mem->r[i].gpa)),
                                     &exp, le64(desired), false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
    pthread_rwlock_unlock(&mem->lock);
    *expected = le64(exp);
    return ok ? 1 : 0;
}

void *emu_mem_ptr(struct emu_mem *mem, uint64_t gpa, size_t len)
{
    ptrdiff_t i;
    void *p = NULL;

    if (!mem)
        return NULL;
    if (len && gpa + len - 1 < gpa)
        return NULL;
    pthread_rwlock_rdlock(&mem->lock);
    i = find(mem, gpa);
    if (i >= 0 && len <= mem->r[i].len - (gpa - mem->r[i].gpa))
        p = mem->r[i].host + (gpa - mem->r[i].gpa);
    pthread_rwlock_unlock(&mem->lock);
    return p;
}

static bool range_ok(uint64_t gpa, uint64_t len)
{
    /* contract.md §1: page aligned, non-zero, no overflow (gpa + len < 2^64). */
    return len && !(gpa & PAGE_MASK_4K) && !(len & PAGE_MASK_4K) && gpa + len > gpa;
}

/* Make room for `more` extra regions. Caller holds the write lock. */
static int reserve(struct emu_mem *m, size_t more)
{
    size_t want = m->n + more, ncap;
    struct region *nr;

    if (want <= m->cap)
        return 0;
    ncap = m->cap ? m->cap * 2 : 16;
    while (ncap < want)
        ncap *= 2;
    nr = realloc(m->r, ncap * sizeof(*nr));
    if (!nr)
        return -ENOMEM;
    m->r = nr;
    m->cap = ncap;
    return 0;
}

int emu_mem_map(struct emu_mem *mem, uint64_t gpa, uint64_t len, void *host)
{
    uint8_t *backing = host;
    ptrdiff_t i;
    size_t pos;
    int rc;

    if (!mem || !range_ok(gpa, len) || ((uintptr_t)host & PAGE_MASK_4K))
        return -EINVAL;
    if (len > SIZE_MAX)
        return -ENOMEM;
    if (!host) {
        /* NORESERVE + lazily-zeroed anonymous pages: a sparse 1 TiB guest costs nothing. */
        void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return -ENOMEM;
        backing = p;
    }
    pthread_rwlock_wrlock(&mem->lock);
    i = floor_idx(mem, gpa);
    pos = (size_t)(i + 1);
    if ((i >= 0 && gpa - mem->r[i].gpa < mem->r[i].len) ||
        (pos < mem->n && mem->r[pos].gpa < gpa + len)) {
        rc = -EEXIST;
        goto fail;
    }
    rc = reserve(mem, 1);
    if (rc)
        goto fail;
    memmove(&mem->r[pos + 1], &mem->r[pos], (mem->n - pos) * sizeof(*mem->r));
    mem->r[pos] = (struct region){ .gpa = gpa, .len = len, .host = backing, .own = !host };
    mem->n++;
    pthread_rwlock_unlock(&mem->lock);
    return 0;
fail:
    pthread_rwlock_unlock(&mem->lock);
    if (!host)
        munmap(backing, (size_t)len);
    return rc;
}

int emu_mem_unmap(struct emu_mem *mem, uint64_t gpa, uint64_t len)
{
    ptrdiff_t first;
    size_t i, last, extra = 0;
    uint64_t end = gpa + len;
    int rc = 0;

    if (!mem || !range_ok(gpa, len))
        return -EINVAL;
    pthread_rwlock_wrlock(&mem->lock);
    first = check_range(mem, gpa, (size_t)len);
    if (first < 0) {
        rc = -ENOENT;
        goto out;
    }
    /* Regions first..last are touched; only a single region punched in the middle splits. */
    last = (size_t)first;
    while (mem->r[last].gpa + mem->r[last].len < end)
        last++;
    if (last == (size_t)first && mem->r[first].gpa < gpa &&
        end < mem->r[first].gpa + mem->r[first].len)
        extra = 1;
    rc = reserve(mem, extra);   /* the only failure point: before any change */
    if (rc)
        goto out;
    if (extra) {
        struct region *r = &mem->r[first];
        struct region tail = { .gpa = end, .len = r->gpa + r->len - end,
                               .host = r->host + (end - r->gpa), .own = r->own };

        release(r, gpa - r->gpa, len);
        r->len = gpa - r->gpa;
        memmove(&mem->r[first + 2], &mem->r[first + 1],
                (mem->n - (size_t)first - 1) * sizeof(*mem->r));
        mem->r[first + 1] = tail;
        mem->n++;
        goto out;
    }
    {
        size_t keep_lo = (size_t)first, keep_hi = last + 1, k;

        for (i = (size_t)first; i <= last; i++) {
            struct region *r = &mem->r[i];
            uint64_t lo = gpa > r->gpa ? gpa : r->gpa;
            uint64_t hi = end < r->gpa + r->len ? end : r->gpa + r->len;

            release(r, lo - r->gpa, hi - lo);
            if (lo > r->gpa) {              /* head survives */
                r->len = lo - r->gpa;
                keep_lo = i + 1;
            } else if (hi < r->gpa + r->len) { /* tail survives */
                r->host += hi - r->gpa;
                r->len = r->gpa + r->len - hi;
                r->gpa = hi;
                keep_hi = i;
            }
        }
        /* Drop the fully removed regions [keep_lo, keep_hi). */
        if (keep_hi > keep_lo) {
            k = keep_hi - keep_lo;
            memmove(&mem->r[keep_lo], &mem->r[keep_hi], (mem->n - keep_hi) * sizeof(*mem->r));
            mem->n -= k;
        }
    }
out:
    __atomic_store_n(&mem->hint, 0, __ATOMIC_RELAXED);
    pthread_rwlock_unlock(&mem->lock);
    return rc;
}
