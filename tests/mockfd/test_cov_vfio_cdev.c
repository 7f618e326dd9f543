/* VFIO cdev device file (vfio_cdev.c; iommufd.md VFIO cdev section): the
 * errno of every argument check of BIND / ATTACH / DETACH / GET_INFO, as
 * drivers/vfio/device_cdev.c and vfio_main.c give them, and the unwinding
 * when the result cannot be written back (the kernel undoes the bind or the
 * attach and returns EFAULT). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "mockfd/mockfd.h"

#ifndef VFIO_DEVICE_RESET
#define VFIO_DEVICE_RESET _IO(VFIO_TYPE, VFIO_BASE + 11)   /* linux/vfio.h */
#endif
#include "tests/common/test_util.h"

static int fd, dfd;
static unsigned char *ro, *none;     /* a read-only page and an inaccessible one */

static void setup(void)
{
    cr_assert_eq(setenv("MOCKFD_PLATFORM", "vtd:0x10,0x18", 1), 0);
    fd = mockfd_open();
    cr_assert_geq(fd, 0);
    dfd = mockfd_device_open(0);
    cr_assert_geq(dfd, 0);
    ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(ro, MAP_FAILED);
    cr_assert_neq(none, MAP_FAILED);
}

static void teardown(void)
{
    mockfd_close(dfd);
    mockfd_close(fd);
    munmap(ro, 4096);
    munmap(none, 4096);
}

/* copy `len` bytes of `src` into the read-only page */
static void *readonly_copy(const void *src, size_t len)
{
    cr_assert_eq(mprotect(ro, 4096, PROT_READ | PROT_WRITE), 0);
    memcpy(ro, src, len);
    cr_assert_eq(mprotect(ro, 4096, PROT_READ), 0);
    return ro;
}

static int io(int f, unsigned long req, void *arg)
{
    errno = 0;
    return mockfd_ioctl(f, req, arg) ? errno : 0;
}

static uint32_t ioas_alloc(void)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    cr_assert_eq(io(fd, IOMMU_IOAS_ALLOC, &a), 0);
    return a.out_ioas_id;
}

static uint32_t bind(int d)
{
    struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = fd };

    cr_assert_eq(io(d, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
    return b.out_devid;
}

TestSuite(cov_vfio_cdev, .init = setup, .fini = teardown);

/* vfio_df_ioctl_bind_iommufd: argsz and flags, then the iommufd fd. */
Test(cov_vfio_cdev, bind_argument_checks)
{
    struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = fd };
    const uint32_t minsz = offsetof(struct vfio_device_bind_iommufd, out_devid) + 4;
    uint8_t uuid[16] = { 1, 2, 3 };

    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, none), EFAULT);
    b.argsz = minsz - 1;
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    b.argsz = sizeof(b);
    b.iommufd = -1;
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    b.iommufd = fd;
    b.flags = 2;                                     /* only BIND_FLAG_TOKEN is defined */
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    /* a VF token for a device that is neither an SR-IOV PF nor a VF:
     * vfio_pci_validate_vf_token refuses it, after reading it */
    b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
    b.token_uuid_ptr = (uintptr_t)none;
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EFAULT);
    b.token_uuid_ptr = (uintptr_t)uuid;
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    b.flags = 0;
    b.token_uuid_ptr = 0;
    /* iommufd_ctx_from_fd: no such file -> EBADF; a file that is not an
     * iommufd -> EBADFD */
    b.iommufd = fd + 500;
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADF);
    b.iommufd = dfd;
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADFD);
    /* none of the failures left the device bound */
    b.iommufd = fd;
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
    cr_assert_gt(b.out_devid, 0);
}

/* One device file binds once; a second file of the same device cannot bind
 * while the first is bound (vfio_df_open: open_count); after the first
 * closes, it can. */
Test(cov_vfio_cdev, bind_once)
{
    int d2 = mockfd_device_open(0);
    struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = fd };

    cr_assert_geq(d2, 0);
    bind(dfd);
    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    cr_assert_eq(io(d2, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    /* the other device is independent */
    {
        int d3 = mockfd_device_open(1);

        cr_assert_geq(d3, 0);
        bind(d3);
        mockfd_close(d3);
    }
    mockfd_close(dfd);
    dfd = d2;
    cr_assert_gt(bind(d2), 0);
}

/* out_devid cannot be written: the bind is undone (out_close_device) and
 * EFAULT returned; the device binds normally afterwards. */
Test(cov_vfio_cdev, bind_unwinds_when_out_devid_unwritable)
{
    struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = fd };
    struct iommu_destroy d = { .size = sizeof(d) };
    uint32_t id;

    cr_assert_eq(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, readonly_copy(&b, sizeof(b))), EFAULT);
    /* not bound: other ioctls still refused */
    cr_assert_eq(io(dfd, VFIO_DEVICE_GET_INFO, &b), EINVAL);
    id = bind(dfd);
    /* the new bind is a real one: its DEVICE object is held by the
     * binding (refcount taken in iommufd_device_bind) */
    d.id = id;
    cr_assert_eq(io(fd, IOMMU_DESTROY, &d), EBUSY, "the bound device is in use");
    ASSERT_NO_LEAKS();
}

