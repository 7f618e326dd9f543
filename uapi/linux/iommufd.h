/* SPDX-License-Identifier: MIT */
/*
 * iommufd userspace ABI (the /dev/iommu ioctls), written for iommu-emu from
 * shared/reference/iommufd.md §1 and cross-checked against the layout of the
 * newest upstream include/uapi/linux/iommufd.h (commands 0x80..0x94, plus the
 * merged 6.18/6.19 additions: AMD hw_info, PCI_ATS_NOT_SUPPORTED, SMMUv3
 * errata flag).
 *
 * Names are the kernel's, so that programs written for Linux compile
 * unchanged against -Iuapi. The include guard is the kernel's too, so that a
 * later #include of the system's (older) header becomes a no-op instead of a
 * clash: _UAPI_IOMMUFD_H in the kernel source, _IOMMUFD_H in the copy that
 * "make headers_install" puts in /usr/include (it strips "_UAPI"). We define
 * and honour both.
 *
 * Every struct is followed by compile-time checks of its size and of every
 * field offset; these ARE the ABI (iommufd.md §1.3).
 */
#if !defined(_UAPI_IOMMUFD_H) && !defined(_IOMMUFD_H)
#define _UAPI_IOMMUFD_H
#define _IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <stddef.h>

/* Old <linux/types.h> copies lack these (iommufd.md §1.3: all 64-bit fields are
 * 8-byte aligned so 32-bit userspace sees the same layout). */
#ifndef __aligned_u64
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#endif
#ifndef __aligned_le64
#define __aligned_le64 __le64 __attribute__((aligned(8)))
#endif

/* Layout checks usable from C11 and C++. */
#ifdef __cplusplus
#define __IOMMUFD_SASSERT(e, m) static_assert(e, m)
#else
#define __IOMMUFD_SASSERT(e, m) _Static_assert(e, m)
#endif
#define __IOMMUFD_SIZE(type, n) \
	__IOMMUFD_SASSERT(sizeof(struct type) == (n), "sizeof(struct " #type ")")
#define __IOMMUFD_OFF(type, field, n)                          \
	__IOMMUFD_SASSERT(offsetof(struct type, field) == (n), \
			  "offsetof(struct " #type ", " #field ")")

#define IOMMUFD_TYPE (';')

/*
 * iommufd.md §1.1: every command is _IO(';', nr); size and direction bits are
 * zero, the struct size travels in the leading __u32 size field instead.
 * Errno conventions (ENOTTY unknown nr, E2BIG non-zero unknown tail,
 * EOPNOTSUPP unknown value, EINVAL bad field, ENOENT unknown id) are in §2.
 */
enum iommufd_cmd {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
};

/* ---- 0x80 IOMMU_DESTROY: destroy any destroyable object by id ------------ */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)
__IOMMUFD_SIZE(iommu_destroy, 8);
__IOMMUFD_OFF(iommu_destroy, size, 0);
__IOMMUFD_OFF(iommu_destroy, id, 4);

/* ---- 0x81 IOMMU_IOAS_ALLOC ------------------------------------------------ */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags; /* must be 0 */
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)
__IOMMUFD_SIZE(iommu_ioas_alloc, 12);
__IOMMUFD_OFF(iommu_ioas_alloc, size, 0);
__IOMMUFD_OFF(iommu_ioas_alloc, flags, 4);
__IOMMUFD_OFF(iommu_ioas_alloc, out_ioas_id, 8);

/* An IOVA interval; last is inclusive. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};
__IOMMUFD_SIZE(iommu_iova_range, 16);
__IOMMUFD_OFF(iommu_iova_range, start, 0);
__IOMMUFD_OFF(iommu_iova_range, last, 8);

/* ---- 0x84 IOMMU_IOAS_IOVA_RANGES: EMSGSIZE + required count if too small -- */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;  /* in: array capacity, out: number of ranges */
	__u32 __reserved; /* must be 0 */
	__aligned_u64 allowed_iovas; /* user pointer to struct iommu_iova_range[] */
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)
__IOMMUFD_SIZE(iommu_ioas_iova_ranges, 32);
__IOMMUFD_OFF(iommu_ioas_iova_ranges, size, 0);
__IOMMUFD_OFF(iommu_ioas_iova_ranges, ioas_id, 4);
__IOMMUFD_OFF(iommu_ioas_iova_ranges, num_iovas, 8);
__IOMMUFD_OFF(iommu_ioas_iova_ranges, __reserved, 12);
__IOMMUFD_OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
__IOMMUFD_OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);

