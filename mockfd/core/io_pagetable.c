/* SPDX-License-Identifier: MIT */
/*
 * The io_pagetable: areas, reserved and allowed IOVA, the IOVA allocator and
 * the attached domains (the kernel's drivers/iommu/iommufd/io_pagetable.c;
 * behaviour and errno order from iommufd.md §4.4-§4.8, §4.21, §9).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io_pagetable.h"

#define area_of(n) mfd_container_of((n), struct iopt_area, node)
#define resv_of(n) mfd_container_of((n), struct iopt_reserved, node)
#define allowed_of(n) mfd_container_of((n), struct iopt_allowed, node)

static uint64_t lowbit(uint64_t x) { return x & (~x + 1); }

static uint64_t roundup_pow2(uint64_t x)
{
    uint64_t r = 1;

    while (r < x)
        r <<= 1;
    return r;
}

void iopt_init_table(struct io_pagetable *iopt)
{
    memset(iopt, 0, sizeof(*iopt));
    /* io_pagetable.c iopt_init_table: a SW table has no alignment limit. */
    iopt->iova_alignment = 1;
}

struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt, uint64_t start, uint64_t last)
{
    struct mfd_itree_node *n = mfd_itree_iter_first(&iopt->area_itree, start, last);

    return n ? area_of(n) : NULL;
}

struct iopt_area *iopt_area_iter_next(struct iopt_area *a, uint64_t start, uint64_t last)
{
    struct mfd_itree_node *n = mfd_itree_iter_next(&a->node, start, last);

    return n ? area_of(n) : NULL;
}

static uint64_t area_first_index(const struct iopt_area *a)
{
    return a->start_byte / MFD_PAGE_SIZE;
}

static uint64_t area_last_index(const struct iopt_area *a)
{
    return (a->start_byte + iopt_area_length(a) - 1) / MFD_PAGE_SIZE;
}

/* ---- keeping domains in step with areas -------------------------------------- */

static int domain_map_area(struct mfd_domain *d, struct iopt_area *a)
{
    return d->ops->map(d, iopt_area_iova(a), iopt_area_uva(a), iopt_area_length(a), a->prot);
}

static void domain_unmap_area(struct mfd_domain *d, struct iopt_area *a)
{
    d->ops->unmap(d, iopt_area_iova(a), iopt_area_length(a));
}

/* Pin the area's pages and map it into every domain; all or nothing. With no
 * domain nothing is pinned (iommufd.md §4.5 "Pinning"). */
static int area_fill_domains(struct io_pagetable *iopt, struct iopt_area *a)
{
    size_t i;
    int rc;

    if (!iopt->ndomains)
        return 0;
    rc = iopt_pages_pin(a->pages, area_first_index(a), area_last_index(a));
    if (rc)
        return rc;
    for (i = 0; i < iopt->ndomains; i++) {
        rc = domain_map_area(iopt->domains[i], a);
        if (rc)
            break;
    }
    if (rc) {
        while (i-- > 0)
            domain_unmap_area(iopt->domains[i], a);
        iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
        return rc;
    }
    a->filled = true;
    return 0;
}

static void area_unfill_domains(struct io_pagetable *iopt, struct iopt_area *a)
{
    if (!a->filled)
        return;
    for (size_t i = 0; i < iopt->ndomains; i++)
        domain_unmap_area(iopt->domains[i], a);
    iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
    a->filled = false;
}

/* ---- IOVA allocation ---------------------------------------------------------------- */

/*
 * io_pagetable.c __alloc_iova_check_range (with the ALIGN() overflow fix,
 * iommufd.md §9): align *start up, keep the page offset, and accept the
 * candidate only if it lies below `last` with room for `length` bytes.
 */
static bool check_range(uint64_t *start, uint64_t last, uint64_t length, uint64_t align,
                        uint64_t page_offset)
{
    uint64_t a;

    if (__builtin_add_overflow(*start, align - 1, &a))
        return false;
    a &= ~(align - 1);
    a |= page_offset;
    if (a >= last || last - a < length - 1)
        return false;
    *start = a;
    return true;
}

