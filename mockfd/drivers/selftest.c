/* SPDX-License-Identifier: MIT */
/*
 * The selftest mock IOMMU driver (the kernel's drivers/iommu/iommufd/
 * selftest.c mock_ops; iommufd.md §6.4). It has no emulated hardware: one
 * shared software IOMMU instance serves every mock device of every iommufd
 * context, as the kernel's single mock_iommu_device does, so "same
 * instance" checks (nesting, vIOMMU) pass across fds.
 *
 * Mock paging domain: aperture [MOCK_APERTURE_START, MOCK_APERTURE_LAST],
 * 2 KiB IO pages (+1 MiB PTEs with pagetable_type MOCK_IOMMUPT_HUGE). The
 * page table is a two-level radix over iova >> 11 (the aperture is below
 * 2^31, so 2^20 slots: 1024 leaves of 1024); each slot holds the 2 KiB
 * "physical" page (host VA, domain.h) and the flag bits of the pre-iommupt
 * xarray mock: START/LAST mark the first/last IOVA of a map call so unmap
 * can check that the core never splits a mapping (the kernel's WARN_ONs,
 * counted in warn_count), DIRTY is the hardware dirty bit, HUGE marks the
 * 512 slots of a 1 MiB PTE (its dirty bit lives in the head slot).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "../../uapi/iommufd_test.h"
#include "../core/selftest.h"
#include "driver.h"

#define PG_SHIFT   11
#define PG_SIZE    ((uint64_t)MOCK_PAGE_SIZE)
#define HUGE_SIZE  ((uint64_t)MOCK_HUGE_PAGE_SIZE)
#define LEAF_BITS  10
#define LEAF_SLOTS (1u << LEAF_BITS)
#define NLEAVES    (1u << (31 - PG_SHIFT - LEAF_BITS))   /* iova < 2^31 */

/* slot bits: present | flags | pa >> 11 (pa < 2^56) */
#define E_PRESENT (1ull << 63)
#define E_START   (1ull << 62)
#define E_LAST    (1ull << 61)
#define E_DIRTY   (1ull << 60)
#define E_HUGE    (1ull << 59)
#define E_PFN     ((1ull << 56) - 1)

static atomic_ulong warn_cnt;

struct mock_domain {
    struct mfd_domain d;
    bool huge_type;              /* MOCK_IOMMUPT_HUGE */
    bool dirty_ops;              /* allocated with DIRTY_TRACKING */
    bool tracking;               /* MOCK_DIRTY_TRACK */
    uint64_t nmapped;            /* slots in use */
    uint64_t *leaves[NLEAVES];
};