/* ---- 0x82 IOMMU_IOAS_ALLOW_IOVAS: replaces the whole allowed list --------- */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved; /* must be 0 */
	__aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)
__IOMMUFD_SIZE(iommu_ioas_allow_iovas, 24);
__IOMMUFD_OFF(iommu_ioas_allow_iovas, size, 0);
__IOMMUFD_OFF(iommu_ioas_allow_iovas, ioas_id, 4);
__IOMMUFD_OFF(iommu_ioas_allow_iovas, num_iovas, 8);
__IOMMUFD_OFF(iommu_ioas_allow_iovas, __reserved, 12);
__IOMMUFD_OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);

/* Flags shared by IOAS_MAP, IOAS_MAP_FILE and IOAS_COPY. */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/* ---- 0x85 IOMMU_IOAS_MAP -------------------------------------------------- */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved; /* must be 0 */
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova; /* in with FIXED_IOVA, else out */
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)
__IOMMUFD_SIZE(iommu_ioas_map, 40);
__IOMMUFD_OFF(iommu_ioas_map, size, 0);
__IOMMUFD_OFF(iommu_ioas_map, flags, 4);
__IOMMUFD_OFF(iommu_ioas_map, ioas_id, 8);
__IOMMUFD_OFF(iommu_ioas_map, __reserved, 12);
__IOMMUFD_OFF(iommu_ioas_map, user_va, 16);
__IOMMUFD_OFF(iommu_ioas_map, length, 24);
__IOMMUFD_OFF(iommu_ioas_map, iova, 32);

/* ---- 0x8f IOMMU_IOAS_MAP_FILE: like MAP but from a memfd at byte offset start */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)
__IOMMUFD_SIZE(iommu_ioas_map_file, 40);
__IOMMUFD_OFF(iommu_ioas_map_file, size, 0);
__IOMMUFD_OFF(iommu_ioas_map_file, flags, 4);
__IOMMUFD_OFF(iommu_ioas_map_file, ioas_id, 8);
__IOMMUFD_OFF(iommu_ioas_map_file, fd, 12);
__IOMMUFD_OFF(iommu_ioas_map_file, start, 16);
__IOMMUFD_OFF(iommu_ioas_map_file, length, 24);
__IOMMUFD_OFF(iommu_ioas_map_file, iova, 32);

/* ---- 0x83 IOMMU_IOAS_COPY: src range must exactly match one MAP ----------- */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)
__IOMMUFD_SIZE(iommu_ioas_copy, 40);
__IOMMUFD_OFF(iommu_ioas_copy, size, 0);
__IOMMUFD_OFF(iommu_ioas_copy, flags, 4);
__IOMMUFD_OFF(iommu_ioas_copy, dst_ioas_id, 8);
__IOMMUFD_OFF(iommu_ioas_copy, src_ioas_id, 12);
__IOMMUFD_OFF(iommu_ioas_copy, length, 16);
__IOMMUFD_OFF(iommu_ioas_copy, dst_iova, 24);
__IOMMUFD_OFF(iommu_ioas_copy, src_iova, 32);

/* ---- 0x86 IOMMU_IOAS_UNMAP: length in = range, out = bytes unmapped ------- */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)
__IOMMUFD_SIZE(iommu_ioas_unmap, 24);
__IOMMUFD_OFF(iommu_ioas_unmap, size, 0);
__IOMMUFD_OFF(iommu_ioas_unmap, ioas_id, 4);
__IOMMUFD_OFF(iommu_ioas_unmap, iova, 8);
__IOMMUFD_OFF(iommu_ioas_unmap, length, 16);

/* ---- 0x87 IOMMU_OPTION ---------------------------------------------------- */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0, /* global, object_id must be 0 */
	IOMMU_OPTION_HUGE_PAGES = 1,  /* per IOAS, object_id = IOAS id */
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved; /* must be 0 */
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)
__IOMMUFD_SIZE(iommu_option, 24);
__IOMMUFD_OFF(iommu_option, size, 0);
__IOMMUFD_OFF(iommu_option, option_id, 4);
__IOMMUFD_OFF(iommu_option, op, 8);
__IOMMUFD_OFF(iommu_option, __reserved, 10);
__IOMMUFD_OFF(iommu_option, object_id, 12);
__IOMMUFD_OFF(iommu_option, val64, 16);

