/* SPDX-License-Identifier: MIT */
/*
 * A test program in the style of the kernel's iommufd selftests
 * (tools/testing/selftests/iommu/iommufd.c), written for iommu-emu: fixtures
 * with variants, setup/teardown, every test in a forked child. It is an
 * ordinary program: libc + uapi headers only, and /dev/iommu is reached with
 * open(2) - run it under the shim:
 *
 *   LD_PRELOAD=build/libmockfd-preload.so build/examples/selftest_style
 *
 * Output is TAP-like, ending in "N passed, N failed". The upstream selftest
 * is the yardstick for WHAT is checked (fixtures iommufd, iommufd_ioas,
 * iommufd_mock_domain, iommufd_dirty_tracking, vfio_compat_mock_domain);
 * the code is our own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iommufd_test.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

/* ---- a tiny harness ------------------------------------------------------ */

struct fx {
    int fd;
    uint32_t ioas_id;
    uint32_t stdev_id, hwpt_id, idev_id;   /* first mock domain, 0 if none */
    uint32_t stdev2_id, hwpt2_id;
    char *buffer;
    size_t buffer_size;
};

struct variant {
    const char *name;
    int mock_domains;      /* 0, 1 or 2 */
    int vfio_type;         /* vfio_compat: VFIO_TYPE1_IOMMU / VFIO_TYPE1v2_IOMMU */
};

struct test {
    const char *fixture, *name;
    void (*fn)(struct fx *self, const struct variant *v);
};

#define FAIL(...)                                                                   \
    do {                                                                            \
        fprintf(stderr, "#   %s:%d: ", __FILE__, __LINE__);                       \
        fprintf(stderr, __VA_ARGS__);                                               \
        fprintf(stderr, "\n");                                                      \
        _exit(1);                                                                   \
    } while (0)
#define ASSERT_TRUE(c)                                                              \
    do {                                                                            \
        if (!(c))                                                                   \
            FAIL("expected %s", #c);                                                \
    } while (0)
#define ASSERT_EQ(a, b)                                                             \
    do {                                                                            \
        unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
        if (_a != _b)                                                               \
            FAIL("%s == %s: 0x%llx != 0x%llx", #a, #b, _a, _b);                    \
    } while (0)
/* The selftests' test_err_*: the call fails with exactly this errno. */
#define EXPECT_ERRNO(e, call)                                                       \
    do {                                                                            \
        int _r = (call);                                                            \
        if (_r != -1 || errno != (e))                                               \
            FAIL("%s: want errno %d (%s), got ret %d errno %d (%s)", #call, (e),    \
                 strerror(e), _r, errno, strerror(errno));                         \
    } while (0)
#define ASSERT_OK(call)                                                             \
    do {                                                                            \
        int _r = (call);                                                            \
        if (_r != 0)                                                                \
            FAIL("%s: ret %d errno %d (%s)", #call, _r, errno, strerror(errno));   \
    } while (0)

#define PAGE 4096ul
#define BUFFER_SIZE (16 * PAGE)
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

/* ---- command helpers (our own, iommufd_utils.h style) --------------------- */

static int ioas_alloc(int fd, uint32_t *id)
{
    struct iommu_ioas_alloc c = { .size = sizeof(c) };
    int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &c);

    *id = c.out_ioas_id;
    return rc;
}

static int ioas_map(int fd, uint32_t ioas, void *p, uint64_t len, uint64_t *iova, uint32_t fl)
{
    struct iommu_ioas_map c = { .size = sizeof(c), .flags = fl, .ioas_id = ioas,
                                .user_va = (uintptr_t)p, .length = len, .iova = *iova };
    int rc = ioctl(fd, IOMMU_IOAS_MAP, &c);

    *iova = c.iova;
    return rc;
}

static int ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out)
{
    struct iommu_ioas_unmap c = { .size = sizeof(c), .ioas_id = ioas, .iova = iova, .length = len };
    int rc = ioctl(fd, IOMMU_IOAS_UNMAP, &c);

    if (out)
        *out = c.length;
    return rc;
}

static int destroy(int fd, uint32_t id)
{
    struct iommu_destroy c = { .size = sizeof(c), .id = id };

    return ioctl(fd, IOMMU_DESTROY, &c);
}

static int test_cmd(int fd, struct iommu_test_cmd *c)
{
    c->size = sizeof(*c);
    return ioctl(fd, IOMMU_TEST_CMD, c);
}

static int mock_domain(int fd, uint32_t pt, uint32_t flags, uint32_t *stdev, uint32_t *hwpt,
                       uint32_t *idev)
{
    struct iommu_test_cmd c = { .op = flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS
                                            : IOMMU_TEST_OP_MOCK_DOMAIN, .id = pt };
    int rc;

    c.mock_domain_flags.dev_flags = flags;
    rc = test_cmd(fd, &c);
    if (stdev)
        *stdev = c.mock_domain.out_stdev_id;
    if (hwpt)
        *hwpt = c.mock_domain.out_hwpt_id;
    if (idev)
        *idev = c.mock_domain.out_idev_id;
    return rc;
}

static int check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, void *p)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
                                .check_map = { .iova = iova, .length = len,
                                               .uptr = (uintptr_t)p } };

    return test_cmd(fd, &c);
}

