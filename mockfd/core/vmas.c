/* SPDX-License-Identifier: MIT */
/*
 * /proc/self/maps snapshot (vmas.h): read once, parsed into a sorted array,
 * looked up by binary search.
 */
#include "vmas.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define VMA_PAGE 4096ull

/* The whole file in one buffer: procfs builds each read() from the live
 * VMA list, so a short buffer would split the snapshot. */
static char *slurp(void)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int fd;

    if (!buf)
        return NULL;
    fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        free(buf);
        return NULL;
    }
    for (;;) {
        ssize_t r;

        if (cap - len < 4096) {
            char *nb = realloc(buf, cap * 2);

            if (!nb) {
                free(buf);
                close(fd);
                return NULL;
            }
            buf = nb;
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

/* "start-end perms offset major:minor inode [path]" (proc(5)). */
static bool parse_line(char *line, struct mfd_vma *v)
{
    unsigned long long s, e, off, ino;
    unsigned maj, min;
    char perms[8];
    int pathpos = 0;
    const char *path;

    if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e, perms, &off, &maj, &min, &ino,
               &pathpos) < 7)
        return false;
    path = pathpos ? line + pathpos : "";
    *v = (struct mfd_vma){
        .start = s,
        .end = e,
        .off = off,
        .dev = ((uint64_t)maj << 32) | min,
        .ino = ino,
        .read = perms[0] == 'r',
        .write = perms[1] == 'w',
        .shared = perms[3] == 's',
        .hugetlb = strstr(path, "anon_hugepage") || strstr(path, "hugepages"),
        .special = strstr(path, "[vvar") || strstr(path, "[vsyscall]"),
    };
    return true;
}

struct mfd_vmas *mfd_vmas_load(void)
{
    struct mfd_vmas *vs = calloc(1, sizeof(*vs));
    char *buf = slurp(), *line, *save = NULL;
    size_t cap = 0;

    if (!vs || !buf) {
        free(vs);
        free(buf);
        return NULL;
    }
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct mfd_vma v;

        if (!parse_line(line, &v))
            continue;
        if (vs->n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct mfd_vma *nv = realloc(vs->v, ncap * sizeof(*nv));

            if (!nv) {
                mfd_vmas_free(vs);
                free(buf);
                return NULL;
            }
            vs->v = nv;
            cap = ncap;
        }
        vs->v[vs->n++] = v;
    }
    free(buf);
    return vs;
}

void mfd_vmas_free(struct mfd_vmas *vs)
{
    if (!vs)
        return;
    free(vs->v);
    free(vs);
}

