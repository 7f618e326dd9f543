/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_TEST_CMD (0xa0): the kernel's iommufd_test() of drivers/iommu/
 * iommufd/selftest.c, iommufd.md §6. The envelope (size 72, min 68) is
 * enforced by the dispatch table; __reserved is not checked (the kernel
 * does not); an unknown op is -EOPNOTSUPP.
 *
 * MOCK_DOMAIN creates a mock device on the one shared mock IOMMU
 * (mockfd/drivers/selftest.c), binds it (DEVICE object) and wraps it in a
 * SELFTEST object; destroying that object unbinds the device. With
 * MOCKFD_SELFTEST_BACKEND=vtd|amdvi|smmuv3 the device sits behind an
 * emulated IOMMU of that model instead (docs/selftest.md lists what then
 * differs).
 *
 * Ops of parts B (access objects, IOPF) and C (vEVENT, device caches) are
 * forwarded through weak hooks (selftest.h); without them: -EOPNOTSUPP.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/iommufd.h>

#include "../../uapi/iommufd_test.h"
#include "handlers.h"
#include "selftest.h"
#include "vmas.h"

/* ---- the IOMMU the mock devices sit behind ---------------------------------- */

static const struct mfd_platform_ops st_plat = {
    .copy_struct_from_user = mfd_copy_struct_from_user,
};

static struct mfd_iommu_unit st_unit = {
    .index = -1,
    .plat = &st_plat,
    .profile = "selftest",
};

static pthread_mutex_t backend_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mfd_iommu_unit *backend_unit;
static bool backend_tried;
static uint32_t backend_next_rid = 0x100;

/* MOCKFD_SELFTEST_BACKEND: one extra emulated IOMMU of that model, added
 * to the platform once per process; its first device gives us the unit. */
static struct mfd_iommu_unit *backend_get(const char *model)
{
    pthread_mutex_lock(&backend_lock);
    if (!backend_tried) {
        int idx, dev;

        backend_tried = true;
        (void)mfd_platform_device(0);          /* load MOCKFD_PLATFORM first */
        idx = mockfd_platform_add_iommu(model);
        dev = idx < 0 ? -1 : mockfd_platform_add_device(idx, 0xff);
        if (dev >= 0) {
            struct mfd_pdev *p = mfd_platform_device(dev);

            backend_unit = p ? p->unit : NULL;
        }
    }
    pthread_mutex_unlock(&backend_lock);
    return backend_unit;
}

static const char *backend_name(void)
{
    const char *e = getenv("MOCKFD_SELFTEST_BACKEND");

    if (!e || !*e || !strcasecmp(e, "mock"))
        return NULL;
    return e;
}

static bool have_mock(void)
{
    return &mfd_selftest_driver && &mfd_st_api;
}

/* ---- SELFTEST objects -------------------------------------------------------- */

struct st_obj {
    struct mfd_obj obj;             /* MFD_OBJ_SELFTEST */
    struct mfd_pdev pdev;           /* the mock device (kernel: struct mock_dev) */
    struct mfd_device *idev;
    uint32_t flags;
    bool mock;                      /* on the software mock IOMMU */
    bool dev_created;
};

/* iommufd_selftest_destroy: detach, unbind, destroy the mock device */
static void st_obj_destroy(struct mfd_obj *obj)
{
    struct st_obj *s = (struct st_obj *)obj;

    if (s->idev)
        mfd_device_unbind(s->idev);
    if (s->dev_created && s->mock)
        mfd_st_api.dev_destroy(s->pdev.rid);
}

static const struct mfd_obj_ops st_obj_ops = { .destroy = st_obj_destroy };

static struct st_obj *st_get(struct mfd_ctx *ctx, uint32_t id)
{
    return (struct st_obj *)mfd_obj_get(ctx, id, MFD_OBJ_SELFTEST);
}

struct mfd_device *mfd_st_stdev_idev(struct mfd_ctx *ctx, uint32_t stdev_id)
{
    struct st_obj *s = st_get(ctx, stdev_id);

    return s ? s->idev : NULL;
}

bool mfd_st_is_mock_idev(const struct mfd_device *idev)
{
    return idev && idev->pdev && idev->pdev->unit == &st_unit;
}

uint32_t mfd_st_idev_flags(const struct mfd_device *idev)
{
    return mfd_st_is_mock_idev(idev) ? ((const struct st_obj *)mfd_container_of(
                                            idev->pdev, struct st_obj, pdev))->flags
                                     : 0;
}