static int check_refs(int fd, void *p, uint64_t len, uint32_t refs)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS,
                                .check_refs = { .length = len, .uptr = (uintptr_t)p,
                                                .refs = refs } };

    return test_cmd(fd, &c);
}

static int create_access(int fd, uint32_t ioas, uint32_t flags, int *afd)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
                                .create_access = { .flags = flags } };
    int rc = test_cmd(fd, &c);

    *afd = (int)c.create_access.out_access_fd;
    return rc;
}

static int access_pages(int fd, int afd, uint64_t iova, uint64_t len, void *p, uint32_t fl,
                        uint32_t *id)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)afd,
                                .access_pages = { .flags = fl, .iova = iova, .length = len,
                                                  .uptr = (uintptr_t)p } };
    int rc = test_cmd(fd, &c);

    if (id)
        *id = c.access_pages.out_access_pages_id;
    return rc;
}

static int access_rw(int fd, int afd, uint64_t iova, void *p, uint64_t len, uint32_t fl)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)afd,
                                .access_rw = { .iova = iova, .length = len,
                                               .uptr = (uintptr_t)p, .flags = fl } };

    return test_cmd(fd, &c);
}

/* ---- fixtures ------------------------------------------------------------ */

static void setup(struct fx *self, const struct variant *v)
{
    self->fd = open("/dev/iommu", O_RDWR);
    ASSERT_TRUE(self->fd >= 0);
    self->buffer_size = BUFFER_SIZE;
    /* Shared anonymous memory, as the upstream harness uses. */
    self->buffer = mmap(NULL, BUFFER_SIZE, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(self->buffer != MAP_FAILED);
    memset(self->buffer, 0, BUFFER_SIZE);
    ASSERT_OK(ioas_alloc(self->fd, &self->ioas_id));
    if (v->mock_domains >= 1)
        ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &self->stdev_id, &self->hwpt_id,
                              &self->idev_id));
    if (v->mock_domains >= 2)
        ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &self->stdev2_id, &self->hwpt2_id,
                              NULL));
}

/* teardown_iommufd: closing the fd must drop every pin (checked on a new fd). */
static void teardown(struct fx *self, const struct variant *v)
{
    int fd;

    (void)v;
    ASSERT_OK(close(self->fd));
    fd = open("/dev/iommu", O_RDWR);
    ASSERT_TRUE(fd >= 0);
    ASSERT_OK(check_refs(fd, self->buffer, BUFFER_SIZE, 0));
    close(fd);
}

/* ---- iommufd --------------------------------------------------------------- */

static void iommufd_simple_close(struct fx *self, const struct variant *v)
{
    (void)self; (void)v;
}

static void iommufd_cmd_fail(struct fx *self, const struct variant *v)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 0 };

    (void)v;
    /* object id is invalid */
    EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_DESTROY, &cmd));
    /* bad pointer */
    EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_DESTROY, NULL));
    /* valid pointer, size too small */
    cmd.size = 0;
    EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_DESTROY, &cmd));
    /* below the command range: not a VFIO compat ioctl either */
    cmd.size = sizeof(cmd);
    EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE - 1), &cmd));
    /* above it */
    EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0xff), &cmd));
}

