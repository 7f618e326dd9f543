/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP cost on the emulated VT-d (docs/dirty.md).
 *
 *   dirty_bitmap [GiB]        (default 64)
 *
 * One 2 MiB host buffer is mapped over and over to cover GiB of IOVA, so host
 * memory stays small (the page tables themselves are 2 MiB per GiB at
 * 4 KiB). Prints, for 4 KiB leaves and for 2 MiB leaves: the harvest time
 * with nothing / 1% / all pages dirty, the time to read the same number of
 * PTE bytes sequentially from memory and the ratio (target <= 1.5x at 4 KiB,
 * nothing dirty), the harvest of sub-ranges (cost proportional to what is
 * walked), and the cost of one emulated 4 KiB DMA write end to end.
 * Numbers only; nothing here fails on time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "mockfd/mockfd.h"

#define CHUNK (2ull << 20)
#define IOVA0 (1ull << 40)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "dirty_bitmap: %s: %s\n", what, strerror(errno));
    exit(1);
}

struct ctx {
    int fd, dfd;
    uint32_t ioas, hwpt;
};

static void setup(struct ctx *c, int dev, bool huge, uint64_t gib, uint8_t *buf)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = IOMMU_OPTION_OP_SET, .val64 = huge };
    struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct iommu_hwpt_set_dirty_tracking sd = { .size = sizeof(sd),
                                                .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
    uint64_t i;

    c->fd = mockfd_open();
    c->dfd = mockfd_device_open(dev);
    if (c->fd < 0 || c->dfd < 0)
        die("open");
    bind.iommufd = c->fd;
    if (mockfd_ioctl(c->dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
        mockfd_ioctl(c->fd, IOMMU_IOAS_ALLOC, &ia))
        die("bind/ioas");
    c->ioas = o.object_id = ia.out_ioas_id;
    if (mockfd_ioctl(c->fd, IOMMU_OPTION, &o))
        die("huge pages option");
    ha.dev_id = bind.out_devid;
    ha.pt_id = c->ioas;
    if (mockfd_ioctl(c->fd, IOMMU_HWPT_ALLOC, &ha))
        die("hwpt alloc");
    c->hwpt = at.pt_id = sd.hwpt_id = ha.out_hwpt_id;
    /* attach first so each MAP fills the domain directly */
    if (mockfd_ioctl(c->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ||
        mockfd_ioctl(c->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &sd))
        die("attach/enable");
    for (i = 0; i < gib * (1ull << 30) / CHUNK; i++) {
        struct iommu_ioas_map m = {
            .size = sizeof(m), .ioas_id = c->ioas, .user_va = (uintptr_t)buf, .length = CHUNK,
            .iova = IOVA0 + i * CHUNK,
            .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                     IOMMU_IOAS_MAP_WRITEABLE,
        };

        if (mockfd_ioctl(c->fd, IOMMU_IOAS_MAP, &m))
            die("map");
    }
}

static double harvest(struct ctx *c, uint64_t iova, uint64_t len, uint8_t *bm, uint64_t *bits)
{
    struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = c->hwpt, .iova = iova,
                                             .length = len, .page_size = 4096,
                                             .data = (uintptr_t)bm };
    uint64_t nbytes = len / 4096 / 8, i, n = 0;
    double t0;

    memset(bm, 0, nbytes);
    t0 = now();
    if (mockfd_ioctl(c->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g))
        die("get dirty bitmap");
    t0 = now() - t0;
    for (i = 0; i < nbytes; i++)
        n += (uint64_t)__builtin_popcount(bm[i]);
    *bits = n;
    return t0;
}

static void dirty_every(struct ctx *c, uint64_t len, uint64_t stride)
{
    uint64_t off;
    uint8_t v = 1;

    for (off = 0; off < len; off += stride)
        if (mockfd_device_dma(c->dfd, 0, IOVA0 + off, &v, 1, true))
            die("dma");
}

/* Reading the same number of PTE bytes sequentially (the floor). */
static double seq_read(uint64_t bytes)
{
    uint64_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile uint64_t sink;
    uint64_t i, s = 0;
    double t0;

    if (p == MAP_FAILED)
        die("mmap");
    memset(p, 1, bytes);
    t0 = now();
    for (i = 0; i < bytes / 8; i++)
        s += p[i] & (1ull << 9);
    t0 = now() - t0;
    sink = s;
    (void)sink;
    munmap(p, bytes);
    return t0;
}

static void run(int dev, bool huge, uint64_t gib, uint8_t *buf, uint8_t *bm)
{
    const uint64_t len = gib << 30;
    const uint64_t ptes = huge ? len / CHUNK : len / 4096;
    const char *tag = huge ? "2M" : "4K";
    struct ctx c;
    uint64_t bits;
    double t, t_none, t_read, t0;

    t0 = now();
    setup(&c, dev, huge, gib, buf);
    printf("%s map_%luGiB_s %.3f\n", tag, (unsigned long)gib, now() - t0);
    harvest(&c, IOVA0, len, bm, &bits);                 /* settle */
    t_none = harvest(&c, IOVA0, len, bm, &bits);
    printf("%s none_dirty_ms %.3f bits %lu\n", tag, t_none * 1e3, (unsigned long)bits);
    t_read = seq_read(ptes * 8);
    printf("%s seq_read_%lu_pte_bytes_ms %.3f\n", tag, (unsigned long)(ptes * 8), t_read * 1e3);
    printf("%s ratio_none_vs_seq_read %.2f\n", tag, t_none / t_read);
    dirty_every(&c, len, 100 * 4096);
    t = harvest(&c, IOVA0, len, bm, &bits);
    printf("%s one_percent_dirty_ms %.3f bits %lu\n", tag, t * 1e3, (unsigned long)bits);
    if (huge) {
        dirty_every(&c, len, CHUNK);
    } else {
        t0 = now();
        dirty_every(&c, len, 4096);
        printf("%s dirty_all_pages_by_dma_s %.3f\n", tag, now() - t0);
    }
    t = harvest(&c, IOVA0, len, bm, &bits);
    printf("%s all_dirty_ms %.3f bits %lu\n", tag, t * 1e3, (unsigned long)bits);
    /* cost proportional to the range walked */
    {
        uint64_t g;

        for (g = 1; g <= gib; g *= 8) {
            t = harvest(&c, IOVA0, g << 30, bm, &bits);
            printf("%s subrange_%luGiB_ms %.3f per_GiB_ms %.3f\n", tag, (unsigned long)g,
                   t * 1e3, t * 1e3 / (double)g);
        }
    }
    if (!huge) {
        uint8_t page[4096];
        int i, n = 20000;

        memset(page, 7, sizeof(page));
        t0 = now();
        for (i = 0; i < n; i++)
            if (mockfd_device_dma(c.dfd, 0, IOVA0 + (uint64_t)(i % 4096) * 4096, page,
                                  sizeof(page), true))
                die("dma");
        printf("dma_4k_write_ns %.1f\n", (now() - t0) * 1e9 / n);
    }
    mockfd_close(c.dfd);
    mockfd_close(c.fd);
}

int main(int argc, char **argv)
{
    uint64_t gib = argc > 1 ? strtoull(argv[1], NULL, 0) : 64;
    uint8_t *raw, *buf, *bm;
    int iommu, d0, d1;

    if (!gib)
        gib = 1;
    raw = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bm = malloc((gib << 30) / 4096 / 8 + 64);
    if (raw == MAP_FAILED || !bm)
        die("alloc");
    buf = (uint8_t *)(((uintptr_t)raw + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
    memset(buf, 0, CHUNK);
    iommu = mockfd_platform_add_iommu("vtd");
    d0 = mockfd_platform_add_device(iommu, 0x10);
    d1 = mockfd_platform_add_device(iommu, 0x18);
    if (iommu < 0 || d0 < 0 || d1 < 0)
        die("platform");
    printf("iova_GiB %lu\n", (unsigned long)gib);
    run(d0, false, gib, buf, bm);
    run(d1, true, gib, buf, bm);
    free(bm);
    munmap(raw, 2 * CHUNK);
    return 0;
}
