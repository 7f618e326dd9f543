/* SPDX-License-Identifier: MIT */
/*
 * The part of the Linux VFIO ABI that iommufd clients use, written for
 * iommu-emu (iommufd.md §1.1, §4.9) and checked against the newest upstream
 * include/uapi/linux/vfio.h:
 *   - the type1 container ioctls that iommufd's vfio_compat.c emulates on
 *     /dev/iommu (same type byte ';' as iommufd, VFIO_BASE 100);
 *   - the VFIO cdev device ioctls that bind a device to an iommufd and
 *     attach it to an IOAS/HWPT (with PASID);
 *   - VFIO_DEVICE_GET_INFO basics.
 * Group, region, IRQ and migration ioctls are deliberately absent.
 *
 * Include guards: uapi/ comes first on the include path, and a later #include
 * of the system header must be a no-op instead of a redefinition clash. The
 * kernel source uses _UAPIVFIO_H, but "make headers_install" rewrites it, so
 * the copy in /usr/include guards with VFIO_H: we define (and honour) both.
 */
#if !defined(_UAPIVFIO_H) && !defined(VFIO_H)
#define _UAPIVFIO_H
#define VFIO_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <stddef.h>

#ifndef __aligned_u64
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#endif

#ifdef __cplusplus
#define __VFIO_SASSERT(e, m) static_assert(e, m)
#else
#define __VFIO_SASSERT(e, m) _Static_assert(e, m)
#endif
#define __VFIO_SIZE(type, n) \
	__VFIO_SASSERT(sizeof(struct type) == (n), "sizeof(struct " #type ")")
#define __VFIO_OFF(type, field, n)                          \
	__VFIO_SASSERT(offsetof(struct type, field) == (n), \
		       "offsetof(struct " #type ", " #field ")")

#define VFIO_API_VERSION 0

/* Extensions (VFIO_CHECK_EXTENSION argument, VFIO_SET_IOMMU type). */
#define VFIO_TYPE1_IOMMU 1
#define VFIO_SPAPR_TCE_IOMMU 2
#define VFIO_TYPE1v2_IOMMU 3
/* IOMMU enforces DMA cache coherence (e.g. PCIe No-Snoop stripping). */
#define VFIO_DMA_CC_IOMMU 4
#define VFIO_EEH 5
#define VFIO_TYPE1_NESTING_IOMMU 6
#define VFIO_SPAPR_TCE_v2_IOMMU 7
#define VFIO_NOIOMMU_IOMMU 8
/* VFIO_DMA_UNMAP_FLAG_ALL is supported. */
#define VFIO_UNMAP_ALL 9
/* VFIO_DMA_MAP_FLAG_VADDR / VFIO_DMA_UNMAP_FLAG_VADDR are supported. */
#define VFIO_UPDATE_VADDR 10

/* All VFIO ioctls are _IO (no size bits); the size travels in argsz. */
#define VFIO_TYPE (';')
#define VFIO_BASE 100

/*
 * Capability chains (GET_INFO ioctls): offsets are from the start of the info
 * buffer; next == 0 ends the chain. If argsz is too small for the chain the
 * kernel sets the CAPS flag, leaves cap_offset 0 and raises argsz to the size
 * needed, without failing.
 */
struct vfio_info_cap_header {
	__u16 id;
	__u16 version;
	__u32 next;
};
__VFIO_SIZE(vfio_info_cap_header, 8);
__VFIO_OFF(vfio_info_cap_header, id, 0);
__VFIO_OFF(vfio_info_cap_header, version, 2);
__VFIO_OFF(vfio_info_cap_header, next, 4);

/* ---- container ioctls (also accepted on /dev/iommu, iommufd.md §4.9) ----- */

/* Returns VFIO_API_VERSION. */
#define VFIO_GET_API_VERSION _IO(VFIO_TYPE, VFIO_BASE + 0)
/* Argument by value: an extension number; returns 0 or 1. */
#define VFIO_CHECK_EXTENSION _IO(VFIO_TYPE, VFIO_BASE + 1)
/* Argument by value: VFIO_TYPE1_IOMMU / VFIO_TYPE1v2_IOMMU / ... */
#define VFIO_SET_IOMMU _IO(VFIO_TYPE, VFIO_BASE + 2)

/* Group fd ioctls: numbers only (the mock has no group fds). */
#define VFIO_GROUP_GET_STATUS _IO(VFIO_TYPE, VFIO_BASE + 3)
#define VFIO_GROUP_SET_CONTAINER _IO(VFIO_TYPE, VFIO_BASE + 4)
#define VFIO_GROUP_UNSET_CONTAINER _IO(VFIO_TYPE, VFIO_BASE + 5)
#define VFIO_GROUP_GET_DEVICE_FD _IO(VFIO_TYPE, VFIO_BASE + 6)

/* ---- device fd: VFIO_DEVICE_GET_INFO -------------------------------------- */
struct vfio_device_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_FLAGS_RESET (1 << 0)
#define VFIO_DEVICE_FLAGS_PCI (1 << 1)
#define VFIO_DEVICE_FLAGS_PLATFORM (1 << 2)
#define VFIO_DEVICE_FLAGS_AMBA (1 << 3)
#define VFIO_DEVICE_FLAGS_CCW (1 << 4)
#define VFIO_DEVICE_FLAGS_AP (1 << 5)
#define VFIO_DEVICE_FLAGS_FSL_MC (1 << 6)
#define VFIO_DEVICE_FLAGS_CAPS (1 << 7)
#define VFIO_DEVICE_FLAGS_CDX (1 << 8)
	__u32 num_regions;
	__u32 num_irqs;
	__u32 cap_offset;
	__u32 pad; /* upstream added it so caps start 8-byte aligned */
};
#define VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)
__VFIO_SIZE(vfio_device_info, 24);
__VFIO_OFF(vfio_device_info, argsz, 0);
__VFIO_OFF(vfio_device_info, flags, 4);
__VFIO_OFF(vfio_device_info, num_regions, 8);
__VFIO_OFF(vfio_device_info, num_irqs, 12);
__VFIO_OFF(vfio_device_info, cap_offset, 16);
__VFIO_OFF(vfio_device_info, pad, 20);

/* ---- device cdev: bind to an iommufd (/dev/vfio/devices/vfioN) ------------ */

/*
 * iommufd: the /dev/iommu fd to bind to; out_devid: the device's id in that
 * iommufd (dev_id for HWPT_ALLOC, GET_HW_INFO, ...). token_uuid_ptr (with
 * VFIO_DEVICE_BIND_FLAG_TOKEN) points to a 16-byte VF token UUID.
 */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
__VFIO_SIZE(vfio_device_bind_iommufd, 24);
__VFIO_OFF(vfio_device_bind_iommufd, argsz, 0);
__VFIO_OFF(vfio_device_bind_iommufd, flags, 4);
__VFIO_OFF(vfio_device_bind_iommufd, iommufd, 8);
__VFIO_OFF(vfio_device_bind_iommufd, out_devid, 12);
__VFIO_OFF(vfio_device_bind_iommufd, token_uuid_ptr, 16);

/*
 * pt_id in: an IOAS or HWPT id; out: the HWPT actually attached (an
 * auto-created one for an IOAS). pasid is used only with
 * VFIO_DEVICE_ATTACH_PASID.
 */
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_ATTACH_PASID (1 << 0)
	__u32 pt_id;
	__u32 pasid;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
__VFIO_SIZE(vfio_device_attach_iommufd_pt, 16);
__VFIO_OFF(vfio_device_attach_iommufd_pt, argsz, 0);
__VFIO_OFF(vfio_device_attach_iommufd_pt, flags, 4);
__VFIO_OFF(vfio_device_attach_iommufd_pt, pt_id, 8);
__VFIO_OFF(vfio_device_attach_iommufd_pt, pasid, 12);

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_DETACH_PASID (1 << 0)
	__u32 pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
__VFIO_SIZE(vfio_device_detach_iommufd_pt, 12);
__VFIO_OFF(vfio_device_detach_iommufd_pt, argsz, 0);
__VFIO_OFF(vfio_device_detach_iommufd_pt, flags, 4);
__VFIO_OFF(vfio_device_detach_iommufd_pt, pasid, 8);

/* ---- type1 IOMMU container API -------------------------------------------- */

struct vfio_iommu_type1_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_INFO_PGSIZES (1 << 0)
#define VFIO_IOMMU_INFO_CAPS (1 << 1)
	__aligned_u64 iova_pgsizes; /* bitmap of supported page sizes */
	__u32 cap_offset;
	__u32 pad;
};
#define VFIO_IOMMU_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 12)
__VFIO_SIZE(vfio_iommu_type1_info, 24);
__VFIO_OFF(vfio_iommu_type1_info, argsz, 0);
__VFIO_OFF(vfio_iommu_type1_info, flags, 4);
__VFIO_OFF(vfio_iommu_type1_info, iova_pgsizes, 8);
__VFIO_OFF(vfio_iommu_type1_info, cap_offset, 16);
__VFIO_OFF(vfio_iommu_type1_info, pad, 20);

