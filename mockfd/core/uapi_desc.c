/* SPDX-License-Identifier: MIT */
/*
 * The iommufd / VFIO cdev ABI by name (uapi_desc.h): every field of every
 * ioctl struct of uapi/linux/{iommufd,vfio}.h and uapi/iommufd_test.h, with
 * offsetof/sizeof taken from the uapi structs themselves (so they can not
 * drift; mfd_uapi_check() proves each table covers its struct byte for
 * byte), the named constants, the ioctl numbers and errno names.
 *
 * Used by the MOCKFD_RECORD recorder (record.c), iommu-sim's scenario parser
 * and trace, and the kernel-oracle corpus runner (tools/oracle/ioc.c). The
 * oracle's -static runner executes inside a QEMU guest against the real
 * kernel, so this file depends on libc and the uapi headers only: no mock
 * internals, it compiles and links on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <iommufd_test.h>

#include "uapi_desc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MSZ(S, m) ((unsigned)sizeof(((struct S *)0)->m))

#define F(S, m, k, p) { #m, (unsigned)offsetof(struct S, m), MSZ(S, m), k, p, NULL, 0, 0 }
#define N(S, m) F(S, m, MFD_UF_NUM, NULL)
#define SZ(S, m) F(S, m, MFD_UF_SIZE, NULL)
#define ID(S, m) F(S, m, MFD_UF_ID, NULL)
#define FD(S, m) F(S, m, MFD_UF_FD, NULL)
#define FL(S, m, p) F(S, m, MFD_UF_FLAGS, p)
#define EN(S, m, p) F(S, m, MFD_UF_ENUM, p)
/* A user pointer: in (the kernel reads lenfield*lenmul bytes) or out. */
#define P(S, m, lf, mul, in) { #m, (unsigned)offsetof(struct S, m), MSZ(S, m), MFD_UF_PTR, NULL, lf, mul, in }

#define ST(S) { #S, (unsigned)sizeof(struct S), f_##S, (unsigned)ARRAY_SIZE(f_##S) }

static const struct mfd_ufield f_iommu_destroy[] = { SZ(iommu_destroy, size), ID(iommu_destroy, id) };
static const struct mfd_ufield f_iommu_ioas_alloc[] = {
    SZ(iommu_ioas_alloc, size), N(iommu_ioas_alloc, flags), ID(iommu_ioas_alloc, out_ioas_id) };
static const struct mfd_ufield f_iommu_ioas_iova_ranges[] = {
    SZ(iommu_ioas_iova_ranges, size), ID(iommu_ioas_iova_ranges, ioas_id),
    N(iommu_ioas_iova_ranges, num_iovas), N(iommu_ioas_iova_ranges, __reserved),
    P(iommu_ioas_iova_ranges, allowed_iovas, "num_iovas", 16, 0),
    N(iommu_ioas_iova_ranges, out_iova_alignment) };
static const struct mfd_ufield f_iommu_ioas_allow_iovas[] = {
    SZ(iommu_ioas_allow_iovas, size), ID(iommu_ioas_allow_iovas, ioas_id),
    N(iommu_ioas_allow_iovas, num_iovas), N(iommu_ioas_allow_iovas, __reserved),
    P(iommu_ioas_allow_iovas, allowed_iovas, "num_iovas", 16, 1) };
static const struct mfd_ufield f_iommu_ioas_map[] = {
    SZ(iommu_ioas_map, size), FL(iommu_ioas_map, flags, "IOMMU_IOAS_MAP_"),
    ID(iommu_ioas_map, ioas_id), N(iommu_ioas_map, __reserved),
    P(iommu_ioas_map, user_va, "length", 1, 1), N(iommu_ioas_map, length),
    N(iommu_ioas_map, iova) };
static const struct mfd_ufield f_iommu_ioas_map_file[] = {
    SZ(iommu_ioas_map_file, size), FL(iommu_ioas_map_file, flags, "IOMMU_IOAS_MAP_"),
    ID(iommu_ioas_map_file, ioas_id), FD(iommu_ioas_map_file, fd),
    N(iommu_ioas_map_file, start), N(iommu_ioas_map_file, length),
    N(iommu_ioas_map_file, iova) };
static const struct mfd_ufield f_iommu_ioas_copy[] = {
    SZ(iommu_ioas_copy, size), FL(iommu_ioas_copy, flags, "IOMMU_IOAS_MAP_"),
    ID(iommu_ioas_copy, dst_ioas_id), ID(iommu_ioas_copy, src_ioas_id),
    N(iommu_ioas_copy, length), N(iommu_ioas_copy, dst_iova), N(iommu_ioas_copy, src_iova) };
static const struct mfd_ufield f_iommu_ioas_unmap[] = {
    SZ(iommu_ioas_unmap, size), ID(iommu_ioas_unmap, ioas_id), N(iommu_ioas_unmap, iova),
    N(iommu_ioas_unmap, length) };
static const struct mfd_ufield f_iommu_option[] = {
    SZ(iommu_option, size), EN(iommu_option, option_id, "IOMMU_OPTION_"),
    EN(iommu_option, op, "IOMMU_OPTION_OP_"), N(iommu_option, __reserved),
    ID(iommu_option, object_id), N(iommu_option, val64) };
static const struct mfd_ufield f_iommu_vfio_ioas[] = {
    SZ(iommu_vfio_ioas, size), ID(iommu_vfio_ioas, ioas_id),
    EN(iommu_vfio_ioas, op, "IOMMU_VFIO_IOAS_"), N(iommu_vfio_ioas, __reserved) };
