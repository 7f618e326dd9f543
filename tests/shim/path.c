/* The shim's open() path classifier (mockfd/shim/shim_path.h). */
#include "mockfd/shim/shim_path.h"

#include <criterion/criterion.h>

Test(shim_path, iommu)
{
    cr_expect_eq(shim_classify_path("/dev/iommu"), SHIM_PATH_IOMMU);
    cr_expect_eq(shim_classify_path("/dev/iommu0"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/iomm"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/iommu/"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("dev/iommu"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev//iommu"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path(""), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path(NULL), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/etc/passwd"), SHIM_PATH_OTHER);
}

Test(shim_path, vfio_cdev)
{
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio0"), 0);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio7"), 7);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio42"), 42);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio2147483647"), 2147483647);
    /* Not names the kernel creates: */
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio01"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio-1"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio+1"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio1a"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio2147483648"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/vfio/devices/vfio99999999999999999999"),
                 SHIM_PATH_OTHER);
    /* The legacy group and container nodes are not ours. */
    cr_expect_eq(shim_classify_path("/dev/vfio/vfio"), SHIM_PATH_OTHER);
    cr_expect_eq(shim_classify_path("/dev/vfio/3"), SHIM_PATH_OTHER);
}
