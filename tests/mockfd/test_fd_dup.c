/* mockfd_dup_fd (mockfd/mockfd_ext.h, fdtable.c): a second fd number for
 * the same mock file, as dup/dup2/F_DUPFD make for a kernel file. The shim
 * routes those calls here (tests/shim for the program-level test). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <string.h>
#include <unistd.h>

#include "mockfd/mockfd.h"
#include "mockfd/mockfd_ext.h"
#include "tests/common/test_util.h"

/* A number that is free now (dup2 onto a fixed number could silently close
 * one of the test runner's own fds). */
static int free_fd(void)
{
    int n = fcntl(0, F_DUPFD, 300);

    cr_assert_geq(n, 0);
    close(n);
    return n;
}

static uint32_t ioas_alloc(int fd)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &a), 0, "IOAS_ALLOC on %d: %s", fd,
                 strerror(errno));
    return a.out_ioas_id;
}

static int destroy(int fd, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return mockfd_ioctl(fd, IOMMU_DESTROY, &d) ? -errno : 0;
}

/* dup2 + close of the original: the duplicate is the same iommufd context,
 * alive until its own close. */
Test(fd_dup, dup2_then_close_original)
{
    int fd = mockfd_open(), d, n = free_fd();
    uint32_t a, b;

    cr_assert_geq(fd, 0);
    d = mockfd_dup_fd(fd, n);
    cr_assert_eq(d, n);
    cr_assert(mockfd_owns_fd(n));
    a = ioas_alloc(fd);
    b = ioas_alloc(d);
    cr_assert_neq(a, b, "one context: ids come from one allocator");
    cr_assert_eq(destroy(d, a), 0, "an object made through fd is seen through the dup");
    cr_assert_eq(mockfd_close(fd), 0);
    cr_assert_not(mockfd_owns_fd(fd));
    cr_assert_eq(fcntl(fd, F_GETFD), -1, "the original number is closed");
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(destroy(d, b), 0, "the dup still works");
    ioas_alloc(d);
    cr_assert_eq(mockfd_close(d), 0);
    cr_assert_not(mockfd_owns_fd(d));
    cr_assert_eq(mockfd_close(d), -1);
    cr_assert_eq(errno, EBADF);
    ASSERT_NO_LEAKS();
}

/* newfd < 0: the lowest free number, close-on-exec like every mock fd. */
Test(fd_dup, dup_lowest_free)
{
    int fd = mockfd_open(), d, probe;

    cr_assert_geq(fd, 0);
    probe = dup(0);
    cr_assert_geq(probe, 0);
    close(probe);
    d = mockfd_dup_fd(fd, -1);
    cr_assert_eq(d, probe, "the lowest free number");
    cr_assert_eq(fcntl(d, F_GETFD), FD_CLOEXEC);
    ioas_alloc(d);
    cr_assert_eq(mockfd_close(d), 0);
    ioas_alloc(fd);
    cr_assert_eq(mockfd_close(fd), 0);
    ASSERT_NO_LEAKS();
}

/* dup2 onto a number holding another mock file releases that file (its
 * last reference); onto a number holding the same file changes nothing. */
Test(fd_dup, dup2_onto_mock_fd_releases_it)
{
    int a = mockfd_open(), b = mockfd_open(), c;
    uint32_t id;

    cr_assert_geq(a, 0);
    cr_assert_geq(b, 0);
    id = ioas_alloc(b);
    cr_assert_eq(mockfd_dup_fd(a, b), b);
    cr_assert(mockfd_owns_fd(b));
    cr_assert_eq(destroy(b, id), -ENOENT, "b is now a's context");
    id = ioas_alloc(a);
    cr_assert_eq(destroy(b, id), 0);
    c = mockfd_dup_fd(a, -1);
    cr_assert_eq(mockfd_dup_fd(a, c), c, "already the same file");
    cr_assert_eq(mockfd_dup_fd(c, c), c, "dup2(fd, fd)");
    cr_assert_eq(mockfd_close(a), 0);
    cr_assert_eq(mockfd_close(b), 0);
    ioas_alloc(c);
    cr_assert_eq(mockfd_close(c), 0);
    ASSERT_NO_LEAKS();
}

/* A plain fd dup2()ed onto a mock number: the number becomes the plain
 * file and the mock file it held is gone. */
Test(fd_dup, plain_fd_onto_mock_fd)
{
    int p[2], m = mockfd_open();
    char c = 'x';

    cr_assert_geq(m, 0);
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(mockfd_dup_fd(p[1], m), m);
    cr_assert_not(mockfd_owns_fd(m));
    cr_assert_eq(write(m, &c, 1), 1, "m is the pipe's write end");
    c = 0;
    cr_assert_eq(read(p[0], &c, 1), 1);
    cr_assert_eq(c, 'x');
    close(m);
    close(p[0]);
    close(p[1]);
    ASSERT_NO_LEAKS();
}

Test(fd_dup, errors)
{
    int fd = mockfd_open(), p[2];

    cr_assert_geq(fd, 0);
    cr_assert_eq(mockfd_dup_fd(-1, 5), -1);
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(mockfd_dup_fd(fd, INT_MAX), -1, "newfd beyond RLIMIT_NOFILE");
    cr_assert_eq(errno, EBADF);
    cr_assert(mockfd_owns_fd(fd));
    cr_assert_eq(pipe(p), 0);
    close(p[1]);
    cr_assert_eq(mockfd_dup_fd(p[1], fd), -1, "oldfd closed: newfd untouched");
    cr_assert_eq(errno, EBADF);
    cr_assert(mockfd_owns_fd(fd));
    ioas_alloc(fd);
    close(p[0]);
    cr_assert_eq(mockfd_close(fd), 0);
    ASSERT_NO_LEAKS();
}

/* A VFIO device fd: bind and attach through the duplicate after the
 * original is closed; the device stays bound until the last close. */
Test(fd_dup, device_fd)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    int iommu, dev, dfd, d2, fd, again;
    uint8_t buf[64] __attribute__((aligned(64)));

    iommu = mockfd_platform_add_iommu("vtd");
    cr_assert_geq(iommu, 0);
    dev = mockfd_platform_add_device(iommu, 0x10);
    cr_assert_geq(dev, 0);
    fd = mockfd_open();
    dfd = mockfd_device_open(dev);
    cr_assert_geq(dfd, 0);
    again = free_fd();
    d2 = mockfd_dup_fd(dfd, again);
    cr_assert_eq(d2, again);
    cr_assert_eq(mockfd_close(dfd), 0);
    bind.iommufd = fd;
    cr_assert_eq(mockfd_ioctl(d2, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
    at.pt_id = ioas_alloc(fd);
    cr_assert_eq(mockfd_ioctl(d2, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
    cr_assert_eq(mockfd_device_dma(d2, 0, 0x1000, buf, sizeof(buf), false), -1);
    cr_assert_eq(errno, EFAULT, "nothing mapped: a translation fault, not EBADF");
    /* still bound: a second open of the device cannot bind */
    again = mockfd_device_open(dev);
    cr_assert_geq(again, 0);
    cr_assert_eq(mockfd_ioctl(again, VFIO_DEVICE_BIND_IOMMUFD, &bind), -1);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mockfd_close(d2), 0);
    cr_assert_eq(mockfd_ioctl(again, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0,
                 "the last close of the dup unbound the device");
    cr_assert_eq(mockfd_close(again), 0);
    cr_assert_eq(mockfd_close(fd), 0);
    ASSERT_NO_LEAKS();
}
