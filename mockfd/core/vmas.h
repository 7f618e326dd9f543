/* SPDX-License-Identifier: MIT */
/*
 * A snapshot of this process's VMAs (/proc/self/maps): what the kernel
 * learns from the mm (find_vma, get_user_pages + struct page), a userspace
 * mock reads from procfs. One parser for every user: the pin probe
 * (pages.c, iommufd.md §4.5 "Pinning"), ACCESS_PAGES' EBADE identity check
 * (access.c) and the selftest's MD_CHECK_MAP / MD_CHECK_REFS
 * (selftest_mem.c, iommufd.md §8.2 "Physical identity").
 */
#ifndef IOMMU_EMU_MOCKFD_VMAS_H
#define IOMMU_EMU_MOCKFD_VMAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of /proc/self/maps: [start, end), its permissions, and the file
 * behind it (dev = major << 32 | minor, ino 0 for anonymous memory). */
struct mfd_vma {
    uint64_t start, end;
    uint64_t off, dev, ino;
    bool read, write, shared;
    bool hugetlb;   /* hugetlbfs / anon_hugepage: a compound page */
    bool special;   /* [vvar*], [vsyscall]: VM_IO/VM_PFNMAP, never pinnable */
};

/* v[0..n) sorted by address, non-overlapping (procfs lists them so). */
struct mfd_vmas {
    struct mfd_vma *v;
    size_t n;
};

/* NULL if /proc/self/maps cannot be read or memory runs out (-ENOMEM). */
struct mfd_vmas *mfd_vmas_load(void);
void mfd_vmas_free(struct mfd_vmas *vs);

/* The VMA holding va (binary search), or NULL: unmapped. */
const struct mfd_vma *mfd_vmas_find(const struct mfd_vmas *vs, uint64_t va);

/* GUP's check_vma_flags over [uva, uva + len) (len > 0, no wrap): the offset
 * of the first byte that cannot be pinned (a hole, no read permission, no
 * write permission for a write pin, a special mapping), or len if all can. */
uint64_t mfd_vmas_first_gap(const struct mfd_vmas *vs, uint64_t uva, uint64_t len, bool write);

/* The same probe on the live VMA list, without a snapshot: *gap is what
 * mfd_vmas_first_gap would return for a snapshot taken now. Asks procfs
 * only about the VMAs covering the range (PROCMAP_QUERY, Linux 6.11), not
 * the whole list formatted and parsed; on kernels without it, a snapshot.
 * 0, or -ENOMEM if the VMAs cannot be read. */
int mfd_vmas_probe(uint64_t uva, uint64_t len, bool write, uint64_t *gap);

/* fd is the maps fd mfd_vmas_probe keeps open (mfd_private_fd). */
bool mfd_vmas_private_fd(int fd);

/* Physical identity of the 4 KiB page holding va, the mock's struct page:
 * (dev, inode, page offset in the file) for file-backed memory, which a
 * MAP_SHARED mapping of shmem / memfd / shared anonymous memory is too;
 * otherwise dev == ino == 0 and off is the VA page. With shared_only, a
 * MAP_PRIVATE file mapping is identified by VA (the selftest's view: COW
 * state is invisible); without, it is the file page (what GUP returns until
 * the page is written). -EFAULT if va is not mapped. */
struct mfd_page_ident {
    uint64_t dev, ino, off;
};
int mfd_vmas_ident(const struct mfd_vmas *vs, uint64_t va, bool shared_only,
                   struct mfd_page_ident *out);

#endif