/* iommufd.md §4.5 "Automatic IOVA": never returns IOVA 0, first fit from the
 * lowest address of [PAGE_SIZE, ULONG_MAX - PAGE_SIZE] ∩ allowed. */
static int alloc_iova(struct io_pagetable *iopt, uint64_t *iova, uint64_t addr, uint64_t length)
{
    const uint64_t lo = MFD_PAGE_SIZE, hi = MFD_ULONG_MAX - MFD_PAGE_SIZE;
    uint64_t page_offset = addr % MFD_PAGE_SIZE, align;
    struct mfd_span_iter allowed, used;

    /* Protects roundup_pow_of_two() from overflow. */
    if (length == 0 || length >= MFD_ULONG_MAX / 2)
        return -EOVERFLOW;
    align = roundup_pow2(length);
    /* Keep the alignment present in the VA: more chance of huge IOPTEs. */
    if (addr && lowbit(addr) < align)
        align = lowbit(addr);
    /* max_alignment is HPAGE_SIZE on a THP kernel; also protects ALIGN(). */
    if (align >= MFD_HPAGE_SIZE)
        align = MFD_HPAGE_SIZE;
    if (align < iopt->iova_alignment)
        return -EINVAL;

    for (mfd_span_first(&allowed, &iopt->allowed_itree, NULL, lo, hi); !allowed.done;
         mfd_span_next(&allowed)) {
        uint64_t start, last;

        if (mfd_itree_empty(&iopt->allowed_itree)) {
            allowed.is_hole = false;
            allowed.start_span = lo;
            allowed.last_span = hi;
            allowed.exhausted = true;
        }
        if (allowed.is_hole)
            continue;
        start = allowed.start_span;
        last = allowed.last_span;
        if (!check_range(&start, last, length, align, page_offset))
            continue;
        mfd_for_each_span(&used, &iopt->reserved_itree, &iopt->area_itree, start, last) {
            uint64_t cand = used.start_span;

            if (!used.is_hole)
                continue;
            if (!check_range(&cand, used.last_span, length, align, page_offset))
                continue;
            *iova = cand;
            return 0;
        }
    }
    return -ENOSPC;
}

/* io_pagetable.c iopt_check_iova: FIXED_IOVA placement rules. */
static int check_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length)
{
    uint64_t last;

    if (iova & (iopt->iova_alignment - 1))
        return -EINVAL;
    if (__builtin_add_overflow(iova, length - 1, &last))
        return -EOVERFLOW;
    if (mfd_itree_iter_first(&iopt->reserved_itree, iova, last))
        return -EINVAL;
    if (mfd_itree_iter_first(&iopt->area_itree, iova, last))
        return -EEXIST;
    return 0;
}

static int insert_area(struct io_pagetable *iopt, struct iopt_area *a, struct iopt_pages *pages,
                       uint64_t iova, uint64_t start_byte, uint64_t length, unsigned prot)
{
    uint64_t lastb;

    /* A writable area needs pages pinned for write (COPY of a read-only
     * source, iommufd.md §4.6). */
    if ((prot & MFD_PROT_WRITE) && !pages->writable)
        return -EPERM;
    a->prot = prot;
    if ((start_byte % MFD_PAGE_SIZE) & (iopt->iova_alignment - 1))
        return -EINVAL;
    a->node.start = iova;
    if (__builtin_add_overflow(iova, length - 1, &a->node.last))
        return -EOVERFLOW;
    if (__builtin_add_overflow(start_byte, length - 1, &lastb))
        return -EOVERFLOW;
    if (lastb / MFD_PAGE_SIZE >= pages->npages)
        return -EOVERFLOW;
    a->start_byte = start_byte;
    mfd_itree_insert(&iopt->area_itree, &a->node);
    return 0;
}