static void iommufd_cmd_length(struct fx *self, const struct variant *v)
{
    struct {
        struct iommu_ioas_alloc cmd;
        unsigned char extra;
    } big;

    (void)v;
    /* size = min - 1 -> EINVAL */
    memset(&big, 0, sizeof(big));
    big.cmd.size = offsetof(struct iommu_ioas_alloc, out_ioas_id) + 3;
    EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
    /* a trailing non-zero byte -> E2BIG */
    big.cmd.size = sizeof(big.cmd) + 1;
    big.extra = 0xff;
    EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
    /* a trailing zero byte: same as the exact size */
    big.extra = 0;
    ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
    ASSERT_TRUE(big.cmd.out_ioas_id > self->ioas_id);
}

static void iommufd_simple_ioctls(struct fx *self, const struct variant *v)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };

    (void)v;
    EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOC, &a));
    /* IDs: lowest free reused */
    ASSERT_OK(destroy(self->fd, self->ioas_id));
    EXPECT_ERRNO(ENOENT, destroy(self->fd, self->ioas_id));
    a.flags = 0;
    ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_ALLOC, &a));
    ASSERT_EQ(a.out_ioas_id, self->ioas_id);
}

static void iommufd_unmap_cmd(struct fx *self, const struct variant *v)
{
    (void)v;
    EXPECT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, 0x10000, PAGE, NULL));
    EXPECT_ERRNO(EINVAL, ioas_unmap(self->fd, self->ioas_id, 0x10000, 0, NULL));
    EXPECT_ERRNO(ENOENT, ioas_unmap(self->fd, 999, 0x10000, PAGE, NULL));
    EXPECT_ERRNO(EOVERFLOW, ioas_unmap(self->fd, self->ioas_id, UINT64_MAX, PAGE, NULL));
    /* unmap-all of an empty IOAS succeeds */
    ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, NULL));
}

static void iommufd_map_cmd(struct fx *self, const struct variant *v)
{
    uint64_t iova = 0;

    (void)v;
    EXPECT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, self->buffer, PAGE, &iova, 0));
    EXPECT_ERRNO(EOPNOTSUPP, ioas_map(self->fd, self->ioas_id, self->buffer, PAGE, &iova,
                                      RW | (1u << 10)));
    EXPECT_ERRNO(ENOENT, ioas_map(self->fd, 999, self->buffer, PAGE, &iova, RW));
    EXPECT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, self->buffer, 0, &iova, RW));
    /* no domain: an unmapped VA maps fine (nothing is pinned) */
    ASSERT_OK(ioas_map(self->fd, self->ioas_id, (void *)(1ul << 31), PAGE, &iova, RW));
    ASSERT_TRUE(iova != 0);
}

static void iommufd_vfio_ioas(struct fx *self, const struct variant *v)
{
    struct iommu_vfio_ioas c = { .size = sizeof(c), .op = IOMMU_VFIO_IOAS_GET };

    (void)v;
    EXPECT_ERRNO(ENODEV, ioctl(self->fd, IOMMU_VFIO_IOAS, &c));
    c.op = IOMMU_VFIO_IOAS_SET;
    c.ioas_id = self->ioas_id;
    ASSERT_OK(ioctl(self->fd, IOMMU_VFIO_IOAS, &c));
    c.op = IOMMU_VFIO_IOAS_GET;
    c.ioas_id = 0;
    ASSERT_OK(ioctl(self->fd, IOMMU_VFIO_IOAS, &c));
    ASSERT_EQ(c.ioas_id, self->ioas_id);
    c.op = IOMMU_VFIO_IOAS_CLEAR;
    ASSERT_OK(ioctl(self->fd, IOMMU_VFIO_IOAS, &c));
    c.op = IOMMU_VFIO_IOAS_GET;
    EXPECT_ERRNO(ENODEV, ioctl(self->fd, IOMMU_VFIO_IOAS, &c));
    {
        struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

        EXPECT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
    }
}

/* ---- iommufd_ioas (no_domain, mock_domain, two_mock_domain) ---------------- */

static uint64_t base_iova(const struct variant *v)
{
    return v->mock_domains ? MOCK_APERTURE_START : 0x100000;
}

static void ioas_ioas_destroy(struct fx *self, const struct variant *v)
{
    if (v->mock_domains)
        EXPECT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));   /* held by the HWPT */
    else
        ASSERT_OK(destroy(self->fd, self->ioas_id));
}

