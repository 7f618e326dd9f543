/* Part B: selftest access objects (iommufd.md §6.2 ops 5-8, 11; §4.7). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <unistd.h>

#include "mockfd/core/io_pagetable.h"
#include "test_st_b_util.h"

TestSuite(st_b_access);

Test(st_b_access, create_errors_and_lifetime)
{
    int fd = mockfd_open(), afd;
    uint32_t ioas = st_ioas(fd);

    cr_assert_eq(st_create_access(fd, ioas, 2, &afd), EOPNOTSUPP);
    cr_assert_eq(st_create_access(fd, 99, 0, &afd), ENOENT);
    cr_assert_eq(st_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
    cr_assert(afd >= 0 && mockfd_owns_fd(afd));
    /* The access object takes the next ID (2) and holds the IOAS. */
    cr_assert_eq(st_destroy(fd, 2), EBUSY);
    cr_assert_eq(st_destroy(fd, ioas), EBUSY);
    /* No ioctl/read/write on the access fd. */
    cr_assert_eq(mockfd_ioctl(afd, 0, NULL), -1);
    cr_assert_eq(errno, ENOTTY);
    cr_assert_eq(mockfd_close(afd), 0);
    cr_assert_eq(st_destroy(fd, 2), ENOENT);
    cr_assert_eq(st_destroy(fd, ioas), 0);
    /* A failed create leaves no ID behind. */
    cr_assert_eq(st_ioas(fd), 1);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(st_b_access, wrong_fd_is_ebadfd)
{
    int fd = mockfd_open(), pfd[2];
    char b[64];

    cr_assert_eq(pipe(pfd), 0);
    /* The iommufd itself, a foreign fd, a closed number (§6.2a: EBADFD). */
    cr_assert_eq(st_access_rw(fd, fd, 0, b, 1, 0), EBADFD);
    cr_assert_eq(st_access_rw(fd, pfd[0], 0, b, 1, 0), EBADFD);
    cr_assert_eq(st_access_pages(fd, 100000, 0, PSZ, NULL, 0, NULL), EBADFD);
    cr_assert_eq(st_destroy_pages(fd, -1, 0), EBADFD);
    cr_assert_eq(st_replace_ioas(fd, pfd[1], 1), EBADFD);
    close(pfd[0]);
    close(pfd[1]);
    mockfd_close(fd);
}

