/* Helpers for the end-to-end suite: platform -> device fd -> iommufd -> IOAS
 * -> HWPT -> DMA through the emulated IOMMU -> dirty bitmap.
 *
 * Tests are table-driven over the hardware models: E2E_TEST(name) defines
 * one Criterion test per entry of the model list below, each calling
 * name(const struct e2e_model *): VT-d, AMD-Vi and SMMUv3, each as its
 * default (dirty tracking), nodirty and qemu profile. Expectations that
 * differ between the models (leaf sizes, reserved regions) come from the
 * model entry, never from skipping the check. */
#ifndef IOMMU_EMU_TESTS_E2E_UTIL_H
#define IOMMU_EMU_TESTS_E2E_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "mockfd/mockfd.h"
#include "tests/common/test_util.h"

/* One IOMMU model as the tests expect it to behave. */
struct e2e_model {
    const char *spec;            /* mockfd_platform_add_iommu spec */
    uint32_t rid;
    bool dirty;                  /* IOMMU_HW_CAP_DIRTY_TRACKING expected */
    bool huge;                   /* 2 MiB leaves available */
    uint32_t hw_info_type;
    uint32_t hw_info_len;
    uint8_t max_pasid_log2;
    /* The driver's domain pgsize_bitmap: the leaf sizes a map may use (VT-d
     * and SMMUv3 4K/2M/1G; AMD every power of two >= 4K but 512G,
     * amd_iommu_pgsize_bitmap), so a write dirties its whole leaf. */
    uint64_t pgsizes;
    /* IOMMU_IOAS_IOVA_RANGES once the device is attached: the aperture minus
     * the driver's reserved regions (its get_resv_regions). */
    unsigned nranges;
    struct { uint64_t start, last; } ranges[3];
    uint64_t msi_iova;           /* in the MSI window: MAP refused while attached */
    /* HWPT_ALLOC with NEST_PARENT on a paging domain: 0 when the hardware
     * can nest (SMMUv3 S1+S2), else the driver's -EOPNOTSUPP. */
    int nest_parent_rc;
    /* Dirty tracking cannot be turned off: SMMUv3 sets CD.HA|HD for the
     * domain's life, arm_smmu_set_dirty_tracking() is a no-op and
     * read_and_clear_dirty() has no "tracking off" -EINVAL; io-pgtable-arm
     * maps writable leaves DBM=1 with AP[2]=0, i.e. already dirty. VT-d and
     * AMD-Vi turn SSADE / DTE.HAD on and off and start leaves clean. */
    bool dirty_always_on;
    /* Paging domains enforce cache coherency (VFIO_DMA_CC_IOMMU): VT-d with
     * ECAP.SC (not QEMU's default), AMD-Vi always, SMMUv3 only with the
     * firmware's CANWBS (never here). */
    bool enforce_cc;
};

#define E2E_PG_4K_2M_1G ((1ull << 12) | (1ull << 21) | (1ull << 30))
/* AMD_IOMMU_PGSIZES (amdvi.md §5.2; mockfd/drivers/amdvi.c) */
#define E2E_PG_AMD_V1   (~0xfffull & ~(1ull << 39))

/* intel_iommu_get_resv_regions: the IOAPIC/MSI window; aperture 2^48 - 1
 * (MGAW 48 of every profile). */
#define E2E_VTD_COMMON \
    .hw_info_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .hw_info_len = 24, \
    .pgsizes = E2E_PG_4K_2M_1G, .nranges = 2, \
    .ranges = { { 0, 0xfedfffffull }, { 0xfef00000ull, (1ull << 48) - 1 } }, \
    .msi_iova = 0xfee00000ull, .nest_parent_rc = -EOPNOTSUPP
/* amd_iommu_get_resv_regions: MSI window, then the HyperTransport range
 * 0xFD_0000_0000-0xFF_FFFF_FFFF (no EFR2.HTRangeIgnore in these profiles);
 * aperture [0, 2^64 - 1]. NEST_PARENT needs GT/GIoSup/GCR3TRPMode. */
