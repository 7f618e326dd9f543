/* SPDX-License-Identifier: MIT */
/*
 * Memory emulation for the selftest ops (iommufd.md §8.2): what the kernel
 * gets from get_user_pages_fast + struct page, a userspace mock derives from
 * /proc/self/maps.
 *
 *  - Page identity (MD_CHECK_MAP, ACCESS_PAGES' EBADE check): two VAs are
 *    the same physical page if both are MAP_SHARED mappings of the same
 *    (device, inode) at the same file page (memfd, shmem, shared anonymous
 *    memory, which is shmem too), or if they are the same VA. So the
 *    selftest's mfd_buffer and the mock's private MAP_FILE mapping of that
 *    memfd compare equal.
 *  - Pin counts (MD_CHECK_REFS): pages.c counts pins per VA page; the pins
 *    of one physical page are the sum over every VA mapping it.
 *  - EFAULT: an address in no mapping is what get_user_pages_fast refuses.
 * Limits (docs/selftest.md): MAP_PRIVATE file pages are identified by VA
 * (COW state is invisible here); another process's mappings are unknown.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "selftest.h"

#define KPAGE 4096ull

struct vma {
    uint64_t start, end, off, dev, ino;
    bool shared, hugetlb;
};

struct mfd_st_maps {
    struct vma *v;
    size_t n;
};

static char *slurp(void)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

    if (!buf || fd < 0) {
        free(buf);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t r;

        if (cap - len < 4096) {
            char *n = realloc(buf, cap * 2);

            if (!n) {
                free(buf);
                close(fd);
                return NULL;
            }
            buf = n;
            cap *= 2;
        }
        r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

struct mfd_st_maps *mfd_st_maps_read(void)
{
    struct mfd_st_maps *m = calloc(1, sizeof(*m));
    char *buf = slurp(), *line, *save = NULL;
    size_t cap = 0;

    if (!m || !buf) {
        free(m);
        free(buf);
        return NULL;
    }
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long s, e, off, ino;
        unsigned maj, min;
        char perms[8];
        int pathpos = 0;
        struct vma *v;

        if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e, perms, &off, &maj, &min,
                   &ino, &pathpos) < 7)
            continue;
        if (m->n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct vma *nv = realloc(m->v, ncap * sizeof(*nv));

            if (!nv) {
                mfd_st_maps_free(m);
                free(buf);
                return NULL;
            }
            m->v = nv;
            cap = ncap;
        }
        v = &m->v[m->n++];
        v->start = s;
        v->end = e;
        v->off = off;
        v->dev = ((uint64_t)maj << 32) | min;
        v->ino = ino;
        v->shared = perms[3] == 's';
        v->hugetlb = pathpos && (strstr(line + pathpos, "anon_hugepage") ||
                                 strstr(line + pathpos, "hugepages"));
    }
    free(buf);
    return m;
}

void mfd_st_maps_free(struct mfd_st_maps *m)
{
    if (!m)
        return;
    free(m->v);
    free(m);
}

/* /proc/self/maps is sorted by address: binary search. */
static const struct vma *find(const struct mfd_st_maps *m, uint64_t va)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (va < m->v[mid].start)
            hi = mid;
        else if (va >= m->v[mid].end)
            lo = mid + 1;
        else
            return &m->v[mid];
    }
    return NULL;
}

int mfd_st_page_id(const struct mfd_st_maps *m, uint64_t uva, struct mfd_st_pgid *id)
{
    const struct vma *v = find(m, uva);

    if (!v)
        return -EFAULT;
    memset(id, 0, sizeof(*id));
    id->hugetlb = v->hugetlb;
    if (v->shared && v->ino) {
        id->dev = v->dev;
        id->ino = v->ino;
        id->off = (v->off + (uva - v->start)) & ~(KPAGE - 1);
    } else {
        id->off = uva & ~(KPAGE - 1);
    }
    return 0;
}

static bool same_id(const struct mfd_st_pgid *a, const struct mfd_st_pgid *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->off == b->off;
}

int mfd_st_same_page(const struct mfd_st_maps *m, uint64_t a, uint64_t b, bool *same)
{
    struct mfd_st_pgid ia, ib;
    int rc = mfd_st_page_id(m, a, &ia);

    if (rc)
        return rc;
    *same = !mfd_st_page_id(m, b, &ib) && same_id(&ia, &ib);
    return 0;
}

int mfd_st_pin_count(const struct mfd_st_maps *m, uint64_t uva, uint64_t *count)
{
    struct mfd_st_pgid id;
    int rc = mfd_st_page_id(m, uva, &id);

    if (rc)
        return rc;
    if (!id.ino) {
        *count = (uint64_t)mfd_pages_refs(uva & ~(KPAGE - 1));
        return 0;
    }
    /* every shared mapping of the same file page, this VA included */
    *count = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct vma *v = &m->v[i];

        if (!v->shared || v->dev != id.dev || v->ino != id.ino || id.off < v->off ||
            id.off - v->off >= v->end - v->start)
            continue;
        *count += (uint64_t)mfd_pages_refs(v->start + (id.off - v->off));
    }
    return 0;
}