static void drop_new_areas(struct io_pagetable *iopt, struct iopt_pages_elm *elms, size_t n,
                           size_t ninserted)
{
    for (size_t i = 0; i < n; i++) {
        if (elms[i].area) {
            if (i < ninserted)
                mfd_itree_remove(&iopt->area_itree, &elms[i].area->node);
            free(elms[i].area);
            elms[i].area = NULL;
        }
    }
}

int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_elm *elms, size_t n,
                   uint64_t length, uint64_t *dst_iova, unsigned prot, unsigned flags)
{
    size_t i, ninserted = 0, nfilled = 0;
    uint64_t iova;
    int rc = 0;

    for (i = 0; i < n; i++) {
        elms[i].area = iopt_zalloc(sizeof(*elms[i].area));
        if (!elms[i].area) {
            rc = -ENOMEM;
            goto out_drop;
        }
    }
    if ((length & (iopt->iova_alignment - 1)) || !length) {
        rc = -EINVAL;
        goto out_drop;
    }
    if (flags & IOPT_ALLOC_IOVA) {
        /* The first slice guesses the ideal alignment. */
        struct iopt_pages *p = elms[0].pages;
        uint64_t addr = (p->type == IOPT_ADDRESS_FILE ? p->file_start : p->uptr) +
                        elms[0].start_byte;

        rc = alloc_iova(iopt, dst_iova, addr, length);
    } else {
        rc = check_iova(iopt, *dst_iova, length);
    }
    if (rc)
        goto out_drop;

    iova = *dst_iova;
    for (i = 0; i < n; i++) {
        rc = insert_area(iopt, elms[i].area, elms[i].pages, iova, elms[i].start_byte,
                         elms[i].length, prot);
        if (rc)
            goto out_drop;
        ninserted++;
        iova += elms[i].length;
    }
    for (i = 0; i < n; i++) {
        elms[i].area->pages = elms[i].pages;
        rc = area_fill_domains(iopt, elms[i].area);
        if (rc)
            goto out_unfill;
        nfilled++;
    }
    /* Success: the areas own the pages references now. */
    for (i = 0; i < n; i++) {
        elms[i].pages = NULL;
        elms[i].area = NULL;
    }
    return 0;

out_unfill:
    for (i = 0; i < n; i++) {
        if (i < nfilled)
            area_unfill_domains(iopt, elms[i].area);
        elms[i].area->pages = NULL;
    }
out_drop:
    drop_new_areas(iopt, elms, n, ninserted);
    return rc;
}

int iopt_map_user_pages(struct io_pagetable *iopt, uint64_t *iova, uint64_t uptr,
                        uint64_t length, unsigned prot, unsigned flags)
{
    struct iopt_pages_elm elm = { 0 };
    int rc = 0;

    elm.pages = iopt_alloc_user_pages(uptr, length, prot & MFD_PROT_WRITE, &rc);
    if (!elm.pages)
        return rc;
    elm.start_byte = uptr - elm.pages->uptr;
    elm.length = length;
    rc = iopt_map_pages(iopt, &elm, 1, length, iova, prot, flags);
    if (rc)
        iopt_put_pages(elm.pages);
    return rc;
}

/* ---- contiguous walks and COPY sources ---------------------------------------- */

struct iopt_area *iopt_area_contig_init(struct iopt_area_contig_iter *it,
                                        struct io_pagetable *iopt, uint64_t iova,
                                        uint64_t last_iova)
{
    it->cur_iova = iova;
    it->last_iova = last_iova;
    it->area = iopt_area_iter_first(iopt, iova, iova);
    if (it->area && !it->area->pages)
        it->area = NULL;
    return it->area;
}

struct iopt_area *iopt_area_contig_next(struct iopt_area_contig_iter *it)
{
    uint64_t last;

    if (!it->area)
        return NULL;
    last = iopt_area_last_iova(it->area);
    if (it->last_iova <= last)
        return NULL;
    it->cur_iova = last + 1;
    it->area = iopt_area_iter_next(it->area, it->cur_iova, it->last_iova);
    if (!it->area)
        return NULL;
    if (it->cur_iova != iopt_area_iova(it->area) || !it->area->pages) {
        it->area = NULL;
        return NULL;
    }
    return it->area;
}