struct mock_nested {
    struct mfd_domain d;
    struct mock_domain *parent;
    uint32_t iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

static const struct mfd_domain_ops paging_ops;
static const struct mfd_domain_ops nested_ops;

/* ---- mock devices ------------------------------------------------------- */

#define MAX_PASIDS 16

struct mock_dev {
    uint32_t rid;
    uint32_t flags;
    bool used;
    struct mfd_domain *rid_domain;
    struct {
        uint32_t pasid;
        struct mfd_domain *d;
    } pasids[MAX_PASIDS];
};

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mock_dev *devs;
static size_t ndevs, devs_cap;
static uint32_t next_rid = 1;

/* Caller holds dev_lock. */
static struct mock_dev *dev_find(uint32_t rid)
{
    for (size_t i = 0; i < ndevs; i++)
        if (devs[i].used && devs[i].rid == rid)
            return &devs[i];
    return NULL;
}

static uint32_t dev_flags(uint32_t rid)
{
    struct mock_dev *md;
    uint32_t f = 0;

    pthread_mutex_lock(&dev_lock);
    md = dev_find(rid);
    if (md)
        f = md->flags;
    pthread_mutex_unlock(&dev_lock);
    return f;
}

static int st_dev_create(uint32_t flags, uint32_t *rid)
{
    struct mock_dev *md = NULL;
    size_t i;

    /* mock_dev_create: only the flags this mock knows. HUGE_IOVA is the
     * pre-iommupt flag; the core refuses it for kernels that dropped it. */
    if (flags & ~(uint32_t)(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID |
                            MOCK_FLAGS_DEVICE_HUGE_IOVA))
        return -EINVAL;
    pthread_mutex_lock(&dev_lock);
    for (i = 0; i < ndevs; i++)
        if (!devs[i].used) {
            md = &devs[i];
            break;
        }
    if (!md) {
        if (ndevs == devs_cap) {
            size_t ncap = devs_cap ? devs_cap * 2 : 16;
            struct mock_dev *n = realloc(devs, ncap * sizeof(*n));

            if (!n) {
                pthread_mutex_unlock(&dev_lock);
                return -ENOMEM;
            }
            devs = n;
            devs_cap = ncap;
        }
        md = &devs[ndevs++];
    }
    memset(md, 0, sizeof(*md));
    md->used = true;
    md->flags = flags;
    md->rid = next_rid++;
    *rid = md->rid;
    pthread_mutex_unlock(&dev_lock);
    return 0;
}

static void st_dev_destroy(uint32_t rid)
{
    struct mock_dev *md;

    pthread_mutex_lock(&dev_lock);
    md = dev_find(rid);
    if (md)
        md->used = false;
    pthread_mutex_unlock(&dev_lock);
}

/* ---- the mock paging domain's page table -------------------------------- */

static uint64_t *slot(struct mock_domain *m, uint64_t iova, bool alloc)
{
    uint64_t idx = iova >> PG_SHIFT;
    uint64_t **leaf;

    if (idx >= (uint64_t)NLEAVES * LEAF_SLOTS)
        return NULL;
    leaf = &m->leaves[idx >> LEAF_BITS];
    if (!*leaf) {
        if (!alloc)
            return NULL;
        *leaf = calloc(LEAF_SLOTS, sizeof(uint64_t));
        if (!*leaf)
            return NULL;
    }
    return &(*leaf)[idx & (LEAF_SLOTS - 1)];
}

static uint64_t load(const struct mock_domain *m, uint64_t iova)
{
    uint64_t idx = iova >> PG_SHIFT;
    const uint64_t *leaf;

    if (idx >= (uint64_t)NLEAVES * LEAF_SLOTS)
        return 0;
    leaf = m->leaves[idx >> LEAF_BITS];
    return leaf ? leaf[idx & (LEAF_SLOTS - 1)] : 0;
}

static void erase_range(struct mock_domain *m, uint64_t iova, uint64_t end)
{
    for (; iova < end; iova += PG_SIZE) {
        uint64_t *s = slot(m, iova, false);

        if (s && *s) {
            *s = 0;
            m->nmapped--;
        }
    }
}

/* mock_domain_map_pages: every 2 KiB slot of the call is written; the
 * first gets START, the last LAST. 1 MiB PTEs when the format has them and
 * the IOAS allows huge pages (iommufd.md §8.2 "Huge mock PTEs"). */
static int mock_map(struct mfd_domain *d, uint64_t iova, uint64_t paddr, uint64_t len,
                    unsigned prot)
{
    struct mock_domain *m = (struct mock_domain *)d;
    uint64_t start = iova, end = iova + len, flags = E_START;

    (void)prot;
    if ((iova | paddr | len) & (PG_SIZE - 1))
        atomic_fetch_add(&warn_cnt, 1);
    while (iova < end) {
        bool huge = m->huge_type && d->allow_huge && !(iova & (HUGE_SIZE - 1)) &&
                    !(paddr & (HUGE_SIZE - 1)) && end - iova >= HUGE_SIZE;
        uint64_t n = huge ? HUGE_SIZE / PG_SIZE : 1;

        for (uint64_t i = 0; i < n; i++) {
            uint64_t *s = slot(m, iova, true);

            if (!s) {
                erase_range(m, start, iova);
                return iova >> PG_SHIFT >= (uint64_t)NLEAVES * LEAF_SLOTS ? -EINVAL : -ENOMEM;
            }
            if (*s) {
                /* WARN_ON(old): the core mapped over a mapping */
                atomic_fetch_add(&warn_cnt, 1);
                m->nmapped--;
            }
            if (iova + PG_SIZE >= end)
                flags |= E_LAST;
            *s = E_PRESENT | flags | (huge ? E_HUGE : 0) | ((paddr >> PG_SHIFT) & E_PFN);
            m->nmapped++;
            flags = 0;
            iova += PG_SIZE;
            paddr += PG_SIZE;
        }
    }
    return 0;
}

/* mock_domain_unmap_pages: the range must begin at a map call's first IOVA
 * and end at one's last (iommufd only unmaps whole areas). */
static uint64_t mock_unmap(struct mfd_domain *d, uint64_t iova, uint64_t len)
{
    struct mock_domain *m = (struct mock_domain *)d;
    uint64_t end = iova + len, first = load(m, iova), last = load(m, end - PG_SIZE);

    if ((iova | len) & (PG_SIZE - 1))
        atomic_fetch_add(&warn_cnt, 1);
    /* The map-boundary check is skipped with 1 MiB pages: the core switches
     * page sizes inside an area, so an unmap may break mid-map (the
     * kernel's mock_domain_unmap_pages says the same). */
    if (!m->huge_type && first && !(first & E_START))
        atomic_fetch_add(&warn_cnt, 1);
    if (!m->huge_type && last && !(last & E_LAST))
        atomic_fetch_add(&warn_cnt, 1);
    erase_range(m, iova, end);
    return len;
}

static void mock_free(struct mfd_domain *d)
{
    struct mock_domain *m = (struct mock_domain *)d;

    /* WARN_ON(!xa_empty(&mock->pfns)) */
    if (m->nmapped)
        atomic_fetch_add(&warn_cnt, 1);
    for (unsigned i = 0; i < NLEAVES; i++)
        free(m->leaves[i]);
    free(m);
}

static int mock_set_dirty_tracking(struct mfd_domain *d, bool enable)
{
    struct mock_domain *m = (struct mock_domain *)d;

    if (enable && !m->dirty_ops)
        return -EINVAL;
    m->tracking = enable;
    return 0;
}

/* mock_domain_read_and_clear_dirty: record each dirty PTE whole. */
static int mock_read_and_clear_dirty(struct mfd_domain *d, uint64_t iova, uint64_t len,
                                     unsigned flags, struct mfd_dirty_bitmap *bm)
{
    struct mock_domain *m = (struct mock_domain *)d;
    uint64_t end = iova + len;

    if (!m->tracking && bm)
        return -EINVAL;
    if (end < iova || end > (uint64_t)NLEAVES * LEAF_SLOTS * PG_SIZE)
        end = (uint64_t)NLEAVES * LEAF_SLOTS * PG_SIZE;
    iova &= ~(PG_SIZE - 1);
    while (iova < end) {
        uint64_t idx = iova >> PG_SHIFT, e, head, size;
        uint64_t *s;

        if (!m->leaves[idx >> LEAF_BITS]) {
            /* skip an empty leaf in one step */
            iova = ((idx >> LEAF_BITS) + 1) << (LEAF_BITS + PG_SHIFT);
            continue;
        }
        e = load(m, iova);
        if (!e) {
            iova += PG_SIZE;
            continue;
        }
        size = (e & E_HUGE) ? HUGE_SIZE : PG_SIZE;
        head = iova & ~(size - 1);
        s = slot(m, head, false);
        if (s && (*s & E_DIRTY)) {
            if (!(flags & MFD_DIRTY_NO_CLEAR))
                *s &= ~E_DIRTY;
            mfd_dirty_record(bm, head, size);
        }
        iova = head + size;
    }
    return 0;
}

static const struct mfd_domain_ops paging_ops = {
    .map = mock_map,
    .unmap = mock_unmap,
    .free = mock_free,
    .set_dirty_tracking = mock_set_dirty_tracking,
    .read_and_clear_dirty = mock_read_and_clear_dirty,
};

/* A domain without dirty ops shares everything else. */
static const struct mfd_domain_ops paging_nodirty_ops = {
    .map = mock_map,
    .unmap = mock_unmap,
    .free = mock_free,
};

static bool is_paging(const struct mfd_domain *d)
{
    return d && (d->ops == &paging_ops || d->ops == &paging_nodirty_ops);
}

/* ---- driver ops ----------------------------------------------------------- */

/* The kernel's sizeof(struct iommu_hwpt_selftest): pagetable_type came with
 * the iommupt selftest rework (6.19); before, the struct is just iotlb, so a
 * 6.12 kernel refuses 8 bytes of data with EINVAL (oracle corpus 13_hwpt_alloc,
 * docs/oracle.md). */
static size_t hwpt_selftest_ksize(void)
{
    if (mfd_kernel_version() < 619)
        return offsetof(struct iommu_hwpt_selftest, iotlb) +
               sizeof(((struct iommu_hwpt_selftest *)0)->iotlb);
    return sizeof(struct iommu_hwpt_selftest);
}

/* The kernel's __iommu_copy_struct_from_user() (include/linux/iommu.h), which
 * every driver uses for HWPT_ALLOC data and, per entry, for invalidation
 * arrays: a length below the struct's initial size (min_len) or ABOVE the
 * kernel's struct is -EINVAL, before copy_struct_from_user() runs; so a longer
 * user struct is refused even with a zero tail (never E2BIG here). */
static int copy_user_data(struct mfd_iommu_unit *u, void *dst, size_t ksize, size_t min_len,
                          uint64_t uptr, size_t len)
{
    if (len < min_len || ksize < len)
        return -EINVAL;
    return u->plat->copy_struct_from_user(dst, ksize, uptr, len);
}

static int st_probe(struct mfd_iommu_unit *u)
{
    (void)u;
    return 0;
}

static void st_remove(struct mfd_iommu_unit *u)
{
    (void)u;
}

/* mock_domain_hw_info (iommufd.md §4.11): DEFAULT or SELFTEST only */
static int st_hw_info(struct mfd_iommu_unit *u, uint32_t rid, uint32_t *type, void *buf,
                      uint32_t *len)
{
    struct iommu_test_hw_info info = { .flags = 0, .test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL };

    (void)u;
    (void)rid;
    if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != IOMMU_HW_INFO_TYPE_SELFTEST)
        return -EOPNOTSUPP;
    memcpy(buf, &info, sizeof(info));
    *len = sizeof(info);
    *type = IOMMU_HW_INFO_TYPE_SELFTEST;
    return 0;
}