static const struct mfd_ufield f_iommu_hwpt_alloc[] = {
    SZ(iommu_hwpt_alloc, size), FL(iommu_hwpt_alloc, flags, "IOMMU_HWPT_ALLOC_|IOMMU_HWPT_"),
    ID(iommu_hwpt_alloc, dev_id), ID(iommu_hwpt_alloc, pt_id), ID(iommu_hwpt_alloc, out_hwpt_id),
    N(iommu_hwpt_alloc, __reserved), EN(iommu_hwpt_alloc, data_type, "IOMMU_HWPT_DATA_"),
    N(iommu_hwpt_alloc, data_len), P(iommu_hwpt_alloc, data_uptr, "data_len", 1, 1),
    ID(iommu_hwpt_alloc, fault_id), N(iommu_hwpt_alloc, __reserved2) };
static const struct mfd_ufield f_iommu_hw_info[] = {
    SZ(iommu_hw_info, size), FL(iommu_hw_info, flags, "IOMMU_HW_INFO_FLAG_"),
    ID(iommu_hw_info, dev_id), N(iommu_hw_info, data_len),
    P(iommu_hw_info, data_uptr, "data_len", 1, 0),
    EN(iommu_hw_info, in_data_type, "IOMMU_HW_INFO_TYPE_"),
    EN(iommu_hw_info, out_data_type, "IOMMU_HW_INFO_TYPE_"),
    N(iommu_hw_info, out_max_pasid_log2), N(iommu_hw_info, __reserved),
    FL(iommu_hw_info, out_capabilities, "IOMMU_HW_CAP_") };
static const struct mfd_ufield f_iommu_hwpt_set_dirty_tracking[] = {
    SZ(iommu_hwpt_set_dirty_tracking, size),
    FL(iommu_hwpt_set_dirty_tracking, flags, "IOMMU_HWPT_DIRTY_TRACKING_"),
    ID(iommu_hwpt_set_dirty_tracking, hwpt_id), N(iommu_hwpt_set_dirty_tracking, __reserved) };
static const struct mfd_ufield f_iommu_hwpt_get_dirty_bitmap[] = {
    SZ(iommu_hwpt_get_dirty_bitmap, size), ID(iommu_hwpt_get_dirty_bitmap, hwpt_id),
    FL(iommu_hwpt_get_dirty_bitmap, flags, "IOMMU_HWPT_GET_DIRTY_BITMAP_"),
    N(iommu_hwpt_get_dirty_bitmap, __reserved), N(iommu_hwpt_get_dirty_bitmap, iova),
    N(iommu_hwpt_get_dirty_bitmap, length), N(iommu_hwpt_get_dirty_bitmap, page_size),
    P(iommu_hwpt_get_dirty_bitmap, data, "length", 0, 0) };
static const struct mfd_ufield f_iommu_hwpt_invalidate[] = {
    SZ(iommu_hwpt_invalidate, size), ID(iommu_hwpt_invalidate, hwpt_id),
    P(iommu_hwpt_invalidate, data_uptr, "entry_num", 0xffffffff, 1),
    EN(iommu_hwpt_invalidate, data_type, "IOMMU_HWPT_INVALIDATE_DATA_|IOMMU_VIOMMU_INVALIDATE_DATA_"),
    N(iommu_hwpt_invalidate, entry_len), N(iommu_hwpt_invalidate, entry_num),
    N(iommu_hwpt_invalidate, __reserved) };
static const struct mfd_ufield f_iommu_fault_alloc[] = {
    SZ(iommu_fault_alloc, size), N(iommu_fault_alloc, flags), ID(iommu_fault_alloc, out_fault_id),
    FD(iommu_fault_alloc, out_fault_fd) };
static const struct mfd_ufield f_iommu_viommu_alloc[] = {
    SZ(iommu_viommu_alloc, size), N(iommu_viommu_alloc, flags),
    EN(iommu_viommu_alloc, type, "IOMMU_VIOMMU_TYPE_"), ID(iommu_viommu_alloc, dev_id),
    ID(iommu_viommu_alloc, hwpt_id), ID(iommu_viommu_alloc, out_viommu_id),
    N(iommu_viommu_alloc, data_len), N(iommu_viommu_alloc, __reserved),
    P(iommu_viommu_alloc, data_uptr, "data_len", 1, 1) };
static const struct mfd_ufield f_iommu_vdevice_alloc[] = {
    SZ(iommu_vdevice_alloc, size), ID(iommu_vdevice_alloc, viommu_id),
    ID(iommu_vdevice_alloc, dev_id), ID(iommu_vdevice_alloc, out_vdevice_id),
    N(iommu_vdevice_alloc, virt_id) };
static const struct mfd_ufield f_iommu_ioas_change_process[] = {
    SZ(iommu_ioas_change_process, size), N(iommu_ioas_change_process, __reserved) };
static const struct mfd_ufield f_iommu_veventq_alloc[] = {
    SZ(iommu_veventq_alloc, size), N(iommu_veventq_alloc, flags),
    ID(iommu_veventq_alloc, viommu_id), EN(iommu_veventq_alloc, type, "IOMMU_VEVENTQ_TYPE_"),
    N(iommu_veventq_alloc, veventq_depth), ID(iommu_veventq_alloc, out_veventq_id),
    FD(iommu_veventq_alloc, out_veventq_fd), N(iommu_veventq_alloc, __reserved) };
