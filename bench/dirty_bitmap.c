/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP cost on the emulated VT-d (docs/dirty.md).
 *
 *   dirty_bitmap [GiB] [-n RUNS]      (defaults: 64 GiB, 7 runs)
 *
 * One 2 MiB host buffer is mapped over and over to cover GiB of IOVA, so host
 * memory stays small (the page tables themselves are 2 MiB per GiB at 4 KiB;
 * the sequential-read floor allocates the same number of bytes again).
 *
 * The machine this runs on is shared, so one wall-clock sample is noise.
 * Every measured operation runs RUNS times (after one untimed warm-up run)
 * and each line reports the median and the minimum of the runs, in thread CPU
 * time (CLOCK_THREAD_CPUTIME_ID: not charged for time the thread was
 * preempted) and in wall time (CLOCK_MONOTONIC). The headline value of each
 * line (first key) is the CPU median; ratios are computed from CPU medians.
 *
 * Output: one line per measurement, `key value [key value]...`, prefixed by
 * the leaf size (4K / 2M) where it applies. Numbers only; nothing here fails
 * on time (speed targets live in bench/, never in timed tests).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "mockfd/mockfd.h"

#define CHUNK     (2ull << 20)
#define IOVA0     (1ull << 40)
#define GIB       (1ull << 30)
#define MAX_RUNS  101
#define PTE_D     (1ull << 9)    /* VT-d second-stage leaf Dirty bit (vtd.md §7) */
#define PTE_RW    3ull           /* R | W: a present leaf */
#define SPARSE_GAP (512ull << 30) /* sparse extents sit 512 GiB apart (own L4 entry) */

static int runs = 7;

static void die(const char *what)
{
    fprintf(stderr, "dirty_bitmap: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double clk(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts))
        die("clock_gettime");
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------------ */
/* Repeated measurement: median and min of `runs` samples, wall and CPU. */

struct stats {
    double cpu_med, cpu_min, wall_med, wall_min;   /* seconds */
};

struct op {
    void (*prep)(void *arg);     /* untimed, before every run (e.g. re-dirty) */
    void (*fn)(void *arg);       /* timed */
    void *arg;
    double cpu[MAX_RUNS], wall[MAX_RUNS];
};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void summarise(double *v, int n, double *med, double *min)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    *min = v[0];
    *med = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void run_once(struct op *o, int i)
{
    double w, c;

    if (o->prep)
        o->prep(o->arg);
    c = clk(CLOCK_THREAD_CPUTIME_ID);
    w = clk(CLOCK_MONOTONIC);
    o->fn(o->arg);
    o->wall[i] = clk(CLOCK_MONOTONIC) - w;
    o->cpu[i] = clk(CLOCK_THREAD_CPUTIME_ID) - c;
}

/*
 * Run the ops interleaved (a0 b0 a1 b1 ...), so that an operation and its
 * floor see the same background load and the same cache state: each run
 * follows a run of the other op, and at sizes beyond the LLC both read from
 * DRAM every time. One untimed warm-up round first (page faults, first touch).
 */
static void measure(struct op *ops, int nops, struct stats *st)
{
    int i, k;

    for (k = 0; k < nops; k++)
        run_once(&ops[k], 0);
    for (i = 0; i < runs; i++)
        for (k = 0; k < nops; k++)
            run_once(&ops[k], i);
    for (k = 0; k < nops; k++) {
        summarise(ops[k].cpu, runs, &st[k].cpu_med, &st[k].cpu_min);
        summarise(ops[k].wall, runs, &st[k].wall_med, &st[k].wall_min);
    }
}

/* `<tag> <name>_cpu_median_<unit> X cpu_min_<unit> X wall_median_<unit> X
 * wall_min_<unit> X`, no newline (callers append their own pairs). */
static void print_stats(const char *tag, const char *name, const struct stats *s, double scale,
                        const char *unit)
{
    printf("%s %s_cpu_median_%s %.3f cpu_min_%s %.3f wall_median_%s %.3f wall_min_%s %.3f", tag,
           name, unit, s->cpu_med * scale, unit, s->cpu_min * scale, unit, s->wall_med * scale,
           unit, s->wall_min * scale);
}

/* ------------------------------------------------------------------------ */
/* The mock. */

struct ctx {
    int fd, dfd;
    uint32_t ioas, hwpt;
};

static void map_range(struct ctx *c, uint8_t *buf, uint64_t iova, uint64_t len)
{
    uint64_t off;

    for (off = 0; off < len; off += CHUNK) {
        struct iommu_ioas_map m = {
            .size = sizeof(m), .ioas_id = c->ioas, .user_va = (uintptr_t)buf, .length = CHUNK,
            .iova = iova + off,
            .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                     IOMMU_IOAS_MAP_WRITEABLE,
        };

        if (mockfd_ioctl(c->fd, IOMMU_IOAS_MAP, &m))
            die("map");
    }
}

static void setup(struct ctx *c, int dev, bool huge)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = IOMMU_OPTION_OP_SET, .val64 = huge };
    struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct iommu_hwpt_set_dirty_tracking sd = { .size = sizeof(sd),
                                                .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };

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
}

