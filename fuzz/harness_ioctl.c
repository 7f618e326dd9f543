/* SPDX-License-Identifier: MIT */
/*
 * Shared body of the ioctl-stream harness; format in harness_ioctl.h.
 *
 * Per input: a fresh iommufd, the calls, an oracle pass after each call, then
 * close of everything and the "close frees everything" checks. Oracles
 * (abort() on violation, so AFL++ records a crash):
 *  - the object table is consistent (ids ascending and unique, findable by
 *    id and type, users >= 1, count matches the iteration);
 *  - per IOAS: areas sorted, never overlapping, inside their pages, aligned
 *    to iova_alignment, never intersecting a reserved range; IOVA_RANGES
 *    returns exactly the holes of the reserved ranges, and the alignment;
 *  - a failed call changed nothing observable (object ids/types/users, every
 *    IOAS's areas, reserved and allowed ranges, alignment, VFIO compat
 *    state) -- except the calls the kernel documents as partial (UNMAP);
 *  - an out_*_id of a successful call names a live object;
 *  - GET_DIRTY_BITMAP reports only pages that some device DMA wrote and
 *    that are mapped -- or, on a domain whose writable leaves are mapped
 *    already dirty (SMMUv3, domain.h dirty_on_map), pages that are mapped
 *    and may not have been cleared since (as Linux's io-pgtable-arm);
 *  - after close(): no mock fd left open, no page left pinned, no device
 *    left bound, and (sanitized builds) no leak.
 */
#include "fuzz/harness_ioctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <iommufd_test.h>

#include "mockfd/core/device.h"
#include "mockfd/core/io_pagetable.h"
#include "mockfd/core/mockfd_internal.h"
#include "mockfd/mockfd.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_HAVE_LSAN 1
#endif
#ifdef FZ_HAVE_LSAN
int __lsan_do_recoverable_leak_check(void);
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define OFF(s, m) ((uint8_t)offsetof(struct s, m))

/* ---- the verb table --------------------------------------------------------- */

enum fkind {
    F_END,
    F_ID,       /* u32 object id: remapped to a live id */
    F_OUTID,    /* u32 id written back on success: must be live */
    F_FD,       /* s32 fd: remapped to one of ours */
    F_OUTFD,    /* s32 fd written back on success: tracked, closed at the end */
    F_PIN,      /* u64 user VA that stays mapped (MAP): arena only */
    F_PTR,      /* u64 user pointer read or written during the call */
    F_IOVA,     /* u64 IOVA: remapped to "nth area + page offset" */
};
enum lkind { L_NONE, L_U32, L_CNT16, L_U64, L_INV, L_BITMAP };

struct fld {
    uint8_t kind, off;
    uint8_t lkind, loff;          /* F_PTR: how the expected length is found */
};

enum vkind {
    V_STRUCT,    /* ioctl with a struct whose first u32 is the size */
    V_INT,       /* ioctl whose arg is an integer (VFIO_CHECK_EXTENSION) */
    V_NOARG,
    V_DEV,       /* VFIO cdev ioctl: targets a device slot by default */
    V_TEST,      /* IOMMU_TEST_CMD with op = test_op */
    V_DEV_OPEN, V_DEV_CLOSE, V_DMA, V_REOPEN, V_FAIL_NTH, V_RAW, V_READ, V_WRITE,
    V_CLOSE_FD,
};

struct verb {
    const char *name;
    uint8_t kind;
    bool partial;                 /* may change state and still fail */
    uint16_t size;                /* natural struct size */
    unsigned long request;
    uint32_t test_op;
    struct fld f[6];
};