Test(st_b_access, pin_errors_and_unmap_callback)
{
    int fd = mockfd_open(), afd, nafd;
    uint32_t ioas = st_ioas(fd), id, id2;
    char *buf = st_buf(16 * PSZ);
    uint64_t iova = 0x100000, ro = 0x200000;

    cr_assert_eq(st_map(fd, ioas, buf, 8 * PSZ, &iova, RW | FIXED), 0);
    cr_assert_eq(st_map(fd, ioas, buf + 8 * PSZ, 4 * PSZ, &ro,
                        IOMMU_IOAS_MAP_READABLE | FIXED), 0);
    cr_assert_eq(st_create_access(fd, ioas, 0, &nafd), 0);
    cr_assert_eq(st_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);

    /* Order: length cap, flags, fd, ops (selftest.c iommufd_test_access_pages). */
    cr_assert_eq(st_access_pages(fd, fd, iova, (16 << 20) + 1, buf, 0, NULL), ENOMEM);
    cr_assert_eq(st_access_pages(fd, fd, iova, PSZ, buf, 2, NULL), EOPNOTSUPP);
    cr_assert_eq(st_access_pages(fd, nafd, iova, PSZ, buf, 0, NULL), EOPNOTSUPP);
    cr_assert_eq(st_access_pages(fd, afd, iova, 0, buf, 0, NULL), EINVAL);
    cr_assert_eq(st_access_pages(fd, afd, UINT64_MAX, 2, NULL, 0, NULL), EOVERFLOW);
    cr_assert_eq(st_access_pages(fd, afd, 0x300000, PSZ, NULL, 0, NULL), ENOENT);
    /* Runs off the end of the area into a hole. */
    cr_assert_eq(st_access_pages(fd, afd, iova + 7 * PSZ, 2 * PSZ, NULL, 0, NULL), ENOENT);
    cr_assert_eq(st_access_pages(fd, afd, ro, PSZ, buf + 8 * PSZ, MOCK_FLAGS_ACCESS_WRITE,
                                 NULL), EPERM);
    /* Identity check: the wrong user pages -> EBADE, unmapped -> EFAULT. */
    cr_assert_eq(st_access_pages(fd, afd, iova, PSZ, buf + PSZ, 0, NULL), EBADE);
    cr_assert_eq(st_access_pages(fd, afd, iova, PSZ, (void *)8, 0, NULL), EFAULT);
    cr_assert_eq(st_access_pages(fd, afd, ro, PSZ, buf + 8 * PSZ, 0, &id2), 0);

    /* The first piece must start on a page boundary of the backing pages
     * too (iopt_area_contig_is_aligned; a real 6.12 kernel says EINVAL:
     * tests/golden/corpus 18_access call 12). */
    cr_assert_eq(st_access_pages(fd, afd, iova + 100, 3 * PSZ, buf + 100,
                                 MOCK_FLAGS_ACCESS_WRITE, &id), EINVAL);
    cr_assert_eq(st_access_pages(fd, afd, iova + PSZ, 3 * PSZ, buf + PSZ,
                                 MOCK_FLAGS_ACCESS_WRITE, &id), 0);
    cr_assert_neq(id, id2);
    /* Unmap asks the access to unpin (the mock always does) and succeeds. */
    cr_assert_eq(st_unmap(fd, ioas, iova, 8 * PSZ), 0);
    cr_assert_eq(st_destroy_pages(fd, afd, id), ENOENT);
    cr_assert_eq(st_destroy_pages(fd, afd, id2), 0);
    cr_assert_eq(st_destroy_pages(fd, afd, id2), ENOENT);
    cr_assert_eq(st_unmap(fd, ioas, ro, 4 * PSZ), 0);
    mockfd_close(afd);
    mockfd_close(nafd);
    mockfd_close(fd);
    munmap(buf, 16 * PSZ);
    ASSERT_NO_LEAKS();
}

