/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_FAULT_QUEUE_ALLOC (0x8e) and the fault fd (iommufd.md §4.15): the
 * kernel's IOMMUFD_OBJ_FAULT (drivers/iommu/iommufd/eventq.c).
 *
 * The fd is a real eventfd (EFD_NONBLOCK) whose counter is non-zero exactly
 * while fault groups wait to be read, so poll()/epoll work unmodified
 * (iommufd.md §8.1); read() and write() are routed here by the shim.
 */
#ifndef IOMMU_EMU_MOCKFD_FAULT_H
#define IOMMU_EMU_MOCKFD_FAULT_H

#include <stdint.h>

#include "mockfd_internal.h"

struct mfd_hwpt;
struct mfd_device;

/* Report a page request (IOMMU_TEST_OP_TRIGGER_IOPF, §6.2): one fault with
 * LAST_PAGE (a whole group), PASID_VALID when pasid != IOMMU_NO_PASID (0),
 * delivered to the fault object of the HWPT the device `dev_id` has attached
 * at `pasid`. -ENOENT: no such device. A device whose attachment has no
 * fault queue gets the fault answered at once by the core, as
 * iommu_report_device_fault does (0, nothing queued). ctx->lock held. */
int mfd_fault_report_iopf(struct mfd_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint32_t grpid,
                          uint32_t perm, uint64_t addr);

/* iommufd_auto_response_faults: the attachment (hwpt, idev, pasid) goes away
 * (detach or replace): its undelivered and unanswered groups are answered
 * IOMMUFD_PAGE_RESP_INVALID. Called by device.c with ctx->lock held. */
void mfd_fault_auto_respond(struct mfd_hwpt *hwpt, struct mfd_device *idev, uint32_t pasid);

/* Observability for tests: groups waiting to be read, groups read and not
 * answered, and the responses given so far (by code). */
struct mfd_fault_stats {
    uint32_t pending, outstanding;
    uint64_t resp_success, resp_invalid;
};
int mfd_fault_stats(struct mfd_ctx *ctx, uint32_t fault_id, struct mfd_fault_stats *out);

#endif