static const struct mfd_ufield f_iommu_hw_queue_alloc[] = {
    SZ(iommu_hw_queue_alloc, size), N(iommu_hw_queue_alloc, flags),
    ID(iommu_hw_queue_alloc, viommu_id), EN(iommu_hw_queue_alloc, type, "IOMMU_HW_QUEUE_TYPE_"),
    N(iommu_hw_queue_alloc, index), ID(iommu_hw_queue_alloc, out_hw_queue_id),
    N(iommu_hw_queue_alloc, nesting_parent_iova), N(iommu_hw_queue_alloc, length) };
/* VFIO cdev (device fd) */
static const struct mfd_ufield f_vfio_device_bind_iommufd[] = {
    SZ(vfio_device_bind_iommufd, argsz), FL(vfio_device_bind_iommufd, flags, "VFIO_DEVICE_BIND_FLAG_"),
    FD(vfio_device_bind_iommufd, iommufd), ID(vfio_device_bind_iommufd, out_devid),
    P(vfio_device_bind_iommufd, token_uuid_ptr, NULL, 16, 1) };
static const struct mfd_ufield f_vfio_device_attach_iommufd_pt[] = {
    SZ(vfio_device_attach_iommufd_pt, argsz),
    FL(vfio_device_attach_iommufd_pt, flags, "VFIO_DEVICE_ATTACH_"),
    ID(vfio_device_attach_iommufd_pt, pt_id), N(vfio_device_attach_iommufd_pt, pasid) };
static const struct mfd_ufield f_vfio_device_detach_iommufd_pt[] = {
    SZ(vfio_device_detach_iommufd_pt, argsz),
    FL(vfio_device_detach_iommufd_pt, flags, "VFIO_DEVICE_DETACH_"),
    N(vfio_device_detach_iommufd_pt, pasid) };
static const struct mfd_ufield f_vfio_device_info[] = {
    SZ(vfio_device_info, argsz), FL(vfio_device_info, flags, "VFIO_DEVICE_FLAGS_"),
    N(vfio_device_info, num_regions), N(vfio_device_info, num_irqs),
    N(vfio_device_info, cap_offset), N(vfio_device_info, pad) };
/* VFIO type1 compat on the iommufd (iommufd.md §4.9) */
static const struct mfd_ufield f_vfio_iommu_type1_info[] = {
    SZ(vfio_iommu_type1_info, argsz), FL(vfio_iommu_type1_info, flags, "VFIO_IOMMU_INFO_"),
    N(vfio_iommu_type1_info, iova_pgsizes), N(vfio_iommu_type1_info, cap_offset),
    N(vfio_iommu_type1_info, pad) };
static const struct mfd_ufield f_vfio_iommu_type1_dma_map[] = {
    SZ(vfio_iommu_type1_dma_map, argsz), FL(vfio_iommu_type1_dma_map, flags, "VFIO_DMA_MAP_FLAG_"),
    P(vfio_iommu_type1_dma_map, vaddr, "size", 1, 1), N(vfio_iommu_type1_dma_map, iova),
    N(vfio_iommu_type1_dma_map, size) };
static const struct mfd_ufield f_vfio_iommu_type1_dma_unmap[] = {
    SZ(vfio_iommu_type1_dma_unmap, argsz),
    FL(vfio_iommu_type1_dma_unmap, flags, "VFIO_DMA_UNMAP_FLAG_"),
    N(vfio_iommu_type1_dma_unmap, iova), N(vfio_iommu_type1_dma_unmap, size) };
/* IOMMU_TEST_CMD (uapi/iommufd_test.h, the selftest mock): the union members
 * are named "member.field" as in the header's own offset asserts; only the
 * member that `op` selects is live (mfd_uapi_field_active). */