/* Capability: the usable IOVA ranges (end inclusive). */
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1

struct vfio_iova_range {
	__u64 start;
	__u64 end;
};
__VFIO_SIZE(vfio_iova_range, 16);
__VFIO_OFF(vfio_iova_range, start, 0);
__VFIO_OFF(vfio_iova_range, end, 8);

struct vfio_iommu_type1_info_cap_iova_range {
	struct vfio_info_cap_header header;
	__u32 nr_iovas;
	__u32 reserved;
	struct vfio_iova_range iova_ranges[];
};
__VFIO_SIZE(vfio_iommu_type1_info_cap_iova_range, 16);
__VFIO_OFF(vfio_iommu_type1_info_cap_iova_range, header, 0);
__VFIO_OFF(vfio_iommu_type1_info_cap_iova_range, nr_iovas, 8);
__VFIO_OFF(vfio_iommu_type1_info_cap_iova_range, reserved, 12);
__VFIO_OFF(vfio_iommu_type1_info_cap_iova_range, iova_ranges, 16);

/* Capability id 2 (migration / dirty logging) is not offered by iommufd. */
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2

/* Capability: how many more DMA mappings may be created. */
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3

struct vfio_iommu_type1_info_dma_avail {
	struct vfio_info_cap_header header;
	__u32 avail;
};
__VFIO_SIZE(vfio_iommu_type1_info_dma_avail, 12);
__VFIO_OFF(vfio_iommu_type1_info_dma_avail, header, 0);
__VFIO_OFF(vfio_iommu_type1_info_dma_avail, avail, 8);

