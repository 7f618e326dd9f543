/* SPDX-License-Identifier: MIT */
/*
 * iopt_pages: the memory behind an area, and its pinning (the kernel's
 * drivers/iommu/iommufd/pages.c, much reduced).
 *
 * The kernel pins user pages (pin_user_pages FOLL_LONGTERM, + FOLL_WRITE for
 * writable pages) only when something needs the PFNs: a domain or an access
 * (iommufd.md §4.5 "Pinning"). Pinning fails with EFAULT when a page is not
 * mapped, or not readable, or not writable for a write pin. A userspace mock
 * cannot pin, so it checks the same conditions against /proc/self/maps (never
 * by touching the memory) and keeps pin counts itself: per iopt_pages per page
 * (pins are taken once per iopt_pages however many domains use it), plus a
 * process-wide count per page that the selftest's MD_CHECK_REFS reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "io_pagetable.h"
#include "vmas.h"

#define TMPFS_MAGIC_ID     0x01021994u  /* shmem / memfd */
#define HUGETLBFS_MAGIC_ID 0x958458f6u

void *iopt_zalloc(size_t size)
{
    if (mfd_should_fail())
        return NULL;
    return calloc(1, size);
}

/* ---- process-wide pin counts -------------------------------------------- */

struct pin_ent {
    uint64_t pfn;
    uint64_t count;
    struct pin_ent *next;
};

#define PIN_BUCKETS (1u << 16)
static struct pin_ent *pin_tab[PIN_BUCKETS];
static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned pin_hash(uint64_t pfn)
{
    return (unsigned)((pfn * 0x9e3779b97f4a7c15ull) >> 48) & (PIN_BUCKETS - 1);
}

/* Caller holds pin_lock. */
static int pin_inc(uint64_t pfn)
{
    struct pin_ent **pp = &pin_tab[pin_hash(pfn)], *e;

    for (e = *pp; e; e = e->next) {
        if (e->pfn == pfn) {
            e->count++;
            return 0;
        }
    }
    e = iopt_zalloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->pfn = pfn;
    e->count = 1;
    e->next = *pp;
    *pp = e;
    return 0;
}

static void pin_dec(uint64_t pfn)
{
    struct pin_ent **pp = &pin_tab[pin_hash(pfn)], *e;

    for (; (e = *pp); pp = &e->next) {
        if (e->pfn == pfn) {
            if (--e->count == 0) {
                *pp = e->next;
                free(e);
            }
            return;
        }
    }
}

int mfd_pages_refs(uint64_t uva)
{
    uint64_t pfn = uva / MFD_PAGE_SIZE;
    struct pin_ent *e;
    int n = 0;

    pthread_mutex_lock(&pin_lock);
    for (e = pin_tab[pin_hash(pfn)]; e; e = e->next) {
        if (e->pfn == pfn) {
            n = (int)e->count;
            break;
        }
    }
    pthread_mutex_unlock(&pin_lock);
    return n;
}

/* ---- memory probe via /proc/self/maps (vmas.c) ------------------------- */

bool mfd_user_range_ok(uint64_t uva, uint64_t len, bool write)
{
    uint64_t gap;

    if (!len || uva + len - 1 < uva)
        return false;
    return !mfd_vmas_probe(uva, len, write, &gap) && gap == len;
}

/* ---- iopt_pages ---------------------------------------------------------------- */

static struct iopt_pages *alloc_pages(uint64_t start_byte, uint64_t length, bool writable,
                                      int *err)
{
    struct iopt_pages *p;

    /* pages.c iopt_alloc_pages: keeps DIV_ROUND_UP from overflowing. */
    if (length > UINT64_MAX - MFD_PAGE_SIZE || length == 0) {
        *err = -EINVAL;
        return NULL;
    }
    p = iopt_zalloc(sizeof(*p));
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    p->refs = 1;
    p->writable = writable;
    p->npages = (length + start_byte + MFD_PAGE_SIZE - 1) / MFD_PAGE_SIZE;
    return p;
}

struct iopt_pages *iopt_alloc_user_pages(uint64_t uptr, uint64_t length, bool writable,
                                         int *err)
{
    uint64_t down = uptr & ~(MFD_PAGE_SIZE - 1);
    struct iopt_pages *p;

    /* pages.c iopt_alloc_user_pages: overflow of uptr + length first. */
    if (uptr + length < uptr) {
        *err = -EOVERFLOW;
        return NULL;
    }
    p = alloc_pages(uptr - down, length, writable, err);
    if (!p)
        return NULL;
    p->type = IOPT_ADDRESS_USER;
    p->uptr = down;
    return p;
}

/*
 * MAP_FILE (iommufd.md §4.5 step 5): a memfd/shmem or hugetlbfs file. The
 * mock maps the file range privately-shared into its own address space so
 * the identity "physical address" of each page is a host VA (domain.h).
 */