#define IOC(nm, req, st, ...) \
    { #nm, V_STRUCT, false, sizeof(struct st), req, 0, { __VA_ARGS__ } }
/* id (offset 8) is an object id, or the access fd for the ACCESS_* ops. */
#define TSTK(nm, op, idk, ...) \
    { "TEST_" #nm, V_TEST, false, sizeof(struct iommu_test_cmd), IOMMU_TEST_CMD, op, \
      { { idk, 8, 0, 0 }, __VA_ARGS__ } }
#define TST(nm, op, ...) TSTK(nm, op, F_ID, __VA_ARGS__)
#define T16(k) { k, 16, 0, 0 }
#define T20(k) { k, 20, 0, 0 }
#define T24(k) { k, 24, 0, 0 }

static const struct verb verbs[] = {
    IOC(DESTROY, IOMMU_DESTROY, iommu_destroy, { F_ID, OFF(iommu_destroy, id), 0, 0 }),
    IOC(IOAS_ALLOC, IOMMU_IOAS_ALLOC, iommu_ioas_alloc,
        { F_OUTID, OFF(iommu_ioas_alloc, out_ioas_id), 0, 0 }),
    IOC(IOAS_ALLOW_IOVAS, IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas,
        { F_ID, OFF(iommu_ioas_allow_iovas, ioas_id), 0, 0 },
        { F_PTR, OFF(iommu_ioas_allow_iovas, allowed_iovas), L_CNT16,
          OFF(iommu_ioas_allow_iovas, num_iovas) }),
    IOC(IOAS_COPY, IOMMU_IOAS_COPY, iommu_ioas_copy,
        { F_ID, OFF(iommu_ioas_copy, dst_ioas_id), 0, 0 },
        { F_ID, OFF(iommu_ioas_copy, src_ioas_id), 0, 0 },
        { F_IOVA, OFF(iommu_ioas_copy, src_iova), 0, 0 }),
    IOC(IOAS_IOVA_RANGES, IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges,
        { F_ID, OFF(iommu_ioas_iova_ranges, ioas_id), 0, 0 },
        { F_PTR, OFF(iommu_ioas_iova_ranges, allowed_iovas), L_CNT16,
          OFF(iommu_ioas_iova_ranges, num_iovas) }),
    IOC(IOAS_MAP, IOMMU_IOAS_MAP, iommu_ioas_map,
        { F_ID, OFF(iommu_ioas_map, ioas_id), 0, 0 },
        { F_PIN, OFF(iommu_ioas_map, user_va), 0, 0 }),
    /* iommufd.md §4: UNMAP of a range stops at the first area that is not
     * fully contained, after unmapping the ones before it (ENOENT). */
    { "IOAS_UNMAP", V_STRUCT, true, sizeof(struct iommu_ioas_unmap), IOMMU_IOAS_UNMAP, 0,
      { { F_ID, OFF(iommu_ioas_unmap, ioas_id), 0, 0 },
        { F_IOVA, OFF(iommu_ioas_unmap, iova), 0, 0 } } },
    IOC(OPTION, IOMMU_OPTION, iommu_option, { F_ID, OFF(iommu_option, object_id), 0, 0 }),
    IOC(VFIO_IOAS, IOMMU_VFIO_IOAS, iommu_vfio_ioas,
        { F_ID, OFF(iommu_vfio_ioas, ioas_id), 0, 0 }),
    IOC(HWPT_ALLOC, IOMMU_HWPT_ALLOC, iommu_hwpt_alloc,
        { F_ID, OFF(iommu_hwpt_alloc, dev_id), 0, 0 },
        { F_ID, OFF(iommu_hwpt_alloc, pt_id), 0, 0 },
        { F_OUTID, OFF(iommu_hwpt_alloc, out_hwpt_id), 0, 0 },
        { F_PTR, OFF(iommu_hwpt_alloc, data_uptr), L_U32, OFF(iommu_hwpt_alloc, data_len) },
        { F_ID, OFF(iommu_hwpt_alloc, fault_id), 0, 0 }),
    IOC(GET_HW_INFO, IOMMU_GET_HW_INFO, iommu_hw_info,
        { F_ID, OFF(iommu_hw_info, dev_id), 0, 0 },
        { F_PTR, OFF(iommu_hw_info, data_uptr), L_U32, OFF(iommu_hw_info, data_len) }),
    IOC(HWPT_SET_DIRTY, IOMMU_HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking,
        { F_ID, OFF(iommu_hwpt_set_dirty_tracking, hwpt_id), 0, 0 }),
    IOC(HWPT_GET_DIRTY, IOMMU_HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
        { F_ID, OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id), 0, 0 },
        { F_IOVA, OFF(iommu_hwpt_get_dirty_bitmap, iova), 0, 0 },
        { F_PTR, OFF(iommu_hwpt_get_dirty_bitmap, data), L_BITMAP, 0 }),
    IOC(HWPT_INVALIDATE, IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate,
        { F_ID, OFF(iommu_hwpt_invalidate, hwpt_id), 0, 0 },
        { F_PTR, OFF(iommu_hwpt_invalidate, data_uptr), L_INV, 0 }),
    IOC(FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC, iommu_fault_alloc,
        { F_OUTID, OFF(iommu_fault_alloc, out_fault_id), 0, 0 },
        { F_OUTFD, OFF(iommu_fault_alloc, out_fault_fd), 0, 0 }),
    IOC(IOAS_MAP_FILE, IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file,
        { F_ID, OFF(iommu_ioas_map_file, ioas_id), 0, 0 },
        { F_FD, OFF(iommu_ioas_map_file, fd), 0, 0 }),
    IOC(VIOMMU_ALLOC, IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc,
        { F_ID, OFF(iommu_viommu_alloc, dev_id), 0, 0 },
        { F_ID, OFF(iommu_viommu_alloc, hwpt_id), 0, 0 },
        { F_OUTID, OFF(iommu_viommu_alloc, out_viommu_id), 0, 0 },
        { F_PTR, OFF(iommu_viommu_alloc, data_uptr), L_U32, OFF(iommu_viommu_alloc, data_len) }),
    IOC(VDEVICE_ALLOC, IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc,
        { F_ID, OFF(iommu_vdevice_alloc, viommu_id), 0, 0 },
        { F_ID, OFF(iommu_vdevice_alloc, dev_id), 0, 0 },
        { F_OUTID, OFF(iommu_vdevice_alloc, out_vdevice_id), 0, 0 }),
    IOC(IOAS_CHANGE_PROCESS, IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process, { F_END, 0, 0, 0 }),
    IOC(VEVENTQ_ALLOC, IOMMU_VEVENTQ_ALLOC, iommu_veventq_alloc,
        { F_ID, OFF(iommu_veventq_alloc, viommu_id), 0, 0 },
        { F_OUTID, OFF(iommu_veventq_alloc, out_veventq_id), 0, 0 },
        { F_OUTFD, OFF(iommu_veventq_alloc, out_veventq_fd), 0, 0 }),
    IOC(HW_QUEUE_ALLOC, IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc,
        { F_ID, OFF(iommu_hw_queue_alloc, viommu_id), 0, 0 },
        { F_OUTID, OFF(iommu_hw_queue_alloc, out_hw_queue_id), 0, 0 },
        { F_IOVA, OFF(iommu_hw_queue_alloc, nesting_parent_iova), 0, 0 }),

    /* IOMMU_TEST_CMD, one verb per op (uapi/iommufd_test.h offsets). */
    TST(ADD_RESERVED, IOMMU_TEST_OP_ADD_RESERVED, T16(F_IOVA)),
    TST(MOCK_DOMAIN, IOMMU_TEST_OP_MOCK_DOMAIN, T16(F_OUTID), T20(F_OUTID), T24(F_OUTID)),
    TST(MD_CHECK_MAP, IOMMU_TEST_OP_MD_CHECK_MAP, T16(F_IOVA), { F_PTR, 32, L_U64, 24 }),
    TST(MD_CHECK_REFS, IOMMU_TEST_OP_MD_CHECK_REFS, { F_PTR, 24, L_U64, 16 }),
    TST(CREATE_ACCESS, IOMMU_TEST_OP_CREATE_ACCESS, T16(F_OUTFD)),
    TSTK(DESTROY_ACCESS_PAGES, IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, F_FD, { F_END, 0, 0, 0 }),
    TSTK(ACCESS_PAGES, IOMMU_TEST_OP_ACCESS_PAGES, F_FD, T24(F_IOVA), { F_PIN, 40, 0, 0 }),
    TSTK(ACCESS_RW, IOMMU_TEST_OP_ACCESS_RW, F_FD, T16(F_IOVA), { F_PTR, 32, L_U64, 24 }),
    TST(SET_TEMP_MEMORY_LIMIT, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, { F_END, 0, 0, 0 }),
    TST(MOCK_DOMAIN_REPLACE, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, T16(F_ID)),
    TSTK(ACCESS_REPLACE_IOAS, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, F_FD, T16(F_ID)),
    TST(MOCK_DOMAIN_FLAGS, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, T16(F_OUTID), T20(F_OUTID),
        T24(F_OUTID)),
    TST(DIRTY, IOMMU_TEST_OP_DIRTY, T24(F_IOVA), { F_PTR, 48, L_NONE, 0 }),
    TST(MD_CHECK_IOTLB, IOMMU_TEST_OP_MD_CHECK_IOTLB, T16(F_ID)),
    TST(TRIGGER_IOPF, IOMMU_TEST_OP_TRIGGER_IOPF, T16(F_ID)),
    TST(DEV_CHECK_CACHE, IOMMU_TEST_OP_DEV_CHECK_CACHE, T16(F_ID)),
    TST(TRIGGER_VEVENT, IOMMU_TEST_OP_TRIGGER_VEVENT, T16(F_ID)),
    TST(PASID_ATTACH, IOMMU_TEST_OP_PASID_ATTACH, T20(F_ID)),
    TST(PASID_REPLACE, IOMMU_TEST_OP_PASID_REPLACE, T20(F_ID)),
    TST(PASID_DETACH, IOMMU_TEST_OP_PASID_DETACH, { F_END, 0, 0, 0 }),
    TST(PASID_CHECK_HWPT, IOMMU_TEST_OP_PASID_CHECK_HWPT, T20(F_ID)),

    /* VFIO type1 container compat on the iommufd (iommufd.md §5). */
    { "VFIO_GET_API_VERSION", V_NOARG, false, 0, VFIO_GET_API_VERSION, 0, { { F_END, 0, 0, 0 } } },
    { "VFIO_CHECK_EXTENSION", V_INT, false, 0, VFIO_CHECK_EXTENSION, 0, { { F_END, 0, 0, 0 } } },
    { "VFIO_SET_IOMMU", V_INT, false, 0, VFIO_SET_IOMMU, 0, { { F_END, 0, 0, 0 } } },
    IOC(VFIO_IOMMU_GET_INFO, VFIO_IOMMU_GET_INFO, vfio_iommu_type1_info, { F_END, 0, 0, 0 }),
    IOC(VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_MAP_DMA, vfio_iommu_type1_dma_map,
        { F_PIN, OFF(vfio_iommu_type1_dma_map, vaddr), 0, 0 }),
    { "VFIO_IOMMU_UNMAP_DMA", V_STRUCT, true, sizeof(struct vfio_iommu_type1_dma_unmap),
      VFIO_IOMMU_UNMAP_DMA, 0, { { F_IOVA, OFF(vfio_iommu_type1_dma_unmap, iova), 0, 0 } } },
    { "VFIO_IOMMU_ENABLE", V_NOARG, false, 0, VFIO_IOMMU_ENABLE, 0, { { F_END, 0, 0, 0 } } },
    { "VFIO_IOMMU_DIRTY_PAGES", V_STRUCT, false, 16, VFIO_IOMMU_DIRTY_PAGES, 0,
      { { F_END, 0, 0, 0 } } },

    /* VFIO cdev device fds (contract §2). */
    { "DEV_BIND", V_DEV, false, sizeof(struct vfio_device_bind_iommufd),
      VFIO_DEVICE_BIND_IOMMUFD, 0,
      { { F_FD, OFF(vfio_device_bind_iommufd, iommufd), 0, 0 },
        { F_OUTID, OFF(vfio_device_bind_iommufd, out_devid), 0, 0 },
        { F_PTR, OFF(vfio_device_bind_iommufd, token_uuid_ptr), L_NONE, 0 } } },
    { "DEV_ATTACH", V_DEV, false, sizeof(struct vfio_device_attach_iommufd_pt),
      VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0,
      { { F_ID, OFF(vfio_device_attach_iommufd_pt, pt_id), 0, 0 } } },
    { "DEV_DETACH", V_DEV, false, sizeof(struct vfio_device_detach_iommufd_pt),
      VFIO_DEVICE_DETACH_IOMMUFD_PT, 0, { { F_END, 0, 0, 0 } } },

    /* Harness verbs. */
    { "DEV_OPEN", V_DEV_OPEN, false, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "DEV_CLOSE", V_DEV_CLOSE, false, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "DMA", V_DMA, true, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "REOPEN", V_REOPEN, false, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "FAIL_NTH", V_FAIL_NTH, false, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "RAW", V_RAW, true, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "READ", V_READ, true, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "WRITE", V_WRITE, true, 0, 0, 0, { { F_END, 0, 0, 0 } } },
    { "CLOSE_FD", V_CLOSE_FD, true, 0, 0, 0, { { F_END, 0, 0, 0 } } },
};

