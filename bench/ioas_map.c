/* SPDX-License-Identifier: MIT */
/*
 * IOAS map/unmap throughput through the public ioctl path: 1,000,000
 * fixed-IOVA 4 KiB IOMMU_IOAS_MAPs, then 1,000,000 IOMMU_IOAS_UNMAPs, on an
 * IOAS with no domain (so nothing is pinned: this measures dispatch plus the
 * io_pagetable's interval trees). Target: <= 2 s for both phases together.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/iommufd.h>

#include "mockfd/mockfd.h"

#define N 1000000u
#define PGSZ 4096ull
#define TARGET_S 2.0

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    static char page[PGSZ] __attribute__((aligned(4096)));
    struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
    double t0, t1, t2, total;
    int fd = mockfd_open();

    if (fd < 0 || mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
        fprintf(stderr, "ioas_map: setup failed: %s\n", strerror(errno));
        return 1;
    }
    t0 = now();
    for (uint32_t i = 0; i < N; i++) {
        struct iommu_ioas_map m = {
            .size = sizeof(m),
            .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                     IOMMU_IOAS_MAP_WRITEABLE,
            .ioas_id = alloc.out_ioas_id,
            .user_va = (uintptr_t)page,
            .length = PGSZ,
            .iova = (1ull << 32) + (uint64_t)i * PGSZ,
        };

        if (mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m)) {
            fprintf(stderr, "ioas_map: map %u failed: %s\n", i, strerror(errno));
            return 1;
        }
    }
    t1 = now();
    for (uint32_t i = 0; i < N; i++) {
        struct iommu_ioas_unmap u = {
            .size = sizeof(u),
            .ioas_id = alloc.out_ioas_id,
            .iova = (1ull << 32) + (uint64_t)i * PGSZ,
            .length = PGSZ,
        };

        if (mockfd_ioctl(fd, IOMMU_IOAS_UNMAP, &u) || u.length != PGSZ) {
            fprintf(stderr, "ioas_map: unmap %u failed: %s\n", i, strerror(errno));
            return 1;
        }
    }
    t2 = now();
    mockfd_close(fd);
    total = t2 - t0;
    printf("ioas_map: %u maps   %.3f s  %6.0f ns/op\n", N, t1 - t0, (t1 - t0) * 1e9 / N);
    printf("ioas_map: %u unmaps %.3f s  %6.0f ns/op\n", N, t2 - t1, (t2 - t1) * 1e9 / N);
    printf("ioas_map: total     %.3f s  (target <= %.1f s: %s)\n", total, TARGET_S,
           total <= TARGET_S ? "met" : "MISSED");
    return 0;
}