#define E2E_AMDVI_COMMON \
    .hw_info_type = IOMMU_HW_INFO_TYPE_AMD, .hw_info_len = 16, \
    .pgsizes = E2E_PG_AMD_V1, .nranges = 3, \
    .ranges = { { 0, 0xfedfffffull }, { 0xfef00000ull, 0xfcffffffffull }, \
                { 0x10000000000ull, UINT64_MAX } }, \
    .msi_iova = 0xfee00000ull, .nest_parent_rc = -EOPNOTSUPP
/* arm_smmu_get_resv_regions: the software MSI window MSI_IOVA_BASE
 * 0x8000000 + 1 MiB; S1 aperture 2^48 - 1 (ias 48, VA_BITS). NEST_PARENT
 * needs stage 2 (IDR0.S2P): the default profiles have it, QEMU's stage-1-only
 * SMMU does not. */
#define E2E_SMMUV3_COMMON \
    .hw_info_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3, .hw_info_len = 40, \
    .pgsizes = E2E_PG_4K_2M_1G, .nranges = 2, \
    .ranges = { { 0, 0x7ffffffull }, { 0x8100000ull, (1ull << 48) - 1 } }, \
    .msi_iova = 0x8000000ull, .dirty_always_on = true

#define E2E_MODEL(name, sp, r, d, h, pasid, ...) \
    static const struct e2e_model __attribute__((unused)) name = { \
        .spec = sp, .rid = r, .dirty = d, .huge = h, .max_pasid_log2 = pasid, __VA_ARGS__ }

E2E_MODEL(e2e_vtd, "vtd", 0x10, true, true, 20, E2E_VTD_COMMON, .enforce_cc = true);
E2E_MODEL(e2e_vtd_nodirty, "vtd:nodirty", 0x18, false, true, 20, E2E_VTD_COMMON,
          .enforce_cc = true);
E2E_MODEL(e2e_vtd_qemu, "vtd:qemu", 0x100, false, true, 0, E2E_VTD_COMMON, .enforce_cc = false);
E2E_MODEL(e2e_amdvi, "amdvi", 0x10, true, true, 15, E2E_AMDVI_COMMON, .enforce_cc = true);
E2E_MODEL(e2e_amdvi_nodirty, "amdvi:nodirty", 0x18, false, true, 15, E2E_AMDVI_COMMON,
          .enforce_cc = true);
E2E_MODEL(e2e_amdvi_qemu, "amdvi:qemu", 0x100, false, true, 0, E2E_AMDVI_COMMON,
          .enforce_cc = true);
E2E_MODEL(e2e_smmuv3, "smmuv3", 0x10, true, true, 20, E2E_SMMUV3_COMMON, .nest_parent_rc = 0);
E2E_MODEL(e2e_smmuv3_nodirty, "smmuv3:nodirty", 0x18, false, true, 20, E2E_SMMUV3_COMMON,
          .nest_parent_rc = 0);
/* QEMU's SMMUv3 with OAS 48 (idr5=0x75) instead of 44: pinned pages are
 * guest-physical at their user VA (47 bits), test_smmuv3_util.h */
E2E_MODEL(e2e_smmuv3_qemu, "smmuv3:qemu,idr5=0x75", 0x100, false, true, 0, E2E_SMMUV3_COMMON,
          .nest_parent_rc = -EOPNOTSUPP);

