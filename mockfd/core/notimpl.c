/* SPDX-License-Identifier: MIT */
/*
 * TEMPORARY weak stand-ins for the entry points later issues implement, so
 * that the dispatch table (main.c) and the public API link today. Each is
 * replaced, by the linker, as soon as its issue lands a strong definition in
 * the file named beside it; delete the line then. Ioctl handlers answer
 * -EOPNOTSUPP ("not supported"), the platform API -1/ENODEV ("no such
 * device"): neither is ever reported as success.
 */
#include "handlers.h"
#include "mockfd_internal.h"

#define WEAK __attribute__((weak))

/* Issue "HWPT / hw_info / dirty tracking": hwpt.c, device.c. */
WEAK int mfd_hwpt_alloc(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
WEAK int mfd_get_hw_info(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
WEAK int mfd_hwpt_set_dirty_tracking(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
WEAK int mfd_hwpt_get_dirty_bitmap(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
WEAK int mfd_hwpt_invalidate(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
/* Issue "fault queues": fault.c. */
WEAK int mfd_fault_alloc(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
/* Issue "vIOMMU": viommu.c, eventq.c. */
WEAK int mfd_viommu_alloc(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
WEAK int mfd_vdevice_alloc(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
WEAK int mfd_veventq_alloc(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
WEAK int mfd_hw_queue_alloc(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }
/* Issue "selftest op": selftest.c. */
WEAK int mfd_test_cmd(struct mfd_ucmd *ucmd) { (void)ucmd; return -EOPNOTSUPP; }

/* Issue "platform and devices": mockfd/drivers, device.c. */
WEAK int mockfd_platform_add_iommu(const char *spec)
{
    (void)spec;
    errno = ENODEV;
    return -1;
}

WEAK int mockfd_platform_add_device(int iommu_index, uint32_t rid)
{
    (void)iommu_index, (void)rid;
    errno = ENODEV;
    return -1;
}

WEAK int mockfd_device_open(int device_index)
{
    (void)device_index;
    errno = ENODEV;
    return -1;
}

WEAK int mockfd_device_dma(int device_fd, uint32_t pasid, uint64_t iova, void *buf,
                           size_t len, bool write)
{
    (void)device_fd, (void)pasid, (void)iova, (void)buf, (void)len, (void)write;
    errno = ENODEV;
    return -1;
}