static void ioas_area(struct fx *self, const struct variant *v)
{
    uint64_t b = base_iova(v), iova, n;

    for (int i = 0; i < 8; i++) {
        iova = b + i * PAGE;
        ASSERT_OK(ioas_map(self->fd, self->ioas_id, self->buffer, PAGE, &iova,
                           RW | IOMMU_IOAS_MAP_FIXED_IOVA));
    }
    iova = b;
    EXPECT_ERRNO(EEXIST, ioas_map(self->fd, self->ioas_id, self->buffer, PAGE, &iova,
                                  RW | IOMMU_IOAS_MAP_FIXED_IOVA));
    /* partial cover of an area -> ENOENT; areas are never split */
    EXPECT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, b, PAGE / 2, NULL));
    ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, b, 2 * PAGE, &n));
    ASSERT_EQ(n, 2 * PAGE);
    ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &n));
    ASSERT_EQ(n, 6 * PAGE);
}

static void ioas_iova_ranges(struct fx *self, const struct variant *v)
{
    struct iommu_iova_range r[2];
    struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = self->ioas_id,
                                        .num_iovas = 2, .allowed_iovas = (uintptr_t)r };

    ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &c));
    ASSERT_EQ(c.num_iovas, 1);
    if (v->mock_domains) {
        ASSERT_EQ(r[0].start, MOCK_APERTURE_START);
        ASSERT_EQ(r[0].last, MOCK_APERTURE_LAST);
        ASSERT_EQ(c.out_iova_alignment, MOCK_PAGE_SIZE);
    } else {
        ASSERT_EQ(r[0].start, 0);
        ASSERT_EQ(r[0].last, UINT64_MAX);
        ASSERT_EQ(c.out_iova_alignment, 1);
    }
    /* too small an array: EMSGSIZE, the count is still written */
    c.num_iovas = 0;
    EXPECT_ERRNO(EMSGSIZE, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &c));
    ASSERT_EQ(c.num_iovas, 1);
}

static void ioas_copy_area(struct fx *self, const struct variant *v)
{
    struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW };
    uint64_t iova = base_iova(v);
    uint32_t dst;

    ASSERT_OK(ioas_alloc(self->fd, &dst));
    ASSERT_OK(ioas_map(self->fd, self->ioas_id, self->buffer, 4 * PAGE, &iova,
                       RW | IOMMU_IOAS_MAP_FIXED_IOVA));
    c.src_ioas_id = self->ioas_id;
    c.dst_ioas_id = dst;
    c.src_iova = iova;
    c.length = 4 * PAGE;
    ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_COPY, &c));
    c.src_iova = iova + 8 * PAGE;   /* hole */
    EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_COPY, &c));
}

static void ioas_access_pin(struct fx *self, const struct variant *v)
{
    uint64_t iova = base_iova(v);
    uint32_t id;
    int afd;

    ASSERT_OK(ioas_map(self->fd, self->ioas_id, self->buffer, BUFFER_SIZE, &iova,
                       RW | IOMMU_IOAS_MAP_FIXED_IOVA));
    ASSERT_OK(create_access(self->fd, self->ioas_id, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
                            &afd));
    for (unsigned npages = 1; npages < 8; npages++) {
        ASSERT_OK(access_pages(self->fd, afd, iova, npages * PAGE, self->buffer,
                               MOCK_FLAGS_ACCESS_WRITE, &id));
        ASSERT_OK(check_refs(self->fd, self->buffer, npages * PAGE, 1));
        {
            struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
                                        .id = (uint32_t)afd,
                                        .destroy_access_pages = { .access_pages_id = id } };

            ASSERT_OK(test_cmd(self->fd, &c));
        }
        /* with a domain the pages stay pinned by the domain itself */
        ASSERT_OK(check_refs(self->fd, self->buffer, npages * PAGE, v->mock_domains ? 1 : 0));
    }
    /* the wrong user pages */
    EXPECT_ERRNO(EBADE, access_pages(self->fd, afd, iova, PAGE, self->buffer + PAGE, 0, NULL));
    /* access_pin_unmap: unmap while pinned asks the access to let go */
    ASSERT_OK(access_pages(self->fd, afd, iova, PAGE, self->buffer, 0, &id));
    ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, BUFFER_SIZE, NULL));
    ASSERT_OK(close(afd));
}

