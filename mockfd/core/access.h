/* SPDX-License-Identifier: MIT */
/*
 * Selftest access objects (IOMMU_TEST_OP_CREATE_ACCESS and friends,
 * iommufd.md §6.2, §6.4 "Access objects"): an emulated in-kernel DMA user
 * (an mdev-style driver) on an IOAS, reached through an fd of its own.
 * Mirrors the kernel's iommufd_access_* (device.c) and the selftest's
 * selftest_access (selftest.c).
 */
#ifndef IOMMU_EMU_MOCKFD_ACCESS_H
#define IOMMU_EMU_MOCKFD_ACCESS_H

#include <stdint.h>

#include "mockfd_internal.h"

struct iommu_test_cmd;

/* Ops CREATE_ACCESS, DESTROY_ACCESS_PAGES, ACCESS_PAGES, ACCESS_RW and
 * ACCESS_REPLACE_IOAS of IOMMU_TEST_CMD; called by the test-command
 * dispatcher (selftest.c) with ctx->lock held. cmd is ucmd->cmd_buf.
 * Returns 0 or a negative errno; -EOPNOTSUPP for any other op. */
int mfd_test_access_op(struct mfd_ucmd *ucmd, struct iommu_test_cmd *cmd);

#endif
