/* VT-d translation speed: IOTLB hit, full 4-level walk with warm caches,
 * bulk DMA throughput against memcpy. Prints numbers only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/emu.h"
#include "emu/vtd/vtd.h"

#define MEM (160ull << 20)
#define DATA 0x2000000ull           /* 32 MiB: DMA targets */
#define BULK (64ull << 20)
#define RID 0x10

static struct emu_mem *mem;
static struct emu_iommu *io;
static uint64_t next_pg = 0x100000;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}
static uint64_t pg(void) { uint64_t p = next_pg; next_pg += 4096; return p; }
static uint64_t r64(uint64_t a) { uint64_t v = 0; emu_mem_read64(mem, a, &v); return v; }
static void w64(uint64_t a, uint64_t v) { emu_mem_write64(mem, a, v); }

static void map4k(uint64_t top, uint64_t iova, uint64_t pa)
{
    uint64_t t = top;
    for (unsigned l = 4; l > 1; l--) {
        uint64_t e = t + ((iova >> (12 + 9 * (l - 1))) & 0x1ff) * 8, v = r64(e);
        if (!(v & 3)) { v = pg() | 3; w64(e, v); }
        t = v & ~0xfffull;
    }
    w64(t + ((iova >> 12) & 0x1ff) * 8, pa | 3);
}

int main(void)
{
    mem = emu_mem_new();
    if (!mem || emu_mem_map(mem, 0, MEM, NULL))
        return 1;
    io = emu_iommu_new(EMU_VTD, "default", mem);
    if (!io)
        return 1;
    /* Scalable mode, PASID entry SS 4-level with SSADE, like Linux with dirty tracking. */
    uint64_t root = pg(), ctx = pg(), dir = pg(), ptab = pg(), slpt = pg();
    w64(root, ctx | 1);
    w64(ctx + (RID & 0x7f) * 32, dir | 8 | 1);
    w64(dir, ptab | 1);
    w64(ptab, slpt | (1ull << 9) | (2ull << 6) | (2ull << 2) | 1);
    w64(ptab + 8, 1 | (1ull << 23));
    for (uint64_t off = 0; off < BULK; off += 4096)
        map4k(slpt, off, DATA + off);
    emu_mmio_write(io, VTD_RTADDR, 8, root | (1 << 10));
    emu_mmio_write(io, VTD_GCMD, 4, GCMD_SRTP);
    emu_mmio_write(io, VTD_GCMD, 4, GCMD_TE);
    struct vtd *v = (struct vtd *)((struct emu_iommu *)io)->model;
    static uint8_t buf[65536];
    int n = 2000000;

    for (int i = 0; i < 1000; i++)
        emu_dma(io, RID, EMU_NO_PASID, 0x5000, buf, 4096, false, NULL);
    double t0 = now();
    for (int i = 0; i < n; i++)
        emu_dma(io, RID, EMU_NO_PASID, 0x5000, buf, 4096, false, NULL);
    double hit4k = (now() - t0) / n;
    t0 = now();
    for (int i = 0; i < n; i++)
        emu_dma(io, RID, EMU_NO_PASID, 0x5000 + (i & 0xff8), buf, 8, false, NULL);
    double hit8 = (now() - t0) / n;

    int nw = 500000;
    t0 = now();
    for (int i = 0; i < nw; i++) {
        emu_iotlb_inval(v->tlb, EMU_TLB_ANY, EMU_TLB_ANY, EMU_TLB_ANY, 0x5000, 4096);
        emu_dma(io, RID, EMU_NO_PASID, 0x5000, buf, 4096, false, NULL);
    }
    double walk4k = (now() - t0) / nw;
    t0 = now();
    for (int i = 0; i < nw; i++) {
        emu_iotlb_inval(v->tlb, EMU_TLB_ANY, EMU_TLB_ANY, EMU_TLB_ANY, 0x5000, 4096);
        emu_dma(io, RID, EMU_NO_PASID, 0x5000, buf, 8, false, NULL);
    }
    double walk8 = (now() - t0) / nw;
    t0 = now();
    for (int i = 0; i < nw; i++)
        emu_iotlb_inval(v->tlb, EMU_TLB_ANY, EMU_TLB_ANY, EMU_TLB_ANY, 0x5000, 4096);
    double inval = (now() - t0) / nw;

    uint8_t *src = malloc(BULK), *dst = malloc(BULK);
    if (!src || !dst)
        return 1;
    memset(src, 1, BULK);
    memset(dst, 2, BULK);
    int reps = 4;
    double tb = 0, tm = 0, tl = 0;
    for (int r = 0; r < reps; r++) {
        t0 = now();
        for (uint64_t off = 0; off < BULK; off += 4096)
            emu_dma(io, RID, EMU_NO_PASID, off, dst + off, 4096, false, NULL);
        tb += now() - t0;
        t0 = now();
        for (uint64_t off = 0; off < BULK; off += 65536)
            emu_dma(io, RID, EMU_NO_PASID, off, dst + off, 65536, false, NULL);
        tl += now() - t0;
        t0 = now();
        memcpy(dst, src, BULK);
        tm += now() - t0;
    }
    double mib = (double)BULK * reps / (1 << 20);
    printf("vtd iotlb_hit_4k_read_ns %.1f\n", hit4k);
    printf("vtd iotlb_hit_8b_read_ns %.1f\n", hit8);
    printf("vtd walk4_4k_read_ns %.1f\n", walk4k);
    printf("vtd walk4_8b_read_ns %.1f\n", walk8);
    printf("vtd iotlb_inval_page_ns %.1f\n", inval);
    printf("vtd bulk_dma_4k_MiBps %.0f\n", mib / (tb / 1e9));
    printf("vtd bulk_dma_64k_MiBps %.0f\n", mib / (tl / 1e9));
    printf("vtd memcpy_MiBps %.0f\n", mib / (tm / 1e9));
    free(src);
    free(dst);
    emu_iommu_free(io);
    emu_mem_free(mem);
    return 0;
}
