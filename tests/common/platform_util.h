/* Test helper shared by the suites that add platform devices at run time
 * (e2e, selftest): contract.md §2 mockfd_platform_add_*, VFIO cdev bind. */
#ifndef IOMMU_EMU_TEST_PLATFORM_UTIL_H
#define IOMMU_EMU_TEST_PLATFORM_UTIL_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include <linux/vfio.h>

#include "mockfd/mockfd.h"

/* A new IOMMU instance of `spec` with one device at `rid`, its cdev opened
 * and bound to `iommufd`: returns the device fd. *index (if non-NULL) gets
 * the platform device index, *devid (if non-NULL) the bound device id. */
static inline int t_bind_on_new_iommu(const char *spec, uint32_t rid, int iommufd, int *index,
                                      uint32_t *devid)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = iommufd };
    int iommu = mockfd_platform_add_iommu(spec), dev, dfd;

    cr_assert_geq(iommu, 0, "add iommu %s", spec);
    dev = mockfd_platform_add_device(iommu, rid);
    cr_assert_geq(dev, 0, "add device 0x%x", rid);
    dfd = mockfd_device_open(dev);
    cr_assert_geq(dfd, 0, "open device %d", dev);
    cr_assert_eq(mockfd_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0, "bind: %s",
                 strerror(errno));
    if (index)
        *index = dev;
    if (devid)
        *devid = bind.out_devid;
    return dfd;
}

#endif
