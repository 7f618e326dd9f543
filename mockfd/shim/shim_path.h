/* SPDX-License-Identifier: MIT */
/*
 * Which open() paths the LD_PRELOAD shim hands to the mock (preload.c).
 * Header-only so that tests/shim can test the classifier without preloading.
 */
#ifndef IOMMU_EMU_SHIM_PATH_H
#define IOMMU_EMU_SHIM_PATH_H

#include <stddef.h>

enum { SHIM_PATH_OTHER = -2, SHIM_PATH_IOMMU = -1 }; /* >= 0: VFIO cdev index */

/*
 * "/dev/iommu" -> SHIM_PATH_IOMMU; "/dev/vfio/devices/vfioN" -> N, where N is
 * a canonical decimal int (the kernel names the cdevs vfio0, vfio1, ...: there
 * is no "vfio01" or "vfio+1"); anything else -> SHIM_PATH_OTHER. Only
 * absolute names: the shim does not resolve relative paths or symlinks.
 * Called on every open() of the process, so the common case exits at once.
 */
static inline int shim_classify_path(const char *path)
{
    static const char iommu[] = "/dev/iommu";
    static const char vfio[] = "/dev/vfio/devices/vfio";
    const char *d;
    long n = 0;
    size_t i;

    if (!path || path[0] != '/' || path[1] != 'd')
        return SHIM_PATH_OTHER;
    for (i = 0; iommu[i] && path[i] == iommu[i]; i++)
        ;
    if (!iommu[i] && !path[i])
        return SHIM_PATH_IOMMU;
    for (i = 0; vfio[i] && path[i] == vfio[i]; i++)
        ;
    if (vfio[i])
        return SHIM_PATH_OTHER;
    d = path + i;
    if (*d < '0' || *d > '9' || (d[0] == '0' && d[1]))
        return SHIM_PATH_OTHER;
    for (; *d >= '0' && *d <= '9'; d++) {
        n = n * 10 + (*d - '0');
        if (n > 0x7fffffffL)
            return SHIM_PATH_OTHER;
    }
    return *d ? SHIM_PATH_OTHER : (int)n;
}

#endif