#define TU(m, k, p) { #m, (unsigned)offsetof(struct iommu_test_cmd, m), MSZ(iommu_test_cmd, m), k, p, NULL, 0, 0 }
#define TN(m) TU(m, MFD_UF_NUM, NULL)
#define TID(m) TU(m, MFD_UF_ID, NULL)
#define TFD(m) TU(m, MFD_UF_FD, NULL)
#define TP(m, lf, mul, in) { #m, (unsigned)offsetof(struct iommu_test_cmd, m), MSZ(iommu_test_cmd, m), MFD_UF_PTR, NULL, lf, mul, in }
static const struct mfd_ufield f_iommu_test_cmd[] = {
    SZ(iommu_test_cmd, size), EN(iommu_test_cmd, op, "IOMMU_TEST_OP_"),
    /* id: an object ID for most ops, the access fd for the ACCESS_* ops */
    N(iommu_test_cmd, id), N(iommu_test_cmd, __reserved),
    TN(add_reserved.start), TN(add_reserved.length),
    TID(mock_domain.out_stdev_id), TID(mock_domain.out_hwpt_id), TID(mock_domain.out_idev_id),
    TID(mock_domain_flags.out_stdev_id), TID(mock_domain_flags.out_hwpt_id),
    TID(mock_domain_flags.out_idev_id),
    TU(mock_domain_flags.dev_flags, MFD_UF_FLAGS, "MOCK_FLAGS_DEVICE_"),
    TID(mock_domain_replace.pt_id),
    TN(check_map.iova), TN(check_map.length), TP(check_map.uptr, "check_map.length", 1, 1),
    TN(check_refs.length), TP(check_refs.uptr, "check_refs.length", 1, 0), TN(check_refs.refs),
    TFD(create_access.out_access_fd),
    TU(create_access.flags, MFD_UF_FLAGS, "MOCK_FLAGS_ACCESS_CREATE_"),
    TN(destroy_access_pages.access_pages_id),
    TU(access_pages.flags, MFD_UF_FLAGS, "MOCK_FLAGS_ACCESS_"),
    TN(access_pages.out_access_pages_id), TN(access_pages.iova), TN(access_pages.length),
    TP(access_pages.uptr, "access_pages.length", 1, 0),
    TN(access_rw.iova), TN(access_rw.length), TP(access_rw.uptr, "access_rw.length", 1, 1),
    TU(access_rw.flags, MFD_UF_FLAGS, "MOCK_ACCESS_RW_"),
    TN(memory_limit.limit), TID(access_replace_ioas.ioas_id),
    TN(dirty.flags), TN(dirty.iova), TN(dirty.length), TN(dirty.page_size),
    TP(dirty.uptr, "dirty.length", 0, 0), TN(dirty.out_nr_dirty),
    TN(check_iotlb.id), TN(check_iotlb.iotlb),
    TID(trigger_iopf.dev_id), TN(trigger_iopf.pasid), TN(trigger_iopf.grpid),
    TN(trigger_iopf.perm), TN(trigger_iopf.addr),
    TN(check_dev_cache.id), TN(check_dev_cache.cache), TID(trigger_vevent.dev_id),
    TN(pasid_attach.pasid), TID(pasid_attach.pt_id), TN(pasid_replace.pasid),
    TID(pasid_replace.pt_id), TN(pasid_detach.pasid), TN(pasid_check.pasid),
    TID(pasid_check.hwpt_id), TN(dmabuf_get.length), TN(dmabuf_get.open_flags),
    TFD(dmabuf_revoke.dmabuf_fd), TN(dmabuf_revoke.revoked), TFD(check_dmabuf.dmabuf_fd),
    TN(check_dmabuf.iova), TN(check_dmabuf.length), TN(check_dmabuf.offset),
    N(iommu_test_cmd, last),
    /* the struct's tail padding (sizeof 72, last ends at 68) */
    { "__pad", (unsigned)offsetof(struct iommu_test_cmd, last) + 4, 4, MFD_UF_NUM, NULL, NULL, 0, 0 },
};

/* op -> the union member it uses (iommufd_test() in the kernel's selftest.c) */
static const char *const test_members[] = {
    [IOMMU_TEST_OP_ADD_RESERVED] = "add_reserved",
    [IOMMU_TEST_OP_MOCK_DOMAIN] = "mock_domain",
    [IOMMU_TEST_OP_MD_CHECK_MAP] = "check_map",
    [IOMMU_TEST_OP_MD_CHECK_REFS] = "check_refs",
    [IOMMU_TEST_OP_CREATE_ACCESS] = "create_access",
    [IOMMU_TEST_OP_DESTROY_ACCESS_PAGES] = "destroy_access_pages",
    [IOMMU_TEST_OP_ACCESS_PAGES] = "access_pages",
    [IOMMU_TEST_OP_ACCESS_RW] = "access_rw",
    [IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT] = "memory_limit",
    [IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE] = "mock_domain_replace",
    [IOMMU_TEST_OP_ACCESS_REPLACE_IOAS] = "access_replace_ioas",
    [IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS] = "mock_domain_flags",
    [IOMMU_TEST_OP_DIRTY] = "dirty",
    [IOMMU_TEST_OP_MD_CHECK_IOTLB] = "check_iotlb",
    [IOMMU_TEST_OP_TRIGGER_IOPF] = "trigger_iopf",
    [IOMMU_TEST_OP_DEV_CHECK_CACHE] = "check_dev_cache",
    [IOMMU_TEST_OP_TRIGGER_VEVENT] = "trigger_vevent",
    [IOMMU_TEST_OP_PASID_ATTACH] = "pasid_attach",
    [IOMMU_TEST_OP_PASID_REPLACE] = "pasid_replace",
    [IOMMU_TEST_OP_PASID_DETACH] = "pasid_detach",
    [IOMMU_TEST_OP_PASID_CHECK_HWPT] = "pasid_check",
    [IOMMU_TEST_OP_DMABUF_GET] = "dmabuf_get",
    [IOMMU_TEST_OP_DMABUF_REVOKE] = "dmabuf_revoke",
    [IOMMU_TEST_OP_MD_CHECK_DMABUF] = "check_dmabuf",
};

const char *mfd_uapi_test_member(uint32_t op)
{
    return op < ARRAY_SIZE(test_members) ? test_members[op] : NULL;
}

/* GET_HW_INFO payloads (printed decoded after a successful call) */
static const struct mfd_ufield f_iommu_hw_info_vtd[] = {
    FL(iommu_hw_info_vtd, flags, "IOMMU_HW_INFO_VTD_"), N(iommu_hw_info_vtd, __reserved),
    N(iommu_hw_info_vtd, cap_reg), N(iommu_hw_info_vtd, ecap_reg) };