int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
                   struct iopt_pages_elm **out, size_t *nout)
{
    struct iopt_area_contig_iter it;
    struct iopt_pages_elm *elms;
    struct iopt_area *a;
    uint64_t last_iova;
    size_t n = 0;

    if (!length)
        return -EINVAL;
    if (__builtin_add_overflow(iova, length - 1, &last_iova))
        return -EOVERFLOW;
    iopt_for_each_contig_area(&it, a, iopt, iova, last_iova)
        n++;
    if (!iopt_area_contig_done(&it))
        return -ENOENT;
    elms = iopt_zalloc(n * sizeof(*elms));
    if (!elms)
        return -ENOMEM;
    n = 0;
    iopt_for_each_contig_area(&it, a, iopt, iova, last_iova) {
        uint64_t last = last_iova < iopt_area_last_iova(a) ? last_iova : iopt_area_last_iova(a);

        elms[n].pages = a->pages;
        elms[n].start_byte = a->start_byte + (it.cur_iova - iopt_area_iova(a));
        elms[n].length = last - it.cur_iova + 1;
        iopt_get_pages_ref(a->pages);
        n++;
    }
    *out = elms;
    *nout = n;
    return 0;
}

void iopt_free_pages_list(struct iopt_pages_elm *elms, size_t n)
{
    if (!elms)
        return;
    for (size_t i = 0; i < n; i++) {
        free(elms[i].area);
        iopt_put_pages(elms[i].pages);
    }
    free(elms);
}

/* ---- unmap ------------------------------------------------------------------------ */

static void destroy_area(struct io_pagetable *iopt, struct iopt_area *a)
{
    struct iopt_pages *p = a->pages;

    area_unfill_domains(iopt, a);
    mfd_itree_remove(&iopt->area_itree, &a->node);
    free(a);
    iopt_put_pages(p);
}

/* iommufd_access_notify_unmap: every access of the IOAS with an unmap
 * callback. A callback may remove accesses from the list (it never adds), so
 * walk over a snapshot. */
static void notify_unmap(struct io_pagetable *iopt, uint64_t iova, uint64_t length)
{
    size_t n = iopt->naccesses;
    struct iopt_access_ent snap[8];
    struct iopt_access_ent *ents = n <= 8 ? snap : malloc(n * sizeof(*ents));

    if (!ents)
        return;          /* the caller retries, then reports EDEADLOCK */
    memcpy(ents, iopt->accesses, n * sizeof(*ents));
    for (size_t i = 0; i < n; i++)
        if (ents[i].unmap)
            ents[i].unmap(ents[i].data, iova, length);
    if (ents != snap)
        free(ents);
}

/* io_pagetable.c iopt_unmap_iova_range, iommufd.md §4.7: walk from the
 * lowest intersecting area; not atomic; never splits. */
static int unmap_iova_range(struct io_pagetable *iopt, uint64_t start, uint64_t last,
                            uint64_t *unmapped)
{
    uint64_t bytes = 0;
    struct iopt_area *a;
    int rc = 0;

    unsigned tries = 0;

    while ((a = iopt_area_iter_first(iopt, start, last))) {
        uint64_t first = iopt_area_iova(a), alast = iopt_area_last_iova(a);

        if (!a->pages || a->num_locks) {
            rc = -EBUSY;
            break;
        }
        if (first < start || alast > last) {
            rc = -ENOENT;
            break;
        }
        /* iommufd.md §4.7: an area pinned by accesses is not removed; every
         * access is asked to unpin (iommufd_access_notify_unmap) and the
         * walk restarts at this area. An access that never lets go ->
         * EDEADLOCK after 100 retries, as the kernel's WARN_ON(tries > 100). */
        if (a->num_accesses) {
            if (++tries > 100) {
                rc = -EDEADLOCK;
                break;
            }
            notify_unmap(iopt, first, alast - first + 1);
            start = first;
            continue;
        }
        destroy_area(iopt, a);
        bytes += alast - first + 1;
    }
    if (unmapped)
        *unmapped = bytes;
    return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
                    uint64_t *unmapped)
{
    uint64_t last;

    if (unmapped)
        *unmapped = 0;
    if (!length)
        return -EINVAL;
    if (__builtin_add_overflow(iova, length - 1, &last))
        return -EOVERFLOW;
    return unmap_iova_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped)
{
    /* An empty IOAS unmaps successfully. */
    return unmap_iova_range(iopt, 0, MFD_ULONG_MAX, unmapped);
}

