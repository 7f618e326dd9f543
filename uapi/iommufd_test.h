/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_TEST_CMD: the ABI of the kernel's selftest mock IOMMU
 * (CONFIG_IOMMUFD_TEST, drivers/iommu/iommufd/iommufd_test.h upstream),
 * written for iommu-emu from shared/reference/iommufd.md §6 and kept
 * ABI-identical to the newest upstream version (ops up to
 * IOMMU_TEST_OP_MD_CHECK_DMABUF). The kernel selftests include this header
 * by this name, so the guard and every name are the kernel's.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/iommufd.h>
#include <linux/types.h>
#include <stddef.h>

#ifdef __cplusplus
#define __IOMMUFD_TEST_SASSERT(e, m) static_assert(e, m)
#else
#define __IOMMUFD_TEST_SASSERT(e, m) _Static_assert(e, m)
#endif
#define __IOMMUFD_TEST_SIZE(type, n) \
	__IOMMUFD_TEST_SASSERT(sizeof(struct type) == (n), "sizeof(struct " #type ")")
#define __IOMMUFD_TEST_OFF(type, field, n)                          \
	__IOMMUFD_TEST_SASSERT(offsetof(struct type, field) == (n), \
			       "offsetof(struct " #type ", " #field ")")

/* iommufd.md §6.2: op numbers, consecutive from 1; unknown op -> EOPNOTSUPP. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,
	IOMMU_TEST_OP_MD_CHECK_MAP = 3,
	IOMMU_TEST_OP_MD_CHECK_REFS = 4,
	IOMMU_TEST_OP_CREATE_ACCESS = 5,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,
	IOMMU_TEST_OP_ACCESS_PAGES = 7,
	IOMMU_TEST_OP_ACCESS_RW = 8,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	IOMMU_TEST_OP_DIRTY = 13,
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,
	IOMMU_TEST_OP_PASID_ATTACH = 18,
	IOMMU_TEST_OP_PASID_REPLACE = 19,
	IOMMU_TEST_OP_PASID_DETACH = 20,
	IOMMU_TEST_OP_PASID_CHECK_HWPT = 21,
	IOMMU_TEST_OP_DMABUF_GET = 22,
	IOMMU_TEST_OP_DMABUF_REVOKE = 23,
	IOMMU_TEST_OP_MD_CHECK_DMABUF = 24,
};

/* iommu_hwpt_selftest.pagetable_type (newest, iommupt-based mock). */
enum {
	MOCK_IOMMUPT_DEFAULT = 0,
	MOCK_IOMMUPT_HUGE = 1,
	MOCK_IOMMUPT_AMDV1 = 2,
};

/* iommufd.md §6.3: geometry of a MOCK_IOMMUPT_DEFAULT mock paging domain. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
	MOCK_PAGE_SIZE = 2048,
	MOCK_HUGE_PAGE_SIZE = 512 * MOCK_PAGE_SIZE,
};

/* IOMMU_TEST_OP_ACCESS_PAGES flags. */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* IOMMU_TEST_OP_ACCESS_RW flags. */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* IOMMU_TEST_OP_CREATE_ACCESS flags. */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS dev_flags. */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};
/* Bit 1 was MOCK_FLAGS_DEVICE_HUGE_IOVA before the iommupt conversion; the
 * newest header dropped it (the bit is now rejected with EINVAL). Kept as a
 * macro only so that older selftest sources still compile. */
#define MOCK_FLAGS_DEVICE_HUGE_IOVA (1 << 1)

enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* PASID_REPLACE on this pasid makes the mock fail the domain op (ENOMEM). */
#define IOMMU_TEST_PASID_RESERVED 1024

/*
 * iommufd.md §6.1: 72 bytes, the op table's minimum size is offsetofend(last)
 * = 68; the union holds the per-op arguments, its largest member (dirty) is
 * 48 bytes.
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id; /* the iommufd device (bind) id */
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		struct {
			__u32 pasid;
			__u32 pt_id; /* id is the stdev id */
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		struct {
			__u32 length;
			__u32 open_flags;
		} dmabuf_get;
		struct {
			__s32 dmabuf_fd;
			__u32 revoked;
		} dmabuf_revoke;
		struct {
			__s32 dmabuf_fd;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 offset;
		} check_dmabuf;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

__IOMMUFD_TEST_SIZE(iommu_test_cmd, 72);
__IOMMUFD_TEST_OFF(iommu_test_cmd, size, 0);
__IOMMUFD_TEST_OFF(iommu_test_cmd, op, 4);
__IOMMUFD_TEST_OFF(iommu_test_cmd, id, 8);
__IOMMUFD_TEST_OFF(iommu_test_cmd, __reserved, 12);
__IOMMUFD_TEST_OFF(iommu_test_cmd, last, 64);
__IOMMUFD_TEST_OFF(iommu_test_cmd, add_reserved.start, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, add_reserved.length, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain.out_stdev_id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain.out_hwpt_id, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain.out_idev_id, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain_flags.out_stdev_id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain_flags.out_hwpt_id, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain_flags.out_idev_id, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain_flags.dev_flags, 28);
__IOMMUFD_TEST_OFF(iommu_test_cmd, mock_domain_replace.pt_id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_map.iova, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_map.length, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_map.uptr, 32);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_refs.length, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_refs.uptr, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_refs.refs, 32);
__IOMMUFD_TEST_OFF(iommu_test_cmd, create_access.out_access_fd, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, create_access.flags, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, destroy_access_pages.access_pages_id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_pages.flags, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_pages.out_access_pages_id, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_pages.iova, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_pages.length, 32);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_pages.uptr, 40);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_rw.iova, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_rw.length, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_rw.uptr, 32);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_rw.flags, 40);
__IOMMUFD_TEST_OFF(iommu_test_cmd, memory_limit.limit, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, access_replace_ioas.ioas_id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dirty.flags, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dirty.iova, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dirty.length, 32);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dirty.page_size, 40);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dirty.uptr, 48);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dirty.out_nr_dirty, 56);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_iotlb.id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_iotlb.iotlb, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, trigger_iopf.dev_id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, trigger_iopf.pasid, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, trigger_iopf.grpid, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, trigger_iopf.perm, 28);
__IOMMUFD_TEST_OFF(iommu_test_cmd, trigger_iopf.addr, 32);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_dev_cache.id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_dev_cache.cache, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, trigger_vevent.dev_id, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, pasid_attach.pasid, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, pasid_attach.pt_id, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, pasid_replace.pasid, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, pasid_replace.pt_id, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, pasid_detach.pasid, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, pasid_check.pasid, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, pasid_check.hwpt_id, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dmabuf_get.length, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dmabuf_get.open_flags, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dmabuf_revoke.dmabuf_fd, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, dmabuf_revoke.revoked, 20);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_dmabuf.dmabuf_fd, 16);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_dmabuf.iova, 24);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_dmabuf.length, 32);
__IOMMUFD_TEST_OFF(iommu_test_cmd, check_dmabuf.offset, 40);