struct vfio_iommu_type1_dma_map {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_MAP_FLAG_READ (1 << 0)  /* readable from device */
#define VFIO_DMA_MAP_FLAG_WRITE (1 << 1) /* writable from device */
#define VFIO_DMA_MAP_FLAG_VADDR (1 << 2)
	__u64 vaddr;
	__u64 iova;
	__u64 size;
};
#define VFIO_IOMMU_MAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 13)
__VFIO_SIZE(vfio_iommu_type1_dma_map, 32);
__VFIO_OFF(vfio_iommu_type1_dma_map, argsz, 0);
__VFIO_OFF(vfio_iommu_type1_dma_map, flags, 4);
__VFIO_OFF(vfio_iommu_type1_dma_map, vaddr, 8);
__VFIO_OFF(vfio_iommu_type1_dma_map, iova, 16);
__VFIO_OFF(vfio_iommu_type1_dma_map, size, 24);

/* Trailer of UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP. */
struct vfio_bitmap {
	__u64 pgsize;
	__u64 size;
	__u64 *data;
};
/* Holds a user pointer, so its size follows the ABI's pointer width. */
__VFIO_SASSERT(sizeof(struct vfio_bitmap) == 16 + sizeof(__u64 *),
	       "sizeof(struct vfio_bitmap)");
__VFIO_OFF(vfio_bitmap, pgsize, 0);
__VFIO_OFF(vfio_bitmap, size, 8);
__VFIO_OFF(vfio_bitmap, data, 16);

/* size in: range, out: bytes unmapped. FLAG_ALL needs iova == size == 0. */
struct vfio_iommu_type1_dma_unmap {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1 << 0)
#define VFIO_DMA_UNMAP_FLAG_ALL (1 << 1)
#define VFIO_DMA_UNMAP_FLAG_VADDR (1 << 2)
	__u64 iova;
	__u64 size;
	__u8 data[];
};
#define VFIO_IOMMU_UNMAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 14)
__VFIO_SIZE(vfio_iommu_type1_dma_unmap, 24);
__VFIO_OFF(vfio_iommu_type1_dma_unmap, argsz, 0);
__VFIO_OFF(vfio_iommu_type1_dma_unmap, flags, 4);
__VFIO_OFF(vfio_iommu_type1_dma_unmap, iova, 8);
__VFIO_OFF(vfio_iommu_type1_dma_unmap, size, 16);
__VFIO_OFF(vfio_iommu_type1_dma_unmap, data, 24);

#define VFIO_IOMMU_ENABLE _IO(VFIO_TYPE, VFIO_BASE + 15)
#define VFIO_IOMMU_DISABLE _IO(VFIO_TYPE, VFIO_BASE + 16)
/* Dirty page logging on the container: iommufd compat answers ENOTTY. */
#define VFIO_IOMMU_DIRTY_PAGES _IO(VFIO_TYPE, VFIO_BASE + 17)

#endif /* _UAPIVFIO_H, VFIO_H */