/* mock_domain_capable */
static bool st_capable(struct mfd_iommu_unit *u, uint32_t rid, enum mfd_iommu_cap cap)
{
    (void)u;
    switch (cap) {
    case MFD_CAP_CACHE_COHERENCY:
        return true;
    case MFD_CAP_DIRTY_TRACKING:
        return !(dev_flags(rid) & MOCK_FLAGS_DEVICE_NO_DIRTY);
    default:
        return false;   /* no ATS: PCI_ATS_NOT_SUPPORTED in hw_info */
    }
}

static unsigned st_max_pasid_log2(struct mfd_iommu_unit *u, uint32_t rid)
{
    (void)u;
    return (dev_flags(rid) & MOCK_FLAGS_DEVICE_PASID) ? MOCK_PASID_WIDTH : 0;
}

static int st_resv_regions(struct mfd_iommu_unit *u, uint32_t rid, struct mfd_resv_region *r)
{
    (void)u;
    (void)rid;
    (void)r;
    return 0;
}

/* mock_domain_alloc_paging_flags */
static int st_domain_alloc_paging(struct mfd_iommu_unit *u, uint32_t rid, uint32_t flags,
                                  uint32_t data_type, uint64_t data_uptr, uint32_t data_len,
                                  struct mfd_domain **out)
{
    const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
                           IOMMU_HWPT_ALLOC_PASID;
    struct iommu_hwpt_selftest cfg = { 0 };
    bool dirty = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
    struct mock_domain *m;
    int rc;