static void ioas_access_rw(struct fx *self, const struct variant *v)
{
    uint64_t iova = base_iova(v);
    char tmp[3 * PAGE];
    int afd;

    for (size_t i = 0; i < BUFFER_SIZE; i++)
        self->buffer[i] = (char)(i * 13);
    ASSERT_OK(ioas_map(self->fd, self->ioas_id, self->buffer, BUFFER_SIZE, &iova,
                       RW | IOMMU_IOAS_MAP_FIXED_IOVA));
    ASSERT_OK(create_access(self->fd, self->ioas_id, 0, &afd));
    for (unsigned off = 0; off < 16; off += 5) {
        for (unsigned len = 1; len < 3 * PAGE; len = len * 3 + 7) {
            memset(tmp, 0, sizeof(tmp));
            ASSERT_OK(access_rw(self->fd, afd, iova + PAGE - off, tmp, len,
                                (len & 1) ? MOCK_ACCESS_RW_SLOW_PATH : 0));
            ASSERT_TRUE(!memcmp(tmp, self->buffer + PAGE - off, len));
            ASSERT_OK(access_rw(self->fd, afd, iova + PAGE - off, tmp, len,
                                MOCK_ACCESS_RW_WRITE));
        }
    }
    EXPECT_ERRNO(ENOENT, access_rw(self->fd, afd, iova + BUFFER_SIZE, tmp, 1, 0));
    EXPECT_ERRNO(EBADFD, access_rw(self->fd, self->fd, iova, tmp, 1, 0));
    ASSERT_OK(close(afd));
}

/* ---- iommufd_mock_domain (one_domain, two_domains) ------------------------- */

static void md_basic(struct fx *self, const struct variant *v)
{
    uint64_t iova = MOCK_APERTURE_START;

    ASSERT_OK(ioas_map(self->fd, self->ioas_id, self->buffer, BUFFER_SIZE, &iova, RW));
    ASSERT_OK(check_map(self->fd, self->hwpt_id, iova, BUFFER_SIZE, self->buffer));
    if (v->mock_domains > 1)
        ASSERT_OK(check_map(self->fd, self->hwpt2_id, iova, BUFFER_SIZE, self->buffer));
    ASSERT_OK(check_refs(self->fd, self->buffer, BUFFER_SIZE, 1));
    EXPECT_ERRNO(EINVAL, check_map(self->fd, self->hwpt_id, iova, PAGE, self->buffer + PAGE));
    ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, BUFFER_SIZE, NULL));
    ASSERT_OK(check_refs(self->fd, self->buffer, BUFFER_SIZE, 0));
    /* a VA that is not mapped cannot be pinned into a domain */
    iova = 0;
    EXPECT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, (void *)(1ul << 31), PAGE, &iova,
                                  RW));
}

static void md_replace(struct fx *self, const struct variant *v)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = self->stdev_id };
    uint32_t ioas2;

    (void)v;
    ASSERT_OK(ioas_alloc(self->fd, &ioas2));
    c.mock_domain_replace.pt_id = ioas2;
    ASSERT_OK(test_cmd(self->fd, &c));
    ASSERT_TRUE(c.mock_domain_replace.pt_id != ioas2);   /* the new auto HWPT */
    c.mock_domain_replace.pt_id = 999;
    EXPECT_ERRNO(ENOENT, test_cmd(self->fd, &c));
    c.mock_domain_replace.pt_id = self->ioas_id;
    ASSERT_OK(test_cmd(self->fd, &c));
    ASSERT_OK(destroy(self->fd, ioas2));
}

/* ---- iommufd_dirty_tracking --------------------------------------------------- */

static void dirty_enforce(struct fx *self, const struct variant *v)
{
    struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
    uint32_t idev_nd, stdev_nd;

    (void)v;
    h.dev_id = self->idev_id;
    h.pt_id = self->ioas_id;
    ASSERT_OK(ioctl(self->fd, IOMMU_HWPT_ALLOC, &h));
    /* a device without dirty tracking cannot attach to it */
    EXPECT_ERRNO(EINVAL, mock_domain(self->fd, h.out_hwpt_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
                                     NULL, NULL, NULL));
    ASSERT_OK(mock_domain(self->fd, self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev_nd, NULL,
                          &idev_nd));
    h.dev_id = idev_nd;
    EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &h));
}