static void teardown(struct ctx *c)
{
    mockfd_close(c->dfd);
    mockfd_close(c->fd);
}

/* One harvest (read and clear) of [iova, iova + len) into bm. */
struct harvest_arg {
    struct ctx *c;
    uint64_t iova, len, nextents, stride; /* nextents extents of len, stride apart */
    uint8_t *bm;
    uint64_t bits;                          /* bits set by the last run */
    uint64_t dirty_stride;                  /* prep: dirty one byte every this many (0: none) */
};

static void dirty_every(struct ctx *c, uint64_t iova, uint64_t len, uint64_t stride)
{
    uint64_t off;
    uint8_t v = 1;

    for (off = 0; off < len; off += stride)
        if (mockfd_device_dma(c->dfd, 0, iova + off, &v, 1, true))
            die("dma");
}

static void harvest_prep(void *p)
{
    struct harvest_arg *h = p;

    /* the bitmap is cleared outside the timed region: the user's cost */
    memset(h->bm, 0, h->len / 4096 / 8);
    if (h->dirty_stride)
        dirty_every(h->c, h->iova, h->len, h->dirty_stride);
}

static void harvest_fn(void *p)
{
    struct harvest_arg *h = p;
    uint64_t e;

    for (e = 0; e < h->nextents; e++) {
        struct iommu_hwpt_get_dirty_bitmap g = {
            .size = sizeof(g), .hwpt_id = h->c->hwpt, .iova = h->iova + e * h->stride,
            .length = h->len, .page_size = 4096, .data = (uintptr_t)h->bm,
        };

        if (mockfd_ioctl(h->c->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g))
            die("get dirty bitmap");
    }
}

static uint64_t count_bits(const struct harvest_arg *h)
{
    uint64_t i, n = 0, nbytes = h->len / 4096 / 8;

    for (i = 0; i < nbytes; i++)
        n += (uint64_t)__builtin_popcount(h->bm[i]);
    return n;
}

/* ------------------------------------------------------------------------ */
/*
 * The floor: read the same number of PTE bytes sequentially, the way the
 * harvest's leaf level reads them (mockfd/drivers/vtd_pgtable.c dirty_lvl):
 * 8-byte relaxed atomic loads of each 4 KiB table (512 entries), OR-ed into
 * four accumulators, one test of D per table. The buffer is mapped like the
 * platform's table pool (anonymous, MAP_NORESERVE, 2 MiB aligned so THP
 * treats both alike), filled with present, clean leaf PTEs, and touched
 * before timing, like the tables the MAPs wrote. Atomic loads are never
 * elided, the pointer is laundered through an asm barrier so the compiler
 * cannot see the contents, and the result goes to a volatile sink.
 */
struct floor_arg {
    uint64_t *p;
    uint64_t n;                /* entries */
    uint64_t dirty_tables;     /* result, always 0 (kept so it is used) */
};

static volatile uint64_t sink;

static void floor_fn(void *p)
{
    struct floor_arg *f = p;
    const uint64_t *t = f->p;
    uint64_t i, j, dirty = 0;

    __asm__ volatile("" : "+r"(t) : : "memory");
    for (i = 0; i < f->n; i += 512) {
        uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, n = f->n - i < 512 ? f->n - i : 512;

        for (j = 0; j + 4 <= n; j += 4) {
            a0 |= __atomic_load_n(&t[i + j], __ATOMIC_RELAXED);
            a1 |= __atomic_load_n(&t[i + j + 1], __ATOMIC_RELAXED);
            a2 |= __atomic_load_n(&t[i + j + 2], __ATOMIC_RELAXED);
            a3 |= __atomic_load_n(&t[i + j + 3], __ATOMIC_RELAXED);
        }
        for (; j < n; j++)
            a0 |= __atomic_load_n(&t[i + j], __ATOMIC_RELAXED);
        if ((a0 | a1 | a2 | a3) & PTE_D)
            dirty++;
    }
    f->dirty_tables = dirty;
    sink = dirty;
}