/* ---- 0x88 IOMMU_VFIO_IOAS: the IOAS used by the VFIO container compat ----- */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved; /* must be 0 */
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)
__IOMMUFD_SIZE(iommu_vfio_ioas, 12);
__IOMMUFD_OFF(iommu_vfio_ioas, size, 0);
__IOMMUFD_OFF(iommu_vfio_ioas, ioas_id, 4);
__IOMMUFD_OFF(iommu_vfio_ioas, op, 8);
__IOMMUFD_OFF(iommu_vfio_ioas, __reserved, 10);

/* ---- 0x89 IOMMU_HWPT_ALLOC and its driver payloads ------------------------ */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/* IOMMU_HWPT_DATA_VTD_S1: guest first-stage table (VT-d spec 9.9 PASID entry). */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved; /* must be 0 */
};
__IOMMUFD_SIZE(iommu_hwpt_vtd_s1, 24);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1, flags, 0);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1, addr_width, 16);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1, __reserved, 20);

/* IOMMU_HWPT_DATA_ARM_SMMUV3: guest STE words 0..1, little-endian
 * (SMMUv3 spec 5.2; invalid/non-allowed fields -> EIO). */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};
__IOMMUFD_SIZE(iommu_hwpt_arm_smmuv3, 16);
__IOMMUFD_OFF(iommu_hwpt_arm_smmuv3, ste, 0);

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id; /* IOAS, parent HWPT or vIOMMU */
	__u32 out_hwpt_id;
	__u32 __reserved; /* must be 0 */
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id; /* valid with IOMMU_HWPT_FAULT_ID_VALID */
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)
__IOMMUFD_SIZE(iommu_hwpt_alloc, 48);
__IOMMUFD_OFF(iommu_hwpt_alloc, size, 0);
__IOMMUFD_OFF(iommu_hwpt_alloc, flags, 4);
__IOMMUFD_OFF(iommu_hwpt_alloc, dev_id, 8);
__IOMMUFD_OFF(iommu_hwpt_alloc, pt_id, 12);
__IOMMUFD_OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
__IOMMUFD_OFF(iommu_hwpt_alloc, __reserved, 20);
__IOMMUFD_OFF(iommu_hwpt_alloc, data_type, 24);
__IOMMUFD_OFF(iommu_hwpt_alloc, data_len, 28);
__IOMMUFD_OFF(iommu_hwpt_alloc, data_uptr, 32);
__IOMMUFD_OFF(iommu_hwpt_alloc, fault_id, 40);
__IOMMUFD_OFF(iommu_hwpt_alloc, __reserved2, 44);

/* ---- 0x8a IOMMU_GET_HW_INFO and its driver payloads ----------------------- */
enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* Raw VT-d CAP_REG / ECAP_REG (VT-d spec 11.4.2, 11.4.3). */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};
__IOMMUFD_SIZE(iommu_hw_info_vtd, 24);
__IOMMUFD_OFF(iommu_hw_info_vtd, flags, 0);
__IOMMUFD_OFF(iommu_hw_info_vtd, __reserved, 4);
__IOMMUFD_OFF(iommu_hw_info_vtd, cap_reg, 8);
__IOMMUFD_OFF(iommu_hw_info_vtd, ecap_reg, 16);

enum iommu_hw_info_arm_smmuv3_flags {
	IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI = 1 << 0,
};

/* Raw SMMU_IDR0..5, SMMU_IIDR, SMMU_AIDR (SMMUv3 spec 6.3.1-6.3.6). */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};
__IOMMUFD_SIZE(iommu_hw_info_arm_smmuv3, 40);
__IOMMUFD_OFF(iommu_hw_info_arm_smmuv3, flags, 0);
__IOMMUFD_OFF(iommu_hw_info_arm_smmuv3, __reserved, 4);
__IOMMUFD_OFF(iommu_hw_info_arm_smmuv3, idr, 8);
__IOMMUFD_OFF(iommu_hw_info_arm_smmuv3, iidr, 32);
__IOMMUFD_OFF(iommu_hw_info_arm_smmuv3, aidr, 36);