#define E2E_ONE(name, tag, model) \
    Test(e2e_##tag, name) { name(&model); }
/* Every model x {default, nodirty, qemu}. */
#define E2E_TEST_X(name) \
    E2E_ONE(name, vtd, e2e_vtd) E2E_ONE(name, vtd_nodirty, e2e_vtd_nodirty) \
    E2E_ONE(name, vtd_qemu, e2e_vtd_qemu) \
    E2E_ONE(name, amdvi, e2e_amdvi) E2E_ONE(name, amdvi_nodirty, e2e_amdvi_nodirty) \
    E2E_ONE(name, amdvi_qemu, e2e_amdvi_qemu) \
    E2E_ONE(name, smmu, e2e_smmuv3) E2E_ONE(name, smmu_nodirty, e2e_smmuv3_nodirty) \
    E2E_ONE(name, smmu_qemu, e2e_smmuv3_qemu)
/* Models whose hardware and driver track dirty pages. */
#define E2E_DIRTY_TEST_X(name) \
    E2E_ONE(name, vtd, e2e_vtd) E2E_ONE(name, amdvi, e2e_amdvi) E2E_ONE(name, smmu, e2e_smmuv3)
#define E2E_DIRTY_TEST(name) static void name(const struct e2e_model *m); E2E_DIRTY_TEST_X(name) \
    static void name(const struct e2e_model *m)
#define E2E_TEST(name) static void name(const struct e2e_model *m); E2E_TEST_X(name) \
    static void name(const struct e2e_model *m)

struct e2e {
    const struct e2e_model *m;
    int iommu, dev;              /* platform indexes */
    int fd, dfd;                 /* iommufd, device fd */
    uint32_t dev_id, ioas;
};

static inline int e2e_ioctl(int fd, unsigned long req, void *arg)
{
    return mockfd_ioctl(fd, req, arg) ? -errno : 0;
}

static inline void e2e_setup(struct e2e *e, const struct e2e_model *m)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };

    memset(e, 0, sizeof(*e));
    e->m = m;
    e->iommu = mockfd_platform_add_iommu(m->spec);
    cr_assert_geq(e->iommu, 0, "add_iommu %s: %d", m->spec, errno);
    e->dev = mockfd_platform_add_device(e->iommu, m->rid);
    cr_assert_geq(e->dev, 0);
    e->fd = mockfd_open();
    cr_assert_geq(e->fd, 0);
    e->dfd = mockfd_device_open(e->dev);
    cr_assert_geq(e->dfd, 0);
    bind.iommufd = e->fd;
    cr_assert_eq(e2e_ioctl(e->dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
    e->dev_id = bind.out_devid;
    cr_assert_neq(e->dev_id, 0);
    cr_assert_eq(e2e_ioctl(e->fd, IOMMU_IOAS_ALLOC, &ia), 0);
    e->ioas = ia.out_ioas_id;
}

static inline void e2e_teardown(struct e2e *e)
{
    cr_assert_eq(mockfd_close(e->dfd), 0);
    cr_assert_eq(mockfd_close(e->fd), 0);
}

/* An anonymous buffer aligned to `align`. */
static inline void *e2e_buf(size_t len, size_t align)
{
    uint8_t *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t a;

    cr_assert_neq(p, MAP_FAILED);
    a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    memset((void *)a, 0, len);
    return (void *)a;
}

static inline int e2e_map(struct e2e *e, uint32_t ioas, void *buf, uint64_t len, uint64_t iova)
{
    struct iommu_ioas_map map = {
        .size = sizeof(map), .ioas_id = ioas,
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        .user_va = (uintptr_t)buf, .length = len, .iova = iova,
    };

    return e2e_ioctl(e->fd, IOMMU_IOAS_MAP, &map);
}

static inline int e2e_hwpt_alloc(struct e2e *e, uint32_t flags, uint32_t pt_id, uint32_t *out)
{
    struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = e->dev_id,
                                  .pt_id = pt_id };
    int rc = e2e_ioctl(e->fd, IOMMU_HWPT_ALLOC, &a);

    if (!rc && out)
        *out = a.out_hwpt_id;
    return rc;
}

static inline int e2e_attach(struct e2e *e, uint32_t *pt_id)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = *pt_id };
    int rc = e2e_ioctl(e->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);

    *pt_id = at.pt_id;
    return rc;
}

static inline int e2e_detach(struct e2e *e)
{
    struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };

    return e2e_ioctl(e->dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de);
}