static uint32_t memory_limit = 65536;

uint32_t mfd_st_memory_limit(void)
{
    return memory_limit;
}

/* ---- MOCK_DOMAIN / MOCK_DOMAIN_FLAGS / MOCK_DOMAIN_REPLACE -------------------- */

/* mock_dev_create's flag rule for the target kernel: NO_DIRTY and PASID, plus
 * MOCK_FLAGS_DEVICE_HUGE_IOVA until the mock moved to iommupt (the Oct-2025
 * series "iommufd: Change the selftest to use iommupt instead of xarray",
 * first released in 6.19; iommufd.md §6.2, §9). Older selftest sources (the
 * 6.12 tree's dirty-tracking huge variants) pass it. MOCK_FLAGS_DEVICE_PASID
 * came with the PASID test ops in 6.15: a real 6.12 kernel fails
 * MOCK_DOMAIN_FLAGS with it (EINVAL; measured by the oracle, docs/oracle.md). */
static uint32_t valid_dev_flags(void)
{
    uint32_t valid = MOCK_FLAGS_DEVICE_NO_DIRTY;

    if (mfd_kernel_version() >= 615)
        valid |= MOCK_FLAGS_DEVICE_PASID;
    if (mfd_kernel_version() < 619)
        valid |= MOCK_FLAGS_DEVICE_HUGE_IOVA;
    return valid;
}