/* Tegra241 CMDQV PARAM fields. Upstream layout (flags + 4 bytes) is used; the
 * reference notes' "__reserved u8[6]" variant is not what the kernel has. */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;
	__u8 version;
	__u8 log2vcmdqs;
	__u8 log2vsids;
	__u8 __reserved;
};
__IOMMUFD_SIZE(iommu_hw_info_tegra241_cmdqv, 8);
__IOMMUFD_OFF(iommu_hw_info_tegra241_cmdqv, flags, 0);
__IOMMUFD_OFF(iommu_hw_info_tegra241_cmdqv, version, 4);
__IOMMUFD_OFF(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5);
__IOMMUFD_OFF(iommu_hw_info_tegra241_cmdqv, log2vsids, 6);
__IOMMUFD_OFF(iommu_hw_info_tegra241_cmdqv, __reserved, 7);

/* Raw AMD IOMMU EFR (MMIO 0x30) and EFR2 (MMIO 0x1A0). */
struct iommu_hw_info_amd {
	__aligned_u64 efr;
	__aligned_u64 efr2;
};
__IOMMUFD_SIZE(iommu_hw_info_amd, 16);
__IOMMUFD_OFF(iommu_hw_info_amd, efr, 0);
__IOMMUFD_OFF(iommu_hw_info_amd, efr2, 8);

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,    /* output: driver reports no data */
	IOMMU_HW_INFO_TYPE_DEFAULT = 0, /* input: whatever the driver's type is */
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
	IOMMU_HW_INFO_TYPE_AMD = 4,
};

enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len; /* in: user buffer size, out: kernel's native length */
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type; /* with IOMMU_HW_INFO_FLAG_INPUT_TYPE */
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3]; /* must be 0 */
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)
__IOMMUFD_SIZE(iommu_hw_info, 40);
__IOMMUFD_OFF(iommu_hw_info, size, 0);
__IOMMUFD_OFF(iommu_hw_info, flags, 4);
__IOMMUFD_OFF(iommu_hw_info, dev_id, 8);
__IOMMUFD_OFF(iommu_hw_info, data_len, 12);
__IOMMUFD_OFF(iommu_hw_info, data_uptr, 16);
__IOMMUFD_OFF(iommu_hw_info, in_data_type, 24);
__IOMMUFD_OFF(iommu_hw_info, out_data_type, 24);
__IOMMUFD_OFF(iommu_hw_info, out_max_pasid_log2, 28);
__IOMMUFD_OFF(iommu_hw_info, __reserved, 29);
__IOMMUFD_OFF(iommu_hw_info, out_capabilities, 32);

/* ---- 0x8b IOMMU_HWPT_SET_DIRTY_TRACKING ----------------------------------- */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)
__IOMMUFD_SIZE(iommu_hwpt_set_dirty_tracking, 16);
__IOMMUFD_OFF(iommu_hwpt_set_dirty_tracking, size, 0);
__IOMMUFD_OFF(iommu_hwpt_set_dirty_tracking, flags, 4);
__IOMMUFD_OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
__IOMMUFD_OFF(iommu_hwpt_set_dirty_tracking, __reserved, 12);

/* ---- 0x8c IOMMU_HWPT_GET_DIRTY_BITMAP ------------------------------------- */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/* Bit for iova: data[(iova / page_size) / 64] bit ((iova / page_size) % 64). */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved; /* must be 0 */
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)
__IOMMUFD_SIZE(iommu_hwpt_get_dirty_bitmap, 48);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, size, 0);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, flags, 8);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, __reserved, 12);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, length, 24);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
__IOMMUFD_OFF(iommu_hwpt_get_dirty_bitmap, data, 40);

/* ---- 0x8d IOMMU_HWPT_INVALIDATE and its entries --------------------------- */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/* addr 4 KiB aligned; addr 0 + npages U64_MAX = everything. */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved; /* must be 0 */
};
__IOMMUFD_SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1_invalidate, addr, 0);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1_invalidate, npages, 8);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
__IOMMUFD_OFF(iommu_hwpt_vtd_s1_invalidate, __reserved, 20);

