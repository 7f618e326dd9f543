/* DMA from two threads while a third harvests: every page written shows up
 * in some harvest (no dirty write lost between test-and-clear and the IOTLB
 * flush), and nothing outside the leaves written is reported (AMD-Vi may
 * map leaves larger than 4 KiB: e2e_expect_write). */
#include <pthread.h>
#include <stdatomic.h>

#include "e2e_util.h"

#define TPAGES 512
#define IOVA0  0x40000000ull

struct tstate {
    struct e2e *e;
    uint32_t hwpt;
    atomic_int stop;
    atomic_uchar written[TPAGES];
    uint8_t seen[TPAGES];
    unsigned seed[2];
};

static void *writer(void *arg)
{
    struct tstate *t = ((void **)arg)[0];
    unsigned *seed = ((void **)arg)[1];
    int n;

    for (n = 0; n < 4000; n++) {
        unsigned p = rand_r(seed) % TPAGES;
        uint32_t v = (uint32_t)n;

        /* mark before the write: a harvest can only see it afterwards */
        atomic_store(&t->written[p], 1);
        if (e2e_dma(t->e, IOVA0 + p * 4096ull + (rand_r(seed) % 4092), &v, 4, true))
            return (void *)1;
    }
    return NULL;
}

static void harvest(struct tstate *t)
{
    uint64_t bm[TPAGES / 64];
    unsigned i;

    memset(bm, 0, sizeof(bm));
    cr_assert_eq(e2e_get_dirty(t->e, t->hwpt, IOVA0, TPAGES * 4096ull, 4096, bm, 0), 0);
    for (i = 0; i < TPAGES; i++)
        if (e2e_bit(bm, i))
            t->seen[i] = 1;
}

static void *harvester(void *arg)
{
    struct tstate *t = arg;

    while (!atomic_load(&t->stop))
        harvest(t);
    return NULL;
}

E2E_DIRTY_TEST(dma_vs_harvest_threads)
{
    static struct tstate t;
    struct e2e e;
    uint8_t *buf = e2e_buf(TPAGES * 4096, 4096);
    pthread_t w[2], hv;
    void *args[2][2];
    void *r0, *r1;
    uint32_t pt;
    int i;
    const struct e2e_mapping mp = { IOVA0, buf, TPAGES * 4096ull, true };
    uint64_t exp[TPAGES / 64];

    e2e_setup(&e, m);
    memset(&t, 0, sizeof(t));
    t.e = &e;
    t.seed[0] = 1;
    t.seed[1] = 2;
    cr_assert_eq(e2e_map(&e, e.ioas, buf, TPAGES * 4096, IOVA0), 0);
    cr_assert_eq(e2e_hwpt_alloc(&e, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, e.ioas, &t.hwpt), 0);
    pt = t.hwpt;
    cr_assert_eq(e2e_attach(&e, &pt), 0);
    cr_assert_eq(e2e_set_dirty(&e, t.hwpt, true), 0);
    cr_assert_eq(pthread_create(&hv, NULL, harvester, &t), 0);
    for (i = 0; i < 2; i++) {
        args[i][0] = &t;
        args[i][1] = &t.seed[i];
        cr_assert_eq(pthread_create(&w[i], NULL, writer, args[i]), 0);
    }
    pthread_join(w[0], &r0);
    pthread_join(w[1], &r1);
    atomic_store(&t.stop, 1);
    pthread_join(hv, NULL);
    cr_assert_null(r0);
    cr_assert_null(r1);
    harvest(&t);                   /* the final one */
    memset(exp, 0, sizeof(exp));
    for (i = 0; i < TPAGES; i++)
        if (atomic_load(&t.written[i]))
            e2e_expect_write(m, &mp, IOVA0 + i * 4096ull, 1, IOVA0, TPAGES * 4096ull, 4096, exp);
    for (i = 0; i < TPAGES; i++) {
        if (atomic_load(&t.written[i]))
            cr_assert(t.seen[i], "page %d written, never seen", i);
        cr_assert_eq(t.seen[i], e2e_bit(exp, (uint64_t)i), "page %d seen=%d, leaf written=%d",
                     i, t.seen[i], e2e_bit(exp, (uint64_t)i));
    }
    e2e_teardown(&e);
    munmap(buf, TPAGES * 4096);
    ASSERT_NO_LEAKS();
}
