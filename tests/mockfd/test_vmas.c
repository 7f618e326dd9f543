/* SPDX-License-Identifier: MIT */
/* mockfd/core/vmas.c: the /proc/self/maps snapshot behind pinning, the
 * access EBADE check and MD_CHECK_MAP / MD_CHECK_REFS. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mockfd/core/vmas.h"
#include "tests/common/test_util.h"

#define PG 4096ull

static uint64_t va(void *p) { return (uint64_t)(uintptr_t)p; }

Test(vmas, find_and_first_gap)
{
    char *p = mmap(NULL, 5 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct mfd_vmas *vs;
    const struct mfd_vma *m;

    cr_assert_neq(p, MAP_FAILED);
    /* page 1 read-only, page 3 a one-page hole (page 4 keeps it bounded, so
     * no allocation of the snapshot's own can land in it) */
    cr_assert_eq(mprotect(p + PG, PG, PROT_READ), 0);
    cr_assert_eq(munmap(p + 3 * PG, PG), 0);
    vs = mfd_vmas_load();
    cr_assert_not_null(vs);
    m = mfd_vmas_find(vs, va(p) + 5);
    cr_assert_not_null(m);
    cr_assert(m->start <= va(p) && m->end > va(p) && m->read && m->write && !m->shared);
    cr_assert_null(mfd_vmas_find(vs, va(p) + 3 * PG));
    /* reads pin across the permission split, up to the hole */
    cr_assert_eq(mfd_vmas_first_gap(vs, va(p), 3 * PG, false), 3 * PG);
    cr_assert_eq(mfd_vmas_first_gap(vs, va(p), 4 * PG, false), 3 * PG);
    /* a write pin stops at the read-only page */
    cr_assert_eq(mfd_vmas_first_gap(vs, va(p), 3 * PG, true), PG);
    cr_assert_eq(mfd_vmas_first_gap(vs, va(p) + 2 * PG, PG, true), PG);
    cr_assert_eq(mfd_vmas_first_gap(vs, va(p) + 3 * PG, PG, false), 0);
    mfd_vmas_free(vs);
    munmap(p, 5 * PG);
    ASSERT_NO_LEAKS();
}

Test(vmas, ident_shared_and_private)
{
    int fd = memfd_create("vmas", 0);
    char *a, *b, *priv;
    struct mfd_vmas *vs;
    struct mfd_page_ident ia, ib, ip;

    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, 2 * PG), 0);
    a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    b = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
    priv = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
    cr_assert(a != MAP_FAILED && b != MAP_FAILED && priv != MAP_FAILED);
    vs = mfd_vmas_load();
    cr_assert_not_null(vs);
    /* two shared mappings of one memfd page are one page */
    cr_assert_eq(mfd_vmas_ident(vs, va(a) + PG + 7, true, &ia), 0);
    cr_assert_eq(mfd_vmas_ident(vs, va(b), true, &ib), 0);
    cr_assert(ia.ino && ia.dev == ib.dev && ia.ino == ib.ino && ia.off == PG && ib.off == PG);
    /* a private file mapping: VA page with shared_only, the file page without */
    cr_assert_eq(mfd_vmas_ident(vs, va(priv) + 1, true, &ip), 0);
    cr_assert(ip.dev == 0 && ip.ino == 0 && ip.off == va(priv));
    cr_assert_eq(mfd_vmas_ident(vs, va(priv) + 1, false, &ip), 0);
    cr_assert(ip.ino == ia.ino && ip.off == PG);
    /* page 0 is never mapped (mmap_min_addr): EFAULT, as GUP */
    cr_assert_eq(mfd_vmas_ident(vs, 0, true, &ib), -EFAULT);
    cr_assert_eq(mfd_vmas_ident(vs, 0, false, &ib), -EFAULT);
    mfd_vmas_free(vs);
    munmap(priv, PG);
    munmap(b, PG);
    munmap(a, 2 * PG);
    close(fd);
    ASSERT_NO_LEAKS();
}

/* mfd_vmas_probe (live PROCMAP_QUERY walk, or a snapshot on older kernels)
 * gives what first_gap gives on a snapshot, for every case pinning meets. */
Test(vmas, probe_matches_snapshot)
{
    char *p = mmap(NULL, 5 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static const struct { uint64_t off, len; bool write; } c[] = {
        { 0, 3 * PG, false }, { 0, 4 * PG, false }, { 0, 3 * PG, true }, { 2 * PG, PG, true },
        { 3 * PG, PG, false }, { PG, PG, false }, { PG + 5, 1, true }, { 4 * PG, PG, true },
    };
    struct mfd_vmas *vs;
    uint64_t gap;

    cr_assert_neq(p, MAP_FAILED);
    cr_assert_eq(mprotect(p + PG, PG, PROT_READ), 0);
    cr_assert_eq(munmap(p + 3 * PG, PG), 0);
    vs = mfd_vmas_load();
    cr_assert_not_null(vs);
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        cr_assert_eq(mfd_vmas_probe(va(p) + c[i].off, c[i].len, c[i].write, &gap), 0);
        cr_assert_eq(gap, mfd_vmas_first_gap(vs, va(p) + c[i].off, c[i].len, c[i].write),
                     "case %u", i);
    }
    /* spot values, independent of the snapshot */
    cr_assert_eq(mfd_vmas_probe(va(p), 4 * PG, false, &gap), 0);
    cr_assert_eq(gap, 3 * PG);
    cr_assert_eq(mfd_vmas_probe(va(p), 3 * PG, true, &gap), 0);
    cr_assert_eq(gap, PG);
    /* the NULL page and the vvar page (VM_IO | VM_PFNMAP) never pin */
    cr_assert_eq(mfd_vmas_probe(0, PG, false, &gap), 0);
    cr_assert_eq(gap, 0);
    for (size_t i = 0; i < vs->n; i++) {
        if (!vs->v[i].special)
            continue;
        cr_assert_eq(mfd_vmas_probe(vs->v[i].start, PG, false, &gap), 0);
        cr_assert_eq(gap, 0, "special mapping at %#llx", (unsigned long long)vs->v[i].start);
    }
    mfd_vmas_free(vs);
    munmap(p, 5 * PG);
    ASSERT_NO_LEAKS();
}
