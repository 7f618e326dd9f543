/* SPDX-License-Identifier: MIT */
/*
 * iommufd_probe: an ordinary Linux iommufd client. It uses only libc and the
 * uapi headers (never mockfd_*), so it runs unchanged against a real kernel's
 * /dev/iommu or, with LD_PRELOAD=build/libmockfd-preload.so, against the mock.
 *
 * Steps: open /dev/iommu, IOMMU_IOAS_ALLOC, IOMMU_IOAS_IOVA_RANGES (sizing
 * call, then the real one), IOMMU_OPTION get HUGE_PAGES, IOMMU_IOAS_MAP of a
 * heap buffer at a kernel-chosen IOVA, IOMMU_IOAS_UNMAP of it,
 * IOMMU_DESTROY, close. One line per step; exit status 0 iff all succeeded.
 */
#include <linux/iommufd.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int failures;

static void report(const char *step, int rc)
{
    if (rc < 0) {
        printf("%s: FAILED: %s (errno %d)\n", step, strerror(errno), errno);
        failures++;
    }
}

int main(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        report("open /dev/iommu", -1);
        return 1;
    }
    printf("open /dev/iommu: ok fd=%d\n", fd);

    struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
    if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
        report("IOMMU_IOAS_ALLOC", -1);
        close(fd);
        return 1;
    }
    uint32_t ioas = alloc.out_ioas_id;
    printf("IOMMU_IOAS_ALLOC: ok ioas_id=%u\n", ioas);

    /* iommufd.md §4.3: too small an array -> EMSGSIZE with the needed count. */
    struct iommu_ioas_iova_ranges ranges = { .size = sizeof(ranges), .ioas_id = ioas };
    int rc = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &ranges);
    if (rc && errno != EMSGSIZE) {
        report("IOMMU_IOAS_IOVA_RANGES", rc);
    } else {
        uint32_t n = ranges.num_iovas;
        struct iommu_iova_range *r = calloc(n ? n : 1, sizeof(*r));
        ranges.num_iovas = n;
        ranges.allowed_iovas = (uintptr_t)r;
        rc = r ? ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &ranges) : (errno = ENOMEM, -1);
        report("IOMMU_IOAS_IOVA_RANGES", rc);
        if (!rc) {
            printf("IOMMU_IOAS_IOVA_RANGES: ok %u range(s), iova_alignment=%#" PRIx64 "\n",
                   ranges.num_iovas, (uint64_t)ranges.out_iova_alignment);
            for (uint32_t i = 0; i < ranges.num_iovas && i < n; i++)
                printf("  [%#" PRIx64 ", %#" PRIx64 "]\n", (uint64_t)r[i].start,
                       (uint64_t)r[i].last);
        }
        free(r);
    }

    struct iommu_option opt = {
        .size = sizeof(opt),
        .option_id = IOMMU_OPTION_HUGE_PAGES,
        .op = IOMMU_OPTION_OP_GET,
        .object_id = ioas,
    };
    rc = ioctl(fd, IOMMU_OPTION, &opt);
    report("IOMMU_OPTION(HUGE_PAGES, GET)", rc);
    if (!rc)
        printf("IOMMU_OPTION(HUGE_PAGES, GET): ok val64=%" PRIu64 "\n", (uint64_t)opt.val64);

    /* A page-aligned heap buffer, so the map is valid whatever alignment the
     * IOAS requires (at most PAGE_SIZE, iommufd.md §1.3). */
    long page = sysconf(_SC_PAGESIZE);
    size_t len = 16 * (size_t)page;
    void *buf = NULL;
    if (posix_memalign(&buf, (size_t)page, len)) {
        buf = NULL;
        errno = ENOMEM;
        report("posix_memalign", -1);
    } else {
        memset(buf, 0xa5, len);
        struct iommu_ioas_map map = {
            .size = sizeof(map),
            .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
            .ioas_id = ioas,
            .user_va = (uintptr_t)buf,
            .length = len,
        };
        rc = ioctl(fd, IOMMU_IOAS_MAP, &map);
        report("IOMMU_IOAS_MAP", rc);
        if (!rc) {
            printf("IOMMU_IOAS_MAP: ok iova=%#" PRIx64 " length=%#zx\n",
                   (uint64_t)map.iova, len);
            struct iommu_ioas_unmap unmap = {
                .size = sizeof(unmap),
                .ioas_id = ioas,
                .iova = map.iova,
                .length = len,
            };
            rc = ioctl(fd, IOMMU_IOAS_UNMAP, &unmap);
            report("IOMMU_IOAS_UNMAP", rc);
            if (!rc && unmap.length != len) {
                printf("IOMMU_IOAS_UNMAP: FAILED: unmapped %#" PRIx64 " of %#zx bytes\n",
                       (uint64_t)unmap.length, len);
                failures++;
            } else if (!rc) {
                printf("IOMMU_IOAS_UNMAP: ok length=%#" PRIx64 "\n", (uint64_t)unmap.length);
            }
        }
    }

    struct iommu_destroy destroy = { .size = sizeof(destroy), .id = ioas };
    rc = ioctl(fd, IOMMU_DESTROY, &destroy);
    report("IOMMU_DESTROY", rc);
    if (!rc)
        printf("IOMMU_DESTROY: ok\n");

    rc = close(fd);
    report("close", rc);
    if (!rc)
        printf("close: ok\n");
    free(buf);

    printf("%s\n", failures ? "FAILED" : "ALL OK");
    return failures ? 1 : 0;
}