/* Mock device / IOMMU PASID width (max_pasids = 1 << 20). */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO on a mock device (iommufd.md §4.11). */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};
__IOMMUFD_TEST_SIZE(iommu_test_hw_info, 8);
__IOMMUFD_TEST_OFF(iommu_test_hw_info, flags, 0);
__IOMMUFD_TEST_OFF(iommu_test_hw_info, test_reg, 4);

/* HWPT_ALLOC data type for a mock nested domain; chosen to collide with no
 * real enum iommu_hwpt_data_type value. */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/* Newest layout (8 bytes); before the iommupt conversion it was iotlb only. */
struct iommu_hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;
};
__IOMMUFD_TEST_SIZE(iommu_hwpt_selftest, 8);
__IOMMUFD_TEST_OFF(iommu_hwpt_selftest, iotlb, 0);
__IOMMUFD_TEST_OFF(iommu_hwpt_selftest, pagetable_type, 4);

#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* With IOMMU_TEST_INVALIDATE_FLAG_ALL, iotlb_id is ignored. */
struct iommu_hwpt_invalidate_selftest {
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)
	__u32 flags;
	__u32 iotlb_id;
};
__IOMMUFD_TEST_SIZE(iommu_hwpt_invalidate_selftest, 8);
__IOMMUFD_TEST_OFF(iommu_hwpt_invalidate_selftest, flags, 0);
__IOMMUFD_TEST_OFF(iommu_hwpt_invalidate_selftest, iotlb_id, 4);

#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/* Loopback: the mock returns out_data = in_data plus an mmap window. */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};
__IOMMUFD_TEST_SIZE(iommu_viommu_selftest, 24);
__IOMMUFD_TEST_OFF(iommu_viommu_selftest, in_data, 0);
__IOMMUFD_TEST_OFF(iommu_viommu_selftest, out_data, 4);
__IOMMUFD_TEST_OFF(iommu_viommu_selftest, out_mmap_offset, 8);
__IOMMUFD_TEST_OFF(iommu_viommu_selftest, out_mmap_length, 16);

#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* With IOMMU_TEST_INVALIDATE_FLAG_ALL, cache_id is ignored. */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};
__IOMMUFD_TEST_SIZE(iommu_viommu_invalidate_selftest, 12);
__IOMMUFD_TEST_OFF(iommu_viommu_invalidate_selftest, flags, 0);
__IOMMUFD_TEST_OFF(iommu_viommu_invalidate_selftest, vdev_id, 4);
__IOMMUFD_TEST_OFF(iommu_viommu_invalidate_selftest, cache_id, 8);

#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

/* Payload after struct iommufd_vevent_header in a SELFTEST vEVENTQ. */
struct iommu_viommu_event_selftest {
	__u32 virt_id;
};
__IOMMUFD_TEST_SIZE(iommu_viommu_event_selftest, 4);
__IOMMUFD_TEST_OFF(iommu_viommu_event_selftest, virt_id, 0);

#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif /* _UAPI_IOMMUFD_TEST_H */