static const struct mfd_ufield f_iommu_hw_info_arm_smmuv3[] = {
    FL(iommu_hw_info_arm_smmuv3, flags, "IOMMU_HW_INFO_ARM_SMMUV3_"),
    N(iommu_hw_info_arm_smmuv3, __reserved),
    { "idr0", (unsigned)offsetof(struct iommu_hw_info_arm_smmuv3, idr), 4, MFD_UF_NUM, NULL, NULL, 0, 0 },
    { "idr1", (unsigned)offsetof(struct iommu_hw_info_arm_smmuv3, idr) + 4, 4, MFD_UF_NUM, NULL, NULL, 0, 0 },
    { "idr2", (unsigned)offsetof(struct iommu_hw_info_arm_smmuv3, idr) + 8, 4, MFD_UF_NUM, NULL, NULL, 0, 0 },
    { "idr3", (unsigned)offsetof(struct iommu_hw_info_arm_smmuv3, idr) + 12, 4, MFD_UF_NUM, NULL, NULL, 0, 0 },
    { "idr4", (unsigned)offsetof(struct iommu_hw_info_arm_smmuv3, idr) + 16, 4, MFD_UF_NUM, NULL, NULL, 0, 0 },
    { "idr5", (unsigned)offsetof(struct iommu_hw_info_arm_smmuv3, idr) + 20, 4, MFD_UF_NUM, NULL, NULL, 0, 0 },
    N(iommu_hw_info_arm_smmuv3, iidr), N(iommu_hw_info_arm_smmuv3, aidr) };
static const struct mfd_ufield f_iommu_hw_info_amd[] = {
    N(iommu_hw_info_amd, efr), N(iommu_hw_info_amd, efr2) };
static const struct mfd_ufield f_iommu_hw_info_tegra241_cmdqv[] = {
    N(iommu_hw_info_tegra241_cmdqv, flags), N(iommu_hw_info_tegra241_cmdqv, version),
    N(iommu_hw_info_tegra241_cmdqv, log2vcmdqs), N(iommu_hw_info_tegra241_cmdqv, log2vsids),
    N(iommu_hw_info_tegra241_cmdqv, __reserved) };
static const struct mfd_ufield f_iommu_hwpt_vtd_s1[] = {
    FL(iommu_hwpt_vtd_s1, flags, "IOMMU_VTD_S1_"), N(iommu_hwpt_vtd_s1, pgtbl_addr),
    N(iommu_hwpt_vtd_s1, addr_width), N(iommu_hwpt_vtd_s1, __reserved) };
static const struct mfd_ufield f_iommu_iova_range[] = {
    N(iommu_iova_range, start), N(iommu_iova_range, last) };

static const struct mfd_ustruct s_destroy = ST(iommu_destroy), s_ioas_alloc = ST(iommu_ioas_alloc),
    s_iova_ranges = ST(iommu_ioas_iova_ranges), s_allow = ST(iommu_ioas_allow_iovas),
    s_map = ST(iommu_ioas_map), s_map_file = ST(iommu_ioas_map_file), s_copy = ST(iommu_ioas_copy),
    s_unmap = ST(iommu_ioas_unmap), s_option = ST(iommu_option), s_vfio_ioas = ST(iommu_vfio_ioas),
    s_hwpt_alloc = ST(iommu_hwpt_alloc), s_hw_info = ST(iommu_hw_info),
    s_set_dirty = ST(iommu_hwpt_set_dirty_tracking), s_get_dirty = ST(iommu_hwpt_get_dirty_bitmap),
    s_invalidate = ST(iommu_hwpt_invalidate), s_fault = ST(iommu_fault_alloc),
    s_viommu = ST(iommu_viommu_alloc), s_vdevice = ST(iommu_vdevice_alloc),
    s_change = ST(iommu_ioas_change_process), s_veventq = ST(iommu_veventq_alloc),
    s_hw_queue = ST(iommu_hw_queue_alloc), s_bind = ST(vfio_device_bind_iommufd),
    s_attach = ST(vfio_device_attach_iommufd_pt), s_detach = ST(vfio_device_detach_iommufd_pt),
    s_dev_info = ST(vfio_device_info), s_t1_info = ST(vfio_iommu_type1_info),
    s_dma_map = ST(vfio_iommu_type1_dma_map), s_dma_unmap = ST(vfio_iommu_type1_dma_unmap),
    s_test = ST(iommu_test_cmd);

const struct mfd_ustruct mfd_uapi_payloads[] = {
    ST(iommu_hw_info_vtd), ST(iommu_hw_info_arm_smmuv3), ST(iommu_hw_info_amd),
    ST(iommu_hw_info_tegra241_cmdqv), ST(iommu_hwpt_vtd_s1), ST(iommu_iova_range),
};
const size_t mfd_uapi_npayloads = ARRAY_SIZE(mfd_uapi_payloads);