/* ---- allowed / reserved ------------------------------------------------------------ */

void iopt_free_allowed(struct mfd_itree *t)
{
    while (t->root) {
        struct mfd_itree_node *n = t->root;

        mfd_itree_remove(t, n);
        free(allowed_of(n));
    }
}

int iopt_set_allow_iova(struct io_pagetable *iopt, struct mfd_itree *t)
{
    struct mfd_itree tmp = iopt->allowed_itree;
    struct mfd_itree_node *n;

    iopt->allowed_itree = *t;
    *t = tmp;
    for (n = mfd_itree_iter_first(&iopt->allowed_itree, 0, MFD_ULONG_MAX); n;
         n = mfd_itree_iter_next(n, 0, MFD_ULONG_MAX)) {
        if (mfd_itree_iter_first(&iopt->reserved_itree, n->start, n->last)) {
            tmp = iopt->allowed_itree;
            iopt->allowed_itree = *t;
            *t = tmp;
            return -EADDRINUSE;
        }
    }
    return 0;
}

static int reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last,
                        const void *owner)
{
    struct iopt_reserved *r;

    if (start > last)
        return -EINVAL;
    if (mfd_itree_iter_first(&iopt->area_itree, start, last) ||
        mfd_itree_iter_first(&iopt->allowed_itree, start, last))
        return -EADDRINUSE;
    r = iopt_zalloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->node.start = start;
    r->node.last = last;
    r->owner = owner;
    mfd_itree_insert(&iopt->reserved_itree, &r->node);
    return 0;
}

static void remove_reserved(struct io_pagetable *iopt, const void *owner, bool all)
{
    struct mfd_itree_node *n, *next;

    for (n = mfd_itree_iter_first(&iopt->reserved_itree, 0, MFD_ULONG_MAX); n; n = next) {
        next = mfd_itree_iter_next(n, 0, MFD_ULONG_MAX);
        if (all || resv_of(n)->owner == owner) {
            mfd_itree_remove(&iopt->reserved_itree, n);
            free(resv_of(n));
        }
    }
}

int iopt_reserve(struct mfd_ioas *ioas, const void *owner, uint64_t start, uint64_t last)
{
    return reserve_iova(&ioas->iopt, start, last, owner);
}

void iopt_remove_reserved(struct mfd_ioas *ioas, const void *owner)
{
    remove_reserved(&ioas->iopt, owner, false);
}

/* ---- alignment, domains, accesses ---------------------------------------------------- */

/* io_pagetable.c iopt_check_iova_alignment: every area must conform. */
static int check_iova_alignment(struct io_pagetable *iopt, uint64_t new_align)
{
    uint64_t mask = new_align - 1;
    struct iopt_area *a;

    for (a = iopt_area_iter_first(iopt, 0, MFD_ULONG_MAX); a;
         a = iopt_area_iter_next(a, 0, MFD_ULONG_MAX))
        if ((iopt_area_iova(a) & mask) || (iopt_area_length(a) & mask) ||
            ((a->start_byte % MFD_PAGE_SIZE) & mask))
            return -EADDRINUSE;
    for (size_t i = 0; i < iopt->naccesses; i++)
        if (iopt->accesses[i].iova_alignment > new_align)
            return -EADDRINUSE;
    return 0;
}