int fuzz_ioctl_verb(const char *name)
{
    for (unsigned i = 0; i < ARRAY_SIZE(verbs); i++)
        if (!strcmp(verbs[i].name, name))
            return (int)i;
    return -1;
}

unsigned fuzz_ioctl_nverbs(void) { return ARRAY_SIZE(verbs); }

/* ---- process-wide setup ------------------------------------------------------ */

#define ARENA_PAGES 32u
#define ARENA_LEN ((size_t)ARENA_PAGES * 4096u)
#define MAX_DEVS 4
#define MAX_XFDS 8
#define MAX_WRITTEN 1024
#define MAX_CLEAN 16
#define HEAP_MAX 65536u
/* Never mapped in a user process: the first page, and a non-canonical
 * address (EFAULT without any risk of hitting our own memory). */
static const uint64_t raw_ptrs[4] = { 0, 8, 0xdead000000000000ull, 0xffff800000001000ull };

/* Every buffer the mock sees as user memory (a call's struct, "heap"
 * pointers, DMA and read/write buffers) sits in one of NSLOTS reused slots,
 * each followed by a guard page, and ends exactly at that guard:
 *  - the mock writes user memory through its uaccess copy, which ASan does
 *    not instrument. A call that legitimately writes more than the harness
 *    gave it (an output array or bitmap as long as the struct's own length
 *    field says) overwrote whatever followed a heap buffer: in ASan builds
 *    the allocator's chunk headers, seen inputs later as "bad-free" or an
 *    abort in the LSan check, and only in long-running processes (campaign
 *    finding, docs/fuzzing.md). Past the end is now an unmapped page, so such
 *    a call fails with EFAULT, as the kernel's does for user memory laid out
 *    that way;
 *  - an instrumented read past the end faults, which ASan reports;
 *  - where a buffer lies in its page depends on its size only, never on the
 *    heap's history: the mock's paths depend on that offset (one-access fast
 *    path when a struct does not cross a page, uaccess's block loops), and a
 *    history-dependent offset is what AFL++ counts as instability.
 * At most 7 are live at once (a call's struct and its 6 pointer fields). */
#define SLOT_LEN (HEAP_MAX + 4096u)    /* >= every size a buffer can have */
#define SLOT_STRIDE (SLOT_LEN + 4096u) /* the slot and its guard page */
#define NSLOTS 8u
static uint8_t *slots;
static uint8_t slot_used[NSLOTS];

static uint8_t *arena;            /* guard page, ARENA_LEN, guard page */
static int memfd = -1;
static int ndevices;              /* platform devices */
static bool setup_done;
static bool trace;                /* FUZZ_TRACE=1: one line per call on stderr */
static bool arena_touched;        /* user memory may differ from all-zero */
static bool memfd_touched;        /* a MAP_FILE may have let a device write it */
static int fd_hi = 64;            /* highest fd number seen, for the leak scan */
static bool leak_check =
#ifdef FUZZ_SANITIZED
    true;
#else
    false;
#endif

void fuzz_ioctl_set_leak_check(int on) { leak_check = on; }

static void warm_up(void);

void fuzz_ioctl_setup(void)
{
    static const char *const iommus[] = { "vtd", "amdvi", "smmuv3" };
    uint8_t *m;

    if (setup_done)
        return;
    setup_done = true;
    m = mmap(NULL, ARENA_LEN + 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (m == MAP_FAILED) {
        perror("fuzz: arena");
        abort();
    }
    mprotect(m, 4096, PROT_NONE);
    mprotect(m + 4096 + ARENA_LEN, 4096, PROT_NONE);
    arena = m + 4096;
    slots = mmap(NULL, (size_t)NSLOTS * SLOT_STRIDE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED) {
        perror("fuzz: buffer slots");
        abort();
    }
    for (unsigned i = 0; i < NSLOTS; i++)
        mprotect(slots + (size_t)i * SLOT_STRIDE + SLOT_LEN, 4096, PROT_NONE);
    memfd = memfd_create("fuzz-map-file", 0);
    if (memfd >= 0 && ftruncate(memfd, (off_t)ARENA_LEN))
        perror("fuzz: memfd");
    /* The platform is process-wide state (contract §2): build it once,
     * before __AFL_INIT. Until the devices issue lands this is ENODEV and
     * the device verbs just fail. */
    for (unsigned i = 0; i < ARRAY_SIZE(iommus); i++) {
        int u = mockfd_platform_add_iommu(iommus[i]);

        if (u < 0)
            continue;
        for (uint32_t rid = 0x10; rid <= 0x18; rid += 8)
            if (mockfd_platform_add_device(u, rid) >= 0)
                ndevices++;
    }
    warm_up();
    trace = getenv("FUZZ_TRACE") != NULL;   /* after the warm-up: inputs only */
}

/* ---- per-input state ------------------------------------------------------------ */

struct run {
    int fd;                        /* the iommufd */
    int dev[MAX_DEVS];
    int xfd[MAX_XFDS];             /* fds returned by calls (fault, veventq, access) */
    uint64_t written[MAX_WRITTEN]; /* IOVA pages written by device DMA */
    unsigned nwritten;
    bool dirty_oracle;             /* false once the selftest could set dirty bits */
    /* HWPTs cleared by SET_DIRTY_TRACKING(enable) with no map since: on a
     * dirty_on_map domain only these owe a bit to a DMA write. */
    uint32_t clean[MAX_CLEAN];
    unsigned nclean;
    long fail_nth;                 /* armed for the next call */
    unsigned step;
};

static void *page_alloc(size_t n, bool zero)
{
    uint8_t *p = NULL;

    if (n == 0)
        n = 1;
    for (unsigned i = 0; n <= SLOT_LEN && i < NSLOTS; i++)
        if (!slot_used[i]) {
            slot_used[i] = 1;
            p = slots + (size_t)i * SLOT_STRIDE + SLOT_LEN - n;
            break;
        }
    if (!p)
        abort();   /* a harness bug: a size above SLOT_LEN, or a buffer not freed */
    if (zero)
        memset(p, 0, n);
    return p;
}

static void page_free(void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)slots;

    if (!p)
        return;
    if (off >= (uintptr_t)NSLOTS * SLOT_STRIDE)
        abort();   /* a harness bug: not a slot buffer */
    slot_used[off / SLOT_STRIDE] = 0;
}

static void die(const struct run *r, const char *what)
{
    fprintf(stderr, "fuzz-ioctl: ORACLE VIOLATION at step %u: %s\n", r->step, what);
    abort();
}

static struct mfd_ctx *ctx_of(int fd)
{
    struct mfd_file *f = mfd_file_get(fd);
    struct mfd_ctx *ctx;