static void dirty_bitmap(struct fx *self, const struct variant *v)
{
    struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
    struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s),
                                               .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
    struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g) };
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = self->stdev_id };
    uint64_t iova = MOCK_APERTURE_START, nbits = BUFFER_SIZE / MOCK_PAGE_SIZE;
    uint8_t bm[BUFFER_SIZE / MOCK_PAGE_SIZE / 8];

    (void)v;
    h.dev_id = self->idev_id;
    h.pt_id = self->ioas_id;
    ASSERT_OK(ioctl(self->fd, IOMMU_HWPT_ALLOC, &h));
    c.mock_domain_replace.pt_id = h.out_hwpt_id;
    ASSERT_OK(test_cmd(self->fd, &c));
    ASSERT_OK(ioas_map(self->fd, self->ioas_id, self->buffer, BUFFER_SIZE, &iova,
                       RW | IOMMU_IOAS_MAP_FIXED_IOVA));
    s.hwpt_id = h.out_hwpt_id;
    ASSERT_OK(ioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s));
    /* the "hardware" dirties every other 2 KiB page */
    memset(bm, 0x55, sizeof(bm));
    memset(&c, 0, sizeof(c));
    c.op = IOMMU_TEST_OP_DIRTY;
    c.id = h.out_hwpt_id;
    c.dirty.iova = iova;
    c.dirty.length = BUFFER_SIZE;
    c.dirty.page_size = MOCK_PAGE_SIZE;
    c.dirty.uptr = (uintptr_t)bm;
    ASSERT_OK(test_cmd(self->fd, &c));
    ASSERT_EQ(c.dirty.out_nr_dirty, nbits / 2);
    memset(bm, 0, sizeof(bm));
    g.hwpt_id = h.out_hwpt_id;
    g.iova = iova;
    g.length = BUFFER_SIZE;
    g.page_size = MOCK_PAGE_SIZE;
    g.data = (uintptr_t)bm;
    ASSERT_OK(ioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
    for (size_t i = 0; i < sizeof(bm); i++)
        ASSERT_EQ(bm[i], 0x55);
    /* read-and-clear: the second harvest is empty (GET only sets bits) */
    memset(bm, 0, sizeof(bm));
    ASSERT_OK(ioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
    for (size_t i = 0; i < sizeof(bm); i++)
        ASSERT_EQ(bm[i], 0);
}

/* ---- vfio_compat_mock_domain (Ver1v2, Ver1v0) ------------------------------ */

static void vfio_setup(struct fx *self, const struct variant *v)
{
    struct iommu_vfio_ioas c = { .size = sizeof(c), .ioas_id = self->ioas_id,
                                 .op = IOMMU_VFIO_IOAS_SET };

    ASSERT_OK(ioctl(self->fd, IOMMU_VFIO_IOAS, &c));
    ASSERT_EQ(ioctl(self->fd, VFIO_CHECK_EXTENSION, v->vfio_type), 1);
    ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, v->vfio_type));
}

static void vfio_get_info(struct fx *self, const struct variant *v)
{
    struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

    vfio_setup(self, v);
    ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
    ASSERT_TRUE(info.flags & VFIO_IOMMU_INFO_PGSIZES);
    /* sub-page mock sizes fold into PAGE_SIZE (§6.2a) */
    ASSERT_EQ(info.iova_pgsizes & (PAGE - 1), 0);
    ASSERT_TRUE(info.iova_pgsizes & PAGE);
}

static void vfio_map(struct fx *self, const struct variant *v)
{
    struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
                                          .flags = VFIO_DMA_MAP_FLAG_READ |
                                                   VFIO_DMA_MAP_FLAG_WRITE,
                                          .vaddr = (uintptr_t)self->buffer,
                                          .iova = MOCK_APERTURE_START, .size = BUFFER_SIZE };
    struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = MOCK_APERTURE_START,
                                            .size = BUFFER_SIZE };

    vfio_setup(self, v);
    ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &m));
    ASSERT_OK(check_refs(self->fd, self->buffer, BUFFER_SIZE, 1));
    ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &u));
    ASSERT_EQ(u.size, BUFFER_SIZE);
    ASSERT_OK(check_refs(self->fd, self->buffer, BUFFER_SIZE, 0));
    /* UNMAP_ALL */
    ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &m));
    u.flags = VFIO_DMA_UNMAP_FLAG_ALL;
    u.iova = 0;
    u.size = 0;
    ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &u));
    ASSERT_EQ(u.size, BUFFER_SIZE);
}

/* ---- the tables ---------------------------------------------------------------- */