#define IOC(name, alias, st, fdk, res) { #name, alias, name, st, fdk, res }
const struct mfd_uioctl mfd_uapi_ioctls[] = {
    IOC(IOMMU_DESTROY, "DESTROY", &s_destroy, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_IOAS_ALLOC, "IOAS_ALLOC", &s_ioas_alloc, MFD_UFD_IOMMUFD, "out_ioas_id"),
    IOC(IOMMU_IOAS_ALLOW_IOVAS, "ALLOW_IOVAS", &s_allow, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_IOAS_COPY, "COPY", &s_copy, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_IOAS_IOVA_RANGES, "IOVA_RANGES", &s_iova_ranges, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_IOAS_MAP, "MAP", &s_map, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_IOAS_MAP_FILE, "MAP_FILE", &s_map_file, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_IOAS_UNMAP, "UNMAP", &s_unmap, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_OPTION, "OPTION", &s_option, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_VFIO_IOAS, "VFIO_IOAS", &s_vfio_ioas, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_HWPT_ALLOC, "HWPT_ALLOC", &s_hwpt_alloc, MFD_UFD_IOMMUFD, "out_hwpt_id"),
    IOC(IOMMU_GET_HW_INFO, "GET_HW_INFO", &s_hw_info, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_HWPT_SET_DIRTY_TRACKING, "SET_DIRTY_TRACKING", &s_set_dirty, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_HWPT_GET_DIRTY_BITMAP, "GET_DIRTY_BITMAP", &s_get_dirty, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_HWPT_INVALIDATE, "INVALIDATE", &s_invalidate, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_FAULT_QUEUE_ALLOC, "FAULT_QUEUE_ALLOC", &s_fault, MFD_UFD_IOMMUFD, "out_fault_id"),
    IOC(IOMMU_VIOMMU_ALLOC, "VIOMMU_ALLOC", &s_viommu, MFD_UFD_IOMMUFD, "out_viommu_id"),
    IOC(IOMMU_VDEVICE_ALLOC, "VDEVICE_ALLOC", &s_vdevice, MFD_UFD_IOMMUFD, "out_vdevice_id"),
    IOC(IOMMU_IOAS_CHANGE_PROCESS, "CHANGE_PROCESS", &s_change, MFD_UFD_IOMMUFD, NULL),
    IOC(IOMMU_VEVENTQ_ALLOC, "VEVENTQ_ALLOC", &s_veventq, MFD_UFD_IOMMUFD, "out_veventq_id"),
    IOC(IOMMU_HW_QUEUE_ALLOC, "HW_QUEUE_ALLOC", &s_hw_queue, MFD_UFD_IOMMUFD, "out_hw_queue_id"),
    IOC(IOMMU_TEST_CMD, "TEST_CMD", &s_test, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_DEVICE_BIND_IOMMUFD, "BIND", &s_bind, MFD_UFD_DEVICE, "out_devid"),
    IOC(VFIO_DEVICE_ATTACH_IOMMUFD_PT, "ATTACH", &s_attach, MFD_UFD_DEVICE, NULL),
    IOC(VFIO_DEVICE_DETACH_IOMMUFD_PT, "DETACH", &s_detach, MFD_UFD_DEVICE, NULL),
    IOC(VFIO_DEVICE_GET_INFO, "DEVICE_GET_INFO", &s_dev_info, MFD_UFD_DEVICE, NULL),
    IOC(VFIO_GET_API_VERSION, NULL, NULL, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_CHECK_EXTENSION, NULL, NULL, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_SET_IOMMU, NULL, NULL, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_IOMMU_GET_INFO, NULL, &s_t1_info, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_IOMMU_MAP_DMA, NULL, &s_dma_map, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_IOMMU_UNMAP_DMA, NULL, &s_dma_unmap, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_IOMMU_ENABLE, NULL, NULL, MFD_UFD_IOMMUFD, NULL),
    IOC(VFIO_IOMMU_DISABLE, NULL, NULL, MFD_UFD_IOMMUFD, NULL),
};
const size_t mfd_uapi_nioctls = ARRAY_SIZE(mfd_uapi_ioctls);

