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

/* Physical identity of the page holding user VA `va` (the mock's stand-in
 * for a struct page, iommufd.md §8.2 "Physical identity"): file-backed and
 * shared-anonymous memory is (dev, inode, file offset) of its mapping, so
 * two mappings of one memfd compare equal; private anonymous memory is its
 * VA. -EFAULT if va is not mapped. */
struct mfd_page_ident {
    uint64_t dev, ino, off;
};
int mfd_page_ident(uint64_t va, struct mfd_page_ident *out);
/* Batch form: one snapshot of /proc/self/maps for many lookups. */
struct mfd_vmas;
struct mfd_vmas *mfd_vmas_load(void);        /* NULL: -ENOMEM */
int mfd_vmas_ident(const struct mfd_vmas *v, uint64_t va, struct mfd_page_ident *out);
void mfd_vmas_free(struct mfd_vmas *v);

#endif