    if (flags & ~valid)
        return -EOPNOTSUPP;
    if (data_len) {
        if (data_type != IOMMU_HWPT_DATA_SELFTEST)
            return -EOPNOTSUPP;
        /* iommu_copy_struct_from_user(.., iotlb) */
        rc = copy_user_data(u, &cfg, hwpt_selftest_ksize(),
                            offsetof(struct iommu_hwpt_selftest, iotlb) + sizeof(cfg.iotlb),
                            data_uptr, data_len);
        if (rc)
            return rc;
        if (cfg.pagetable_type > MOCK_IOMMUPT_AMDV1)
            return -EOPNOTSUPP;
    }
    if (dirty && (dev_flags(rid) & MOCK_FLAGS_DEVICE_NO_DIRTY))
        return -EOPNOTSUPP;
    m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->d.ops = dirty ? &paging_ops : &paging_nodirty_ops;
    m->d.aperture_start = MOCK_APERTURE_START;
    m->d.aperture_end = MOCK_APERTURE_LAST;
    /* 1 MiB PTEs: pagetable_type HUGE, or (pre-iommupt mock) a device
     * created with MOCK_FLAGS_DEVICE_HUGE_IOVA, whose every paging domain
     * gets MOCK_HUGE_PAGE_SIZE in pgsize_bitmap (mock_domain_alloc_paging) */
    m->huge_type = cfg.pagetable_type == MOCK_IOMMUPT_HUGE ||
                   (dev_flags(rid) & MOCK_FLAGS_DEVICE_HUGE_IOVA);
    m->d.pgsize_bitmap = PG_SIZE | (m->huge_type ? HUGE_SIZE : 0);
    m->dirty_ops = dirty;
    *out = &m->d;
    return 0;
}