/* vfio_device_fops_unl_ioctl: everything but BIND needs access_granted. */
Test(cov_vfio_cdev, unbound_device_refuses_everything_but_bind)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = 1 };
    struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };
    struct vfio_device_info info = { .argsz = sizeof(info) };

    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
    cr_assert_eq(io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), EINVAL);
    cr_assert_eq(io(dfd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
    cr_assert_eq(io(dfd, VFIO_DEVICE_RESET, NULL), EINVAL);
    bind(dfd);
    cr_assert_eq(io(dfd, VFIO_DEVICE_RESET, NULL), ENOTTY, "not modelled once bound");
}

/* vfio_df_ioctl_attach_pt */
Test(cov_vfio_cdev, attach_argument_checks)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    const uint32_t minsz = offsetof(struct vfio_device_attach_iommufd_pt, pt_id) + 4;
    uint32_t ioas = ioas_alloc();

    bind(dfd);
    at.pt_id = ioas;
    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, none), EFAULT);
    at.argsz = minsz - 1;
    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
    at.argsz = sizeof(at);
    at.flags = 2;
    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
    /* PASID flag: the pasid field must be inside argsz */
    at.flags = VFIO_DEVICE_ATTACH_PASID;
    at.pasid = 5;
    at.argsz = minsz;
    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
    at.flags = 0;
    at.argsz = minsz;            /* the original struct, before the PASID extension */
    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
    /* attached to an IOAS: pt_id is rewritten to the automatic HWPT */
    cr_assert_neq(at.pt_id, ioas);
    cr_assert_neq(at.pt_id, 0);
}

/* pt_id cannot be written back: the attach is undone (out_detach), so a
 * DMA through the device finds no translation and the IOAS is not in use. */
Test(cov_vfio_cdev, attach_unwinds_when_pt_id_unwritable)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct iommu_destroy d = { .size = sizeof(d) };
    uint32_t ioas = ioas_alloc();

    bind(dfd);
    at.pt_id = ioas;
    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, readonly_copy(&at, sizeof(at))), EFAULT);
    d.id = ioas;
    cr_assert_eq(io(fd, IOMMU_DESTROY, &d), 0, "the failed attach left the IOAS in use");
}

/* vfio_df_ioctl_detach_pt */
Test(cov_vfio_cdev, detach_argument_checks)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };
    const uint32_t minsz = offsetof(struct vfio_device_detach_iommufd_pt, flags) + 4;
    struct iommu_destroy d = { .size = sizeof(d) };
    uint32_t ioas = ioas_alloc();

    bind(dfd);
    at.pt_id = ioas;
    cr_assert_eq(io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
    cr_assert_eq(io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, none), EFAULT);
    de.argsz = minsz - 1;
    cr_assert_eq(io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), EINVAL);
    de.argsz = sizeof(de);
    de.flags = 2;
    cr_assert_eq(io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), EINVAL);
    de.flags = VFIO_DEVICE_DETACH_PASID;
    de.argsz = minsz;
    cr_assert_eq(io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), EINVAL);
    /* none of these detached the RID: the IOAS is still in use */
    d.id = ioas;
    cr_assert_eq(io(fd, IOMMU_DESTROY, &d), EBUSY);
    de.flags = 0;
    de.argsz = minsz;
    cr_assert_eq(io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), 0);
    cr_assert_eq(io(fd, IOMMU_DESTROY, &d), 0);
}

/* vfio_pci_ioctl_get_info */
Test(cov_vfio_cdev, get_info)
{
    struct vfio_device_info info;
    const uint32_t minsz = offsetof(struct vfio_device_info, num_irqs) + 4;

    bind(dfd);
    cr_assert_eq(io(dfd, VFIO_DEVICE_GET_INFO, none), EFAULT);
    memset(&info, 0, sizeof(info));
    info.argsz = minsz - 1;
    cr_assert_eq(io(dfd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
    info.argsz = minsz;
    cr_assert_eq(io(dfd, VFIO_DEVICE_GET_INFO, readonly_copy(&info, sizeof(info))), EFAULT);
    cr_assert_eq(io(dfd, VFIO_DEVICE_GET_INFO, &info), 0);
    cr_assert_eq(info.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
    cr_assert_eq(info.num_regions, 9);
    cr_assert_eq(info.num_irqs, 5);
}

/* No /dev/vfio/devices/vfioN for an index past the platform; DMA only
 * through a device fd. */
Test(cov_vfio_cdev, device_open_and_dma_bad_handles)
{
    uint32_t v = 0;

    cr_assert_eq(mockfd_device_open(2), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(mockfd_device_open(-1), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(mockfd_device_dma(fd, 0, 0x1000, &v, 4, false), -1);
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(mockfd_device_dma(fd + 500, 0, 0x1000, &v, 4, false), -1);
    cr_assert_eq(errno, EBADF);
}