static inline int e2e_set_dirty(struct e2e *e, uint32_t hwpt, bool enable)
{
    struct iommu_hwpt_set_dirty_tracking s = {
        .size = sizeof(s), .hwpt_id = hwpt,
        .flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
    };

    return e2e_ioctl(e->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static inline int e2e_get_dirty(struct e2e *e, uint32_t hwpt, uint64_t iova, uint64_t len,
                                uint64_t page_size, void *bitmap, uint32_t flags)
{
    struct iommu_hwpt_get_dirty_bitmap g = {
        .size = sizeof(g), .hwpt_id = hwpt, .flags = flags, .iova = iova, .length = len,
        .page_size = page_size, .data = (uintptr_t)bitmap,
    };

    return e2e_ioctl(e->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static inline int e2e_dma(struct e2e *e, uint64_t iova, void *buf, size_t len, bool write)
{
    return mockfd_device_dma(e->dfd, 0, iova, buf, len, write) ? -errno : 0;
}

static inline int e2e_destroy(struct e2e *e, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return e2e_ioctl(e->fd, IOMMU_DESTROY, &d);
}

static inline bool e2e_bit(const void *bm, uint64_t i)
{
    return (((const uint8_t *)bm)[i / 8] >> (i % 8)) & 1;
}

static inline uint64_t e2e_popcount(const void *bm, size_t bytes)
{
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < bytes; i++)
        n += (uint64_t)__builtin_popcount(((const uint8_t *)bm)[i]);
    return n;
}


/* One IOAS_MAP as the driver saw it: a single map() of [iova, iova + len)
 * to the user VA (guest-physical == VA, domain.h). */
struct e2e_mapping {
    uint64_t iova;
    const void *va;
    uint64_t len;
    bool huge;                   /* IOMMU_OPTION_HUGE_PAGES of the IOAS */
};

/* The leaf of `mp` that holds `iova`, as iommu_pgsize() splits a map: at
 * each step the largest size of the model's pgsize_bitmap that the IOVA and
 * the physical address are both aligned to and that fits the remaining
 * length (4 KiB only without huge pages). */
static inline void e2e_leaf(const struct e2e_model *m, const struct e2e_mapping *mp,
                            uint64_t iova, uint64_t *start, uint64_t *len)
{
    uint64_t pos = mp->iova, pa = (uint64_t)(uintptr_t)mp->va, end = mp->iova + mp->len;

    cr_assert(iova >= mp->iova && iova < end, "iova %#llx outside the mapping",
              (unsigned long long)iova);
    for (;;) {
        uint64_t sz = 4096, bm = mp->huge ? m->pgsizes : 4096;
        int b;

        for (b = 63; b >= 12; b--) {
            uint64_t s = 1ull << b;

            if ((bm & s) && s <= end - pos && !((pos | pa) & (s - 1))) {
                sz = s;
                break;
            }
        }
        if (iova < pos + sz) {
            *start = pos;
            *len = sz;
            return;
        }
        pos += sz;
        pa += sz;
    }
}

/* OR into `bm` the bits a harvest of [rstart, rstart + rlen) at page size
 * psz reports after a DMA write of [iova, iova + len): every leaf the write
 * touched is dirty as a whole, clipped to the requested range. */
static inline void e2e_expect_write(const struct e2e_model *m, const struct e2e_mapping *mp,
                                    uint64_t iova, uint64_t len, uint64_t rstart,
                                    uint64_t rlen, uint64_t psz, void *bm)
{
    uint64_t at = iova;

    while (at < iova + len) {
        uint64_t ls, ll, a, z, i;

        e2e_leaf(m, mp, at, &ls, &ll);
        a = ls > rstart ? ls : rstart;
        z = ls + ll < rstart + rlen ? ls + ll : rstart + rlen;
        for (i = a; i < z; i += psz - ((i - rstart) % psz))
            ((uint8_t *)bm)[(i - rstart) / psz / 8] |= (uint8_t)(1u << ((i - rstart) / psz % 8));
        at = ls + ll;
    }
}

#endif