static struct mfd_domain **dev_slot(struct mock_dev *md, uint32_t pasid, bool create)
{
    int free_i = -1;

    if (!pasid)
        return &md->rid_domain;
    for (int i = 0; i < MAX_PASIDS; i++) {
        if (md->pasids[i].d && md->pasids[i].pasid == pasid)
            return &md->pasids[i].d;
        if (!md->pasids[i].d && free_i < 0)
            free_i = i;
    }
    if (!create || free_i < 0)
        return NULL;
    md->pasids[free_i].pasid = pasid;
    return &md->pasids[free_i].d;
}

/* mock_domain_nop_attach + mock_domain_set_dev_pasid_nop */
static int st_attach_dev(struct mfd_iommu_unit *u, struct mfd_domain *d, uint32_t rid,
                         uint32_t pasid)
{
    struct mfd_domain **s;
    struct mock_dev *md;
    int rc = 0;

    (void)u;
    pthread_mutex_lock(&dev_lock);
    md = dev_find(rid);
    if (!md) {
        rc = -ENODEV;
        goto out;
    }
    /* a dirty-tracking domain on a device without dirty support */
    if (d->ops == &paging_ops && (md->flags & MOCK_FLAGS_DEVICE_NO_DIRTY)) {
        rc = -EINVAL;
        goto out;
    }
    if (pasid && (!(md->flags & MOCK_FLAGS_DEVICE_PASID) || pasid >= (1u << MOCK_PASID_WIDTH))) {
        rc = -EINVAL;
        goto out;
    }
    s = dev_slot(md, pasid, true);
    if (!s) {
        rc = -ENOSPC;
        goto out;
    }
    /* IOMMU_TEST_PASID_RESERVED: the mock fails a replace there, so the
     * core's replace error path is exercised */
    if (pasid == IOMMU_TEST_PASID_RESERVED && *s && *s != d) {
        rc = -ENOMEM;
        goto out;
    }
    *s = d;
out:
    pthread_mutex_unlock(&dev_lock);
    return rc;
}