static const struct variant v_none[] = { { "", 0, 0 } };
static const struct variant v_ioas[] = { { "no_domain", 0, 0 }, { "mock_domain", 1, 0 },
                                         { "two_mock_domain", 2, 0 } };
static const struct variant v_md[] = { { "one_domain", 1, 0 }, { "two_domains", 2, 0 } };
static const struct variant v_dirty[] = { { "domain_dirty", 1, 0 } };
static const struct variant v_vfio[] = { { "Ver1v2", 1, VFIO_TYPE1v2_IOMMU },
                                         { "Ver1v0", 1, VFIO_TYPE1_IOMMU } };

struct fixture {
    const char *name;
    const struct variant *variants;
    size_t nvariants;
    const struct test *tests;
    size_t ntests;
};

#define T(f, n, fn) { f, n, fn }
static const struct test t_iommufd[] = {
    T("iommufd", "simple_close", iommufd_simple_close),
    T("iommufd", "cmd_fail", iommufd_cmd_fail),
    T("iommufd", "cmd_length", iommufd_cmd_length),
    T("iommufd", "simple_ioctls", iommufd_simple_ioctls),
    T("iommufd", "unmap_cmd", iommufd_unmap_cmd),
    T("iommufd", "map_cmd", iommufd_map_cmd),
    T("iommufd", "vfio_ioas", iommufd_vfio_ioas),
};
static const struct test t_ioas[] = {
    T("iommufd_ioas", "ioas_destroy", ioas_ioas_destroy),
    T("iommufd_ioas", "area", ioas_area),
    T("iommufd_ioas", "iova_ranges", ioas_iova_ranges),
    T("iommufd_ioas", "copy_area", ioas_copy_area),
    T("iommufd_ioas", "access_pin", ioas_access_pin),
    T("iommufd_ioas", "access_rw", ioas_access_rw),
};
static const struct test t_md[] = {
    T("iommufd_mock_domain", "basic", md_basic),
    T("iommufd_mock_domain", "replace", md_replace),
};
static const struct test t_dirty[] = {
    T("iommufd_dirty_tracking", "enforce_dirty", dirty_enforce),
    T("iommufd_dirty_tracking", "get_dirty_bitmap", dirty_bitmap),
};
static const struct test t_vfio[] = {
    T("vfio_compat_mock_domain", "get_info", vfio_get_info),
    T("vfio_compat_mock_domain", "map", vfio_map),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct fixture fixtures[] = {
    { "iommufd", v_none, N(v_none), t_iommufd, N(t_iommufd) },
    { "iommufd_ioas", v_ioas, N(v_ioas), t_ioas, N(t_ioas) },
    { "iommufd_mock_domain", v_md, N(v_md), t_md, N(t_md) },
    { "iommufd_dirty_tracking", v_dirty, N(v_dirty), t_dirty, N(t_dirty) },
    { "vfio_compat_mock_domain", v_vfio, N(v_vfio), t_vfio, N(t_vfio) },
};

/* Each test in a forked child, as the kselftest harness does: setup, test,
 * teardown; exit status 0 is a pass. */
static bool run_one(const struct test *t, const struct variant *v)
{
    pid_t pid;
    int st;

    fflush(stdout);
    pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        struct fx self;

        memset(&self, 0, sizeof(self));
        setup(&self, v);
        t->fn(&self, v);
        teardown(&self, v);
        _exit(0);
    }
    if (waitpid(pid, &st, 0) != pid)
        return false;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
    unsigned total = 0, pass = 0, fail = 0;

    for (size_t f = 0; f < N(fixtures); f++)
        total += (unsigned)(fixtures[f].nvariants * fixtures[f].ntests);
    printf("TAP version 13\n1..%u\n", total);
    for (size_t f = 0; f < N(fixtures); f++) {
        const struct fixture *fx = &fixtures[f];

        for (size_t vi = 0; vi < fx->nvariants; vi++) {
            for (size_t ti = 0; ti < fx->ntests; ti++) {
                const struct variant *v = &fx->variants[vi];
                bool ok = run_one(&fx->tests[ti], v);

                ok ? pass++ : fail++;
                printf("%s %u %s%s%s.%s\n", ok ? "ok" : "not ok", pass + fail, fx->name,
                       *v->name ? "." : "", v->name, fx->tests[ti].name);
            }
        }
    }
    printf("# %u passed, %u failed\n", pass, fail);
    return fail ? 1 : 0;
}