/* One 128-bit SMMUv3 CMDQ command, little-endian (SMMUv3 spec 4.1). */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};
__IOMMUFD_SIZE(iommu_viommu_arm_smmuv3_invalidate, 16);
__IOMMUFD_OFF(iommu_viommu_arm_smmuv3_invalidate, cmd, 0);

struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id; /* nested HWPT or vIOMMU */
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num; /* in: count, out: count handled */
	__u32 __reserved; /* must be 0 */
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)
__IOMMUFD_SIZE(iommu_hwpt_invalidate, 32);
__IOMMUFD_OFF(iommu_hwpt_invalidate, size, 0);
__IOMMUFD_OFF(iommu_hwpt_invalidate, hwpt_id, 4);
__IOMMUFD_OFF(iommu_hwpt_invalidate, data_uptr, 8);
__IOMMUFD_OFF(iommu_hwpt_invalidate, data_type, 16);
__IOMMUFD_OFF(iommu_hwpt_invalidate, entry_len, 20);
__IOMMUFD_OFF(iommu_hwpt_invalidate, entry_num, 24);
__IOMMUFD_OFF(iommu_hwpt_invalidate, __reserved, 28);

/* ---- Fault queue records (read/written on the fault fd) ------------------- */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),
};

/* PCIe 10.4.1 page request permission bits. */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/* __reserved is explicit (kernel e721f619e3ec) so no padding leaks. */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};
__IOMMUFD_SIZE(iommu_hwpt_pgfault, 40);
__IOMMUFD_OFF(iommu_hwpt_pgfault, flags, 0);
__IOMMUFD_OFF(iommu_hwpt_pgfault, dev_id, 4);
__IOMMUFD_OFF(iommu_hwpt_pgfault, pasid, 8);
__IOMMUFD_OFF(iommu_hwpt_pgfault, grpid, 12);
__IOMMUFD_OFF(iommu_hwpt_pgfault, perm, 16);
__IOMMUFD_OFF(iommu_hwpt_pgfault, __reserved, 20);
__IOMMUFD_OFF(iommu_hwpt_pgfault, addr, 24);
__IOMMUFD_OFF(iommu_hwpt_pgfault, length, 32);
__IOMMUFD_OFF(iommu_hwpt_pgfault, cookie, 36);

/* PCIe 10.4.2.1 response codes. */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};
__IOMMUFD_SIZE(iommu_hwpt_page_response, 8);
__IOMMUFD_OFF(iommu_hwpt_page_response, cookie, 0);
__IOMMUFD_OFF(iommu_hwpt_page_response, code, 4);

/* ---- 0x8e IOMMU_FAULT_QUEUE_ALLOC ----------------------------------------- */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags; /* must be 0 */
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)
__IOMMUFD_SIZE(iommu_fault_alloc, 16);
__IOMMUFD_OFF(iommu_fault_alloc, size, 0);
__IOMMUFD_OFF(iommu_fault_alloc, flags, 4);
__IOMMUFD_OFF(iommu_fault_alloc, out_fault_id, 8);
__IOMMUFD_OFF(iommu_fault_alloc, out_fault_fd, 12);

/* ---- 0x90 IOMMU_VIOMMU_ALLOC ---------------------------------------------- */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0, /* reserved, rejected */
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};
__IOMMUFD_SIZE(iommu_viommu_tegra241_cmdqv, 16);
__IOMMUFD_OFF(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, 0);
__IOMMUFD_OFF(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8);

struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags; /* must be 0 */
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id; /* nesting parent HWPT */
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved; /* must be 0 */
	__aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)
__IOMMUFD_SIZE(iommu_viommu_alloc, 40);
__IOMMUFD_OFF(iommu_viommu_alloc, size, 0);
__IOMMUFD_OFF(iommu_viommu_alloc, flags, 4);
__IOMMUFD_OFF(iommu_viommu_alloc, type, 8);
__IOMMUFD_OFF(iommu_viommu_alloc, dev_id, 12);
__IOMMUFD_OFF(iommu_viommu_alloc, hwpt_id, 16);
__IOMMUFD_OFF(iommu_viommu_alloc, out_viommu_id, 20);
__IOMMUFD_OFF(iommu_viommu_alloc, data_len, 24);
__IOMMUFD_OFF(iommu_viommu_alloc, __reserved, 28);
__IOMMUFD_OFF(iommu_viommu_alloc, data_uptr, 32);

