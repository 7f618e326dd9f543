/* SPDX-License-Identifier: MIT */
/*
 * The IOAS and its io_pagetable (the kernel's drivers/iommu/iommufd/
 * io_pagetable.h, ioas.c, pages.c), reduced to what a userspace mock needs.
 *
 * An IOAS holds
 *  - areas: IOVA ranges mapped to a slice of an iopt_pages (a user VA range
 *    or a memfd range), never overlapping;
 *  - reserved ranges with an owner tag (domain apertures, device reserved
 *    regions, the selftest ADD_RESERVED op), which may overlap;
 *  - the allowed list (ALLOW_IOVAS), which only steers automatic allocation;
 *  - the attached paging domains, kept in step with the areas;
 *  - iova_alignment: max of the domains' smallest page size, the accesses'
 *    alignment, and PAGE_SIZE when huge pages are disabled (iommufd.md §11.4).
 *
 * Locking: everything here runs under the owning ctx->lock (one ioctl at a
 * time per fd). The process-wide pin counts have their own lock (pages.c).
 */
#ifndef IOMMU_EMU_MOCKFD_IO_PAGETABLE_H
#define IOMMU_EMU_MOCKFD_IO_PAGETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "itree.h"
#include "mockfd_internal.h"

/* The host's page size model: x86-64 with THP (iommufd.md §4.5). */
#define MFD_PAGE_SIZE  4096ull
#define MFD_HPAGE_SIZE (2ull << 20)
#define MFD_ULONG_MAX  UINT64_MAX

enum iopt_address_type { IOPT_ADDRESS_USER = 0, IOPT_ADDRESS_FILE = 1 };

/* The memory behind one MAP / MAP_FILE, shared by IOAS_COPY destinations. */
struct iopt_pages {
    int refs;                       /* areas + in-flight copy lists */
    enum iopt_address_type type;
    uint64_t uptr;                  /* page-aligned VA of page 0 (for FILE: our
                                     * private shared mapping of the file) */
    uint64_t npages;
    bool writable;                  /* pinned for write when pinned */
    /* IOPT_ADDRESS_FILE */
    uint64_t file_start;            /* page-aligned file offset of page 0 */
    void *file_map;
    size_t file_map_len;
    /* Pinning (pages.c): per-page count of filled areas covering the page.
     * NULL until the first pin. The process-wide count (mfd_pages_refs) is
     * raised once per iopt_pages per page, as the kernel pins once per
     * iopt_pages regardless of how many domains use it (iommufd.md §4.5). */
    uint32_t *pin_users;
    uint64_t npinned;
};

struct iopt_area {
    struct mfd_itree_node node;     /* IOVA range */
    struct iopt_pages *pages;       /* NULL while the area is being created */
    uint64_t start_byte;            /* byte offset of node.start in pages */
    unsigned prot;                  /* MFD_PROT_* */
    bool filled;                    /* pinned and mapped into every domain */
    unsigned num_locks;             /* HW queue locks (iommufd.md §4.19) */
    unsigned num_accesses;          /* access pins in this area (access.c);
                                     * unmap asks the accesses to unpin first */
};

struct iopt_reserved {
    struct mfd_itree_node node;
    const void *owner;
};

struct iopt_allowed {
    struct mfd_itree_node node;
};

struct iopt_access_ent {
    const void *owner;
    uint64_t iova_alignment;
    /* The access's unmap callback (iommufd_access_ops.unmap): asked to unpin
     * whatever it pinned in [iova, iova+length) before an area goes away
     * (iommufd.md §4.7). NULL for accesses that never pin. */
    void (*unmap)(void *data, uint64_t iova, uint64_t length);
    void *data;
};

struct io_pagetable {
    struct mfd_itree area_itree;
    struct mfd_itree reserved_itree;
    struct mfd_itree allowed_itree;
    struct mfd_domain **domains;
    size_t ndomains, domains_cap;
    struct iopt_access_ent *accesses;
    size_t naccesses, accesses_cap;
    uint64_t iova_alignment;
    bool disable_large_pages;
};

struct mfd_ioas {
    struct mfd_obj obj;             /* MFD_OBJ_IOAS */
    struct io_pagetable iopt;
};

static inline uint64_t iopt_area_iova(const struct iopt_area *a) { return a->node.start; }
static inline uint64_t iopt_area_last_iova(const struct iopt_area *a) { return a->node.last; }
static inline uint64_t iopt_area_length(const struct iopt_area *a)
{
    return a->node.last - a->node.start + 1;
}
/* User VA (== guest-physical address, domain.h) of the area's first byte. */
static inline uint64_t iopt_area_uva(const struct iopt_area *a)
{
    return a->pages->uptr + a->start_byte;
}

/* ---- IOAS objects (ioas.c) ------------------------------------------------ */

/* Lookup of an IOAS id; NULL if missing or not an IOAS (callers: ENOENT). */
struct mfd_ioas *mfd_ioas_get(struct mfd_ctx *ctx, uint32_t id);
/* Allocate an unpublished IOAS (for auto-created compat IOASes etc.). */
struct mfd_ioas *mfd_ioas_alloc_obj(struct mfd_ctx *ctx);

/* ---- io_pagetable (io_pagetable.c) ------------------------------------------ */

void iopt_init_table(struct io_pagetable *iopt);
/* Unmaps everything, drops reserved/allowed, unpins. Domains must be gone. */
void iopt_destroy_table(struct io_pagetable *iopt);

