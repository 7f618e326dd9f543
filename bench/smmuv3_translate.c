/* SMMUv3 translation benchmark: emu_dma 4 KiB read with an IOTLB hit, the
 * same with a full 4-level stage-1 walk (IOTLB emptied before each DMA; the
 * emptying's own cost is measured separately and subtracted; the STE/CD
 * configuration cache stays warm, as on hardware), and bulk DMA throughput
 * (64 MiB in 64 KiB DMAs through 4 KiB pages) against memcpy of the same
 * size. Prints numbers only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/smmuv3/smmuv3.h"

#define MEM      (160ull << 20)
#define STRTAB   0x100000ull
#define CMDQ     0x200000ull
#define EVTQ     0x210000ull
#define CD       0x300000ull
#define PT       0x400000ull
#define DATA     (32ull << 20)
#define BULK     (64ull << 20)
#define SID      3

static struct emu_mem *mem;
static struct emu_iommu *io;
static uint64_t pt_next = PT;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void w64(uint64_t gpa, uint64_t v)
{
    if (emu_mem_write64(mem, gpa, v))
        abort();
}

static uint64_t r64(uint64_t gpa)
{
    uint64_t v = 0;
    if (emu_mem_read64(mem, gpa, &v))
        abort();
    return v;
}

/* 4-level 4 KiB stage-1 mapping, Linux io-pgtable attributes. */
static void map4k(uint64_t root, uint64_t iova, uint64_t pa)
{
    uint64_t table = root;

    for (unsigned level = 0; level < 3; level++) {
        uint64_t slot = table + ((iova >> (39 - 9 * level)) & 511) * 8, d = r64(slot);
        if (!(d & 1)) {
            d = pt_next | 3;
            pt_next += 4096;
            w64(slot, d);
        }
        table = d & 0x0000fffffffff000ull;
    }
    w64(table + ((iova >> 12) & 511) * 8, pa | 0xF43ull | (1ull << 51));
}

int main(void)
{
    uint64_t root, cd0, iters = 2000000, n;
    uint8_t *buf = malloc(65536), *src, *dst;
    struct smmu *s;
    double t0, t1, hit, hit_x, walk, walk_x, inval, bulk, cpy;

    mem = emu_mem_new();
    if (!mem || !buf || emu_mem_map(mem, 0, MEM, NULL))
        return 1;
    io = emu_iommu_new(EMU_SMMUV3, "default", mem);
    if (!io)
        return 1;
    s = smmu_of(io);
    root = pt_next;
    pt_next += 4096;
    for (uint64_t off = 0; off < BULK; off += 4096)
        map4k(root, 0x8000000000ull + off, DATA + off);
    /* CD: T0SZ 16 (4 levels), 4K, IPS 48, AA64, R, A, ASET, HA+HD, ASID 1. */
    cd0 = 16 | (1ull << 30) | (1ull << 31) | (5ull << 32) | (1ull << 41) | (3ull << 42) |
          (7ull << 45) | (1ull << 48);
    w64(CD, cd0);
    w64(CD + 8, root);
    w64(STRTAB + SID * 64, 1 | (5ull << 1) | CD);
    emu_mmio_write(io, SMMU_STRTAB_BASE, 8, STRTAB);
    emu_mmio_write(io, SMMU_STRTAB_BASE_CFG, 4, 8);
    emu_mmio_write(io, SMMU_CMDQ_BASE, 8, CMDQ | 8);
    emu_mmio_write(io, SMMU_EVENTQ_BASE, 8, EVTQ | 6);
    emu_mmio_write(io, SMMU_CR0, 4, CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN);

    /* IOTLB hit. */
    if (emu_dma(io, SID, EMU_NO_PASID, 0x8000000000ull, buf, 4096, false, NULL))
        return 2;
    t0 = now();
    for (n = 0; n < iters; n++)
        emu_dma(io, SID, EMU_NO_PASID, 0x8000000000ull, buf, 4096, false, NULL);
    t1 = now();
    hit = (t1 - t0) / (double)iters;

    /* Translation alone (ops->translate, the per-page step of emu_dma). */
    {
        struct emu_xlate x;
        struct emu_fault f;
        t0 = now();
        for (n = 0; n < iters; n++)
            io->ops->translate(io, SID, EMU_NO_PASID, 0x8000000000ull + ((n & 63) << 12), false, &x, &f);
        t1 = now();
        hit_x = (t1 - t0) / (double)iters;
    }

    /* Misses: swap in a one-entry IOTLB so emptying it is cheap, and
     * measure the emptying alone to subtract it. */
    emu_iotlb_free(s->tlb);
    s->tlb = emu_iotlb_new(1);
    if (!s->tlb)
        return 1;
    iters = 500000;
    t0 = now();
    for (n = 0; n < iters; n++)
        emu_iotlb_inval_all(s->tlb);
    t1 = now();
    inval = (t1 - t0) / (double)iters;

    /* Full walk (4 descriptor fetches) + the 4 KiB copy. */
    t0 = now();
    for (n = 0; n < iters; n++) {
        emu_iotlb_inval_all(s->tlb);
        emu_dma(io, SID, EMU_NO_PASID, 0x8000000000ull + ((n & 63) << 12), buf, 4096, false, NULL);
    }
    t1 = now();
    walk = (t1 - t0) / (double)iters - inval;
    {
        struct emu_xlate x;
        struct emu_fault f;
        t0 = now();
        for (n = 0; n < iters; n++) {
            emu_iotlb_inval_all(s->tlb);
            io->ops->translate(io, SID, EMU_NO_PASID, 0x8000000000ull + ((n & 63) << 12), false, &x, &f);
        }
        t1 = now();
        walk_x = (t1 - t0) / (double)iters - inval;
    }
    emu_iotlb_free(s->tlb);
    s->tlb = emu_iotlb_new(SMMU_TLB_SIZE);
    if (!s->tlb)
        return 1;

    /* Bulk: 64 MiB in 64 KiB DMAs (first pass warms the IOTLB). */
    emu_iotlb_inval_all(s->tlb);
    for (int pass = 0; pass < 2; pass++) {
        t0 = now();
        for (uint64_t off = 0; off < BULK; off += 65536)
            if (emu_dma(io, SID, EMU_NO_PASID, 0x8000000000ull + off, buf, 65536, false, NULL))
                return 3;
        t1 = now();
    }
    bulk = t1 - t0;
    src = malloc(BULK);
    dst = malloc(65536);
    if (!src || !dst)
        return 1;
    memset(src, 1, BULK);
    t0 = now();
    for (uint64_t off = 0; off < BULK; off += 65536)
    {
        memcpy(dst, src + off, 65536);
        __asm__ volatile("" : : "r"(dst) : "memory");
    }
    t1 = now();
    cpy = t1 - t0;
    printf("smmuv3 iotlb_hit_4k_dma_ns %.1f\n", hit);
    printf("smmuv3 iotlb_hit_translate_ns %.1f\n", hit_x);
    printf("smmuv3 walk4_4k_dma_ns %.1f\n", walk);
    printf("smmuv3 walk4_translate_ns %.1f\n", walk_x);
    printf("smmuv3 bulk_64MiB_MBps %.0f\n", (double)BULK / (bulk / 1e9) / 1e6);
    printf("smmuv3 memcpy_64MiB_MBps %.0f\n", (double)BULK / (cpy / 1e9) / 1e6);
    printf("smmuv3 bulk_vs_memcpy %.2f\n", bulk / cpy);
    free(src);
    free(dst);
    free(buf);
    emu_iommu_free(io);
    emu_mem_free(mem);
    return 0;
}