/* Index of the first VMA ending above va (n if none). */
static size_t lower(const struct mfd_vmas *vs, uint64_t va)
{
    size_t lo = 0, hi = vs->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (vs->v[mid].end <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct mfd_vma *mfd_vmas_find(const struct mfd_vmas *vs, uint64_t va)
{
    size_t i = lower(vs, va);

    return i < vs->n && vs->v[i].start <= va ? &vs->v[i] : NULL;
}

/* mm/gup.c check_vma_flags: no VM_READ fails a read pin, no VM_WRITE a write
 * pin (EFAULT); VM_IO/VM_PFNMAP cannot be pinned; a hole fails. One pass
 * from the first VMA that matters, whatever the range's size. */
uint64_t mfd_vmas_first_gap(const struct mfd_vmas *vs, uint64_t uva, uint64_t len, bool write)
{
    uint64_t cur = uva, last = uva + len - 1;

    for (size_t i = lower(vs, uva); i < vs->n; i++) {
        const struct mfd_vma *m = &vs->v[i];

        if (m->start > cur || !m->read || (write && !m->write) || m->special)
            break;
        if (m->end - 1 >= last)
            return len;
        cur = m->end;
    }
    return cur - uva;
}

int mfd_vmas_ident(const struct mfd_vmas *vs, uint64_t va, bool shared_only,
                   struct mfd_page_ident *out)
{
    const struct mfd_vma *m = mfd_vmas_find(vs, va);
    uint64_t pg = va & ~(VMA_PAGE - 1);

    if (!m)
        return -EFAULT;
    if (m->ino && (m->shared || !shared_only))
        *out = (struct mfd_page_ident){ m->dev, m->ino, m->off + (pg - m->start) };
    else
        *out = (struct mfd_page_ident){ 0, 0, pg };
    return 0;
}

/* PROCMAP_QUERY (uapi linux/fs.h, Linux 6.11; defined here because the
 * installed headers may predate it): one VMA of the maps file's mm by
 * address, with the same fields a maps line shows. */
struct procmap_q {
    uint64_t size, query_flags, query_addr;
    uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_Q _IOWR('f', 17, struct procmap_q)
#define PQ_READABLE 0x01u
#define PQ_WRITABLE 0x02u

/* Set once a kernel says it has no PROCMAP_QUERY: snapshots from then on. */
static _Atomic int no_query;

/* The VMA covering va: 1 found, 0 none (a hole), -ENOTTY no PROCMAP_QUERY,
 * -ENOMEM another failure. *special as parse_line's. */
static int query_one(int fd, uint64_t va, struct procmap_q *q, bool *special)
{
    char name[4096];   /* PATH_MAX: a longer name is ENAMETOOLONG */

    *special = false;
    *q = (struct procmap_q){ .size = sizeof(*q), .query_addr = va,
                             .vma_name_addr = (uintptr_t)name, .vma_name_size = sizeof(name) };
    if (!ioctl(fd, PROCMAP_Q, q)) {
        *special = q->vma_name_size &&
                   (!strncmp(name, "[vvar", 5) || !strcmp(name, "[vsyscall]"));
        return 1;
    }
    if (errno == ENAMETOOLONG) {
        /* a file path longer than PATH_MAX: not one of the special names */
        *q = (struct procmap_q){ .size = sizeof(*q), .query_addr = va };
        if (!ioctl(fd, PROCMAP_Q, q))
            return 1;
    }
    if (errno == ENOENT)
        return 0;
    return (errno == ENOTTY || errno == EINVAL) ? -ENOTTY : -ENOMEM;
}

/* mfd_vmas_first_gap's walk, one query per VMA of the range. */
static int query_gap(int fd, uint64_t uva, uint64_t len, bool write, uint64_t *gap)
{
    uint64_t cur = uva, last = uva + len - 1;

    for (;;) {
        struct procmap_q q;
        bool special;
        int rc = query_one(fd, cur, &q, &special);

        if (rc < 0)
            return rc;
        if (!rc || q.vma_start > cur || !(q.vma_flags & PQ_READABLE) ||
            (write && !(q.vma_flags & PQ_WRITABLE)) || special)
            break;
        if (q.vma_end - 1 >= last) {
            *gap = len;
            return 0;
        }
        cur = q.vma_end;
    }
    *gap = cur - uva;
    return 0;
}

/* The maps fd PROCMAP_QUERY goes through, opened once per process. A
 * /proc/<pid>/maps fd names the mm of the process that opened it, so the
 * cache is keyed by pid (a fork()ed child opens its own), and the file is
 * identified by (st_dev, st_ino) before each use: the fd is the library's,
 * but its user can close it or dup2() over it (closefrom() before exec, a
 * daemon closing stray fds). A number that no longer holds our file is
 * abandoned, never closed: it may be the user's now. Opening per probe cost
 * an open + close (a procfs path walk, ~3 us) on every IOAS_MAP. */
struct maps_fd {
    int fd;
    pid_t pid;
    dev_t dev;
    ino_t ino;
};
static struct maps_fd maps_cache = { .fd = -1 };
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

static bool maps_fd_ours(const struct maps_fd *m)
{
    struct stat st;

    return m->fd >= 0 && !fstat(m->fd, &st) && st.st_dev == m->dev && st.st_ino == m->ino;
}

/* Called with maps_lock held: the cached fd, reopened if it went stale;
 * -1 if /proc/self/maps cannot be opened. */
static int maps_fd_get(void)
{
    pid_t pid = getpid();
    struct stat st;
    int fd;

    if (maps_cache.pid == pid && maps_fd_ours(&maps_cache))
        return maps_cache.fd;
    /* inherited across fork(): the parent's file, still ours to close here */
    if (maps_cache.pid != pid && maps_fd_ours(&maps_cache))
        close(maps_cache.fd);
    maps_cache.fd = -1;
    fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st)) {
        close(fd);
        return -1;
    }
    maps_cache = (struct maps_fd){ .fd = fd, .pid = pid, .dev = st.st_dev, .ino = st.st_ino };
    return fd;
}

bool mfd_vmas_private_fd(int fd)
{
    bool mine;

    pthread_mutex_lock(&maps_lock);
    mine = fd >= 0 && fd == maps_cache.fd && maps_cache.pid == getpid();
    pthread_mutex_unlock(&maps_lock);
    return mine;
}

int mfd_vmas_probe(uint64_t uva, uint64_t len, bool write, uint64_t *gap)
{
    struct mfd_vmas *vs;

    if (!no_query) {
        int fd, rc;

        pthread_mutex_lock(&maps_lock);
        fd = maps_fd_get();
        rc = fd < 0 ? -ENOMEM : query_gap(fd, uva, len, write, gap);
        pthread_mutex_unlock(&maps_lock);
        if (rc != -ENOTTY)
            return rc;
        no_query = 1;
    }
    vs = mfd_vmas_load();
    if (!vs)
        return -ENOMEM;
    *gap = mfd_vmas_first_gap(vs, uva, len, write);
    mfd_vmas_free(vs);
    return 0;
}