struct iopt_pages *iopt_alloc_file_pages(int fd, uint64_t start, uint64_t length,
                                         bool writable, int *err)
{
    uint64_t down = start & ~(MFD_PAGE_SIZE - 1), map_len;
    struct iopt_pages *p;
    struct statfs sfs;
    struct stat st;
    int fl;
    void *m;

    fl = fcntl(fd, F_GETFL);
    if (fl < 0) {
        *err = -EBADF;
        return NULL;
    }
    if (fstatfs(fd, &sfs) || ((uint32_t)sfs.f_type != TMPFS_MAGIC_ID &&
                              (uint32_t)sfs.f_type != HUGETLBFS_MAGIC_ID) ||
        fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        *err = -EINVAL;
        return NULL;
    }
    if (!length || start + length < start || start + length > (uint64_t)st.st_size) {
        *err = -EINVAL;
        return NULL;
    }
    /* A writable mapping of a file not opened for writing: EPERM, as the
     * FMODE_WRITE check of newer kernels (iommufd.md §9 last row). */
    if (writable && (fl & O_ACCMODE) == O_RDONLY) {
        *err = -EPERM;
        return NULL;
    }
    p = alloc_pages(start - down, length, writable, err);
    if (!p)
        return NULL;
    map_len = p->npages * MFD_PAGE_SIZE;
    m = mmap(NULL, map_len, PROT_READ | ((fl & O_ACCMODE) != O_RDONLY ? PROT_WRITE : 0),
             MAP_SHARED, fd, (off_t)down);
    if (m == MAP_FAILED) {
        free(p);
        *err = errno == ENOMEM ? -ENOMEM : -EINVAL;
        return NULL;
    }
    p->type = IOPT_ADDRESS_FILE;
    p->file_map = m;
    p->file_map_len = map_len;
    p->file_start = down;
    p->uptr = (uint64_t)(uintptr_t)m;
    return p;
}

void iopt_put_pages(struct iopt_pages *p)
{
    if (!p || --p->refs > 0)
        return;
    if (p->npinned && p->pin_users) {
        /* Every area unpins before it drops its reference; this is only a
         * safety net so that no pin ever outlives its pages. */
        uint64_t left = p->npinned;

        pthread_mutex_lock(&pin_lock);
        for (uint64_t i = 0; i < p->npages && left; i++)
            if (p->pin_users[i]) {
                pin_dec(p->uptr / MFD_PAGE_SIZE + i);
                left--;
            }
        pthread_mutex_unlock(&pin_lock);
    }
    free(p->pin_users);
    if (p->file_map)
        munmap(p->file_map, p->file_map_len);
    free(p);
}

int iopt_pages_pin(struct iopt_pages *p, uint64_t first, uint64_t last)
{
    uint64_t i;
    int rc = 0;

    if (last >= p->npages || first > last)
        return -EINVAL;
    /* Probe the whole range against the VMA list once, before anything that
     * scales with its size: GUP fails EFAULT at the first page it cannot pin
     * (iommufd.md §4.5), and a huge never-mapped range (MAP accepts it
     * lazily) must fail at once. Already pinned pages stay valid even if the
     * user unmapped them meanwhile, as with real long-term pins, so a gap is
     * skipped only over pages this iopt_pages holds pinned. */
    if (p->type == IOPT_ADDRESS_USER) {
        uint64_t cur = first;

        while (cur <= last) {
            uint64_t len = (last - cur + 1) * MFD_PAGE_SIZE, gap;

            /* only the VMAs of the range, not a snapshot of all (vmas.h) */
            if (mfd_vmas_probe(p->uptr + cur * MFD_PAGE_SIZE, len, p->writable, &gap))
                return -ENOMEM;
            if (gap == len)
                break;
            cur += gap / MFD_PAGE_SIZE;
            if (!p->npinned || !p->pin_users[cur])
                return -EFAULT;
            while (cur <= last && p->pin_users[cur])   /* pinned pages only */
                cur++;
        }
    }
    if (!p->pin_users) {
        p->pin_users = iopt_zalloc(p->npages * sizeof(*p->pin_users));
        if (!p->pin_users)
            return -ENOMEM;
    }
    pthread_mutex_lock(&pin_lock);
    for (i = first; i <= last; i++) {
        if (p->pin_users[i] == 0) {
            rc = pin_inc(p->uptr / MFD_PAGE_SIZE + i);
            if (rc)
                break;
            p->npinned++;
        }
        p->pin_users[i]++;
    }
    if (rc) {
        /* Undo [first, i). */
        while (i-- > first) {
            if (--p->pin_users[i] == 0) {
                pin_dec(p->uptr / MFD_PAGE_SIZE + i);
                p->npinned--;
            }
        }
    }
    pthread_mutex_unlock(&pin_lock);
    return rc;
}

void iopt_pages_unpin(struct iopt_pages *p, uint64_t first, uint64_t last)
{
    if (!p->pin_users || !p->npinned || last >= p->npages)
        return;
    pthread_mutex_lock(&pin_lock);
    for (uint64_t i = first; i <= last; i++) {
        if (p->pin_users[i] && --p->pin_users[i] == 0) {
            pin_dec(p->uptr / MFD_PAGE_SIZE + i);
            p->npinned--;
        }
    }
    pthread_mutex_unlock(&pin_lock);
}