    if (!f)
        return NULL;
    ctx = mfd_ctx_from_file(f);
    mfd_file_put(f);   /* the fd stays open, so the ctx stays alive */
    return ctx;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_le(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- remapping ------------------------------------------------------------------ */

static uint32_t live_id(struct mfd_ctx *ctx, uint64_t v)
{
    size_t n = ctx ? mfd_obj_count(ctx) : 0;
    struct mfd_obj *o;
    uint32_t id = 0;

    /* Index n (one past the live objects) stays invalid: ENOENT paths. */
    if (!n || (v % (n + 1)) == n)
        return (uint32_t)v == 0 ? 0 : (uint32_t)(n + 1 + (v & 0xff));
    v %= n + 1;
    while ((o = mfd_obj_next(ctx, id))) {
        id = o->id;
        if (!v--)
            return id;
    }
    return 0;
}

static int harness_fd(const struct run *r, uint64_t v)
{
    int c[2 + MAX_DEVS + MAX_XFDS], n = 0;

    c[n++] = r->fd;
    c[n++] = memfd;
    for (int i = 0; i < MAX_DEVS; i++)
        if (r->dev[i] >= 0)
            c[n++] = r->dev[i];
    for (int i = 0; i < MAX_XFDS; i++)
        if (r->xfd[i] >= 0)
            c[n++] = r->xfd[i];
    return (v & 0x80) ? -1 - (int)(v & 7) : c[v % (unsigned)n];
}

/* The n-th (modulo their number) area over every IOAS of the ctx, for
 * "nth area + page offset" IOVAs. */
static bool nth_area(struct mfd_ctx *ctx, unsigned n, uint64_t *start, uint64_t *len)
{
    unsigned total = 0;

    for (int pass = 0; pass < 2; pass++) {
        struct mfd_obj *o;
        uint32_t id = 0;
        unsigned k = 0;

        if (pass == 1) {
            if (!total)
                return false;
            n %= total;
        }
        while (ctx && (o = mfd_obj_next(ctx, id))) {
            id = o->id;
            if (o->type != MFD_OBJ_IOAS)
                continue;
            struct io_pagetable *iopt = &mfd_container_of(o, struct mfd_ioas, obj)->iopt;
            for (struct iopt_area *a = iopt_area_iter_first(iopt, 0, UINT64_MAX); a;
                 a = iopt_area_iter_next(a, 0, UINT64_MAX), k++) {
                if (pass == 1 && k == n) {
                    *start = iopt_area_iova(a);
                    *len = iopt_area_length(a);
                    return true;
                }
            }
        }
        total = k;
    }
    return false;
}

static uint64_t remap_iova(struct mfd_ctx *ctx, uint64_t v)
{
    uint64_t start, len;

    if (!nth_area(ctx, (unsigned)(v & 0xff), &start, &len))
        return v;
    return start + (((v >> 8) % ((len + 4095) / 4096)) * 4096);
}

/* ---- the oracles ----------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_tree(uint64_t h, const struct mfd_itree *t)
{
    for (struct mfd_itree_node *n = mfd_itree_iter_first(t, 0, UINT64_MAX); n;
         n = mfd_itree_iter_next(n, 0, UINT64_MAX))
        h = mix(mix(h, n->start), n->last);
    return h;
}

/* Everything a failed call must leave as it was. */
static uint64_t snapshot(struct mfd_ctx *ctx)
{
    uint64_t h = 1;
    struct mfd_obj *o;
    uint32_t id = 0;

    if (!ctx)
        return 0;
    h = mix(h, ctx->vfio_ioas_id);
    h = mix(h, (uint64_t)ctx->vfio_type);
    h = mix(h, ctx->account_mm);
    while ((o = mfd_obj_next(ctx, id))) {
        id = o->id;
        h = mix(mix(mix(h, o->id), o->type), (uint64_t)o->users);
        if (o->type != MFD_OBJ_IOAS)
            continue;
        struct io_pagetable *iopt = &mfd_container_of(o, struct mfd_ioas, obj)->iopt;
        for (struct iopt_area *a = iopt_area_iter_first(iopt, 0, UINT64_MAX); a;
             a = iopt_area_iter_next(a, 0, UINT64_MAX))
            h = mix(mix(mix(h, a->node.start), a->node.last), a->prot);
        h = hash_tree(h, &iopt->reserved_itree);
        h = hash_tree(h, &iopt->allowed_itree);
        h = mix(mix(h, iopt->iova_alignment), iopt->ndomains);
        h = mix(h, iopt->disable_large_pages);
    }
    return h;
}

struct span { uint64_t start, last; };

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/* The holes of the reserved ranges, computed independently of ioas.c. */
static unsigned expected_ranges(struct io_pagetable *iopt, struct span *out, unsigned max)
{
    struct span res[256];
    unsigned nres = 0, n = 0;
    uint64_t next = 0;
    bool more = true;

    for (struct mfd_itree_node *t = mfd_itree_iter_first(&iopt->reserved_itree, 0, UINT64_MAX);
         t && nres < ARRAY_SIZE(res); t = mfd_itree_iter_next(t, 0, UINT64_MAX))
        res[nres++] = (struct span){ t->start, t->last };
    qsort(res, nres, sizeof(res[0]), span_cmp);
    for (unsigned i = 0; i < nres && more; i++) {
        if (res[i].last < next)
            continue;
        if (res[i].start > next && n < max)
            out[n++] = (struct span){ next, res[i].start - 1 };
        else if (res[i].start > next)
            n++;
        if (res[i].last == UINT64_MAX)
            more = false;
        else if (res[i].last + 1 > next)
            next = res[i].last + 1;
    }
    if (more) {
        if (n < max)
            out[n] = (struct span){ next, UINT64_MAX };
        n++;
    }
    return n;
}

static void check_ioas(const struct run *r, struct mfd_ioas *ioas)
{
    struct io_pagetable *iopt = &ioas->iopt;
    struct iommu_iova_range got[64];
    struct span want[64];
    struct iommu_ioas_iova_ranges q = {
        .size = sizeof(q), .ioas_id = ioas->obj.id, .num_iovas = 64,
        .allowed_iovas = (uintptr_t)got,
    };
    uint64_t prev_last = 0, align = iopt->iova_alignment;
    bool first = true;
    unsigned nwant;

    if (!align || (align & (align - 1)))
        die(r, "iova_alignment is not a power of two");
    for (struct iopt_area *a = iopt_area_iter_first(iopt, 0, UINT64_MAX); a;
         a = iopt_area_iter_next(a, 0, UINT64_MAX)) {
        uint64_t s = iopt_area_iova(a), l = iopt_area_last_iova(a);

        if (s > l)
            die(r, "area with start > last");
        if (!first && s <= prev_last)
            die(r, "areas overlap or are out of order");
        if (!a->pages)
            die(r, "area without pages after the call");
        if (a->start_byte + (l - s) < a->start_byte ||
            a->start_byte + (l - s) >= a->pages->npages * MFD_PAGE_SIZE)
            die(r, "area runs past its pages");
        if ((s & (align - 1)) || ((l - s + 1) & (align - 1)))
            die(r, "area not aligned to iova_alignment");
        if (mfd_itree_iter_first(&iopt->reserved_itree, s, l))
            die(r, "area intersects a reserved range");
        prev_last = l;
        first = false;
    }
    nwant = expected_ranges(iopt, want, 64);
    if (mockfd_ioctl(r->fd, IOMMU_IOAS_IOVA_RANGES, &q) && !(errno == EMSGSIZE && nwant > 64))
        die(r, "IOAS_IOVA_RANGES failed on a live IOAS");
    if (q.num_iovas != nwant)
        die(r, "IOVA_RANGES count differs from the reserved holes");
    if (q.out_iova_alignment != align)
        die(r, "IOVA_RANGES alignment differs from the IOAS");
    for (unsigned i = 0; i < nwant && i < 64; i++)
        if (got[i].start != want[i].start || got[i].last != want[i].last)
            die(r, "IOVA_RANGES range differs from the reserved holes");
}

static void check_all(const struct run *r)
{
    struct mfd_ctx *ctx = ctx_of(r->fd);
    struct mfd_obj *o;
    uint32_t id = 0;
    size_t n = 0;

    if (!ctx)
        return;
    while ((o = mfd_obj_next(ctx, id))) {
        if (o->id <= id)
            die(r, "object iteration not strictly ascending");
        id = o->id;
        n++;
        if (!o->published || o->ctx != ctx || o->users < 1 || o->type <= MFD_OBJ_NONE ||
            o->type >= MFD_OBJ_MAX)
            die(r, "object with bad header");
        if (mfd_obj_get(ctx, id, o->type) != o || mfd_obj_get(ctx, id, MFD_OBJ_ANY) != o)
            die(r, "object not found by its own id");
        if (o->type == MFD_OBJ_IOAS)
            check_ioas(r, mfd_container_of(o, struct mfd_ioas, obj));
    }
    if (n != mfd_obj_count(ctx))
        die(r, "mfd_obj_count disagrees with the iteration");
}

static void note_written(struct run *r, uint64_t iova, size_t len)
{
    for (uint64_t p = iova & ~4095ull; len && p <= iova + len - 1; p += 4096) {
        if (r->nwritten == MAX_WRITTEN) {
            r->dirty_oracle = false;
            return;
        }
        r->written[r->nwritten++] = p;
        if (p + 4096 < p)
            break;
    }
}

/* The largest leaf the driver may have used for the page at iova in area a:
 * a page size of the domain whose naturally aligned block around iova lies
 * inside the area and keeps IOVA and user VA congruent (the kernel's
 * iopt_area / iommu_map page-size choice). Dirty tracking is per leaf, so a
 * write anywhere in the leaf dirties every 4 KB page it covers. */
static uint64_t leaf_size(const struct mfd_domain *d, const struct iopt_area *a, uint64_t iova)
{
    uint64_t best = 4096, bm = d ? d->pgsize_bitmap : 4096;

    if (!d || !d->allow_huge)
        return best;
    for (unsigned sh = 13; sh < 48; sh++) {
        uint64_t sz = 1ull << sh, blk = iova & ~(sz - 1);

        if (!(bm & sz))
            continue;
        if (blk < iopt_area_iova(a) || blk + sz - 1 > iopt_area_last_iova(a) ||
            ((iopt_area_uva(a) - iopt_area_iova(a)) & (sz - 1)))
            break;
        best = sz;
    }
    return best;
}

static bool was_written(const struct run *r, struct mfd_hwpt *hwpt, uint64_t s, uint64_t l)
{
    struct io_pagetable *iopt = &hwpt->ioas->iopt;

    for (unsigned i = 0; i < r->nwritten; i++) {
        uint64_t p = r->written[i], sz, blk;
        struct iopt_area *a = iopt_area_iter_first(iopt, p, p + 4095);

        if (!a)
            continue;
        sz = leaf_size(hwpt->domain, a, p);
        blk = p & ~(sz - 1);
        if (blk + sz - 1 >= s && blk <= l)
            return true;
    }
    return false;
}

/* Dirty bits only for pages mapped and written (iommufd.md §dirty). */
static void check_dirty(const struct run *r, const struct iommu_hwpt_get_dirty_bitmap *c,
                        const uint8_t *bitmap, size_t bitmap_len, const uint8_t *pre,
                        size_t pre_len)
{
    struct mfd_ctx *ctx = ctx_of(r->fd);
    struct mfd_obj *o = ctx ? mfd_obj_get(ctx, c->hwpt_id, MFD_OBJ_HWPT_PAGING) : NULL;
    struct mfd_hwpt *hwpt;
    uint64_t nbits;
    bool fresh = false;   /* leaves mapped dirty and not cleared since */

    if (!r->dirty_oracle || !o || !bitmap || !c->page_size || (c->page_size & (c->page_size - 1)))
        return;
    hwpt = mfd_container_of(o, struct mfd_hwpt, obj);
    if (!hwpt->ioas)
        return;
    if (hwpt->domain && hwpt->domain->dirty_on_map) {
        fresh = true;
        for (unsigned i = 0; i < r->nclean; i++)
            fresh &= r->clean[i] != c->hwpt_id;
    }
    nbits = c->length / c->page_size;
    for (uint64_t i = 0; i < nbits && i / 8 < bitmap_len; i++) {
        uint64_t s = c->iova + i * c->page_size;

        /* GET_DIRTY_BITMAP only sets bits (iova_bitmap_set): bits the
         * buffer held before the call are the caller's, not a report */
        if (i / 8 < pre_len && (pre[i / 8] & (1u << (i % 8)))) {
            if (trace)
                fprintf(stderr, "    (bit of %#llx set before the call)\n",
                        (unsigned long long)(c->iova + i * c->page_size));
            continue;
        }
        if (bitmap[i / 8] & (1u << (i % 8))) {
            if (trace)
                fprintf(stderr, "    dirty %#llx\n", (unsigned long long)s);
            if (fresh && iopt_area_iter_first(&hwpt->ioas->iopt, s, s + c->page_size - 1))
                continue;
            if (!was_written(r, hwpt, s, s + c->page_size - 1))
                die(r, "dirty bit for a page no device wrote (or not mapped)");
        }
    }
}

/* After a successful call: SET_DIRTY_TRACKING(enable) cleared every leaf of
 * its HWPT (iommufd.md §4.12, iopt_clear_dirty_data); a call that may map
 * new leaves makes every dirty_on_map HWPT fresh again. */
static void note_clean(struct run *r, const struct verb *v, int target, const uint8_t *buf,
                       size_t blen)
{
    if (v->request == IOMMU_HWPT_SET_DIRTY_TRACKING && target == r->fd &&
        blen >= sizeof(struct iommu_hwpt_set_dirty_tracking)) {
        struct iommu_hwpt_set_dirty_tracking c;

        memcpy(&c, buf, sizeof(c));
        if ((c.flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE) && r->nclean < MAX_CLEAN)
            r->clean[r->nclean++] = c.hwpt_id;
        return;
    }
    /* a new HWPT (explicit, or an attach's auto domain) may reuse a freed id */
    if (v->request == IOMMU_IOAS_MAP || v->request == IOMMU_IOAS_COPY ||
        v->request == IOMMU_IOAS_MAP_FILE || v->request == VFIO_IOMMU_MAP_DMA ||
        v->request == IOMMU_HWPT_ALLOC || v->request == VFIO_DEVICE_ATTACH_IOMMUFD_PT ||
        v->request == VFIO_SET_IOMMU)
        r->nclean = 0;
}

/* ---- one call --------------------------------------------------------------------- */

struct ptrbuf {
    void *heap;                    /* to free after the call */
    uint8_t *p;
    size_t len;
};

static size_t expected_len(const struct fld *f, const uint8_t *buf, size_t blen)
{
    uint64_t a, b;

    switch (f->lkind) {
    case L_U32:
        return f->loff + 4u <= blen ? (size_t)get_le(buf + f->loff, 4) : 0;
    case L_CNT16:
        return f->loff + 4u <= blen ? (size_t)get_le(buf + f->loff, 4) * 16 : 0;
    case L_U64:
        return f->loff + 8u <= blen ? (size_t)get_le(buf + f->loff, 8) : 0;
    case L_INV: {
        size_t eo = offsetof(struct iommu_hwpt_invalidate, entry_len);
        size_t no = offsetof(struct iommu_hwpt_invalidate, entry_num);

        if (no + 4 > blen)
            return 0;
        return (size_t)(get_le(buf + eo, 4) * get_le(buf + no, 4));
    }
    case L_BITMAP: {
        size_t lo = offsetof(struct iommu_hwpt_get_dirty_bitmap, length);
        size_t po = offsetof(struct iommu_hwpt_get_dirty_bitmap, page_size);

        if (po + 8 > blen)
            return 0;
        a = get_le(buf + lo, 8);
        b = get_le(buf + po, 8);
        return b ? (size_t)(((a / b) + 63) / 64 * 8) : 0;
    }
    default:
        return 0;
    }
}

static uint64_t make_ptr_raw(const struct fld *f, unsigned mode, uint64_t v, size_t want,
                             struct ptrbuf *pb)
{
    size_t len;

    if (f->kind == F_PIN && mode == FZ_PTR_HEAP)
        mode = FZ_PTR_ARENA;   /* mapped memory must outlive the call */
    switch (mode) {
    case FZ_PTR_ARENA:
        arena_touched = true;
        len = ARENA_LEN - (size_t)(v % ARENA_LEN);
        pb->p = arena + (v % ARENA_LEN);
        pb->len = len;
        return (uintptr_t)pb->p;
    case FZ_PTR_ARENA_END:
        arena_touched = true;
        len = (size_t)(v % ARENA_LEN) + (f->kind == F_PIN ? 0 : 1);
        pb->p = arena + ARENA_LEN - len;
        pb->len = len;
        return (uintptr_t)pb->p;
    case FZ_PTR_HEAP:
        len = want && want <= HEAP_MAX ? want : (size_t)(v % HEAP_MAX) + 1;
        pb->heap = page_alloc(len, true);
        pb->p = pb->heap;
        pb->len = len;
        return (uintptr_t)pb->p;
    default:
        pb->p = NULL;
        pb->len = 0;
        return raw_ptrs[v & 3] + ((v >> 2) & 0xff8);
    }
}

/* Pointer field value for mode `mode`. The pointed-to bytes of an input
 * pointer come from the payload past the natural struct size (`extra`), so
 * the fuzzer controls arrays such as allowed_iovas and driver data. */
static uint64_t make_ptr(const struct fld *f, unsigned mode, uint64_t v, size_t want,
                         const uint8_t *extra, size_t nextra, struct ptrbuf *pb)
{
    uint64_t ret = make_ptr_raw(f, mode, v, want, pb);

    if (f->kind == F_PTR && pb->p && nextra)
        memcpy(pb->p, extra, nextra < pb->len ? nextra : pb->len);
    return ret;
}

static void note_fd(int fd)
{
    if (fd > fd_hi)
        fd_hi = fd;
}

static void track_fd(struct run *r, int fd)
{
    note_fd(fd);
    for (int i = 0; i < MAX_XFDS; i++)
        if (r->xfd[i] < 0) {
            r->xfd[i] = fd;
            return;
        }
    mockfd_close(fd);   /* no slot: close at once, still exercised */
}

static bool known_fd(const struct run *r, int fd)
{
    if (fd == r->fd)
        return true;
    for (int i = 0; i < MAX_DEVS; i++)
        if (r->dev[i] == fd)
            return true;
    for (int i = 0; i < MAX_XFDS; i++)
        if (r->xfd[i] == fd)
            return true;
    return false;
}

/* A raw request may return a new fd (FAULT_QUEUE_ALLOC, VEVENTQ_ALLOC,
 * the selftest's CREATE_ACCESS) at an offset the harness does not parse:
 * adopt every mock fd it does not know, so that teardown closes it (the
 * campaign's "a mock fd survived close of everything" was this). New fds
 * take the lowest free numbers, so they lie at or below fd_hi + 1. */
static void adopt_new_fds(struct run *r)
{
    for (int fd = 0; fd <= fd_hi + 1; fd++)
        if (mockfd_owns_fd(fd) && !known_fd(r, fd))
            track_fd(r, fd);
}

static int slot_fd(const struct run *r, unsigned sel, bool dev_default)
{
    if (!dev_default && sel == 0)
        return r->fd;
    return r->dev[dev_default ? sel % MAX_DEVS : (sel - 1) % MAX_DEVS];
}

static void do_struct_call(struct run *r, const struct verb *v, uint8_t flags, uint16_t size_in,
                           const uint8_t *pl, size_t plen)
{
    struct mfd_ctx *ctx = ctx_of(r->fd);
    bool remap = flags & FZ_F_REMAP;
    unsigned pmode = (flags >> FZ_F_PTR_SHIFT) & 3;
    uint32_t size = (flags & FZ_F_SIZE) ? size_in : v->size;
    size_t blen = plen > size ? plen : size;
    struct ptrbuf pbs[6] = { { 0 } };
    uint8_t *buf, *pre = NULL;     /* the dirty bitmap before the call */
    size_t pre_len = 0;
    uint64_t before;
    int target, ret;
    unsigned long arg;

    if (blen < 4)
        blen = 4;
    buf = page_alloc(blen, false);
    memset(buf, (flags & FZ_F_PADFF) ? 0xff : 0, blen);
    memcpy(buf, pl, plen);

    if (v->kind == V_STRUCT || v->kind == V_DEV || v->kind == V_TEST)
        put_le(buf, 4, size);
    if (v->kind == V_TEST && blen >= 8)
        put_le(buf + 4, 4, v->test_op);
    for (unsigned i = 0; i < ARRAY_SIZE(v->f) && v->f[i].kind != F_END; i++) {
        const struct fld *f = &v->f[i];
        unsigned w = (f->kind == F_PIN || f->kind == F_PTR || f->kind == F_IOVA) ? 8 : 4;
        uint64_t val;

        if (f->off + w > blen)
            continue;
        val = get_le(buf + f->off, w);
        switch (f->kind) {
        case F_ID:
            if (remap)
                put_le(buf + f->off, 4, live_id(ctx, val));
            break;
        case F_FD:
            if (remap)
                put_le(buf + f->off, 4, (uint32_t)harness_fd(r, val));
            break;
        case F_IOVA:
            if (remap)
                put_le(buf + f->off, 8, remap_iova(ctx, val));
            break;
        case F_PIN:
        case F_PTR:
            put_le(buf + f->off, 8, make_ptr(f, pmode, val, expected_len(f, buf, blen),
                                             pl + v->size, plen > v->size ? plen - v->size : 0,
                                             &pbs[i]));
            break;
        default:
            break;
        }
    }

    target = v->kind == V_DEV ? slot_fd(r, flags >> FZ_F_TARGET_SHIFT, true)
                              : slot_fd(r, flags >> FZ_F_TARGET_SHIFT, false);
    if (v->kind == V_INT)
        arg = (unsigned long)get_le(buf, 4);
    else if (v->kind == V_NOARG)
        arg = 0;
    else
        arg = (unsigned long)(uintptr_t)buf;

    if (v->request == IOMMU_HWPT_GET_DIRTY_BITMAP && target == r->fd && pbs[2].p &&
        blen >= sizeof(struct iommu_hwpt_get_dirty_bitmap)) {
        struct iommu_hwpt_get_dirty_bitmap c;

        memcpy(&c, buf, sizeof(c));
        pre_len = pbs[2].len;
        if (c.page_size && c.length / c.page_size / 8 + 1 < pre_len)
            pre_len = c.length / c.page_size / 8 + 1;
        pre = malloc(pre_len ? pre_len : 1);
        if (!pre)
            abort();
        memcpy(pre, pbs[2].p, pre_len);
    }
    if (v->request == IOMMU_IOAS_MAP_FILE)
        memfd_touched = true;
    before = snapshot(ctx);
    if (r->fail_nth)
        mfd_fail_nth_set((unsigned long)r->fail_nth);
    ret = mockfd_ioctl(target, v->request, (void *)arg);
    if (trace)
        fprintf(stderr, "  #%u %-22s fd %d size %u flags %#x -> %d%s%s\n", r->step, v->name,
                target, size, flags, ret, ret < 0 ? " " : "", ret < 0 ? strerror(errno) : "");
    mfd_fail_nth_set(0);
    r->fail_nth = 0;

    if (ret < 0 && !v->partial && snapshot(ctx) != before) {
        fprintf(stderr, "fuzz-ioctl: %s failed (errno %d) but changed state\n", v->name, errno);
        die(r, "a failed call changed the observable state");
    }
    if (ret >= 0) {
        if (v->kind == V_TEST)
            r->dirty_oracle = false;
        for (unsigned i = 0; i < ARRAY_SIZE(v->f) && v->f[i].kind != F_END; i++) {
            const struct fld *f = &v->f[i];

            if (f->off + 4u > blen || f->off + 4u > size)
                continue;
            if (f->kind == F_OUTFD) {
                int nfd = (int)get_le(buf + f->off, 4);

                if (!mockfd_owns_fd(nfd))
                    die(r, "returned fd is not a mock fd");
                track_fd(r, nfd);
            } else if (f->kind == F_OUTID && (v->kind != V_DEV || get_le(buf + 8, 4) == (uint32_t)r->fd)) {
                /* An id from a bind on another iommufd is not ours to check. */
                uint32_t oid = (uint32_t)get_le(buf + f->off, 4);

                if (v->kind != V_DEV && !mfd_obj_get(ctx_of(r->fd), oid, MFD_OBJ_ANY))
                    die(r, "returned object id is not live");
                if (v->kind == V_DEV && !mfd_obj_get(ctx_of(r->fd), oid, MFD_OBJ_DEVICE))
                    die(r, "bound device id is not a live device");
            }
        }
        note_clean(r, v, target, buf, blen);
        if (v->request == IOMMU_HWPT_GET_DIRTY_BITMAP && target == r->fd &&
            blen >= sizeof(struct iommu_hwpt_get_dirty_bitmap)) {
            struct iommu_hwpt_get_dirty_bitmap c;
            const struct ptrbuf *pb = &pbs[2];

            memcpy(&c, buf, sizeof(c));
            check_dirty(r, &c, pb->p, pb->len, pre, pre ? pre_len : 0);
        }
    }
    for (unsigned i = 0; i < ARRAY_SIZE(pbs); i++)
        page_free(pbs[i].heap);
    free(pre);
    page_free(buf);
}

static void do_verb(struct run *r, const struct verb *v, uint8_t flags, uint16_t size,
                    const uint8_t *pl, size_t plen)
{
    uint64_t a = plen >= 8 ? get_le(pl, 8) : (plen ? get_le(pl, (unsigned)plen) : 0);
    unsigned sel = flags >> FZ_F_TARGET_SHIFT;

    switch (v->kind) {
    case V_DEV_OPEN: {
        int idx = (flags & FZ_F_REMAP) ? (int)(a % (uint64_t)(ndevices + 1)) : (int)(int32_t)a;
        int fd, slot = (int)(sel % MAX_DEVS);

        if (r->dev[slot] >= 0)
            mockfd_close(r->dev[slot]);
        fd = mockfd_device_open(idx);
        if (trace)
            fprintf(stderr, "  #%u DEV_OPEN %d -> %d\n", r->step, idx, fd);
        note_fd(fd);
        r->dev[slot] = fd >= 0 ? fd : -1;
        break;
    }
    case V_DEV_CLOSE:
        if (r->dev[sel % MAX_DEVS] >= 0) {
            mockfd_close(r->dev[sel % MAX_DEVS]);
            r->dev[sel % MAX_DEVS] = -1;
        }
        break;
    case V_DMA: {
        arena_touched = true;   /* the device writes user memory (domain.h) */
        /* payload: pasid u32, iova u64, write u8; size word = length - 1 */
        uint32_t pasid = plen >= 4 ? (uint32_t)get_le(pl, 4) : 0;
        uint64_t iova = plen >= 12 ? get_le(pl + 4, 8) : 0;
        bool write = plen >= 13 ? pl[12] & 1 : true;
        size_t len = (size_t)size + 1;
        uint8_t *buf;

        if (flags & FZ_F_REMAP) {
            iova = remap_iova(ctx_of(r->fd), iova);
            pasid = (pasid & 1) ? (pasid >> 1) & 0xf : 0;
        }
        buf = page_alloc(len, false);
        memset(buf, 0xa5, len);
        if (write)
            note_written(r, iova, len);
        int rc = mockfd_device_dma(r->dev[sel % MAX_DEVS], pasid, iova, buf, len, write);
        if (trace)
            fprintf(stderr, "  #%u DMA %s iova %#llx len %zu pasid %u -> %d%s%s\n", r->step,
                    write ? "write" : "read", (unsigned long long)iova, len, pasid, rc,
                    rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
        page_free(buf);
        break;
    }
    case V_REOPEN:
        mockfd_close(r->fd);
        r->fd = mockfd_open();
        if (r->fd < 0)
            die(r, "mockfd_open failed");
        note_fd(r->fd);
        r->nwritten = 0;
        r->nclean = 0;
        break;
    case V_FAIL_NTH:
        /* Arm fault injection for the next call only (iommu-sim --fail-nth). */
        r->fail_nth = (long)(size % 64) + 1;
        break;
    case V_RAW: {
        /* payload: u32 request number, then the argument bytes. */
        size_t in = plen >= 4 ? plen - 4 : 0;
        uint8_t *buf = page_alloc((in > size ? in : size) + 1, true);

        if (in)
            memcpy(buf, pl + 4, in);
        if ((uint32_t)a == IOMMU_IOAS_MAP_FILE)
            memfd_touched = true;
        (void)mockfd_ioctl(slot_fd(r, sel, false), (unsigned long)(uint32_t)a, buf);
        adopt_new_fds(r);
        r->nclean = 0;   /* any request: it may have mapped */
        page_free(buf);
        break;
    }
    case V_READ:
    case V_WRITE: {
        int fd = harness_fd(r, a);
        size_t cnt = size;
        uint8_t *buf = page_alloc(cnt, false);

        memset(buf, 0, cnt ? cnt : 1);
        if (v->kind == V_WRITE && plen > 8)
            memcpy(buf, pl + 8, plen - 8 < cnt ? plen - 8 : cnt);
        if (mockfd_owns_fd(fd) && fd != memfd)
            (void)(v->kind == V_READ ? mockfd_read(fd, buf, cnt) : mockfd_write(fd, buf, cnt));
        page_free(buf);
        break;
    }
    case V_CLOSE_FD:
        for (int i = 0; i < MAX_XFDS; i++)
            if (r->xfd[i] >= 0 && (a % MAX_XFDS) == (uint64_t)i) {
                mockfd_close(r->xfd[i]);
                r->xfd[i] = -1;
            }
        break;
    default:
        do_struct_call(r, v, flags, size, pl, plen);
        return;
    }
}

/* ---- one input -------------------------------------------------------------------- */

static void teardown(struct run *r, size_t heap_before)
{
    for (int i = 0; i < MAX_DEVS; i++)
        if (r->dev[i] >= 0)
            mockfd_close(r->dev[i]);
    for (int i = 0; i < MAX_XFDS; i++)
        if (r->xfd[i] >= 0)
            mockfd_close(r->xfd[i]);
    if (r->fd >= 0)
        mockfd_close(r->fd);
    r->step++;
    /* close() frees everything: no mock fd survives, nothing stays pinned,
     * no device stays bound. */
    for (int fd = 0; fd <= fd_hi + 8; fd++)
        if (mockfd_owns_fd(fd))
            die(r, "a mock fd survived close of everything");
    for (unsigned p = 0; p < ARENA_PAGES; p++)
        if (mfd_pages_refs((uintptr_t)arena + p * 4096ull) != 0)
            die(r, "a page stayed pinned after close");
    for (int i = 0; i < ndevices; i++) {
        struct mfd_pdev *d = mfd_platform_device(i);

        if (d && d->bound)
            die(r, "a device stayed bound after close");
    }
#ifdef FZ_HAVE_LSAN
    /* A full LSan scan costs milliseconds: run it only when the heap grew
     * over the input (process-wide caches of the mock may, harmlessly). */
    if (leak_check && __sanitizer_get_current_allocated_bytes() > heap_before &&
        __lsan_do_recoverable_leak_check())
        die(r, "leak after close");
#else
    (void)heap_before;
#endif
}

void fuzz_ioctl_one(const uint8_t *data, size_t len)
{
    struct run r = { .fd = -1, .dirty_oracle = true };
    size_t pos = 0, heap_before = 0;

    fuzz_ioctl_setup();
#ifdef FZ_HAVE_LSAN
    heap_before = __sanitizer_get_current_allocated_bytes();
#endif
    for (int i = 0; i < MAX_DEVS; i++)
        r.dev[i] = -1;
    for (int i = 0; i < MAX_XFDS; i++)
        r.xfd[i] = -1;
    r.fd = mockfd_open();
    if (r.fd < 0)
        die(&r, "mockfd_open failed");
    note_fd(r.fd);
    /* At most FUZZ_IOCTL_MAX_CALLS calls: the oracles after each call are
     * linear in the live objects, so an input of thousands of IOAS_ALLOCs
     * cost seconds (campaign "hangs"), not a finding. */
    while (pos + FUZZ_IOCTL_HDR <= len && r.step < FUZZ_IOCTL_MAX_CALLS) {
        const uint8_t *h = data + pos;
        size_t plen = h[4];

        pos += FUZZ_IOCTL_HDR;
        if (plen > len - pos)
            plen = len - pos;
        r.step++;
        do_verb(&r, &verbs[h[0] % ARRAY_SIZE(verbs)], h[1], (uint16_t)get_le(h + 2, 2),
                data + pos, plen);
        pos += plen;
        check_all(&r);
    }
    teardown(&r, heap_before);
    /* The arena and the memfd are the user memory of every input: back to
     * all-zero after each, so runs are deterministic (peers.md §3.1
     * stability). Here, not at the start of the next input: whether the
     * reset runs then depends on this input alone, not on its predecessor. */
    if (arena_touched)
        memset(arena, 0, ARENA_LEN);
    arena_touched = false;
    if (memfd_touched && memfd >= 0 && (ftruncate(memfd, 0) || ftruncate(memfd, (off_t)ARENA_LEN)))
        perror("fuzz: memfd reset");
    memfd_touched = false;
}

/* ---- warm-up (before __AFL_INIT) ------------------------------------------------- */

/* The mock initialises much lazily on first use: the uaccess fault handler,
 * the MOCKFD_KERNEL / MOCKFD_RECORD knobs, the fd table's radix leaves, its
 * file pool, the selftest device array, the drivers' first domains. Done in
 * the first input of each forked child, that code made the first run of an
 * input cover edges its repeats do not: AFL++ counted them as unstable
 * (peers.md §3.1). So the setup runs every kind of call once, here, before
 * the fork server starts; each child then begins in the same warm state. */

struct wbuf { uint8_t b[1024]; size_t n; };

static void wrec(struct wbuf *w, const char *verb, unsigned flags, unsigned size, const void *p,
                 size_t len)
{
    int v = fuzz_ioctl_verb(verb);

    if (v < 0 || w->n + FUZZ_IOCTL_HDR + len > sizeof(w->b))
        abort();   /* a harness bug: the verb table and this list disagree */
    w->b[w->n++] = (uint8_t)v;
    w->b[w->n++] = (uint8_t)flags;
    put_le(w->b + w->n, 2, size);
    w->n += 2;
    w->b[w->n++] = (uint8_t)len;
    if (len)
        memcpy(w->b + w->n, p, len);
    w->n += len;
}

#define W_ARENA ((unsigned)FZ_PTR_ARENA << FZ_F_PTR_SHIFT)
#define W_HEAP ((unsigned)FZ_PTR_HEAP << FZ_F_PTR_SHIFT)
#define W_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA)

static void warm_device(struct wbuf *w, unsigned dev)
{
    uint32_t idx = dev;
    uint8_t dma[13] = { 0 };
    uint64_t iova = 0x100000;
    struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    struct iommu_ioas_map m = { .size = sizeof(m), .flags = W_RW, .ioas_id = 1,
                                .length = 0x4000, .iova = iova };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = 1 };
    struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
    struct iommu_hw_info hi = { .size = sizeof(hi), .data_len = 64 };
    struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                                   .pt_id = 1 };
    struct iommu_hwpt_set_dirty_tracking sd = { .size = sizeof(sd),
        .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = 2 };
    struct iommu_hwpt_get_dirty_bitmap gd = { .size = sizeof(gd), .hwpt_id = 2, .iova = iova,
                                              .length = 0x4000, .page_size = 4096 };

    memcpy(dma + 4, &iova, 8);
    dma[12] = 1;
    wrec(w, "DEV_OPEN", FZ_F_REMAP, 0, &idx, sizeof(idx));
    wrec(w, "DEV_BIND", FZ_F_REMAP, 0, &b, sizeof(b));
    wrec(w, "IOAS_ALLOC", 0, 0, &ia, sizeof(ia));
    wrec(w, "IOAS_MAP", FZ_F_REMAP | W_ARENA, 0, &m, sizeof(m));
    wrec(w, "GET_HW_INFO", FZ_F_REMAP | W_HEAP, 0, &hi, sizeof(hi));
    wrec(w, "DEV_ATTACH", FZ_F_REMAP, 0, &at, sizeof(at));
    wrec(w, "DMA", 0, 0xfff, dma, sizeof(dma));
    wrec(w, "DEV_DETACH", 0, 0, &dt, sizeof(dt));
    wrec(w, "HWPT_ALLOC", FZ_F_REMAP, 0, &ha, sizeof(ha));
    at.pt_id = 2;
    wrec(w, "DEV_ATTACH", FZ_F_REMAP, 0, &at, sizeof(at));
    wrec(w, "HWPT_SET_DIRTY", FZ_F_REMAP, 0, &sd, sizeof(sd));
    wrec(w, "DMA", 0, 0xfff, dma, sizeof(dma));
    wrec(w, "HWPT_GET_DIRTY", FZ_F_REMAP | W_HEAP, 0, &gd, sizeof(gd));
    wrec(w, "DEV_DETACH", 0, 0, &dt, sizeof(dt));
    wrec(w, "DEV_CLOSE", 0, 0, NULL, 0);
}

static void warm_selftest(struct wbuf *w)
{
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    struct iommu_ioas_map m = { .size = sizeof(m), .flags = W_RW, .length = 0x4000,
                                .iova = 0x100000 };
    struct iommu_test_cmd t = { .size = sizeof(t) };
    struct iommu_fault_alloc f = { .size = sizeof(f) };

    wrec(w, "IOAS_ALLOC", 0, 0, &ia, sizeof(ia));
    wrec(w, "TEST_MOCK_DOMAIN", FZ_F_REMAP, 0, &t, sizeof(t));
    wrec(w, "IOAS_MAP", FZ_F_REMAP | W_ARENA, 0, &m, sizeof(m));
    wrec(w, "TEST_CREATE_ACCESS", FZ_F_REMAP, 0, &t, sizeof(t));
    wrec(w, "FAULT_QUEUE_ALLOC", 0, 0, &f, sizeof(f));
    wrec(w, "READ", 0, 64, NULL, 0);
    wrec(w, "FAIL_NTH", 0, 1, NULL, 0);
    wrec(w, "IOAS_MAP", FZ_F_REMAP | W_ARENA, 0, &m, sizeof(m));
    wrec(w, "REOPEN", 0, 0, NULL, 0);
}

static void warm_up(void)
{
    int fds[2 + MAX_DEVS + MAX_XFDS + 8];
    struct wbuf w;

    /* fd table leaves and pooled files for as many fds as an input holds */
    for (unsigned i = 0; i < ARRAY_SIZE(fds); i++)
        fds[i] = mockfd_open();
    for (unsigned i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            mockfd_close(fds[i]);
    for (int pass = 0; pass < 2; pass++) {
        for (int d = 0; d < ndevices; d++) {
            w.n = 0;
            warm_device(&w, (unsigned)d);
            fuzz_ioctl_one(w.b, w.n);
        }
        w.n = 0;
        warm_selftest(&w);
        fuzz_ioctl_one(w.b, w.n);
    }
}