Test(st_b_access, pin_file_pages)
{
    int fd = mockfd_open(), afd, mfd = memfd_create("st_b", 0);
    uint32_t ioas = st_ioas(fd), id;
    char *m;
    struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = RW | FIXED,
                                      .iova = 0x400000, .length = 4 * PSZ };

    cr_assert_eq(ftruncate(mfd, 8 * PSZ), 0);
    m = mmap(NULL, 8 * PSZ, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    cr_assert_neq(m, MAP_FAILED);
    mf.ioas_id = ioas;
    mf.fd = mfd;
    mf.start = 2 * PSZ;
    cr_assert_eq(st_io(fd, IOMMU_IOAS_MAP_FILE, &mf), 0);
    cr_assert_eq(st_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
    /* The pinned file pages are those of the user's own mapping of the memfd. */
    cr_assert_eq(st_access_pages(fd, afd, 0x400000, 2 * PSZ, m + 2 * PSZ, 0, &id), 0);
    cr_assert_eq(st_access_pages(fd, afd, 0x400000, PSZ, m, 0, NULL), EBADE);
    /* rw goes to the file */
    cr_assert_eq(st_access_rw(fd, afd, 0x400000 + 5, "hello", 5, MOCK_ACCESS_RW_WRITE), 0);
    cr_assert_eq(memcmp(m + 2 * PSZ + 5, "hello", 5), 0);
    mockfd_close(afd);
    mockfd_close(fd);
    munmap(m, 8 * PSZ);
    close(mfd);
    ASSERT_NO_LEAKS();
}

Test(st_b_access, rw)
{
    int fd = mockfd_open(), afd;
    uint32_t ioas = st_ioas(fd);
    char *buf = st_buf(8 * PSZ), tmp[3 * PSZ];
    uint64_t a = 0x10000, b = 0x10000 + 2 * PSZ, ro = 0x80000;

    for (unsigned i = 0; i < 8 * PSZ; i++)
        buf[i] = (char)(i * 7);
    /* Two contiguous areas backed by different memory, and a read-only one. */
    cr_assert_eq(st_map(fd, ioas, buf + 4 * PSZ, 2 * PSZ, &a, RW | FIXED), 0);
    cr_assert_eq(st_map(fd, ioas, buf, 2 * PSZ, &b, RW | FIXED), 0);
    cr_assert_eq(st_map(fd, ioas, buf + 6 * PSZ, PSZ, &ro, IOMMU_IOAS_MAP_READABLE | FIXED), 0);
    cr_assert_eq(st_create_access(fd, ioas, 0, &afd), 0);

    cr_assert_eq(st_access_rw(fd, afd, a, tmp, (16 << 20) + 1, 0), ENOMEM);
    cr_assert_eq(st_access_rw(fd, afd, a, tmp, 1, 2), EOPNOTSUPP);
    cr_assert_eq(st_access_rw(fd, afd, a, tmp, 0, 0), EINVAL);
    cr_assert_eq(st_access_rw(fd, afd, UINT64_MAX, tmp, 2, 0), EOVERFLOW);
    cr_assert_eq(st_access_rw(fd, afd, 0x90000, tmp, 1, 0), ENOENT);
    cr_assert_eq(st_access_rw(fd, afd, ro, tmp, 1, MOCK_ACCESS_RW_WRITE), EPERM);
    cr_assert_eq(st_access_rw(fd, afd, ro, tmp, 1, 0), 0);
    cr_assert_eq(st_access_rw(fd, afd, a, NULL, 1, MOCK_ACCESS_RW_WRITE), EFAULT);
    cr_assert_eq(st_access_rw(fd, afd, a, (void *)8, 1, 0), EFAULT);

    /* A read spanning both areas at every small misalignment, both paths. */
    for (unsigned off = 0; off < 9; off++) {
        for (unsigned slow = 0; slow < 2; slow++) {
            memset(tmp, 0, sizeof(tmp));
            cr_assert_eq(st_access_rw(fd, afd, a + PSZ + off, tmp, 2 * PSZ,
                                      slow ? MOCK_ACCESS_RW_SLOW_PATH : 0), 0);
            cr_assert_eq(memcmp(tmp, buf + 5 * PSZ + off, PSZ - off), 0);
            cr_assert_eq(memcmp(tmp + PSZ - off, buf, PSZ + off), 0);
        }
    }
    memset(tmp, 0x5a, sizeof(tmp));
    cr_assert_eq(st_access_rw(fd, afd, b - 3, tmp, 6, MOCK_ACCESS_RW_WRITE), 0);
    cr_assert_eq(memcmp(buf + 6 * PSZ - 3, tmp, 3), 0);
    cr_assert_eq(memcmp(buf, tmp, 3), 0);
    mockfd_close(afd);
    mockfd_close(fd);
    munmap(buf, 8 * PSZ);
    ASSERT_NO_LEAKS();
}

Test(st_b_access, syz_iova)
{
    int fd = mockfd_open(), afd;
    uint32_t ioas = st_ioas(fd), id;
    char *buf = st_buf(4 * PSZ), tmp[8];
    uint64_t a = 0x10000, b = 0x40000;

    cr_assert_eq(st_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
    /* Empty IOAS (CVE-2024-26785): converts to 0, nothing mapped -> ENOENT. */
    cr_assert_eq(st_access_rw(fd, afd, 0, tmp, 1, MOCK_FLAGS_ACCESS_SYZ), ENOENT);
    cr_assert_eq(st_map(fd, ioas, buf, PSZ, &a, RW | FIXED), 0);
    cr_assert_eq(st_map(fd, ioas, buf + 2 * PSZ, PSZ, &b, RW | FIXED), 0);
    buf[2 * PSZ + 9] = 'x';
    /* {nth_area = 1, offset = 9} */
    cr_assert_eq(st_access_rw(fd, afd, (9ull << 32) | 1, tmp, 1, MOCK_FLAGS_ACCESS_SYZ), 0);
    cr_assert_eq(tmp[0], 'x');
    cr_assert_eq(st_access_rw(fd, afd, 2, tmp, 1, MOCK_FLAGS_ACCESS_SYZ), ENOENT);
    cr_assert_eq(st_access_rw(fd, afd, UINT32_MAX, tmp, 1, MOCK_FLAGS_ACCESS_SYZ), ENOENT);
    cr_assert_eq(st_access_pages(fd, afd, 1, PSZ, buf + 2 * PSZ, MOCK_FLAGS_ACCESS_SYZ, &id), 0);
    cr_assert_eq(st_access_pages(fd, afd, 7, PSZ, NULL, MOCK_FLAGS_ACCESS_SYZ, NULL), ENOENT);
    mockfd_close(afd);
    mockfd_close(fd);
    munmap(buf, 4 * PSZ);
    ASSERT_NO_LEAKS();
}

Test(st_b_access, alignment)
{
    int fd = mockfd_open(), afd, afd2;
    uint32_t ioas = st_ioas(fd), ioas2 = st_ioas(fd);
    char *buf = st_buf(4 * PSZ);
    uint64_t iova = 0x10000;
    struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .ioas_id = ioas };

    /* A non-pinning access keeps byte granularity. */
    cr_assert_eq(st_create_access(fd, ioas, 0, &afd2), 0);
    r.num_iovas = 0;
    cr_assert_eq(st_io(fd, IOMMU_IOAS_IOVA_RANGES, &r), EMSGSIZE);
    cr_assert_eq(r.out_iova_alignment, 1);
    /* A pinning one raises it to PAGE_SIZE ... */
    cr_assert_eq(st_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
    r.num_iovas = 0;
    cr_assert_eq(st_io(fd, IOMMU_IOAS_IOVA_RANGES, &r), EMSGSIZE);
    cr_assert_eq(r.out_iova_alignment, PSZ);
    cr_assert_eq(st_map(fd, ioas, buf, 100, &iova, RW | FIXED), EINVAL);
    mockfd_close(afd);
    r.num_iovas = 0;
    cr_assert_eq(st_io(fd, IOMMU_IOAS_IOVA_RANGES, &r), EMSGSIZE);
    cr_assert_eq(r.out_iova_alignment, 1);
    /* ... and cannot attach where an area is not page aligned. */
    cr_assert_eq(st_map(fd, ioas2, buf, 100, &iova, RW | FIXED), 0);
    cr_assert_eq(st_create_access(fd, ioas2, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd),
                 EADDRINUSE);
    mockfd_close(afd2);
    mockfd_close(fd);
    munmap(buf, 4 * PSZ);
    ASSERT_NO_LEAKS();
}

Test(st_b_access, replace_ioas)
{
    int fd = mockfd_open(), afd, nafd;
    uint32_t a = st_ioas(fd), b = st_ioas(fd), bad = st_ioas(fd), id;
    char *buf = st_buf(4 * PSZ), c;
    uint64_t ia = 0x10000, ib = 0x20000, ibad = 0x30000;

    cr_assert_eq(st_map(fd, a, buf, PSZ, &ia, RW | FIXED), 0);
    cr_assert_eq(st_map(fd, b, buf + PSZ, PSZ, &ib, RW | FIXED), 0);
    cr_assert_eq(st_map(fd, bad, buf, 10, &ibad, RW | FIXED), 0);
    cr_assert_eq(st_create_access(fd, a, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
    cr_assert_eq(st_create_access(fd, a, 0, &nafd), 0);
    cr_assert_eq(st_access_pages(fd, afd, ia, PSZ, buf, 0, &id), 0);

    cr_assert_eq(st_replace_ioas(fd, afd, 999), ENOENT);
    cr_assert_eq(st_replace_ioas(fd, afd, a), 0);        /* same IOAS: nothing */
    cr_assert_eq(st_destroy_pages(fd, afd, id), 0);
    cr_assert_eq(st_access_pages(fd, afd, ia, PSZ, buf, 0, &id), 0);
    /* "Fix iopt_access_list_id overwrite bug": a replace whose alignment
     * check fails leaves the access on its old IOAS, registered and usable. */
    cr_assert_eq(st_replace_ioas(fd, afd, bad), EADDRINUSE);
    cr_assert_eq(st_destroy(fd, bad), 0);
    cr_assert_eq(st_destroy(fd, a), EBUSY);
    cr_assert_eq(st_access_rw(fd, afd, ia, &c, 1, 0), 0);
    cr_assert_eq(st_replace_ioas(fd, nafd, b), 0);

    /* A good replace unpins everything on the old IOAS and moves over. */
    cr_assert_eq(st_replace_ioas(fd, afd, b), 0);
    cr_assert_eq(st_destroy_pages(fd, afd, id), ENOENT);
    cr_assert_eq(st_access_rw(fd, afd, ia, &c, 1, 0), ENOENT);
    buf[PSZ] = 'q';
    cr_assert_eq(st_access_rw(fd, afd, ib, &c, 1, 0), 0);
    cr_assert_eq(c, 'q');
    cr_assert_eq(st_destroy(fd, a), 0);
    cr_assert_eq(st_destroy(fd, b), EBUSY);
    mockfd_close(afd);
    mockfd_close(nafd);
    cr_assert_eq(st_destroy(fd, b), 0);
    mockfd_close(fd);
    munmap(buf, 4 * PSZ);
    ASSERT_NO_LEAKS();
}

/* The access fd keeps the iommufd context alive (iommufd_ctx_get). */
Test(st_b_access, close_iommufd_first)
{
    int fd = mockfd_open(), afd;
    uint32_t ioas = st_ioas(fd), id;
    char *buf = st_buf(2 * PSZ);
    uint64_t iova = 0x10000;

    cr_assert_eq(st_map(fd, ioas, buf, PSZ, &iova, RW | FIXED), 0);
    cr_assert_eq(st_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
    cr_assert_eq(st_access_pages(fd, afd, iova, PSZ, buf, 0, &id), 0);
    cr_assert_eq(mockfd_close(fd), 0);
    cr_assert(mockfd_owns_fd(afd));
    cr_assert_eq(mockfd_close(afd), 0);
    munmap(buf, 2 * PSZ);
    ASSERT_NO_LEAKS();
}

/* An access that never unpins: IOAS_UNMAP gives up with EDEADLOCK after
 * 100 retries (io_pagetable.c, iommufd.md §4.7). The mock's own accesses
 * always unpin, so this drives the hook directly. */
static unsigned stubborn_calls;
static void stubborn(void *data, uint64_t iova, uint64_t length)
{
    (void)data; (void)iova; (void)length;
    stubborn_calls++;
}

Test(st_b_access, unmap_edeadlock)
{
    int fd = mockfd_open();
    uint32_t ioas = st_ioas(fd);
    char *buf = st_buf(2 * PSZ);
    uint64_t iova = 0x10000;
    struct mfd_file *f = mfd_file_get(fd);
    struct mfd_ctx *ctx = mfd_ctx_from_file(f);
    struct mfd_ioas *io = mfd_ioas_get(ctx, ioas);
    struct iopt_area *area;
    static int owner;

    cr_assert_eq(st_map(fd, ioas, buf, PSZ, &iova, RW | FIXED), 0);
    area = iopt_area_iter_first(&io->iopt, 0, UINT64_MAX);
    cr_assert_not_null(area);
    pthread_mutex_lock(&ctx->lock);
    cr_assert_eq(iopt_add_access_cb(io, &owner, 1, stubborn, NULL), 0);
    area->num_accesses = 1;
    pthread_mutex_unlock(&ctx->lock);
    cr_assert_eq(st_unmap(fd, ioas, iova, PSZ), EDEADLOCK);
    cr_assert_eq(stubborn_calls, 100);
    pthread_mutex_lock(&ctx->lock);
    area->num_accesses = 0;
    iopt_remove_access(io, &owner);
    pthread_mutex_unlock(&ctx->lock);
    cr_assert_eq(st_unmap(fd, ioas, iova, PSZ), 0);
    mfd_file_put(f);
    mockfd_close(fd);
    munmap(buf, 2 * PSZ);
    ASSERT_NO_LEAKS();
}
