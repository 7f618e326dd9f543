/* AMD-Vi translation benchmark: IOTLB-hit cost, full 4-level walk cost with
 * warm host caches (IOTLB flushed by INVALIDATE_IOMMU_PAGES each iteration,
 * the flush's own cost measured separately and subtracted), and bulk DMA
 * throughput against memcpy. Prints numbers only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/core/emu_internal.h"

#define MEM      (80ull << 20)
#define DEVTAB   0x100000ull
#define CMDBUF   0x300000ull
#define EVTLOG   0x310000ull
#define PT       0x400000ull
#define DATA     (16ull << 20)
#define BULK     (64ull << 20)
#define DEV      0x10

static struct emu_mem *mem;
static struct emu_iommu *io;
static uint64_t pt_next = PT, tail;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t alloc(void)
{
    uint64_t p = pt_next;
    pt_next += 4096;
    return p;
}

static void map4k(uint64_t root, uint64_t iova, uint64_t pa)
{
    uint64_t t = root;
    for (unsigned l = 4; l > 1; l--) {
        uint64_t a = t + ((iova >> (12 + 9 * (l - 1))) & 0x1FF) * 8, e;
        emu_mem_read64(mem, a, &e);
        if (!(e & 1)) {
            e = alloc() | ((uint64_t)(l - 1) << 9) | 1 | (3ull << 61);
            emu_mem_write64(mem, a, e);
        }
        t = e & 0x000FFFFFFFFFF000ull;
    }
    emu_mem_write64(mem, t + ((iova >> 12) & 0x1FF) * 8, pa | 1 | (3ull << 61));
}

static void cmd(uint64_t q0, uint64_t q1)
{
    emu_mem_write64(mem, CMDBUF + tail, q0);
    emu_mem_write64(mem, CMDBUF + tail + 8, q1);
    tail = (tail + 16) % 8192;
    emu_mmio_write(io, 0x2008, 4, tail);
}

int main(void)
{
    mem = emu_mem_new();
    if (!mem || emu_mem_map(mem, 0, MEM, NULL))
        return 1;
    io = emu_iommu_new(EMU_AMDVI, "default", mem);
    if (!io)
        return 1;
    emu_mmio_write(io, 0x00, 8, DEVTAB | 0x1FF);
    emu_mmio_write(io, 0x08, 8, CMDBUF | (9ull << 56));
    emu_mmio_write(io, 0x10, 8, EVTLOG | (9ull << 56));
    emu_mmio_write(io, 0x18, 8, 0x400 | 1 | 4 | (1 << 12));
    uint64_t root = alloc();
    for (uint64_t o = 0; o < BULK; o += 4096)
        map4k(root, 0x40000000ull + o, o);   /* iova 1G.. -> pa 0.. (64 MiB) */
    emu_mem_write64(mem, DEVTAB + DEV * 32, 3 | (4ull << 9) | root | (3ull << 61));
    emu_mem_write64(mem, DEVTAB + DEV * 32 + 8, 1);
    cmd(8ull << 60, 0);

    static uint8_t buf[1 << 16];
    const int N = 2000000;
    emu_dma(io, DEV, EMU_NO_PASID, 0x40000000ull, buf, 8, false, NULL);
    double t0 = now();
    for (int i = 0; i < N; i++)
        emu_dma(io, DEV, EMU_NO_PASID, 0x40000000ull + (i & 7) * 8, buf, 8, false, NULL);
    double hit8 = (now() - t0) / N;
    t0 = now();
    for (int i = 0; i < N / 4; i++)
        emu_dma(io, DEV, EMU_NO_PASID, 0x40000000ull, buf, 4096, false, NULL);
    double hit4k = (now() - t0) / (N / 4);

    /* The model's translate alone (IOTLB hit), without the core's lock and copy. */
    struct emu_xlate x;
    struct emu_fault f;
    t0 = now();
    for (int i = 0; i < N; i++)
        emu_amdvi_ops.translate(io, DEV, EMU_NO_PASID, 0x40000000ull + (i & 7) * 8, false, &x, &f);
    double xl = (now() - t0) / N;

    const int M = 300000;
    t0 = now();
    for (int i = 0; i < M; i++)
        cmd((3ull << 60) | (1ull << 32), 0x7FFFFFFFFFFFF000ull | 3);
    double inval = (now() - t0) / M;
    t0 = now();
    for (int i = 0; i < M; i++) {
        cmd((3ull << 60) | (1ull << 32), 0x7FFFFFFFFFFFF000ull | 3);
        emu_dma(io, DEV, EMU_NO_PASID, 0x40000000ull + (i & 7) * 8, buf, 8, false, NULL);
    }
    double walk = (now() - t0) / M - inval;

    static uint8_t *big;
    big = malloc(BULK);
    if (!big)
        return 1;
    emu_dma(io, DEV, EMU_NO_PASID, 0x40000000ull, big, BULK, true, NULL);   /* warm */
    t0 = now();
    for (uint64_t o = 0; o < BULK; o += sizeof(buf))
        emu_dma(io, DEV, EMU_NO_PASID, 0x40000000ull + o, big + o, sizeof(buf), false, NULL);
    double dma_ns = now() - t0;
    uint8_t *src = malloc(BULK);
    if (!src)
        return 1;
    memset(src, 1, BULK);
    memset(big, 2, BULK);   /* fault the destination in before timing */
    t0 = now();
    memcpy(big, src, BULK);
    double cpy_ns = now() - t0;

    printf("amdvi iotlb_hit_8B_ns_per_op %.1f\n", hit8);
    printf("amdvi iotlb_hit_translate_only_ns_per_op %.1f\n", xl);
    printf("amdvi iotlb_hit_4KiB_dma_ns_per_op %.1f\n", hit4k);
    printf("amdvi inval_cmd_ns_per_op %.1f\n", inval);
    printf("amdvi walk_4level_ns_per_op %.1f\n", walk);
    printf("amdvi bulk_dma_64MiB_in_64KiB_MBps %.0f\n", BULK / (dma_ns / 1e9) / 1e6);
    printf("amdvi memcpy_64MiB_MBps %.0f\n", BULK / (cpy_ns / 1e9) / 1e6);
    free(big);
    free(src);
    emu_iommu_free(io);
    emu_mem_free(mem);
    return 0;
}