#define K(c) { #c, (uint64_t)(c) }
const struct mfd_uconst mfd_uapi_consts[] = {
    K(IOMMU_IOAS_MAP_FIXED_IOVA), K(IOMMU_IOAS_MAP_WRITEABLE), K(IOMMU_IOAS_MAP_READABLE),
    K(IOMMU_OPTION_RLIMIT_MODE), K(IOMMU_OPTION_HUGE_PAGES),
    K(IOMMU_OPTION_OP_SET), K(IOMMU_OPTION_OP_GET),
    K(IOMMU_VFIO_IOAS_GET), K(IOMMU_VFIO_IOAS_SET), K(IOMMU_VFIO_IOAS_CLEAR),
    K(IOMMU_HWPT_ALLOC_NEST_PARENT), K(IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
    K(IOMMU_HWPT_FAULT_ID_VALID), K(IOMMU_HWPT_ALLOC_PASID),
    K(IOMMU_VTD_S1_SRE), K(IOMMU_VTD_S1_EAFE), K(IOMMU_VTD_S1_WPE),
    K(IOMMU_HWPT_DATA_NONE), K(IOMMU_HWPT_DATA_VTD_S1), K(IOMMU_HWPT_DATA_ARM_SMMUV3),
    K(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17), K(IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI),
    K(IOMMU_HW_INFO_TYPE_NONE), K(IOMMU_HW_INFO_TYPE_DEFAULT), K(IOMMU_HW_INFO_TYPE_INTEL_VTD),
    K(IOMMU_HW_INFO_TYPE_ARM_SMMUV3), K(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV),
    K(IOMMU_HW_INFO_TYPE_AMD),
    K(IOMMU_HW_CAP_DIRTY_TRACKING), K(IOMMU_HW_CAP_PCI_PASID_EXEC), K(IOMMU_HW_CAP_PCI_PASID_PRIV),
    K(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED), K(IOMMU_HW_INFO_FLAG_INPUT_TYPE),
    K(IOMMU_HWPT_DIRTY_TRACKING_ENABLE), K(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
    K(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1), K(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3),
    K(IOMMU_VTD_INV_FLAGS_LEAF),
    K(IOMMU_VIOMMU_TYPE_DEFAULT), K(IOMMU_VIOMMU_TYPE_ARM_SMMUV3), K(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV),
    K(IOMMU_VEVENTQ_TYPE_DEFAULT), K(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3),
    K(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV),
    K(IOMMU_HW_QUEUE_TYPE_DEFAULT), K(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV),
    K(VFIO_DEVICE_BIND_FLAG_TOKEN), K(VFIO_DEVICE_ATTACH_PASID), K(VFIO_DEVICE_DETACH_PASID),
    K(VFIO_DEVICE_FLAGS_RESET), K(VFIO_DEVICE_FLAGS_PCI), K(VFIO_DEVICE_FLAGS_PLATFORM),
    K(VFIO_DEVICE_FLAGS_AMBA), K(VFIO_DEVICE_FLAGS_CCW), K(VFIO_DEVICE_FLAGS_AP),
    K(VFIO_DEVICE_FLAGS_FSL_MC), K(VFIO_DEVICE_FLAGS_CAPS), K(VFIO_DEVICE_FLAGS_CDX),
    K(VFIO_IOMMU_INFO_PGSIZES), K(VFIO_IOMMU_INFO_CAPS),
    K(VFIO_DMA_MAP_FLAG_READ), K(VFIO_DMA_MAP_FLAG_WRITE), K(VFIO_DMA_MAP_FLAG_VADDR),
    K(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), K(VFIO_DMA_UNMAP_FLAG_ALL),
    K(VFIO_DMA_UNMAP_FLAG_VADDR),
    K(VFIO_TYPE1_IOMMU), K(VFIO_TYPE1v2_IOMMU),
    K(IOMMU_TEST_OP_ADD_RESERVED), K(IOMMU_TEST_OP_MOCK_DOMAIN), K(IOMMU_TEST_OP_MD_CHECK_MAP),
    K(IOMMU_TEST_OP_MD_CHECK_REFS), K(IOMMU_TEST_OP_CREATE_ACCESS),
    K(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES), K(IOMMU_TEST_OP_ACCESS_PAGES),
    K(IOMMU_TEST_OP_ACCESS_RW), K(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT),
    K(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE), K(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS),
    K(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS), K(IOMMU_TEST_OP_DIRTY), K(IOMMU_TEST_OP_MD_CHECK_IOTLB),
    K(IOMMU_TEST_OP_TRIGGER_IOPF), K(IOMMU_TEST_OP_DEV_CHECK_CACHE),
    K(IOMMU_TEST_OP_TRIGGER_VEVENT), K(IOMMU_TEST_OP_PASID_ATTACH),
    K(IOMMU_TEST_OP_PASID_REPLACE), K(IOMMU_TEST_OP_PASID_DETACH),
    K(IOMMU_TEST_OP_PASID_CHECK_HWPT), K(IOMMU_TEST_OP_DMABUF_GET),
    K(IOMMU_TEST_OP_DMABUF_REVOKE), K(IOMMU_TEST_OP_MD_CHECK_DMABUF),
    K(MOCK_APERTURE_START), K(MOCK_APERTURE_LAST), K(MOCK_PAGE_SIZE), K(MOCK_HUGE_PAGE_SIZE),
    K(MOCK_FLAGS_ACCESS_WRITE), K(MOCK_FLAGS_ACCESS_SYZ), K(MOCK_ACCESS_RW_WRITE),
    K(MOCK_ACCESS_RW_SLOW_PATH), K(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES),
    K(MOCK_FLAGS_DEVICE_NO_DIRTY), K(MOCK_FLAGS_DEVICE_HUGE_IOVA), K(MOCK_FLAGS_DEVICE_PASID),
    K(IOMMU_VIOMMU_TYPE_SELFTEST), K(IOMMU_VEVENTQ_TYPE_SELFTEST), K(IOMMU_HWPT_DATA_SELFTEST),
    K(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST), K(IOMMU_HW_INFO_TYPE_SELFTEST),
    K(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST), K(IOMMU_HW_QUEUE_TYPE_SELFTEST),
    K(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID), K(IOMMU_TEST_INVALIDATE_FLAG_ALL),
    /* VFIO container API version and VFIO_CHECK_EXTENSION arguments
     * (iommufd.md §4.9: the compat layer answers for the type1 ones only) */
    K(VFIO_API_VERSION), K(VFIO_DMA_CC_IOMMU), K(VFIO_NOIOMMU_IOMMU), K(VFIO_UNMAP_ALL),
    K(VFIO_UPDATE_VADDR),
    /* An ioctl number that has no entry in mfd_uapi_ioctls (the compat layer
     * has no dirty tracking, so no struct to describe) but that the oracle
     * corpus issues by name to check the kernel's answer. */
    K(VFIO_IOMMU_DIRTY_PAGES),
};
const size_t mfd_uapi_nconsts = ARRAY_SIZE(mfd_uapi_consts);

static const struct mfd_uconst errnos[] = {
    K(EPERM), K(ENOENT), K(ESRCH), K(EINTR), K(EIO), K(ENXIO), K(E2BIG), K(EBADF), K(EAGAIN),
    K(ENOMEM), K(EACCES), K(EFAULT), K(EBUSY), K(EEXIST), K(EXDEV), K(ENODEV), K(EINVAL),
    K(ENFILE), K(EMFILE), K(ENOTTY), K(EFBIG), K(ENOSPC), K(ESPIPE), K(EROFS), K(EDOM),
    K(ERANGE), K(EDEADLK), K(ENAMETOOLONG), K(ENOSYS), K(ENOTEMPTY), K(ENODATA), K(ETIME),
    K(EOVERFLOW), K(EBADFD), K(EOPNOTSUPP), K(ETIMEDOUT), K(EALREADY), K(ENOTSUP),
    K(ECANCELED), K(EMSGSIZE), K(ENOBUFS),
};

/* ---- lookups -------------------------------------------------------------- */

const struct mfd_uioctl *mfd_uapi_ioctl_by_req(unsigned long req)
{
    for (size_t i = 0; i < ARRAY_SIZE(mfd_uapi_ioctls); i++)
        if (mfd_uapi_ioctls[i].req == (unsigned int)req)
            return &mfd_uapi_ioctls[i];
    return NULL;
}

const struct mfd_uioctl *mfd_uapi_ioctl_by_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(mfd_uapi_ioctls); i++) {
        const struct mfd_uioctl *u = &mfd_uapi_ioctls[i];

        if (!strcmp(u->name, name) || (u->alias && !strcmp(u->alias, name)) ||
            (!strncmp(u->name, "IOMMU_", 6) && !strcmp(u->name + 6, name)))
            return u;
    }
    return NULL;
}

