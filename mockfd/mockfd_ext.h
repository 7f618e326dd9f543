/* SPDX-License-Identifier: MIT */
/*
 * Additions to mockfd.h for the selftest-compatibility work (issue #9):
 * mmap of the iommufd fd (iommufd.md §2 "mmap", 6.17+). Kept apart from
 * mockfd.h, which implements the frozen contract.
 */
#ifndef IOMMU_EMU_MOCKFD_EXT_H
#define IOMMU_EMU_MOCKFD_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mmap(2) of an fd the mock owns. Only an iommufd fd has mmap, and only for
 * the regions a vIOMMU registered: MAP_SHARED required (EINVAL), PROT_EXEC
 * EPERM, offset/length not exactly a region ENXIO; other mock fds ENODEV.
 * A live mapping holds a reference on the region's owner (IOMMU_DESTROY of
 * the vIOMMU -> EBUSY) and on the iommufd file, until it is munmapped.
 * Returns the address or MAP_FAILED with errno. */
void *mockfd_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
/* munmap(2): drops what mockfd_mmap recorded for the range; any other range
 * is simply unmapped. 0 or -1/errno. */
int mockfd_munmap(void *addr, size_t len);
/* Lock-free pre-check for the shim: true if [addr, addr+len) may intersect
 * a mapping mockfd_mmap made (false whenever none is live). */
bool mockfd_mmap_tracked(const void *addr, size_t len);

/* dup2(2) for mock fds (programs and shells dup2 an fd they opened and
 * close the original). newfd >= 0: newfd becomes a duplicate of oldfd,
 * atomically replacing whatever it was; a mock file newfd held is released
 * (its last reference). newfd < 0: the lowest free number (dup(2)).
 * When oldfd is the mock's, both numbers then share one mock file
 * (reference counted: closing one leaves the other working, the last
 * close releases it); when it is not, newfd is a plain duplicate. oldfd ==
 * newfd returns newfd. Mock fds are close-on-exec, duplicates included (the
 * mock's state cannot cross exec). Returns the new fd, or -1 with errno
 * (EBADF: oldfd not open or newfd out of range; EMFILE; ENOMEM). */
int mockfd_dup_fd(int oldfd, int newfd);

#ifdef __cplusplus
}
#endif
#endif
