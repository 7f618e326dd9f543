/* Guest memory: map/unmap errno cases, bounds at every edge, split, atomics, threads. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu/core/emu_internal.h"
#include "tests/common/test_util.h"

#define PG 4096ull

static void fill(struct emu_mem *m, uint64_t gpa, size_t len, uint8_t seed)
{
    uint8_t *b = malloc(len);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(seed + i * 7);
    cr_assert_eq(emu_mem_write(m, gpa, b, len), 0);
    free(b);
}

Test(mem, map_errnos)
{
    struct emu_mem *m = emu_mem_new();
    static uint8_t host[2 * 4096] __attribute__((aligned(4096)));

    cr_assert_eq(emu_mem_map(m, 0x1001, PG, NULL), -EINVAL);   /* gpa */
    cr_assert_eq(emu_mem_map(m, 0x1000, 100, NULL), -EINVAL);  /* len */
    cr_assert_eq(emu_mem_map(m, 0x1000, 0, NULL), -EINVAL);    /* zero */
    cr_assert_eq(emu_mem_map(m, 0x1000, PG, host + 8), -EINVAL); /* host */
    cr_assert_eq(emu_mem_map(m, UINT64_MAX - PG + 1, PG, NULL), -EINVAL); /* ends at 2^64 */
    cr_assert_eq(emu_mem_map(m, 0xFFFFFFFFFFFF0000ull, 0x20000, NULL), -EINVAL); /* wraps */
    cr_assert_eq(emu_mem_map(m, UINT64_MAX - 2 * PG + 1, PG, NULL), 0); /* highest allowed */

    cr_assert_eq(emu_mem_map(m, 0x10000, 4 * PG, NULL), 0);
    cr_assert_eq(emu_mem_map(m, 0x10000, 4 * PG, NULL), -EEXIST);   /* same */
    cr_assert_eq(emu_mem_map(m, 0x11000, PG, NULL), -EEXIST);       /* inside */
    cr_assert_eq(emu_mem_map(m, 0xF000, 2 * PG, NULL), -EEXIST);    /* straddles start */
    cr_assert_eq(emu_mem_map(m, 0x13000, 2 * PG, NULL), -EEXIST);   /* straddles end */
    cr_assert_eq(emu_mem_map(m, 0x8000, 0x20000, NULL), -EEXIST);   /* covers */
    cr_assert_eq(emu_mem_map(m, 0xF000, PG, host), 0);              /* adjacent below */
    cr_assert_eq(emu_mem_map(m, 0x14000, PG, host + PG), 0);        /* adjacent above */
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(mem, own_backing_zeroed_and_sparse)
{
    struct emu_mem *m = emu_mem_new();
    uint64_t v = 1;
    /* 256 GiB: NORESERVE anonymous mapping costs nothing until touched. */
    cr_assert_eq(emu_mem_map(m, 1ull << 40, 256ull << 30, NULL), 0);
    cr_assert_eq(emu_mem_read64(m, (1ull << 40) + (200ull << 30), &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(emu_mem_write64(m, (1ull << 40) + (256ull << 30) - 8, 0x1122334455667788ull), 0);
    cr_assert_eq(emu_mem_read64(m, (1ull << 40) + (256ull << 30) - 8, &v), 0);
    cr_assert_eq(v, 0x1122334455667788ull);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

/* Layout: A [0x1000,0x3000) + B [0x3000,0x4000) adjacent, hole, C [0x6000,0x7000). */
static struct emu_mem *layout(uint8_t *hostb)
{
    struct emu_mem *m = emu_mem_new();
    cr_assert_eq(emu_mem_map(m, 0x1000, 2 * PG, NULL), 0);
    cr_assert_eq(emu_mem_map(m, 0x3000, PG, hostb), 0);
    cr_assert_eq(emu_mem_map(m, 0x6000, PG, NULL), 0);
    return m;
}

Test(mem, bounds_every_edge)
{
    static uint8_t hostb[4096] __attribute__((aligned(4096)));
    struct emu_mem *m = layout(hostb);
    uint8_t buf[64], zero[64] = { 0 };
    uint8_t one = 0x5a;

    /* Last byte in / first byte out, for each region edge. */
    cr_assert_eq(emu_mem_write(m, 0x1000, &one, 1), 0);
    cr_assert_eq(emu_mem_write(m, 0x0FFF, &one, 1), -EFAULT);
    cr_assert_eq(emu_mem_write(m, 0x3FFF, &one, 1), 0);
    cr_assert_eq(hostb[4095], 0x5a);
    cr_assert_eq(emu_mem_write(m, 0x4000, &one, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x6FFF, buf, 1), 0);
    cr_assert_eq(emu_mem_read(m, 0x7000, buf, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x5FFF, buf, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x6000, buf, 1), 0);

    /* Spanning the adjacent A|B boundary works and lands in both backings. */
    memset(buf, 0xC3, sizeof(buf));
    cr_assert_eq(emu_mem_write(m, 0x3000 - 32, buf, 64), 0);
    cr_assert_eq(hostb[0], 0xC3);
    cr_assert_eq(hostb[31], 0xC3);
    cr_assert_eq(hostb[32], 0);
    memset(buf, 0, sizeof(buf));
    cr_assert_eq(emu_mem_read(m, 0x3000 - 32, buf, 64), 0);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(buf[i], 0xC3);
    /* Whole A+B in one access. */
    uint8_t *big = malloc(3 * PG);
    cr_assert_eq(emu_mem_read(m, 0x1000, big, 3 * PG), 0);
    cr_assert_eq(emu_mem_read(m, 0x1000, big, 3 * PG + 1), -EFAULT);
    free(big);

    /* Spanning B's end into the hole: -EFAULT, nothing copied either way. */
    memset(buf, 0xEE, sizeof(buf));
    cr_assert_eq(emu_mem_read(m, 0x4000 - 32, buf, 64), -EFAULT);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(buf[i], 0xEE);
    cr_assert_eq(emu_mem_write(m, 0x4000 - 32, buf, 64), -EFAULT);
    cr_assert_eq(memcmp(hostb + 4096 - 32, zero, 31), 0);
    cr_assert_eq(hostb[4095], 0x5a);   /* the earlier 1-byte write, untouched */
    /* Starting in the hole and ending in C. */
    cr_assert_eq(emu_mem_write(m, 0x6000 - 1, buf, 2), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x6000, buf, 1), 0);
    cr_assert_eq(buf[0], 0);
    /* Wrapping access. */
    cr_assert_eq(emu_mem_read(m, UINT64_MAX - 3, buf, 8), -EFAULT);
    /* Zero length is a no-op even unmapped. */
    cr_assert_eq(emu_mem_read(m, 0x9999, buf, 0), 0);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(mem, ptr_single_region_only)
{
    static uint8_t hostb[4096] __attribute__((aligned(4096)));
    struct emu_mem *m = layout(hostb);

    cr_assert_eq(emu_mem_ptr(m, 0x3000, PG), hostb);
    cr_assert_eq(emu_mem_ptr(m, 0x3010, 16), hostb + 16);
    cr_assert_null(emu_mem_ptr(m, 0x3010, PG));         /* past B */
    cr_assert_null(emu_mem_ptr(m, 0x2FF0, 32));         /* A|B: two regions */
    cr_assert_not_null(emu_mem_ptr(m, 0x2FF0, 16));
    cr_assert_null(emu_mem_ptr(m, 0x5000, 1));
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(mem, rw64_little_endian_and_unaligned)
{
    static uint8_t hostb[4096] __attribute__((aligned(4096)));
    struct emu_mem *m = layout(hostb);
    uint64_t v;

    cr_assert_eq(emu_mem_write64(m, 0x3008, 0x0807060504030201ull), 0);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(hostb[8 + i], i + 1);
    /* Unaligned, across the adjacent A|B boundary. */
    cr_assert_eq(emu_mem_write64(m, 0x2FFC, 0xAABBCCDD11223344ull), 0);
    cr_assert_eq(emu_mem_read64(m, 0x2FFC, &v), 0);
    cr_assert_eq(v, 0xAABBCCDD11223344ull);
    cr_assert_eq(hostb[0], 0xDD);
    cr_assert_eq(emu_mem_read64(m, 0x3FFC, &v), -EFAULT);
    cr_assert_eq(emu_mem_write64(m, 0x4000, 1), -EFAULT);
    cr_assert_eq(emu_mem_read64(m, 0x5FF8, &v), -EFAULT);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(mem, cmpxchg64)
{
    static uint8_t hostb[4096] __attribute__((aligned(4096)));
    struct emu_mem *m = layout(hostb);
    uint64_t exp = 0, v;

    cr_assert_eq(emu_mem_write64(m, 0x3010, 5), 0);
    exp = 4;
    cr_assert_eq(emu_mem_cmpxchg64(m, 0x3010, &exp, 9), 0);
    cr_assert_eq(exp, 5);                           /* value seen */
    cr_assert_eq(emu_mem_read64(m, 0x3010, &v), 0);
    cr_assert_eq(v, 5);                             /* untouched */
    cr_assert_eq(emu_mem_cmpxchg64(m, 0x3010, &exp, 9), 1);
    cr_assert_eq(exp, 5);
    cr_assert_eq(emu_mem_read64(m, 0x3010, &v), 0);
    cr_assert_eq(v, 9);
    cr_assert_eq(hostb[16], 9);
    cr_assert_eq(emu_mem_cmpxchg64(m, 0x3014, &exp, 1), -EINVAL);
    cr_assert_eq(emu_mem_cmpxchg64(m, 0x3011, &exp, 1), -EINVAL);
    cr_assert_eq(emu_mem_cmpxchg64(m, 0x5000, &exp, 1), -EFAULT);
    cr_assert_eq(emu_mem_cmpxchg64(m, 0x1008, &exp, 1), 0); /* own backing, zero */
    cr_assert_eq(exp, 0);
    cr_assert_eq(emu_mem_cmpxchg64(m, 0x1008, &exp, 1), 1);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(mem, unmap_whole_split_trim_span)
{
    struct emu_mem *m = emu_mem_new();
    uint8_t b;

    cr_assert_eq(emu_mem_map(m, 0x10000, 8 * PG, NULL), 0);
    fill(m, 0x10000, 8 * PG, 3);
    cr_assert_eq(emu_mem_unmap(m, 0x10001, PG), -EINVAL);
    cr_assert_eq(emu_mem_unmap(m, 0x10000, 0), -EINVAL);
    cr_assert_eq(emu_mem_unmap(m, 0x10000, 100), -EINVAL);
    cr_assert_eq(emu_mem_unmap(m, 0xF000, 2 * PG), -ENOENT);    /* hangs below */
    cr_assert_eq(emu_mem_unmap(m, 0x17000, 2 * PG), -ENOENT);   /* hangs above */
    cr_assert_eq(emu_mem_unmap(m, 0x40000, PG), -ENOENT);
    cr_assert_eq(emu_mem_read(m, 0xF000 + PG, &b, 1), 0);       /* failed unmap changed nothing */

    /* Punch the middle: split into [0x10000,0x12000) and [0x13000,0x18000). */
    cr_assert_eq(emu_mem_unmap(m, 0x12000, PG), 0);
    cr_assert_eq(emu_mem_read(m, 0x12000, &b, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x11FFF, &b, 1), 0);
    cr_assert_eq(b, (uint8_t)(3 + (0x1FFF) * 7));                /* data kept */
    cr_assert_eq(emu_mem_read(m, 0x13000, &b, 1), 0);
    cr_assert_eq(b, (uint8_t)(3 + (0x3000) * 7));
    cr_assert_eq(emu_mem_unmap(m, 0x12000, PG), -ENOENT);       /* already gone */
    /* Trim head and tail. */
    cr_assert_eq(emu_mem_unmap(m, 0x10000, PG), 0);
    cr_assert_eq(emu_mem_read(m, 0x10FFF, &b, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x11000, &b, 1), 0);
    cr_assert_eq(emu_mem_unmap(m, 0x17000, PG), 0);
    cr_assert_eq(emu_mem_read(m, 0x16FFF, &b, 1), 0);
    cr_assert_eq(b, (uint8_t)(3 + (0x6FFF) * 7));
    cr_assert_eq(emu_mem_read(m, 0x17000, &b, 1), -EFAULT);
    /* The hole can be mapped again; then unmap across three adjacent regions. */
    cr_assert_eq(emu_mem_map(m, 0x12000, PG, NULL), 0);
    cr_assert_eq(emu_mem_unmap(m, 0x11000, 6 * PG), 0);
    cr_assert_eq(emu_mem_read(m, 0x11000, &b, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x16FFF, &b, 1), -EFAULT);
    cr_assert_eq(emu_mem_unmap(m, 0x11000, PG), -ENOENT);
    /* Span that trims both neighbours. */
    cr_assert_eq(emu_mem_map(m, 0x20000, 2 * PG, NULL), 0);
    cr_assert_eq(emu_mem_map(m, 0x22000, 2 * PG, NULL), 0);
    cr_assert_eq(emu_mem_unmap(m, 0x21000, 2 * PG), 0);
    cr_assert_eq(emu_mem_read(m, 0x20FFF, &b, 1), 0);
    cr_assert_eq(emu_mem_read(m, 0x21000, &b, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x22FFF, &b, 1), -EFAULT);
    cr_assert_eq(emu_mem_read(m, 0x23000, &b, 1), 0);
    cr_assert_eq(emu_mem_map(m, 0x21000, 2 * PG, NULL), 0);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(mem, many_regions_binary_search)
{
    struct emu_mem *m = emu_mem_new();
    uint64_t v;

    /* Map in a scrambled order; every other page. */
    for (unsigned i = 0; i < 1000; i++) {
        unsigned k = (i * 389) % 1000;
        cr_assert_eq(emu_mem_map(m, (uint64_t)k * 2 * PG, PG, NULL), 0);
        cr_assert_eq(emu_mem_write64(m, (uint64_t)k * 2 * PG + 8, k), 0);
    }
    for (unsigned k = 0; k < 1000; k++) {
        cr_assert_eq(emu_mem_read64(m, (uint64_t)k * 2 * PG + 8, &v), 0);
        cr_assert_eq(v, k);
        cr_assert_eq(emu_mem_read64(m, (uint64_t)k * 2 * PG + PG, &v), -EFAULT);
    }
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(mem, null_args)
{
    struct emu_mem *m = emu_mem_new();
    cr_assert_eq(emu_mem_read(NULL, 0, NULL, 1), -EINVAL);
    cr_assert_eq(emu_mem_map(NULL, 0, PG, NULL), -EINVAL);
    cr_assert_eq(emu_mem_map(m, 0, PG, NULL), 0);
    cr_assert_eq(emu_mem_read(m, 0, NULL, 1), -EINVAL);
    cr_assert_eq(emu_mem_cmpxchg64(m, 0, NULL, 1), -EINVAL);
    cr_assert_null(emu_mem_ptr(NULL, 0, 1));
    emu_mem_free(NULL);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

/* One thread maps/unmaps region X (own backing: munmap'd on unmap, so a copy
 * racing an unmap would crash) and a host-backed region Y; readers hammer
 * both and a stable region S. Every successful read must see the right data. */
struct race {
    struct emu_mem *m;
    int stop;
    uint8_t *hosty;
    unsigned bad;
};
#define RS 0x100000ull
#define RX 0x200000ull
#define RY 0x300000ull

static void *mapper(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 3000; i++) {
        uint64_t pat = 0x0101010101010101ull * (uint8_t)(i | 1);
        if (emu_mem_map(r->m, RX, 4 * PG, NULL) == 0) {
            for (unsigned o = 0; o < 4 * PG; o += 8)
                emu_mem_write64(r->m, RX + o, pat);
            emu_mem_unmap(r->m, RX + PG, PG);       /* split */
            emu_mem_unmap(r->m, RX, PG);
            emu_mem_unmap(r->m, RX + 2 * PG, 2 * PG);
        }
        if (emu_mem_map(r->m, RY, PG, r->hosty) == 0)
            emu_mem_unmap(r->m, RY, PG);
    }
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *reader(void *arg)
{
    struct race *r = arg;
    uint8_t buf[256];
    uint64_t v, e;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        if (emu_mem_read(r->m, RS + 100, buf, sizeof(buf)) || buf[0] != 0x77 || buf[255] != 0x77)
            __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
        /* Races with fill, split and unmap of X: any result, but no crash. */
        (void)emu_mem_read(r->m, RX + 2 * PG - 64, buf, 128);
        if (emu_mem_read64(r->m, RY + 8, &v) == 0 && v != 0x5555555555555555ull)
            __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
        e = 0;
        (void)emu_mem_cmpxchg64(r->m, RX + 3 * PG, &e, 0);
        (void)emu_mem_ptr(r->m, RS, 8);
    }
    return NULL;
}

Test(mem, threaded_map_unmap_vs_access, .timeout = 60)
{
    struct race r = { .m = emu_mem_new() };
    pthread_t t[3];
    uint8_t s[512];

    r.hosty = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(r.hosty, 0x55, PG);
    cr_assert_eq(emu_mem_map(r.m, RS, PG, NULL), 0);
    memset(s, 0x77, sizeof(s));
    cr_assert_eq(emu_mem_write(r.m, RS, s, sizeof(s)), 0);
    pthread_create(&t[0], NULL, mapper, &r);
    pthread_create(&t[1], NULL, reader, &r);
    pthread_create(&t[2], NULL, reader, &r);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(r.bad, 0);
    emu_mem_free(r.m);
    munmap(r.hosty, PG);
    ASSERT_NO_LEAKS();
}