const struct mfd_ufield *mfd_uapi_field(const struct mfd_ustruct *st, const char *name)
{
    for (unsigned i = 0; st && i < st->nf; i++)
        if (!strcmp(st->f[i].name, name))
            return &st->f[i];
    return NULL;
}

const char *mfd_errno_name(int e)
{
    for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
        if (errnos[i].val == (uint64_t)e)
            return errnos[i].name;
    return NULL;
}

int mfd_uapi_value(const char *name, uint64_t *out)
{
    const struct mfd_uioctl *u;

    for (size_t i = 0; i < ARRAY_SIZE(mfd_uapi_consts); i++)
        if (!strcmp(mfd_uapi_consts[i].name, name)) {
            *out = mfd_uapi_consts[i].val;
            return 0;
        }
    for (size_t i = 0; i < ARRAY_SIZE(mfd_uapi_ioctls); i++) {
        u = &mfd_uapi_ioctls[i];
        if (!strcmp(u->name, name)) {
            *out = u->req;
            return 0;
        }
    }
    return -1;
}

int mfd_errno_value(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
        if (!strcmp(errnos[i].name, name))
            return (int)errnos[i].val;
    return -1;
}

static int check_struct(const struct mfd_ustruct *st, char *buf, size_t len)
{
    unsigned char cover[256] = { 0 };

    if (st->size > sizeof(cover)) {
        snprintf(buf, len, "%s: too big", st->name);
        return -1;
    }
    for (unsigned i = 0; i < st->nf; i++) {
        const struct mfd_ufield *f = &st->f[i];

        if (f->off + f->size > st->size) {
            snprintf(buf, len, "%s.%s past the end", st->name, f->name);
            return -1;
        }
        memset(cover + f->off, 1, f->size);
    }
    for (unsigned b = 0; b < st->size; b++)
        if (!cover[b]) {
            snprintf(buf, len, "%s: byte %u has no field", st->name, b);
            return -1;
        }
    return 0;
}

/* Name i of the combined namespace mfd_uapi_value() searches. */
static const char *value_name(size_t i)
{
    return i < ARRAY_SIZE(mfd_uapi_consts) ? mfd_uapi_consts[i].name
                                           : mfd_uapi_ioctls[i - ARRAY_SIZE(mfd_uapi_consts)].name;
}

int mfd_uapi_check(char *buf, size_t len)
{
    size_t nv = ARRAY_SIZE(mfd_uapi_consts) + ARRAY_SIZE(mfd_uapi_ioctls);

    /* A name listed twice could resolve to two values depending on which
     * lookup a consumer uses. */
    for (size_t i = 0; i < nv; i++)
        for (size_t j = i + 1; j < nv; j++)
            if (!strcmp(value_name(i), value_name(j))) {
                snprintf(buf, len, "%s: named twice", value_name(i));
                return -1;
            }
    for (size_t i = 0; i < ARRAY_SIZE(mfd_uapi_ioctls); i++)
        if (mfd_uapi_ioctls[i].st && check_struct(mfd_uapi_ioctls[i].st, buf, len))
            return -1;
    for (size_t i = 0; i < ARRAY_SIZE(mfd_uapi_payloads); i++)
        if (check_struct(&mfd_uapi_payloads[i], buf, len))
            return -1;
    return 0;
}

bool mfd_uapi_field_active(const struct mfd_ustruct *st, const struct mfd_ufield *f,
                           const void *cmd)
{
    const char *dot = strchr(f->name, '.'), *m;
    const struct mfd_ufield *opf;

    if (!dot || st->f != f_iommu_test_cmd)
        return true;
    opf = mfd_uapi_field(st, "op");
    m = mfd_uapi_test_member((uint32_t)mfd_uapi_get(cmd, opf));
    return m && strlen(m) == (size_t)(dot - f->name) && !strncmp(f->name, m, strlen(m));
}

uint64_t mfd_uapi_get(const void *base, const struct mfd_ufield *f)
{
    uint64_t v = 0;
    const unsigned char *p = (const unsigned char *)base + f->off;

    /* ABI structs are little-endian host order on every supported host */
    for (unsigned i = 0; i < f->size && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void mfd_uapi_set(void *base, const struct mfd_ufield *f, uint64_t v)
{
    unsigned char *p = (unsigned char *)base + f->off;

    for (unsigned i = 0; i < f->size && i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