static int calculate_iova_alignment(struct io_pagetable *iopt)
{
    uint64_t a = iopt->disable_large_pages ? MFD_PAGE_SIZE : 1;
    int rc;

    for (size_t i = 0; i < iopt->ndomains; i++)
        if (lowbit(iopt->domains[i]->pgsize_bitmap) > a)
            a = lowbit(iopt->domains[i]->pgsize_bitmap);
    for (size_t i = 0; i < iopt->naccesses; i++)
        if (iopt->accesses[i].iova_alignment > a)
            a = iopt->accesses[i].iova_alignment;
    if (a > iopt->iova_alignment) {
        rc = check_iova_alignment(iopt, a);
        if (rc)
            return rc;
    }
    iopt->iova_alignment = a;
    return 0;
}

static void set_allow_huge(struct io_pagetable *iopt)
{
    for (size_t i = 0; i < iopt->ndomains; i++)
        iopt->domains[i]->allow_huge = !iopt->disable_large_pages;
}

int iopt_table_add_domain(struct mfd_ioas *ioas, struct mfd_domain *d)
{
    struct io_pagetable *iopt = &ioas->iopt;
    struct iopt_area *a, *end;
    uint64_t new_align;
    int rc;

    for (size_t i = 0; i < iopt->ndomains; i++)
        if (iopt->domains[i] == d)
            return -EEXIST;
    if (!d->pgsize_bitmap || !d->ops || !d->ops->map || !d->ops->unmap)
        return -EINVAL;
    /* The smallest IO page size drives the alignment; a domain must accept
     * PAGE_SIZE (io_pagetable.c iopt_table_add_domain). */
    new_align = lowbit(d->pgsize_bitmap);
    if (new_align < iopt->iova_alignment)
        new_align = iopt->iova_alignment;
    if (new_align > MFD_PAGE_SIZE)
        return -EINVAL;
    if (new_align != iopt->iova_alignment) {
        rc = check_iova_alignment(iopt, new_align);
        if (rc)
            return rc;
    }
    /* No area may lie outside the aperture (iommufd.md §4.21). */
    if (d->aperture_start != 0) {
        rc = reserve_iova(iopt, 0, d->aperture_start - 1, d);
        if (rc)
            goto out_reserved;
    }
    if (d->aperture_end != MFD_ULONG_MAX) {
        rc = reserve_iova(iopt, d->aperture_end + 1, MFD_ULONG_MAX, d);
        if (rc)
            goto out_reserved;
    }
    if (iopt->ndomains == iopt->domains_cap) {
        size_t cap = iopt->domains_cap ? iopt->domains_cap * 2 : 4;
        struct mfd_domain **nd = iopt_zalloc(cap * sizeof(*nd));

        if (!nd) {
            rc = -ENOMEM;
            goto out_reserved;
        }
        if (iopt->ndomains)
            memcpy(nd, iopt->domains, iopt->ndomains * sizeof(*nd));
        free(iopt->domains);
        iopt->domains = nd;
        iopt->domains_cap = cap;
    }
    d->allow_huge = !iopt->disable_large_pages;
    /* Fill the new domain from every area; the first domain also pins. */
    for (a = iopt_area_iter_first(iopt, 0, MFD_ULONG_MAX); a;
         a = iopt_area_iter_next(a, 0, MFD_ULONG_MAX)) {
        if (!a->pages)
            continue;
        if (!iopt->ndomains) {
            rc = iopt_pages_pin(a->pages, area_first_index(a), area_last_index(a));
            if (rc)
                goto out_unfill;
        }
        rc = domain_map_area(d, a);
        if (rc) {
            if (!iopt->ndomains)
                iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
            goto out_unfill;
        }
    }
    for (a = iopt_area_iter_first(iopt, 0, MFD_ULONG_MAX); a;
         a = iopt_area_iter_next(a, 0, MFD_ULONG_MAX))
        if (a->pages)
            a->filled = true;
    iopt->iova_alignment = new_align;
    iopt->domains[iopt->ndomains++] = d;
    return 0;

out_unfill:
    end = a;
    for (a = iopt_area_iter_first(iopt, 0, MFD_ULONG_MAX); a && a != end;
         a = iopt_area_iter_next(a, 0, MFD_ULONG_MAX)) {
        if (!a->pages)
            continue;
        domain_unmap_area(d, a);
        if (!iopt->ndomains)
            iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
    }
out_reserved:
    remove_reserved(iopt, d, false);
    return rc;
}