static int test_mock_domain(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct mfd_ctx *ctx = ucmd->ctx;
    const char *be = backend_name();
    uint32_t pt_id = cmd->id, flags = 0;
    struct st_obj *s;
    int rc;

    if (!have_mock())
        return -EOPNOTSUPP;
    s = (struct st_obj *)mfd_obj_alloc(ctx, MFD_OBJ_SELFTEST, sizeof(*s), &st_obj_ops);
    if (!s)
        return -ENOMEM;
    /* from here the dispatcher aborts s on error; its destroy undoes all */
    ucmd->new_obj = &s->obj;
    if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
        flags = cmd->mock_domain_flags.dev_flags;
    if (flags & ~valid_dev_flags())
        return -EINVAL;
    s->flags = flags;
    s->pdev.index = -1;
    if (!be) {
        st_unit.drv = &mfd_selftest_driver;
        s->mock = true;
        rc = mfd_st_api.dev_create(flags, &s->pdev.rid);
        if (rc)
            return rc;
        s->pdev.unit = &st_unit;
    } else {
        /* the flags were checked above; they cannot change what emulated
         * hardware supports */
        s->pdev.unit = backend_get(be);
        if (!s->pdev.unit)
            return -ENODEV;
        pthread_mutex_lock(&backend_lock);
        s->pdev.rid = backend_next_rid++;
        pthread_mutex_unlock(&backend_lock);
        if (s->pdev.rid > 0xffff)
            return -ENOSPC;
    }
    s->dev_created = true;
    rc = mfd_device_bind(ctx, &s->pdev, NULL, &s->idev);
    if (rc)
        return rc;
    rc = mfd_device_attach(s->idev, 0, &pt_id);
    if (rc)
        return rc;
    /* mock_domain and mock_domain_flags share the first three words */
    cmd->mock_domain.out_hwpt_id = pt_id;
    cmd->mock_domain.out_stdev_id = s->obj.id;
    cmd->mock_domain.out_idev_id = s->idev->obj.id;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

static int test_mock_domain_replace(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct st_obj *s = st_get(ucmd->ctx, cmd->id);
    uint32_t pt_id = cmd->mock_domain_replace.pt_id;
    int rc;

    if (!s)
        return -ENOENT;
    /* iommufd_device_replace: nothing attached is -EINVAL */
    if (!s->idev->hwpt)
        return -EINVAL;
    rc = mfd_device_attach(s->idev, 0, &pt_id);
    if (rc)
        return rc;
    cmd->mock_domain_replace.pt_id = pt_id;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* ---- ADD_RESERVED -------------------------------------------------------------- */

static int test_add_reserved(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct mfd_ioas *ioas = mfd_ioas_get(ucmd->ctx, cmd->id);

    if (!ioas)
        return -ENOENT;
    /* iopt_reserve_iova(start, start + length - 1, owner NULL) */
    return iopt_reserve(ioas, NULL, cmd->add_reserved.start,
                        cmd->add_reserved.start + cmd->add_reserved.length - 1);
}

/* ---- mock page-table checks ------------------------------------------------------ */

/* get_md_pagetable: a paging HWPT (ENOENT) whose domain is the mock's
 * (EINVAL). */
static int md_pagetable(struct mfd_ctx *ctx, uint32_t id, struct mfd_hwpt **out)
{
    struct mfd_hwpt *h = (struct mfd_hwpt *)mfd_obj_get(ctx, id, MFD_OBJ_HWPT_PAGING);

    if (!h)
        return -ENOENT;
    if (!have_mock() || !mfd_st_api.is_paging(h->domain))
        return -EINVAL;
    *out = h;
    return 0;
}

/* iommufd_test_md_check_pa: every 2 KiB of [iova, +length) maps the same
 * physical page (and offset in it) as the user VA at the same position. */
static int test_md_check_map(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    uint64_t iova = cmd->check_map.iova, len = cmd->check_map.length, uptr = cmd->check_map.uptr;
    struct mfd_vmas *maps;
    struct mfd_hwpt *h;
    uint64_t end;
    int rc;

    if ((iova | len | uptr) % MOCK_PAGE_SIZE || __builtin_add_overflow(uptr, len, &end))
        return -EINVAL;
    rc = md_pagetable(ucmd->ctx, cmd->id, &h);
    if (rc)
        return rc;
    maps = mfd_vmas_load();
    if (!maps)
        return -ENOMEM;
    for (; len; len -= MOCK_PAGE_SIZE, iova += MOCK_PAGE_SIZE, uptr += MOCK_PAGE_SIZE) {
        struct mfd_st_pte pte;
        bool same;

        rc = mfd_st_same_page(maps, uptr, 0, &same);     /* EFAULT probe of uptr */
        if (rc)
            break;
        if (mfd_st_api.lookup(h->domain, iova, &pte)) {
            rc = -EINVAL;
            break;
        }
        rc = mfd_st_same_page(maps, uptr, pte.pa, &same);
        if (rc)
            break;
        if (!same || (pte.pa & 4095) != (uptr & 4095)) {
            rc = -EINVAL;
            break;
        }
    }
    mfd_vmas_free(maps);
    return rc;
}

/* iommufd_test_md_check_refs: the FOLL_PIN count of every 4 KiB page;
 * compound (hugetlb) pages are skipped as in the kernel. */
static int test_md_check_refs(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    uint64_t len = cmd->check_refs.length, uptr = cmd->check_refs.uptr, end;
    struct mfd_vmas *maps;
    int rc = 0;

    (void)ucmd;
    if (len % MFD_PAGE_SIZE || uptr % MFD_PAGE_SIZE || __builtin_add_overflow(uptr, len, &end))
        return -EINVAL;
    if (!len)
        return 0;
    maps = mfd_vmas_load();
    if (!maps)
        return -ENOMEM;
    for (; len; len -= MFD_PAGE_SIZE, uptr += MFD_PAGE_SIZE) {
        struct mfd_st_pgid id;
        uint64_t count;

        rc = mfd_st_page_id(maps, uptr, &id);
        if (rc)
            break;
        if (id.hugetlb)
            continue;
        rc = mfd_st_pin_count(maps, uptr, &count);
        if (rc)
            break;
        if (count != cmd->check_refs.refs) {
            rc = -EIO;
            break;
        }
    }
    mfd_vmas_free(maps);
    return rc;
}

/* iommufd_test_md_check_iotlb */
static int test_md_check_iotlb(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct mfd_hwpt *h = (struct mfd_hwpt *)mfd_obj_get(ucmd->ctx, cmd->id, MFD_OBJ_HWPT_NESTED);
    uint32_t val;

    if (!h)
        return -ENOENT;
    if (!have_mock() || !mfd_st_api.is_nested(h->domain))
        return -EINVAL;
    if (mfd_st_api.nested_iotlb(h->domain, cmd->check_iotlb.id, &val) ||
        val != cmd->check_iotlb.iotlb)
        return -EINVAL;
    return 0;
}

/* ---- DIRTY ------------------------------------------------------------------------ */

/* The cap on the bitmap copy; the kernel's kvzalloc fails with ENOMEM far
 * below the sizes a bad length/page_size pair asks for. */
#define DIRTY_BITMAP_MAX (64u << 20)

/* Which IOVA a set bit marks. Until the selftest mock moved to iommupt
 * (6.19), iommufd_test_dirty looked the PTE up at xarray index
 * cur / page_size while the PTEs are stored at iova / MOCK_PAGE_SIZE: only
 * page_size == MOCK_PAGE_SIZE hits the page that was meant (the selftests
 * always pass that); any other page_size marks the PTE at
 * (cur / page_size) * MOCK_PAGE_SIZE, if one is mapped there. A real 6.12
 * kernel reports out_nr_dirty 0 for a 4 KiB page_size over a mapped range
 * (oracle corpus 14_dirty, docs/oracle.md). */
static uint64_t dirty_iova(uint64_t cur, uint64_t psz)
{
    if (mfd_kernel_version() < 619)
        return cur / psz * MOCK_PAGE_SIZE;
    return cur;
}

/* iommufd_test_dirty: the "hardware" marks the PTE under each set bit. */
static int test_dirty(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    uint64_t iova = cmd->dirty.iova, len = cmd->dirty.length, psz = cmd->dirty.page_size;
    uint64_t max, nbytes, count = 0;
    struct mfd_hwpt *h;
    uint8_t *tmp;
    int rc;

    if (!psz || !len || iova % psz || len % psz || !cmd->dirty.uptr)
        return -EINVAL;
    rc = md_pagetable(ucmd->ctx, cmd->id, &h);
    if (rc)
        return rc;
    if (!mfd_st_api.dirty_tracking(h->domain))
        return -EINVAL;
    max = len / psz;
    nbytes = (max + 7) / 8;
    if (nbytes > DIRTY_BITMAP_MAX || mfd_should_fail())
        return -ENOMEM;
    tmp = malloc(nbytes);
    if (!tmp)
        return -ENOMEM;
    if (mfd_copy_from_user(tmp, cmd->dirty.uptr, nbytes)) {
        free(tmp);
        return -EFAULT;
    }
    for (uint64_t i = 0; i < max; i++) {
        if (!tmp[i / 8]) {
            i |= 7;           /* skip a zero byte */
            continue;
        }
        if (!(tmp[i / 8] & (1u << (i % 8))))
            continue;
        if (!mfd_st_api.set_dirty(h->domain, dirty_iova(iova + i * psz, psz)))
            count++;
    }
    free(tmp);
    cmd->dirty.out_nr_dirty = count;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* ---- PASID ------------------------------------------------------------------------- */

static struct mfd_hwpt *pasid_hwpt(struct mfd_device *idev, uint32_t pasid)
{
    if (!pasid)
        return idev->hwpt;
    for (int i = 0; i < MFD_MAX_PASID_ATTACH; i++)
        if (idev->pasids[i].hwpt && idev->pasids[i].pasid == pasid)
            return idev->pasids[i].hwpt;
    return NULL;
}

static int test_pasid_attach(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd, bool replace)
{
    struct st_obj *s = st_get(ucmd->ctx, cmd->id);
    uint32_t pasid = cmd->pasid_attach.pasid, pt_id = cmd->pasid_attach.pt_id;
    struct mfd_hwpt *cur;
    int rc;

    if (!s)
        return -ENOENT;
    cur = pasid_hwpt(s->idev, pasid);
    /* iommufd_device_attach on an attached pasid / replace of nothing */
    if (!replace && cur && cur->obj.id != pt_id)
        return -EINVAL;
    if (replace && !cur)
        return -EINVAL;
    if (!replace && cur)
        return 0;
    rc = mfd_device_attach(s->idev, pasid, &pt_id);
    if (rc)
        return rc;
    /* pasid_attach and pasid_replace have pt_id at the same offset */
    cmd->pasid_attach.pt_id = pt_id;
    return mfd_ucmd_respond(ucmd, sizeof(*cmd));
}

static int test_pasid_detach(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct st_obj *s = st_get(ucmd->ctx, cmd->id);

    if (!s)
        return -ENOENT;
    mfd_device_detach(s->idev, cmd->pasid_detach.pasid);
    return 0;
}

static int test_pasid_check_hwpt(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
    struct st_obj *s = st_get(ucmd->ctx, cmd->id);
    struct mfd_hwpt *cur;
    struct mfd_obj *o;

    if (!s)
        return -ENOENT;
    cur = pasid_hwpt(s->idev, cmd->pasid_check.pasid);
    if (!cmd->pasid_check.hwpt_id)
        return cur ? -EINVAL : 0;
    o = mfd_obj_get(ucmd->ctx, cmd->pasid_check.hwpt_id, MFD_OBJ_ANY);
    if (!o || (o->type != MFD_OBJ_HWPT_PAGING && o->type != MFD_OBJ_HWPT_NESTED))
        return -ENOENT;
    return (struct mfd_hwpt *)o == cur ? 0 : -EINVAL;
}

/* ---- the dispatcher ------------------------------------------------------------------ */

/* The first kernel with each test op newer than IOMMU_TEST_OP_TRIGGER_IOPF;
 * older kernels take them to the dispatcher's default, -EOPNOTSUPP (a real
 * 6.12 kernel does so for op 16; docs/oracle.md). 16: vIOMMU invalidation
 * coverage, 17: vEVENTQ, 18-21: PASID (iommufd.md §6.2). */
static unsigned op_since(uint32_t op)
{
    switch (op) {
    case IOMMU_TEST_OP_DEV_CHECK_CACHE:
        return 614;
    case IOMMU_TEST_OP_TRIGGER_VEVENT:
    case IOMMU_TEST_OP_PASID_ATTACH:
    case IOMMU_TEST_OP_PASID_REPLACE:
    case IOMMU_TEST_OP_PASID_DETACH:
    case IOMMU_TEST_OP_PASID_CHECK_HWPT:
        return 615;
    default:
        return 0;
    }
}

int mfd_test_cmd(struct mfd_ucmd *ucmd)
{
    struct iommu_test_cmd *cmd = ucmd->cmd_buf;

    if (mfd_kernel_version() < op_since(cmd->op))
        return -EOPNOTSUPP;
    switch (cmd->op) {
    case IOMMU_TEST_OP_ADD_RESERVED:
        return test_add_reserved(ucmd, cmd);
    case IOMMU_TEST_OP_MOCK_DOMAIN:
    case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
        return test_mock_domain(ucmd, cmd);
    case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
        return test_mock_domain_replace(ucmd, cmd);
    case IOMMU_TEST_OP_MD_CHECK_MAP:
        return test_md_check_map(ucmd, cmd);
    case IOMMU_TEST_OP_MD_CHECK_REFS:
        return test_md_check_refs(ucmd, cmd);
    case IOMMU_TEST_OP_MD_CHECK_IOTLB:
        return test_md_check_iotlb(ucmd, cmd);
    case IOMMU_TEST_OP_CREATE_ACCESS:
    case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
    case IOMMU_TEST_OP_ACCESS_PAGES:
    case IOMMU_TEST_OP_ACCESS_RW:
    case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
        return mfd_test_access_op ? mfd_test_access_op(ucmd, cmd) : -EOPNOTSUPP;
    case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
        /* the kernel protects _batch_init: at least one element */
        if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(uint32_t))
            return -EINVAL;
        memory_limit = cmd->memory_limit.limit;
        return 0;
    case IOMMU_TEST_OP_DIRTY:
        return test_dirty(ucmd, cmd);
    case IOMMU_TEST_OP_TRIGGER_IOPF:
        return mfd_fault_report_iopf ?
                   mfd_fault_report_iopf(ucmd->ctx, cmd->trigger_iopf.dev_id,
                                         cmd->trigger_iopf.pasid, cmd->trigger_iopf.grpid,
                                         cmd->trigger_iopf.perm, cmd->trigger_iopf.addr) :
                   -EOPNOTSUPP;
    case IOMMU_TEST_OP_DEV_CHECK_CACHE:
        return mfd_test_dev_check_cache ?
                   mfd_test_dev_check_cache(ucmd->ctx, cmd->id, cmd->check_dev_cache.id,
                                            cmd->check_dev_cache.cache) :
                   -EOPNOTSUPP;
    case IOMMU_TEST_OP_TRIGGER_VEVENT:
        return mfd_test_trigger_vevent ?
                   mfd_test_trigger_vevent(ucmd->ctx, cmd->trigger_vevent.dev_id) :
                   -EOPNOTSUPP;
    case IOMMU_TEST_OP_PASID_ATTACH:
        return test_pasid_attach(ucmd, cmd, false);
    case IOMMU_TEST_OP_PASID_REPLACE:
        return test_pasid_attach(ucmd, cmd, true);
    case IOMMU_TEST_OP_PASID_DETACH:
        return test_pasid_detach(ucmd, cmd);
    case IOMMU_TEST_OP_PASID_CHECK_HWPT:
        return test_pasid_check_hwpt(ucmd, cmd);
    default:
        /* includes the dma-buf ops 22-24, not emulated (docs/selftest.md) */
        return -EOPNOTSUPP;
    }
}
