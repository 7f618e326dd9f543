/* Concurrency on one iommufd: 4 threads map and unmap disjoint IOVA ranges of
 * the same IOAS while a fifth reads IOVA_RANGES; nothing may be lost or
 * duplicated (the final state is exact). */
#include <pthread.h>

#include "test_ioas_util.h"

#define NTHREADS 4
#define ROUNDS 300
#define SLOTS 64

static int fd;
static uint32_t ioas_id;
static char *buf;
static atomic_int stop;
static atomic_int failures;

/* Thread t owns IOVAs [base(t), base(t) + SLOTS * PG). */
static uint64_t base(int t) { return 0x10000000ull + (uint64_t)t * 0x1000000ull; }

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    bool mapped[SLOTS] = { 0 };
    unsigned seed = 1234u + (unsigned)t;

    for (int r = 0; r < ROUNDS; r++) {
        int s = (int)(rand_r(&seed) % SLOTS);
        uint64_t iova = base(t) + (uint64_t)s * PG, out = 0;

        if (!mapped[s]) {
            if (t_map_fixed(fd, ioas_id, buf + (uint64_t)s * PG, PG, iova))
                atomic_fetch_add(&failures, 1);
            mapped[s] = true;
        } else {
            if (t_unmap(fd, ioas_id, iova, PG, &out) || out != PG)
                atomic_fetch_add(&failures, 1);
            mapped[s] = false;
        }
    }
    /* Leave exactly the even slots mapped. */
    for (int s = 0; s < SLOTS; s++) {
        uint64_t iova = base(t) + (uint64_t)s * PG;
        bool want = (s % 2) == 0;

        if (mapped[s] && !want && t_unmap(fd, ioas_id, iova, PG, NULL))
            atomic_fetch_add(&failures, 1);
        if (!mapped[s] && want && t_map_fixed(fd, ioas_id, buf + (uint64_t)s * PG, PG, iova))
            atomic_fetch_add(&failures, 1);
    }
    return NULL;
}

static void *reader(void *arg)
{
    struct iommu_iova_range r[4];
    (void)arg;

    while (!atomic_load(&stop)) {
        struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas_id,
                                            .num_iovas = 4, .allowed_iovas = (uintptr_t)r };

        /* Mapping never changes the usable ranges: one full range. */
        if (mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q) || q.num_iovas != 1 ||
            r[0].start != 0 || r[0].last != UMAX)
            atomic_fetch_add(&failures, 1);
    }
    return NULL;
}

Test(threads_ioas, four_mappers_one_reader)
{
    pthread_t th[NTHREADS], rd;
    uint64_t out = 0;

    fd = mockfd_open();
    cr_assert_geq(fd, 0);
    ioas_id = t_ioas_alloc(fd);
    buf = t_buf(SLOTS * PG, PROT_READ | PROT_WRITE);
    atomic_store(&stop, 0);
    atomic_store(&failures, 0);
    cr_assert_eq(pthread_create(&rd, NULL, reader, NULL), 0);
    for (int t = 0; t < NTHREADS; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    atomic_store(&stop, 1);
    pthread_join(rd, NULL);
    cr_assert_eq(atomic_load(&failures), 0);

    /* Exact final state: every even slot mapped once, no odd slot. */
    cr_assert_eq(t_nareas(fd, ioas_id), NTHREADS * SLOTS / 2);
    for (int t = 0; t < NTHREADS; t++) {
        for (int s = 0; s < SLOTS; s++) {
            uint64_t iova = base(t) + (uint64_t)s * PG;

            if (s % 2 == 0)
                EXPECT_OK(t_unmap(fd, ioas_id, iova, PG, &out));
            else
                EXPECT_ERR(ENOENT, t_unmap(fd, ioas_id, iova, PG, &out));
        }
    }
    EXPECT_OK(t_unmap(fd, ioas_id, 0, UMAX, &out));
    cr_assert_eq(out, 0);
    mockfd_close(fd);
    munmap(buf, SLOTS * PG);
    ASSERT_NO_LEAKS();
}
