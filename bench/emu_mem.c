/* SPDX-License-Identifier: MIT */
/*
 * Guest-memory and IOTLB micro-benchmarks (emu core). Prints ns/op; asserts
 * nothing about time (speed targets live here, not in tests).
 *   emu_mem_read 8 B, last-hit region / random region among 1000
 *   emu_mem_cmpxchg64
 *   IOTLB hit / miss lookup (capacity 4096, 4K + 2M entries cached)
 *   4 KiB emu_mem_read vs memcpy throughput
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/core/emu_internal.h"

#define PG 4096ull

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile uint64_t sink;

int main(void)
{
    enum { NREG = 1000, N = 2000000, NIDX = 4096 };
    struct emu_mem *m = emu_mem_new();
    struct emu_iotlb *tlb = emu_iotlb_new(4096);
    static uint64_t idx[NIDX];
    uint8_t *src, *dst;
    uint64_t v, acc = 0, x = 88172645463325252ull;
    double t0, t1;

    if (!m || !tlb)
        return 1;
    /* 1000 regions of 64 KiB with 4 KiB holes between them. */
    for (uint64_t i = 0; i < NREG; i++)
        if (emu_mem_map(m, i * 0x11000, 0x10000, NULL))
            return 1;
    for (int i = 0; i < NIDX; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        idx[i] = (x % NREG) * 0x11000 + ((x >> 32) % 0x10000 & ~7ull);
    }

    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        emu_mem_read(m, 0x5 * 0x11000 + (i & 0xFFF8), &v, 8);
        acc += v;
    }
    t1 = now_ns();
    printf("emu_mem_read 8B, last-hit region     : %6.1f ns/op\n", (t1 - t0) / N);

    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        emu_mem_read(m, idx[i & (NIDX - 1)], &v, 8);
        acc += v;
    }
    t1 = now_ns();
    printf("emu_mem_read 8B, random of %d regions: %6.1f ns/op\n", NREG, (t1 - t0) / N);

    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        uint64_t e = (uint64_t)i;
        acc += (uint64_t)emu_mem_cmpxchg64(m, 0x40, &e, (uint64_t)i + 1);
    }
    t1 = now_ns();
    printf("emu_mem_cmpxchg64                     : %6.1f ns/op\n", (t1 - t0) / N);

    for (uint64_t i = 0; i < 2048; i++) {
        struct emu_tlb_entry e = { .iova = i << 12, .out = i << 12, .sid = 1, .domain = 2,
                                   .pasid = EMU_TLB_ANY, .shift = 12, .perm = EMU_PERM_R };
        emu_iotlb_insert(tlb, &e);
        e.iova = (1ull << 40) + (i << 21);
        e.shift = 21;
        emu_iotlb_insert(tlb, &e);
    }
    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        struct emu_tlb_entry *e = emu_iotlb_lookup(tlb, 1, 2, EMU_TLB_ANY, (uint64_t)(i & 2047) << 12);
        acc += e ? e->out : 1;
    }
    t1 = now_ns();
    printf("IOTLB lookup hit  (4K+2M cached)      : %6.1f ns/op\n", (t1 - t0) / N);
    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        struct emu_tlb_entry *e = emu_iotlb_lookup(tlb, 1, 3, EMU_TLB_ANY, (uint64_t)(i & 2047) << 12);
        acc += e ? e->out : 1;
    }
    t1 = now_ns();
    printf("IOTLB lookup miss (4K+2M cached)      : %6.1f ns/op\n", (t1 - t0) / N);

    src = aligned_alloc(4096, PG);
    dst = aligned_alloc(4096, PG);
    if (!src || !dst)
        return 1;
    memset(src, 1, PG);
    memset(dst, 2, PG);
    emu_mem_write(m, 0x3 * 0x11000, src, PG);
    enum { NB = 400000 };
    t0 = now_ns();
    for (int i = 0; i < NB; i++) {
        emu_mem_read(m, 0x3 * 0x11000 + (uint64_t)(i & 7) * PG, dst, PG);
        acc += dst[i & 4095];
    }
    t1 = now_ns();
    printf("emu_mem_read 4 KiB                    : %6.1f ns/op  %6.2f GB/s\n",
           (t1 - t0) / NB, (double)PG * NB / (t1 - t0));
    t0 = now_ns();
    for (int i = 0; i < NB; i++) {
        memcpy(dst, src, PG);
        __asm__ volatile("" ::"r"(dst) : "memory");
        acc += dst[i & 4095];
    }
    t1 = now_ns();
    printf("memcpy 4 KiB                          : %6.1f ns/op  %6.2f GB/s\n",
           (t1 - t0) / NB, (double)PG * NB / (t1 - t0));

    sink = acc;
    free(src);
    free(dst);
    emu_iotlb_free(tlb);
    emu_mem_free(m);
    return 0;
}
