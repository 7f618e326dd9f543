/* Out of file descriptors: open("/dev/iommu") and open of a VFIO cdev fail
 * with EMFILE, as the kernel's get_unused_fd_flags() makes them, and leave
 * nothing behind; once a number is free again they work. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "mockfd/mockfd.h"
#include "tests/common/test_util.h"

#define MAXFD 256

Test(cov_fd_exhaustion, open_and_device_open_give_emfile)
{
    static int fill[MAXFD];
    struct rlimit old, lim;
    int n = 0, e_open, e_dev, r_open, r_dev, fd, dfd;

    cr_assert_eq(setenv("MOCKFD_PLATFORM", "vtd:0x10", 1), 0);
    /* build the platform first: its lazy load may need descriptors */
    fd = mockfd_open();
    cr_assert_geq(fd, 0);
    dfd = mockfd_device_open(0);
    cr_assert_geq(dfd, 0);
    mockfd_close(dfd);
    mockfd_close(fd);

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    lim = old;
    lim.rlim_cur = MAXFD;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
    for (;;) {
        int f = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (f < 0)
            break;
        cr_assert_lt(n, MAXFD);
        fill[n++] = f;
    }
    errno = 0;
    r_open = mockfd_open();
    e_open = errno;
    errno = 0;
    r_dev = mockfd_device_open(0);
    e_dev = errno;
    /* free one number: both work again */
    close(fill[--n]);
    fd = mockfd_open();
    close(fill[--n]);
    dfd = mockfd_device_open(0);
    while (n)
        close(fill[--n]);
    setrlimit(RLIMIT_NOFILE, &old);

    cr_assert_eq(r_open, -1);
    cr_assert_eq(e_open, EMFILE);
    cr_assert_eq(r_dev, -1);
    cr_assert_eq(e_dev, EMFILE);
    cr_assert_geq(fd, 0);
    cr_assert_geq(dfd, 0);
    cr_assert(mockfd_owns_fd(fd));
    cr_assert(mockfd_owns_fd(dfd));
    {
        struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = fd };

        cr_assert_eq(mockfd_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), 0, "%s", strerror(errno));
    }
    mockfd_close(dfd);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}