static void st_detach_dev(struct mfd_iommu_unit *u, uint32_t rid, uint32_t pasid)
{
    struct mfd_domain **s;
    struct mock_dev *md;

    (void)u;
    pthread_mutex_lock(&dev_lock);
    md = dev_find(rid);
    s = md ? dev_slot(md, pasid, false) : NULL;
    if (s)
        *s = NULL;
    pthread_mutex_unlock(&dev_lock);
}

static void st_iotlb_sync(struct mfd_domain *d)
{
    (void)d;
}

/* ---- nested domain (IOMMU_HWPT_DATA_SELFTEST) ------------------------------ */

static int nested_map(struct mfd_domain *d, uint64_t iova, uint64_t paddr, uint64_t len,
                      unsigned prot)
{
    (void)d, (void)iova, (void)paddr, (void)len, (void)prot;
    return -EINVAL;   /* a nested domain has no mappings of its own */
}

static uint64_t nested_unmap(struct mfd_domain *d, uint64_t iova, uint64_t len)
{
    (void)d, (void)iova, (void)len;
    return 0;
}

static void nested_free(struct mfd_domain *d)
{
    free(d);
}

static const struct mfd_domain_ops nested_ops = {
    .map = nested_map,
    .unmap = nested_unmap,
    .free = nested_free,
};

/* mock_domain_alloc_nested / mock_viommu_alloc_domain_nested */
static int st_domain_alloc_nested(struct mfd_iommu_unit *u, uint32_t rid,
                                  struct mfd_domain *parent, uint32_t flags, uint32_t data_type,
                                  uint64_t data_uptr, uint32_t data_len, struct mfd_domain **out)
{
    struct iommu_hwpt_selftest cfg = { 0 };
    struct mock_nested *n;
    int rc;

    (void)rid;
    if ((flags & ~IOMMU_HWPT_ALLOC_PASID) || data_type != IOMMU_HWPT_DATA_SELFTEST)
        return -EOPNOTSUPP;
    if (!is_paging(parent))
        return -EINVAL;
    /* iommu_copy_struct_from_user(.., iotlb) */
    rc = copy_user_data(u, &cfg, hwpt_selftest_ksize(),
                        offsetof(struct iommu_hwpt_selftest, iotlb) + sizeof(cfg.iotlb),
                        data_uptr, data_len);
    if (rc)
        return rc;
    n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->d.ops = &nested_ops;
    n->d.aperture_start = parent->aperture_start;
    n->d.aperture_end = parent->aperture_end;
    n->d.pgsize_bitmap = parent->pgsize_bitmap;
    n->parent = (struct mock_domain *)parent;
    for (int i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
        n->iotlb[i] = cfg.iotlb;
    *out = &n->d;
    return 0;
}

/* mock_domain_cache_invalidate_user (iommufd.md §4.14): entries one by one,
 * stop at the first failure, *entry_num = entries handled. */
static int st_cache_invalidate_user(struct mfd_iommu_unit *u, struct mfd_domain *d,
                                    uint32_t data_type, uint64_t uptr, uint32_t entry_len,
                                    uint32_t *entry_num)
{
    struct mock_nested *n = (struct mock_nested *)d;
    const uint32_t min_len = offsetof(struct iommu_hwpt_invalidate_selftest, iotlb_id) +
                             sizeof(uint32_t);
    uint32_t i, done = 0;
    int rc = 0;

    if (d->ops != &nested_ops)
        return -EINVAL;
    if (data_type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
        rc = -EINVAL;
        goto out;
    }
    for (i = 0; i < *entry_num; i++) {
        struct iommu_hwpt_invalidate_selftest inv;

        /* iommu_copy_struct_from_user_array(.., iotlb_id) */
        rc = copy_user_data(u, &inv, sizeof(inv), min_len, uptr + (uint64_t)i * entry_len,
                            entry_len);
        if (rc)
            break;
        if (inv.flags & ~(uint32_t)IOMMU_TEST_INVALIDATE_FLAG_ALL) {
            rc = -EOPNOTSUPP;
            break;
        }
        if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
            rc = -EINVAL;
            break;
        }
        if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
            memset(n->iotlb, 0, sizeof(n->iotlb));
        else
            n->iotlb[inv.iotlb_id] = 0;
        done++;
    }
out:
    *entry_num = done;
    return rc;
}

