/* The iommufd context finds its own file through ctx->file (the kernel's
 * ictx->file), never by fd number: after dup2(iommufd, n) + close(iommufd)
 * every path that makes an fd holding the iommufd (CREATE_ACCESS, fault
 * queue, vEVENTQ) and VFIO_DEVICE_BIND_IOMMUFD work through n, and the
 * files they pin are the context's own even when the original number was
 * reused by another iommufd. Closing everything releases everything. */
#include <fcntl.h>
#include <linux/vfio.h>
#include <unistd.h>

#include "mockfd/mockfd_ext.h"
#include "test_st_c_util.h"
#include "tests/common/platform_util.h"

TestSuite(ictx_dup);

/* A number that is free now, far from the ones the test opens. */
static int free_number(void)
{
    int n = fcntl(0, F_DUPFD_CLOEXEC, 200);

    cr_assert_geq(n, 0);
    close(n);
    return n;
}

static int create_access(int fd, uint32_t ioas, int *afd)
{
    struct iommu_test_cmd c = { .create_access = { .flags = 0 } };
    int rc = st_cmd(fd, IOMMU_TEST_OP_CREATE_ACCESS, ioas, &c);

    *afd = rc ? -1 : (int)c.create_access.out_access_fd;
    return rc;
}

static int fault_alloc(int fd, uint32_t *id, int *ffd)
{
    struct iommu_fault_alloc a = { .size = sizeof(a) };
    int rc = mockfd_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &a);

    *id = rc ? 0 : a.out_fault_id;
    *ffd = rc ? -1 : (int)a.out_fault_fd;
    return rc;
}

/* The iommufd context behind fd (NULL: none). */
static struct mfd_ctx *ctx_of(int fd)
{
    struct mfd_file *f = mfd_file_get(fd);
    struct mfd_ctx *ctx = mfd_ctx_from_file(f);

    if (f)
        mfd_file_put(f);
    return ctx;
}

/* dup2 + close of the original: every fd-creating path works through the
 * duplicate; the objects outlive the iommufd number while their fds are
 * open; the last close releases it all. */
static void dup_then_create_all(bool reuse_number)
{
    struct stc s;
    int n = free_number(), d, orig, other = -1, afd, ffd, efd = -1, dfd;
    uint32_t fault_id, vd, veq, devid;
    struct iommu_hwpt_pgfault pf;
    uint8_t buf[256];
    struct mfd_ctx *ctx;

    stc_setup(&s, true);
    orig = s.fd;
    ctx = ctx_of(orig);
    cr_assert(ctx);
    d = mockfd_dup_fd(orig, n);
    cr_assert_eq(d, n);
    EXPECT_OK(mockfd_close(orig));
    cr_assert_not(mockfd_owns_fd(orig));
    if (reuse_number) {
        /* another iommufd takes the old number: nothing made through d may
         * pin it (the old code looked up ctx->fd and got this file) */
        other = mockfd_open();
        cr_assert_geq(other, 0);
        if (other != orig)
            cr_log_warn("number %d not reused (got %d)", orig, other);
    }

    EXPECT_OK(create_access(d, s.ioas, &afd));
    EXPECT_OK(fault_alloc(d, &fault_id, &ffd));
    EXPECT_OK(stc_vdevice_alloc(d, s.viommu, s.idev, 0x42, &vd));
    EXPECT_OK(stc_veventq_alloc(d, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &veq, &efd));

    dfd = t_bind_on_new_iommu("vtd", 0x10, d, NULL, &devid);
    cr_assert_neq(devid, 0);

    /* the duplicate is the same context; the other iommufd is untouched */
    cr_assert_eq(ctx_of(d), ctx);
    if (other >= 0) {
        cr_assert_neq(ctx_of(other), ctx);
        EXPECT_OK(mockfd_close(other));
    }

    /* close the iommufd: its files keep the context alive (the kernel's
     * get_file on ictx->file), so the fds still work */
    EXPECT_OK(mockfd_close(d));
    /* both queue reads take the context's lock: nothing queued is 0 */
    cr_assert_eq(mockfd_read(ffd, &pf, sizeof(pf)), 0, "fault fd: nothing queued");
    cr_assert_eq(mockfd_read(efd, buf, sizeof(buf)), 0, "vEVENTQ: nothing queued");
    EXPECT_OK(mockfd_close(afd));
    EXPECT_OK(mockfd_close(ffd));
    EXPECT_OK(mockfd_close(efd));
    EXPECT_OK(mockfd_close(dfd));   /* unbind drops the last reference */
    ASSERT_NO_LEAKS();
}

Test(ictx_dup, every_fd_path_after_dup2_close)
{
    dup_then_create_all(false);
}

Test(ictx_dup, original_number_reused_by_another_iommufd)
{
    dup_then_create_all(true);
}

/* The vEVENTQ fd alone keeps the iommufd alive after dup2/close: events
 * triggered through the duplicate still reach it, and its close is the
 * last reference. */
Test(ictx_dup, veventq_outlives_dup)
{
    struct stc s;
    int n = free_number(), d, efd = -1;
    uint32_t vd, veq;
    uint8_t buf[256];

    stc_setup(&s, true);
    d = mockfd_dup_fd(s.fd, n);
    cr_assert_eq(d, n);
    EXPECT_OK(mockfd_close(s.fd));
    EXPECT_OK(stc_vdevice_alloc(d, s.viommu, s.idev, 0x42, &vd));
    cr_assert_eq(stc_attach_through(d, s.idev, s.viommu), 0);
    EXPECT_OK(stc_veventq_alloc(d, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &veq, &efd));
    EXPECT_OK(stc_trigger(d, s.idev));
    cr_assert_gt(mockfd_read(efd, buf, sizeof(buf)), 0);
    cr_assert_eq(stc_attach_through(d, s.idev, 0), 0);
    EXPECT_OK(mockfd_close(d));
    EXPECT_OK(mockfd_close(efd));
    ASSERT_NO_LEAKS();
}