static void *floor_alloc(struct floor_arg *f, uint64_t entries, uint64_t leaf, void **raw,
                         size_t *rawlen)
{
    uint64_t i;

    *rawlen = entries * 8 + CHUNK;
    *raw = mmap(NULL, *rawlen, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (*raw == MAP_FAILED)
        die("mmap floor");
    f->p = (uint64_t *)(((uintptr_t)*raw + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
    f->n = entries;
    for (i = 0; i < entries; i++)
        f->p[i] = ((0x100000000ull + i * leaf) & ~0xfffull) | PTE_RW;
    return f->p;
}

/* Harvest of `len` bytes of IOVA measured interleaved with the floor for the
 * same number of PTEs; prints both lines and the ratio. */
static void harvest_vs_floor(const char *tag, const char *name, struct harvest_arg *h,
                             uint64_t leaf, double target)
{
    struct floor_arg f = { 0 };
    struct op ops[2] = {
        { .prep = harvest_prep, .fn = harvest_fn, .arg = h },
        { .fn = floor_fn, .arg = &f },
    };
    struct stats st[2];
    uint64_t entries = h->len / leaf;
    void *raw;
    size_t rawlen;
    char key[96];

    floor_alloc(&f, entries, leaf, &raw, &rawlen);
    measure(ops, 2, st);
    h->bits = count_bits(h);
    print_stats(tag, name, &st[0], 1e3, "ms");
    printf(" bits %lu GiB %lu\n", (unsigned long)h->bits, (unsigned long)(h->len / GIB));
    snprintf(key, sizeof(key), "seq_read_%lu_pte_bytes", (unsigned long)(entries * 8));
    print_stats(tag, key, &st[1], 1e3, "ms");
    printf("\n");
    printf("%s ratio_%s_vs_seq_read %.2f", tag, name, st[0].cpu_med / st[1].cpu_med);
    if (target > 0)
        printf(" target_max %.2f within_target %d", target, st[0].cpu_med <= target * st[1].cpu_med);
    printf(" wall_median_ratio %.2f cpu_min_ratio %.2f\n", st[0].wall_med / st[1].wall_med,
           st[0].cpu_min / st[1].cpu_min);
    munmap(raw, rawlen);
}

/* ------------------------------------------------------------------------ */

struct dma_arg {
    struct ctx *c;
    int n;
    uint8_t page[4096];
};

static void dma_fn(void *p)
{
    struct dma_arg *d = p;
    int i;

    for (i = 0; i < d->n; i++)
        if (mockfd_device_dma(d->c->dfd, 0, IOVA0 + (uint64_t)(i % 4096) * 4096, d->page,
                              sizeof(d->page), true))
            die("dma");
}

static void run_dense(struct ctx *cp, int dev, bool huge, uint64_t gib, uint8_t *buf,
                      uint8_t *bm)
{
    const uint64_t len = gib << 30, leaf = huge ? CHUNK : 4096;
    const uint64_t all_gib = huge ? gib : (gib < 4 ? gib : 4);
    const char *tag = huge ? "2M" : "4K";
    struct harvest_arg h = { .iova = IOVA0, .len = len, .nextents = 1, .bm = bm };
    struct ctx *c = cp;
    double t0;
    uint64_t g;

    t0 = clk(CLOCK_MONOTONIC);
    setup(c, dev, huge);
    map_range(c, buf, IOVA0, len);
    h.c = c;
    printf("%s map_%luGiB_s %.3f\n", tag, (unsigned long)gib, clk(CLOCK_MONOTONIC) - t0);

    harvest_vs_floor(tag, "none_dirty", &h, leaf, huge ? 0 : 1.5);

    /* 1%: one byte every 100 pages, re-dirtied (untimed) before every run */
    h.dirty_stride = 100 * 4096;
    harvest_vs_floor(tag, "one_percent_dirty", &h, leaf, 0);

    /* all dirty: every leaf re-dirtied by DMA before every run. At 4 KiB that
     * is one DMA per page (~0.3 us each), so the span is capped at 4 GiB to
     * keep the run short; the cost per GiB is what compares. */
    h.len = all_gib << 30;
    h.dirty_stride = leaf;
    if (!huge) {
        t0 = clk(CLOCK_MONOTONIC);
        dirty_every(c, IOVA0, h.len, 4096);
        printf("4K dirty_all_pages_by_dma_ns_per_page %.1f pages %lu\n",
               (clk(CLOCK_MONOTONIC) - t0) * 1e9 / (double)(h.len / 4096),
               (unsigned long)(h.len / 4096));
    }
    harvest_vs_floor(tag, "all_dirty", &h, leaf, 0);

    /* cost proportional to the range walked (nothing dirty) */
    h.dirty_stride = 0;
    for (g = 1; g <= gib; g *= 8) {
        struct op o = { .prep = harvest_prep, .fn = harvest_fn, .arg = &h };
        struct stats st;
        char key[64];

        h.len = g << 30;
        measure(&o, 1, &st);
        snprintf(key, sizeof(key), "subrange_%luGiB", (unsigned long)g);
        print_stats(tag, key, &st, 1e3, "ms");
        printf(" ns_per_GiB %.0f\n", st.cpu_med * 1e9 / (double)g);
    }
    if (!huge) {
        static struct dma_arg d;
        struct op o = { .fn = dma_fn, .arg = &d };
        struct stats st;

        d.c = c;
        d.n = 20000;
        memset(d.page, 7, sizeof(d.page));
        measure(&o, 1, &st);
        printf("dma_4k_write_cpu_median_ns %.1f cpu_min_ns %.1f wall_median_ns %.1f "
               "wall_min_ns %.1f\n", st.cpu_med * 1e9 / d.n, st.cpu_min * 1e9 / d.n,
               st.wall_med * 1e9 / d.n, st.wall_min * 1e9 / d.n);
    }
}

/*
 * A sparse IOAS: up to 8 extents of 1 GiB (4 KiB leaves) 512 GiB apart, so every extent
 * has its own top-level subtree. A harvest of a range with a hole stops at
 * the hole (docs/dirty.md, the kernel's quirk), so a VMM harvests each mapped
 * extent; the cost must follow what is mapped, not the IOVA span it sits in.
 */
static void run_sparse(struct ctx *c, int dev, uint64_t max_ext, uint8_t *buf, uint8_t *bm)
{
    struct harvest_arg h = { .iova = IOVA0, .len = GIB, .stride = SPARSE_GAP, .bm = bm };
    uint64_t e;

    setup(c, dev, false);
    for (e = 0; e < max_ext; e++)
        map_range(c, buf, IOVA0 + e * SPARSE_GAP, GIB);
    h.c = c;
    for (e = 1; e <= max_ext; e *= 2) {
        struct op o = { .prep = harvest_prep, .fn = harvest_fn, .arg = &h };
        struct stats st;
        char key[64];

        h.nextents = e;
        measure(&o, 1, &st);
        snprintf(key, sizeof(key), "sparse_mapped_%luGiB", (unsigned long)e);
        print_stats("4K", key, &st, 1e3, "ms");
        printf(" span_GiB %lu ns_per_mapped_GiB %.0f\n",
               (unsigned long)((e - 1) * (SPARSE_GAP >> 30) + 1), st.cpu_med * 1e9 / (double)e);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: dirty_bitmap [GiB] [-n RUNS]   (RUNS 1..%d)\n", MAX_RUNS);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t gib = 64;
    uint8_t *raw, *buf, *bm;
    struct ctx cs, c4k, c2m;
    int iommu, d0, d1, d2, i;

    for (i = 1; i < argc; i++) {
        char *end;

        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 0);

            if (*end || v < 1 || v > MAX_RUNS)
                usage();
            runs = (int)v;
        } else {
            gib = strtoull(argv[i], &end, 0);
            if (*end || gib > 4096)
                usage();
        }
    }
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
    d2 = mockfd_platform_add_device(iommu, 0x20);
    if (iommu < 0 || d0 < 0 || d1 < 0 || d2 < 0)
        die("platform");
    printf("iova_GiB %lu runs %d\n", (unsigned long)gib, runs);
    /* Every domain stays alive to the end, so each one's tables come from the
     * pool's fresh bump allocation (sequential, like a freshly built table).
     * Tables recycled after a teardown are 4 KiB blocks in LIFO order,
     * scattered: a prefetch-hostile layout that measured 2-3x slower per GiB
     * and would make the lines depend on their order. */
    run_sparse(&cs, d2, gib < 8 ? gib : 8, buf, bm);
    run_dense(&c4k, d0, false, gib, buf, bm);
    run_dense(&c2m, d1, true, gib, buf, bm);
    teardown(&c2m);
    teardown(&c4k);
    teardown(&cs);
    free(bm);
    munmap(raw, 2 * CHUNK);
    return 0;
}
