/* SPDX-License-Identifier: MIT */
/*
 * Memory emulation for the selftest ops (iommufd.md §8.2): what the kernel
 * gets from get_user_pages_fast + struct page, a userspace mock derives from
 * /proc/self/maps (the snapshot of vmas.c).
 *
 *  - Page identity (MD_CHECK_MAP, ACCESS_PAGES' EBADE check): two VAs are
 *    the same physical page if both are MAP_SHARED mappings of the same
 *    (device, inode) at the same file page (memfd, shmem, shared anonymous
 *    memory, which is shmem too), or if they are the same VA. So the
 *    selftest's mfd_buffer and the mock's private MAP_FILE mapping of that
 *    memfd compare equal.
 *  - Pin counts (MD_CHECK_REFS): pages.c counts pins per VA page; the pins
 *    of one physical page are the sum over every VA mapping it.
 *  - EFAULT: an address in no mapping, or in one without read permission
 *    or special (VM_IO/VM_PFNMAP), is what get_user_pages_fast refuses.
 * Limits (docs/selftest.md): MAP_PRIVATE file pages are identified by VA
 * (COW state is invisible here); another process's mappings are unknown.
 */
#include <errno.h>
#include <string.h>

#include "selftest.h"
#include "vmas.h"

#define KPAGE 4096ull

int mfd_st_page_id(const struct mfd_vmas *m, uint64_t uva, struct mfd_st_pgid *id)
{
    const struct mfd_vma *v = mfd_vmas_find(m, uva);
    struct mfd_page_ident pi;

    /* get_user_pages_fast without FOLL_WRITE: check_vma_flags refuses a
     * VMA without VM_READ (PROT_NONE, a guard page) and VM_IO/VM_PFNMAP
     * ([vvar]); -EFAULT as for a hole. (A fuzzing finding: accepting them
     * let MD_CHECK_REFS walk on past a guard page, into the terabytes of
     * ASan's shadow.) */
    if (!v || !v->read || v->special)
        return -EFAULT;
    mfd_vmas_ident(m, uva, true, &pi);
    memset(id, 0, sizeof(*id));
    id->dev = pi.dev;
    id->ino = pi.ino;
    id->off = pi.off;
    id->hugetlb = v->hugetlb;
    return 0;
}

static bool same_id(const struct mfd_st_pgid *a, const struct mfd_st_pgid *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->off == b->off;
}

int mfd_st_same_page(const struct mfd_vmas *m, uint64_t a, uint64_t b, bool *same)
{
    struct mfd_st_pgid ia, ib;
    int rc = mfd_st_page_id(m, a, &ia);

    if (rc)
        return rc;
    *same = !mfd_st_page_id(m, b, &ib) && same_id(&ia, &ib);
    return 0;
}

int mfd_st_pin_count(const struct mfd_vmas *m, uint64_t uva, uint64_t *count)
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
        const struct mfd_vma *v = &m->v[i];

        if (!v->shared || v->dev != id.dev || v->ino != id.ino || id.off < v->off ||
            id.off - v->off >= v->end - v->start)
            continue;
        *count += (uint64_t)mfd_pages_refs(v->start + (id.off - v->off));
    }
    return 0;
}