void iopt_table_remove_domain(struct mfd_ioas *ioas, struct mfd_domain *d)
{
    struct io_pagetable *iopt = &ioas->iopt;
    struct iopt_area *a;
    size_t i;

    for (i = 0; i < iopt->ndomains; i++)
        if (iopt->domains[i] == d)
            break;
    if (i == iopt->ndomains)
        return;
    iopt->domains[i] = iopt->domains[--iopt->ndomains];
    for (a = iopt_area_iter_first(iopt, 0, MFD_ULONG_MAX); a;
         a = iopt_area_iter_next(a, 0, MFD_ULONG_MAX)) {
        if (!a->pages || !a->filled)
            continue;
        domain_unmap_area(d, a);
        /* The last domain held the pins. */
        if (!iopt->ndomains) {
            iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
            a->filled = false;
        }
    }
    remove_reserved(iopt, d, false);
    (void)calculate_iova_alignment(iopt); /* lowering cannot fail */
}

int iopt_add_access(struct mfd_ioas *ioas, const void *owner, uint64_t iova_alignment)
{
    return iopt_add_access_cb(ioas, owner, iova_alignment, NULL, NULL);
}

int iopt_add_access_cb(struct mfd_ioas *ioas, const void *owner, uint64_t iova_alignment,
                       void (*unmap)(void *data, uint64_t iova, uint64_t length), void *data)
{
    struct io_pagetable *iopt = &ioas->iopt;
    int rc;

    if (iopt->naccesses == iopt->accesses_cap) {
        size_t cap = iopt->accesses_cap ? iopt->accesses_cap * 2 : 4;
        struct iopt_access_ent *na = iopt_zalloc(cap * sizeof(*na));

        if (!na)
            return -ENOMEM;
        if (iopt->naccesses)
            memcpy(na, iopt->accesses, iopt->naccesses * sizeof(*na));
        free(iopt->accesses);
        iopt->accesses = na;
        iopt->accesses_cap = cap;
    }
    iopt->accesses[iopt->naccesses].owner = owner;
    iopt->accesses[iopt->naccesses].iova_alignment = iova_alignment ? iova_alignment : 1;
    iopt->accesses[iopt->naccesses].unmap = unmap;
    iopt->accesses[iopt->naccesses].data = data;
    iopt->naccesses++;
    rc = calculate_iova_alignment(iopt);
    if (rc)
        iopt->naccesses--;
    return rc;
}

void iopt_remove_access(struct mfd_ioas *ioas, const void *owner)
{
    struct io_pagetable *iopt = &ioas->iopt;

    for (size_t i = 0; i < iopt->naccesses; i++) {
        if (iopt->accesses[i].owner == owner) {
            iopt->accesses[i] = iopt->accesses[--iopt->naccesses];
            (void)calculate_iova_alignment(iopt);
            return;
        }
    }
}

/* iommufd.md §4.8 HUGE_PAGES SET 0. */
int iopt_disable_large_pages(struct io_pagetable *iopt)
{
    int rc;

    if (iopt->disable_large_pages)
        return 0;
    /* Won't do it if domains already have pages mapped in them. */
    if (iopt->ndomains && !mfd_itree_empty(&iopt->area_itree))
        return -EINVAL;
    iopt->disable_large_pages = true;
    rc = calculate_iova_alignment(iopt);
    if (rc)
        iopt->disable_large_pages = false;
    set_allow_huge(iopt);
    return rc;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
    iopt->disable_large_pages = false;
    (void)calculate_iova_alignment(iopt);
    set_allow_huge(iopt);
}