const struct mfd_iommu_driver mfd_selftest_driver = {
    .name = "iommufd_mock",
    .model = (enum emu_model)-1,   /* no emulated hardware behind it */
    .probe = st_probe,
    .remove = st_remove,
    .hw_info = st_hw_info,
    .capable = st_capable,
    .max_pasid_log2 = st_max_pasid_log2,
    .resv_regions = st_resv_regions,
    .domain_alloc_paging = st_domain_alloc_paging,
    .attach_dev = st_attach_dev,
    .detach_dev = st_detach_dev,
    .iotlb_sync = st_iotlb_sync,
    .domain_alloc_nested = st_domain_alloc_nested,
    .cache_invalidate_user = st_cache_invalidate_user,
    .user_pasid_table = true,     /* mock_ops.user_pasid_table */
};

/* ---- services for mockfd/core/selftest.c ----------------------------------- */

static bool st_dirty_tracking(const struct mfd_domain *d)
{
    return is_paging(d) && ((const struct mock_domain *)d)->tracking;
}

static int st_lookup(const struct mfd_domain *d, uint64_t iova, struct mfd_st_pte *pte)
{
    const struct mock_domain *m = (const struct mock_domain *)d;
    uint64_t e, h;

    if (!is_paging(d))
        return -EINVAL;
    e = load(m, iova);
    if (!e)
        return -ENOENT;
    pte->size = (e & E_HUGE) ? HUGE_SIZE : PG_SIZE;
    pte->iova = iova & ~(pte->size - 1);
    h = load(m, pte->iova);
    pte->dirty = !!(h & E_DIRTY);
    pte->pa = ((e & E_PFN) << PG_SHIFT) | (iova & (PG_SIZE - 1));
    return 0;
}

static int st_set_dirty(struct mfd_domain *d, uint64_t iova)
{
    struct mock_domain *m = (struct mock_domain *)d;
    uint64_t e, size, *s;

    if (!is_paging(d))
        return -EINVAL;
    e = load(m, iova);
    if (!e)
        return -ENOENT;
    size = (e & E_HUGE) ? HUGE_SIZE : PG_SIZE;
    s = slot(m, iova & ~(size - 1), false);
    if (!s || !*s)
        return -ENOENT;
    *s |= E_DIRTY;
    return 0;
}

static bool st_is_nested(const struct mfd_domain *d)
{
    return d && d->ops == &nested_ops;
}

static int st_nested_iotlb(const struct mfd_domain *d, uint32_t id, uint32_t *val)
{
    if (!st_is_nested(d) || id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
        return -EINVAL;
    *val = ((const struct mock_nested *)d)->iotlb[id];
    return 0;
}

static unsigned long st_warn_count(void)
{
    return atomic_load(&warn_cnt);
}

const struct mfd_st_driver_api mfd_st_api = {
    .dev_create = st_dev_create,
    .dev_destroy = st_dev_destroy,
    .is_paging = is_paging,
    .dirty_tracking = st_dirty_tracking,
    .lookup = st_lookup,
    .set_dirty = st_set_dirty,
    .is_nested = st_is_nested,
    .nested_iotlb = st_nested_iotlb,
    .warn_count = st_warn_count,
};
