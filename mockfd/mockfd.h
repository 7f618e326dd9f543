/* SPDX-License-Identifier: MIT */
/*
 * mockfd: /dev/iommu in userspace, ABI-identical to Linux iommufd
 * (shared/contract.md §2). Requests and structs are those of uapi/linux/iommufd.h.
 */
#ifndef IOMMU_EMU_MOCKFD_H
#define IOMMU_EMU_MOCKFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An iommufd instance. Returns a real, otherwise unused file descriptor (so that
 * close(), poll() and fd-passing code behave), or -1 with errno. */
int mockfd_open(void);
/* Exactly the contract of ioctl(2) on /dev/iommu: 0 (or the documented positive
 * value) on success, -1 with errno on failure. request values and structs are the
 * Linux iommufd ABI from uapi/. */
int mockfd_ioctl(int fd, unsigned long request, void *arg);
int mockfd_close(int fd);
/* mockfd_ioctl and mockfd_close also serve the device fds that mockfd_device_open
 * returns (VFIO cdev ioctls), and the other fds the mock hands out (fault queues,
 * access fds), each with the Linux ABI of that fd type. */

/* The platform: emulated IOMMUs and the devices behind them, process-wide.
 * spec examples: "vtd", "vtd:nodirty", "amdvi:qemu", "smmuv3". Returns an IOMMU
 * index >= 0 or -1/errno. */
int mockfd_platform_add_iommu(const char *spec);
/* A device behind IOMMU `iommu_index` with requester/stream ID `rid`; returns the
 * device's index >= 0 (device N is also reachable as /dev/vfio/devices/vfioN). */
int mockfd_platform_add_device(int iommu_index, uint32_t rid);
/* Open device N as a VFIO cdev-style fd that takes VFIO_DEVICE_BIND_IOMMUFD,
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT and VFIO_DEVICE_DETACH_IOMMUFD_PT with the Linux ABI. */
int mockfd_device_open(int device_index);
/* The device performs DMA, through its IOMMU, to/from iova. 0 or -1/errno
 * (EFAULT on a translation fault). */
int mockfd_device_dma(int device_fd, uint32_t pasid, uint64_t iova, void *buf,
                      size_t len, bool write);

/* ---- Additions beyond the contract ---------------------------------------- */

/* True if fd is one the mock handed out (iommufd, device, fault, access fds). */
bool mockfd_owns_fd(int fd);
/* read()/write() on mock fds that have them (fault queue, vEVENT queue):
 * the Linux semantics, -1/errno; -1/EBADF for fds the mock does not own. */
long mockfd_read(int fd, void *buf, size_t count);
long mockfd_write(int fd, const void *buf, size_t count);

#ifdef __cplusplus
}
#endif
#endif