/* ---- VFIO type1 v1 cuts ----------------------------------------------------------- */

/* io_pagetable.c iopt_area_split: `iova` becomes the last byte of a new
 * left area; both halves keep the same iopt_pages. */
static int area_split(struct io_pagetable *iopt, struct iopt_area *a, uint64_t iova)
{
    uint64_t start = iopt_area_iova(a), last = iopt_area_last_iova(a), new_start = iova + 1;
    uint64_t align = iopt->iova_alignment;
    struct iopt_area *lhs, *rhs;

    if (iova == start || iova == last)
        return 0;
    if (!a->pages)
        return -EBUSY;
    if ((new_start & (align - 1)) ||
        ((a->start_byte + (new_start - start)) & (align - 1)))
        return -EINVAL;
    /* A domain may hold huge IOPTEs that cannot be split. */
    if (a->filled && !iopt->disable_large_pages)
        return -EINVAL;
    lhs = iopt_zalloc(sizeof(*lhs));
    if (!lhs)
        return -ENOMEM;
    rhs = iopt_zalloc(sizeof(*rhs));
    if (!rhs) {
        free(lhs);
        return -ENOMEM;
    }
    *lhs = *a;
    *rhs = *a;
    lhs->node.last = iova;
    rhs->node.start = new_start;
    rhs->start_byte = a->start_byte + (new_start - start);
    if (a->filled) {
        /* Pins follow the pages each half covers; the halves only share a
         * page when the split is not page aligned. Increments first: they
         * cannot fail on pages that are already pinned. */
        (void)iopt_pages_pin(a->pages, area_first_index(lhs), area_last_index(lhs));
        (void)iopt_pages_pin(a->pages, area_first_index(rhs), area_last_index(rhs));
        iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
    }
    mfd_itree_remove(&iopt->area_itree, &a->node);
    mfd_itree_insert(&iopt->area_itree, &lhs->node);
    mfd_itree_insert(&iopt->area_itree, &rhs->node);
    iopt_get_pages_ref(a->pages);
    free(a);
    return 0;
}

int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct iopt_area *a = iopt_area_iter_first(iopt, iovas[i], iovas[i]);
        int rc;

        if (!a)
            continue;
        rc = area_split(iopt, a, iovas[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* vfio_compat.c iommufd_get_pagesizes. */
uint64_t iopt_vfio_pgsizes(const struct io_pagetable *iopt)
{
    uint64_t bm = MFD_ULONG_MAX;

    for (size_t i = 0; i < iopt->ndomains; i++)
        bm &= iopt->domains[i]->pgsize_bitmap;
    /* vfio_update_pgsize_bitmap(): sub-page sizes become PAGE_SIZE. */
    if (bm & (MFD_PAGE_SIZE - 1)) {
        bm &= ~(MFD_PAGE_SIZE - 1);
        bm |= MFD_PAGE_SIZE;
    }
    return bm > iopt->iova_alignment ? bm : iopt->iova_alignment;
}

void iopt_destroy_table(struct io_pagetable *iopt)
{
    struct iopt_area *a;

    /* Domains are detached before the IOAS can die (they hold a reference);
     * if one is still listed, its driver state may be gone: do not call it. */
    iopt->ndomains = 0;
    while ((a = iopt_area_iter_first(iopt, 0, MFD_ULONG_MAX))) {
        struct iopt_pages *p = a->pages;

        if (a->filled && p)
            iopt_pages_unpin(p, area_first_index(a), area_last_index(a));
        mfd_itree_remove(&iopt->area_itree, &a->node);
        free(a);
        iopt_put_pages(p);
    }
    remove_reserved(iopt, NULL, true);
    iopt_free_allowed(&iopt->allowed_itree);
    free(iopt->domains);
    free(iopt->accesses);
    iopt->domains = NULL;
    iopt->accesses = NULL;
    iopt->domains_cap = iopt->accesses_cap = 0;
}