/* One slice of an iopt_pages to be mapped (MAP: one; COPY: one per source area). */
struct iopt_pages_elm {
    struct iopt_pages *pages;       /* reference owned by the element */
    uint64_t start_byte;
    uint64_t length;
    struct iopt_area *area;
};
#define IOPT_ALLOC_IOVA 1u
int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_elm *elms, size_t n,
                   uint64_t length, uint64_t *iova, unsigned prot, unsigned flags);
/* MAP of a user VA: the kernel's iopt_map_user_pages. */
int iopt_map_user_pages(struct io_pagetable *iopt, uint64_t *iova, uint64_t uptr,
                        uint64_t length, unsigned prot, unsigned flags);
/* COPY source: the slices covering [iova, iova+length), each with a pages ref.
 * -EINVAL (length 0), -EOVERFLOW, -ENOENT (not fully covered), -ENOMEM. */
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
                   struct iopt_pages_elm **out, size_t *nout);
void iopt_free_pages_list(struct iopt_pages_elm *elms, size_t n);
/* Ranged unmap (no splitting); *unmapped is set even on failure. */
int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
                    uint64_t *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped);
/* VFIO type1 v1: split the areas containing each iova so it becomes a last. */
int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas, size_t n);
/* Replace the allowed list with `t` (which receives the old one); -EADDRINUSE. */
int iopt_set_allow_iova(struct io_pagetable *iopt, struct mfd_itree *t);
void iopt_free_allowed(struct mfd_itree *t);
int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);
/* Pagesize bitmap VFIO reports (vfio_compat.c). */
uint64_t iopt_vfio_pgsizes(const struct io_pagetable *iopt);

/* ---- The attach API for the device/HWPT code (later issue) ----------------- */

/* Attach a paging domain: reserve everything outside its aperture, raise the
 * iova_alignment (-EADDRINUSE if existing areas do not conform, -EINVAL if it
 * would exceed PAGE_SIZE), pin and map every area into it (-EFAULT, -ENOMEM,
 * or the driver's error). On failure nothing is left behind. */
int iopt_table_add_domain(struct mfd_ioas *ioas, struct mfd_domain *d);
void iopt_table_remove_domain(struct mfd_ioas *ioas, struct mfd_domain *d);
/* Reserved IOVA with an owner tag (device reserved regions, ADD_RESERVED,
 * owner NULL for the selftest op). -EADDRINUSE if [start,last] intersects an
 * area or an allowed range; -EINVAL if start > last; -ENOMEM. */
int iopt_reserve(struct mfd_ioas *ioas, const void *owner, uint64_t start, uint64_t last);
void iopt_remove_reserved(struct mfd_ioas *ioas, const void *owner);
/* Accesses (emulated in-kernel users) only contribute an alignment here. */
int iopt_add_access(struct mfd_ioas *ioas, const void *owner, uint64_t iova_alignment);
void iopt_remove_access(struct mfd_ioas *ioas, const void *owner);
/* Same as iopt_add_access with an unmap callback (access.c). */
int iopt_add_access_cb(struct mfd_ioas *ioas, const void *owner, uint64_t iova_alignment,
                       void (*unmap)(void *data, uint64_t iova, uint64_t length), void *data);

/* Contiguous-area walk over [iova, last_iova], as the kernel's
 * iopt_for_each_contig_area: stops at the first gap. After the loop,
 * iopt_area_contig_done() tells whether the whole range was covered. */
struct iopt_area_contig_iter {
    uint64_t cur_iova, last_iova;
    struct iopt_area *area;
};
struct iopt_area *iopt_area_contig_init(struct iopt_area_contig_iter *it,
                                        struct io_pagetable *iopt, uint64_t iova,
                                        uint64_t last_iova);
struct iopt_area *iopt_area_contig_next(struct iopt_area_contig_iter *it);
static inline bool iopt_area_contig_done(const struct iopt_area_contig_iter *it)
{
    return it->area && it->last_iova <= iopt_area_last_iova(it->area);
}
#define iopt_for_each_contig_area(it, a, iopt, iova, last)                   \
    for ((a) = iopt_area_contig_init((it), (iopt), (iova), (last)); (a); \
         (a) = iopt_area_contig_next(it))

/* Area lookup for oracles (selftest MD_CHECK_MAP etc.). */
struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt, uint64_t start, uint64_t last);
struct iopt_area *iopt_area_iter_next(struct iopt_area *a, uint64_t start, uint64_t last);

/* ---- Pinning (pages.c) -------------------------------------------------------- */

struct iopt_pages *iopt_alloc_user_pages(uint64_t uptr, uint64_t length, bool writable,
                                         int *err);
struct iopt_pages *iopt_alloc_file_pages(int fd, uint64_t start, uint64_t length,
                                         bool writable, int *err);
static inline void iopt_get_pages_ref(struct iopt_pages *p) { p->refs++; }
void iopt_put_pages(struct iopt_pages *p);
/* Pin pages [first, last] (indexes) of p: -EFAULT if any page is not mapped
 * readable (or writable when p->writable), -ENOMEM. All or nothing. */
int iopt_pages_pin(struct iopt_pages *p, uint64_t first, uint64_t last);
void iopt_pages_unpin(struct iopt_pages *p, uint64_t first, uint64_t last);
/* Process-wide pin count of the page holding uva (selftest MD_CHECK_REFS). */
int mfd_pages_refs(uint64_t uva);
/* True if [uva, uva+len) is fully mapped with the given access (0 if not). */
bool mfd_user_range_ok(uint64_t uva, uint64_t len, bool write);

/* Allocation that passes the fault-injection point (iommu-sim --fail-nth). */
void *iopt_zalloc(size_t size);

#endif