/* ---- 0x91 IOMMU_VDEVICE_ALLOC --------------------------------------------- */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id; /* vSID (SMMUv3), vDeviceID (AMD), vRID (VT-d) */
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)
__IOMMUFD_SIZE(iommu_vdevice_alloc, 24);
__IOMMUFD_OFF(iommu_vdevice_alloc, size, 0);
__IOMMUFD_OFF(iommu_vdevice_alloc, viommu_id, 4);
__IOMMUFD_OFF(iommu_vdevice_alloc, dev_id, 8);
__IOMMUFD_OFF(iommu_vdevice_alloc, out_vdevice_id, 12);
__IOMMUFD_OFF(iommu_vdevice_alloc, virt_id, 16);

/* ---- 0x92 IOMMU_IOAS_CHANGE_PROCESS (only MAP_FILE maps, else EINVAL) ----- */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved; /* must be 0 */
};
#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)
__IOMMUFD_SIZE(iommu_ioas_change_process, 8);
__IOMMUFD_OFF(iommu_ioas_change_process, size, 0);
__IOMMUFD_OFF(iommu_ioas_change_process, __reserved, 4);

/* ---- vEVENT records (read from the vEVENTQ fd): header then payload ------- */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/* sequence runs 0..INT_MAX then wraps to 0; a gap means lost events. */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};
__IOMMUFD_SIZE(iommufd_vevent_header, 8);
__IOMMUFD_OFF(iommufd_vevent_header, flags, 0);
__IOMMUFD_OFF(iommufd_vevent_header, sequence, 4);

enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0, /* reserved, rejected */
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/* A 256-bit SMMUv3 event record, little-endian (SMMUv3 spec 7.3); StreamID
 * carries the virtual SID of the vDEVICE. */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};
__IOMMUFD_SIZE(iommu_vevent_arm_smmuv3, 32);
__IOMMUFD_OFF(iommu_vevent_arm_smmuv3, evt, 0);

struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};
__IOMMUFD_SIZE(iommu_vevent_tegra241_cmdqv, 16);
__IOMMUFD_OFF(iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 0);

/* ---- 0x93 IOMMU_VEVENTQ_ALLOC --------------------------------------------- */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags; /* must be 0 */
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved; /* must be 0 */
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)
__IOMMUFD_SIZE(iommu_veventq_alloc, 32);
__IOMMUFD_OFF(iommu_veventq_alloc, size, 0);
__IOMMUFD_OFF(iommu_veventq_alloc, flags, 4);
__IOMMUFD_OFF(iommu_veventq_alloc, viommu_id, 8);
__IOMMUFD_OFF(iommu_veventq_alloc, type, 12);
__IOMMUFD_OFF(iommu_veventq_alloc, veventq_depth, 16);
__IOMMUFD_OFF(iommu_veventq_alloc, out_veventq_id, 20);
__IOMMUFD_OFF(iommu_veventq_alloc, out_veventq_fd, 24);
__IOMMUFD_OFF(iommu_veventq_alloc, __reserved, 28);

/* ---- 0x94 IOMMU_HW_QUEUE_ALLOC -------------------------------------------- */
enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0, /* reserved, rejected */
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags; /* must be 0 */
	__u32 viommu_id;
	__u32 type;
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)
__IOMMUFD_SIZE(iommu_hw_queue_alloc, 40);
__IOMMUFD_OFF(iommu_hw_queue_alloc, size, 0);
__IOMMUFD_OFF(iommu_hw_queue_alloc, flags, 4);
__IOMMUFD_OFF(iommu_hw_queue_alloc, viommu_id, 8);
__IOMMUFD_OFF(iommu_hw_queue_alloc, type, 12);
__IOMMUFD_OFF(iommu_hw_queue_alloc, index, 16);
__IOMMUFD_OFF(iommu_hw_queue_alloc, out_hw_queue_id, 20);
__IOMMUFD_OFF(iommu_hw_queue_alloc, nesting_parent_iova, 24);
__IOMMUFD_OFF(iommu_hw_queue_alloc, length, 32);

#endif /* _UAPI_IOMMUFD_H, _IOMMUFD_H */
