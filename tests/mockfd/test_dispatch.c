/* Dispatch and struct-size negotiation of the mock /dev/iommu (iommufd.md §2),
 * checked against the numbers of §1.2 written out independently here. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include "mockfd/mockfd.h"
#include "tests/common/test_util.h"

/* iommufd.md §1.2: nr, sizeof, min. */
static const struct cmdsz {
    unsigned nr, size, min;
    const char *name;
} cmds[] = {
    { 0x80, 8, 8, "DESTROY" },          { 0x81, 12, 12, "IOAS_ALLOC" },
    { 0x82, 24, 24, "ALLOW_IOVAS" },    { 0x83, 40, 40, "IOAS_COPY" },
    { 0x84, 32, 32, "IOVA_RANGES" },    { 0x85, 40, 40, "IOAS_MAP" },
    { 0x86, 24, 24, "IOAS_UNMAP" },     { 0x87, 24, 24, "OPTION" },
    { 0x88, 12, 12, "VFIO_IOAS" },      { 0x89, 48, 24, "HWPT_ALLOC" },
    { 0x8a, 40, 32, "GET_HW_INFO" },    { 0x8b, 16, 16, "SET_DIRTY" },
    { 0x8c, 48, 48, "GET_DIRTY" },      { 0x8d, 32, 32, "INVALIDATE" },
    { 0x8e, 16, 16, "FAULT_ALLOC" },    { 0x8f, 40, 40, "MAP_FILE" },
    { 0x90, 40, 24, "VIOMMU_ALLOC" },   { 0x91, 24, 24, "VDEVICE_ALLOC" },
    { 0x92, 8, 8, "CHANGE_PROCESS" },   { 0x93, 32, 28, "VEVENTQ_ALLOC" },
    { 0x94, 40, 40, "HW_QUEUE_ALLOC" }, { 0xa0, 72, 68, "TEST_CMD" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static long pgsz;

/* Two pages, the second PROT_NONE: returns the first byte of the guard. */
static unsigned char *guarded_page(void)
{
    unsigned char *p;

    pgsz = sysconf(_SC_PAGESIZE);
    p = mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    cr_assert_eq(mprotect(p + pgsz, pgsz, PROT_NONE), 0);
    return p + pgsz;
}

static void unguard(unsigned char *guard)
{
    munmap(guard - pgsz, 2 * pgsz);
}

/* ioctl returning errno or 0. */
static int xioctl(int fd, unsigned long req, void *arg)
{
    errno = 0;
    int rc = mockfd_ioctl(fd, req, arg);
    if (rc < 0) {
        cr_assert_neq(errno, 0);
        return errno;
    }
    return 0;
}

Test(dispatch, bad_fd)
{
    uint32_t sz = 8;
    errno = 0;
    cr_assert_eq(mockfd_ioctl(-1, IOMMU_DESTROY, &sz), -1);
    cr_assert_eq(errno, EBADF);
    int fd = mockfd_open();
    cr_assert_geq(fd, 0);
    cr_assert(mockfd_owns_fd(fd));
    cr_assert_eq(mockfd_close(fd), 0);
    cr_assert(!mockfd_owns_fd(fd));
    errno = 0;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_DESTROY, &sz), -1);
    cr_assert_eq(errno, EBADF);
    errno = 0;
    cr_assert_eq(mockfd_close(fd), -1);
    cr_assert_eq(errno, EBADF);
    /* The real fd was closed too. */
    cr_assert_eq(fcntl(fd, F_GETFD), -1);
    cr_assert(!mockfd_owns_fd(-5));
    cr_assert(!mockfd_owns_fd(0x7fffffff));
    ASSERT_NO_LEAKS();
}

Test(dispatch, no_read_write_on_iommufd)
{
    int fd = mockfd_open();
    char b[8];
    errno = 0;
    cr_assert_eq(mockfd_read(fd, b, sizeof(b)), -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(mockfd_write(fd, b, sizeof(b)), -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(mockfd_read(-1, b, sizeof(b)), -1);
    cr_assert_eq(errno, EBADF);
    errno = 0;
    cr_assert_eq(mockfd_write(12345, b, sizeof(b)), -1);
    cr_assert_eq(errno, EBADF);
    mockfd_close(fd);
}

Test(dispatch, enotty_holes_and_encodings)
{
    int fd = mockfd_open();
    uint64_t buf[16] = { 0 };
    struct iommu_destroy d = { .size = sizeof(d), .id = 0 };

    /* Holes 0x95..0x9f: get_user first, then ENOTTY. */
    for (unsigned nr = 0x95; nr <= 0x9f; nr++) {
        buf[0] = 72;
        cr_expect_eq(xioctl(fd, _IO(';', nr), buf), ENOTTY, "nr %#x", nr);
        cr_expect_eq(xioctl(fd, _IO(';', nr), NULL), EFAULT, "nr %#x NULL", nr);
    }
    /* Direction/size bits encoded: ENOTTY, again after get_user. */
    cr_assert_eq(xioctl(fd, _IOWR(';', 0x80, struct iommu_destroy), &d), ENOTTY);
    cr_assert_eq(xioctl(fd, _IOW(';', 0x80, struct iommu_destroy), &d), ENOTTY);
    cr_assert_eq(xioctl(fd, _IOR(';', 0x87, struct iommu_option), buf), ENOTTY);
    cr_assert_eq(xioctl(fd, _IOWR(';', 0x80, struct iommu_destroy), NULL), EFAULT);
    /* Another type byte with an in-table nr. */
    cr_assert_eq(xioctl(fd, _IO('X', 0x80), &d), ENOTTY);
    /* The exact number works (ENOENT for id 0). */
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, &d), ENOENT);
    /* Upper 32 bits of the request are dropped like sys_ioctl's unsigned int. */
    cr_assert_eq(xioctl(fd, (1ul << 32) | IOMMU_DESTROY, &d), ENOENT);
    /* nr below the base or past the table: VFIO compat, ENOTTY for unknown
     * numbers, and no get_user (NULL is fine). */
    cr_assert_eq(xioctl(fd, _IO(';', 0x7f), buf), ENOTTY);
    cr_assert_eq(xioctl(fd, _IO(';', 0x7f), NULL), ENOTTY);
    cr_assert_eq(xioctl(fd, _IO(';', 0x00), NULL), ENOTTY);
    cr_assert_eq(xioctl(fd, _IO(';', 0xa1), NULL), ENOTTY);
    cr_assert_eq(xioctl(fd, _IO(';', 0xff), buf), ENOTTY);
    cr_assert_eq(xioctl(fd, _IO('X', 0x10), NULL), ENOTTY);
    mockfd_close(fd);
}

Test(dispatch, efault_size_word)
{
    int fd = mockfd_open();
    unsigned char *g = guarded_page();

    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, NULL), EFAULT);
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, (void *)8), EFAULT);
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, (void *)0xffff800000000000ul), EFAULT);
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, (void *)0x0000800000000000ul), EFAULT);
    /* Size word on the guard page, or straddling into it. */
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, g), EFAULT);
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, g - 2), EFAULT);
    /* Size word readable, struct straddling into the guard page. */
    memset(g - 4, 0, 4);
    *(uint32_t *)(g - 4) = 8;
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, g - 4), EFAULT);
    /* Size readable but below min: EINVAL before any further access. */
    *(uint32_t *)(g - 4) = 4;
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, g - 4), EINVAL);
    unguard(g);
    mockfd_close(fd);
}

Test(dispatch, einval_below_min_e2big_tail)
{
    int fd = mockfd_open();
    unsigned char buf[64];
    struct iommu_destroy *d = (void *)buf;

    memset(buf, 0, sizeof(buf));
    for (uint32_t s = 0; s < 8; s++) {
        d->size = s;
        cr_assert_eq(xioctl(fd, IOMMU_DESTROY, buf), EINVAL, "size %u", s);
    }
    /* Larger struct with zero tail: accepted (ENOENT from the handler). */
    d->size = 64;
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, buf), ENOENT);
    /* Any non-zero tail byte: E2BIG. */
    for (unsigned i = 8; i < 64; i++) {
        buf[i] = 0x80;
        cr_assert_eq(xioctl(fd, IOMMU_DESTROY, buf), E2BIG, "tail byte %u", i);
        buf[i] = 0;
    }
    mockfd_close(fd);
}

Test(dispatch, huge_size_zero_tail)
{
    int fd = mockfd_open();
    size_t len = 1u << 20;
    unsigned char *p = mmap(NULL, len + 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    cr_assert_eq(mprotect(p + len, 4096, PROT_NONE), 0);
    struct iommu_option *o = (void *)p;
    o->size = (uint32_t)len;
    o->option_id = IOMMU_OPTION_RLIMIT_MODE;
    o->op = IOMMU_OPTION_OP_GET;
    o->val64 = 77;
    /* 1 MiB, zero tail, ending right at a guard page: accepted. */
    cr_assert_eq(xioctl(fd, IOMMU_OPTION, p), 0);
    cr_assert_eq(o->val64, 0);
    /* Non-zero in the very last byte: E2BIG. */
    p[len - 1] = 1;
    cr_assert_eq(xioctl(fd, IOMMU_OPTION, p), E2BIG);
    p[len - 1] = 0;
    /* One byte more reaches the guard page: EFAULT. */
    o->size = (uint32_t)len + 1;
    cr_assert_eq(xioctl(fd, IOMMU_OPTION, p), EFAULT);
    /* A non-zero byte before the unreadable part wins: E2BIG. */
    p[100] = 1;
    cr_assert_eq(xioctl(fd, IOMMU_OPTION, p), E2BIG);
    /* Maximal size word (4 GiB - 1): tail runs off the mapping -> EFAULT. */
    p[100] = 0;
    o->size = UINT32_MAX;
    cr_assert_eq(xioctl(fd, IOMMU_OPTION, p), EFAULT);
    munmap(p, len + 4096);
    mockfd_close(fd);
}

/* ---- the size sweep ------------------------------------------------------ */

/* Put a struct image of `size` bytes (size word = size, the rest zero except
 * `tailbyte` at index `tailpos` if tailpos < size) so that it ends exactly at
 * `end`. The region is at least 4 bytes (the size word itself). */
static unsigned char *place(unsigned char *end, uint32_t size, unsigned tailpos, unsigned char tailbyte)
{
    uint32_t n = size < 4 ? 4 : size;
    unsigned char *p = end - n;

    memset(p, 0, n);
    memcpy(p, &size, 4);
    if (tailpos < size && tailpos >= 4)
        p[tailpos] = tailbyte;
    return p;
}

static void sweep_one(const struct cmdsz *c)
{
    unsigned long req = _IO(';', c->nr);
    unsigned char *g = guarded_page();
    unsigned char *canary_area;
    int fd = mockfd_open();
    int ref;

    cr_assert_geq(fd, 0);
    canary_area = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(canary_area, MAP_FAILED);

    /* Reference: exactly sizeof, all zero. */
    ref = xioctl(fd, req, place(g, c->size, ~0u, 0));
    cr_assert_neq(ref, E2BIG, "%s: E2BIG at sizeof", c->name);
    cr_assert_neq(ref, ENOTTY, "%s: not dispatched", c->name);
    cr_assert_neq(ref, EFAULT, "%s: EFAULT at sizeof", c->name);

    for (uint32_t s = 0; s <= c->size + 16; s++) {
        /* Zero content, ending at a guard page: a read or write past `s`
         * would show up as EFAULT instead of the reference result. */
        int e = xioctl(fd, req, place(g, s, ~0u, 0));
        if (s < c->min)
            cr_expect_eq(e, EINVAL, "%s size %u: %d", c->name, s, e);
        else
            cr_expect_eq(e, ref, "%s size %u zero: %d, want %d", c->name, s, e, ref);

        /* Same with 64 canary bytes after the struct instead of a guard. */
        unsigned char *end = canary_area + 2048;
        memset(end, 0xa5, 64);
        e = xioctl(fd, req, place(end, s, ~0u, 0));
        for (int i = 0; i < 64; i++)
            cr_expect_eq(end[i], 0xa5, "%s size %u: byte %d past size written", c->name, s, i);
        if (s >= c->min)
            cr_expect_eq(e, ref, "%s size %u canary: %d", c->name, s, e);

        /* Non-zero tail: E2BIG for every size past sizeof, whatever byte of
         * the tail it is; below min still EINVAL. */
        if (s > c->size) {
            e = xioctl(fd, req, place(g, s, s - 1, 0x01));
            cr_expect_eq(e, E2BIG, "%s size %u last tail byte: %d", c->name, s, e);
            e = xioctl(fd, req, place(g, s, c->size, 0xff));
            cr_expect_eq(e, E2BIG, "%s size %u first tail byte: %d", c->name, s, e);
        } else if (s < c->min && s > 4) {
            e = xioctl(fd, req, place(g, s, s - 1, 0x01));
            cr_expect_eq(e, EINVAL, "%s size %u nonzero below min: %d", c->name, s, e);
        }
    }
    /* Seeds of iommufd.md §9: 4096 and 65536 with a zero tail. */
    unsigned char *big = mmap(NULL, 65536 + 4096, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(big, MAP_FAILED);
    cr_assert_eq(mprotect(big + 65536, 4096, PROT_NONE), 0);
    cr_expect_eq(xioctl(fd, req, place(big + 65536, 4096, ~0u, 0)), ref, "%s 4096", c->name);
    cr_expect_eq(xioctl(fd, req, place(big + 65536, 65536, ~0u, 0)), ref, "%s 65536", c->name);
    munmap(big, 65536 + 4096);
    munmap(canary_area, 4096);
    unguard(g);
    cr_assert_eq(mockfd_close(fd), 0);
}

ParameterizedTestParameters(dispatch, size_sweep)
{
    static unsigned idx[NCMDS];
    for (unsigned i = 0; i < NCMDS; i++)
        idx[i] = i;
    return cr_make_param_array(unsigned, idx, NCMDS);
}

ParameterizedTest(unsigned *i, dispatch, size_sweep)
{
    sweep_one(&cmds[*i]);
    ASSERT_NO_LEAKS();
}

/* The table matches the uapi header: every size from §1.2 is sizeof. */
Test(dispatch, uapi_sizes_agree)
{
    cr_assert_eq(sizeof(struct iommu_hwpt_alloc), 48);
    cr_assert_eq(sizeof(struct iommu_hw_info), 40);
    cr_assert_eq(sizeof(struct iommu_viommu_alloc), 40);
    cr_assert_eq(sizeof(struct iommu_veventq_alloc), 32);
    cr_assert_eq(sizeof(struct iommu_test_cmd), 72);
    cr_assert_eq(IOMMU_TEST_CMD, 0x3ba0);
    cr_assert_eq(IOMMU_DESTROY, 0x3b80);
}

/* The one response writer clips to the caller's size (old binary, new
 * kernel: iommufd.md §2 "Response path"). */
#include "mockfd/core/mockfd_internal.h"

Test(dispatch, respond_clips_to_user_size)
{
    unsigned char *g = guarded_page();
    unsigned char kbuf[48];
    struct mfd_ucmd u;

    for (unsigned i = 0; i < sizeof(kbuf); i++)
        kbuf[i] = (unsigned char)(0x40 + i);
    for (uint32_t us = 0; us <= 48; us++) {
        memset(&u, 0, sizeof(u));
        u.user_size = us;
        u.cmd_buf = kbuf;
        u.ubuffer = mfd_uptr(g - us);          /* ends at the guard page */
        memset(g - us, 0, us);
        cr_assert_eq(mfd_ucmd_respond(&u, 24), 0, "user_size %u", us);
        for (uint32_t i = 0; i < us; i++)
            cr_assert_eq(g[-(int)us + (int)i], i < 24 ? kbuf[i] : 0, "us %u byte %u", us, i);
    }
    /* A bad buffer: EFAULT. */
    u.user_size = 24;
    u.ubuffer = mfd_uptr(g - 8);
    cr_assert_eq(mfd_ucmd_respond(&u, 24), -EFAULT);
    unguard(g);
}

/* MOCKFD_KERNEL: commands newer than the target kernel are holes (ENOTTY
 * after get_user); the default is the newest ABI. */
Test(dispatch, kernel_version_knob)
{
    setenv("MOCKFD_KERNEL", "6.12", 1);
    cr_assert_eq(mfd_kernel_version(), 612);
    int fd = mockfd_open();
    uint64_t buf[9] = { 0 };
    buf[0] = 40;
    cr_assert_eq(xioctl(fd, IOMMU_HW_QUEUE_ALLOC, buf), ENOTTY);     /* 6.17 */
    cr_assert_eq(xioctl(fd, IOMMU_VIOMMU_ALLOC, buf), ENOTTY);       /* 6.13 */
    cr_assert_eq(xioctl(fd, IOMMU_VIOMMU_ALLOC, NULL), EFAULT);
    buf[0] = 16;
    cr_assert_neq(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, buf), ENOTTY); /* 6.11 */
    buf[0] = 72;
    cr_assert_neq(xioctl(fd, IOMMU_TEST_CMD, buf), ENOTTY);
    mockfd_close(fd);
}

Test(dispatch, kernel_version_parse_old)
{
    setenv("MOCKFD_KERNEL", "6.2", 1);
    cr_assert_eq(mfd_kernel_version(), 602);
    int fd = mockfd_open();
    uint64_t buf[9] = { 0 };
    buf[0] = 48;
    cr_assert_eq(xioctl(fd, IOMMU_HWPT_ALLOC, buf), ENOTTY);
    buf[0] = 8;
    cr_assert_eq(xioctl(fd, IOMMU_DESTROY, buf), ENOENT);
    mockfd_close(fd);
}

Test(dispatch, kernel_version_defaults)
{
    unsetenv("MOCKFD_KERNEL");
    cr_assert_eq(mfd_kernel_version(), MFD_KERNEL_NEWEST);
}

Test(dispatch, kernel_version_newest_and_junk)
{
    setenv("MOCKFD_KERNEL", "newest", 1);
    cr_assert_eq(mfd_kernel_version(), MFD_KERNEL_NEWEST);
}

Test(dispatch, kernel_version_junk)
{
    setenv("MOCKFD_KERNEL", "six", 1);
    cr_assert_eq(mfd_kernel_version(), MFD_KERNEL_NEWEST);
}

Test(dispatch, kernel_version_patchlevel)
{
    setenv("MOCKFD_KERNEL", "6.17.3", 1);
    cr_assert_eq(mfd_kernel_version(), 617);
}

/* Structs that grew: on an older target kernel the new optional fields are
 * past the kernel's struct, so setting them is E2BIG (iommufd.md §2
 * "New-binary/old-kernel rule"), and zero tails still pass. */
static int grown(unsigned long req, uint32_t size, unsigned nzpos)
{
    uint64_t b[9] = { 0 };
    b[0] = size;
    if (nzpos)
        ((unsigned char *)b)[nzpos] = 1;
    int fd = mockfd_open();
    int e = xioctl(fd, req, b);
    mockfd_close(fd);
    return e;
}

Test(dispatch, grown_structs_old_kernel)
{
    setenv("MOCKFD_KERNEL", "6.6", 1);
    cr_assert_eq(grown(IOMMU_HWPT_ALLOC, 48, 24), E2BIG);   /* data_type: 6.7 */
    cr_assert_eq(grown(IOMMU_HWPT_ALLOC, 48, 40), E2BIG);   /* fault_id: 6.11 */
    cr_assert_neq(grown(IOMMU_HWPT_ALLOC, 48, 0), E2BIG);
    cr_assert_neq(grown(IOMMU_HWPT_ALLOC, 24, 0), EINVAL);
    cr_assert_eq(grown(IOMMU_GET_HW_INFO, 40, 32), E2BIG);  /* out_capabilities: 6.7 */
    cr_assert_neq(grown(IOMMU_GET_HW_INFO, 40, 0), E2BIG);
}

Test(dispatch, grown_structs_mid_kernel)
{
    setenv("MOCKFD_KERNEL", "6.8", 1);
    cr_assert_neq(grown(IOMMU_HWPT_ALLOC, 48, 24), E2BIG);
    cr_assert_eq(grown(IOMMU_HWPT_ALLOC, 48, 40), E2BIG);
    cr_assert_neq(grown(IOMMU_GET_HW_INFO, 40, 32), E2BIG);
}

Test(dispatch, grown_structs_viommu)
{
    setenv("MOCKFD_KERNEL", "6.14", 1);
    cr_assert_eq(grown(IOMMU_VIOMMU_ALLOC, 40, 24), E2BIG);  /* data_len: 6.17 */
    cr_assert_neq(grown(IOMMU_VIOMMU_ALLOC, 40, 0), E2BIG);
    cr_assert_neq(grown(IOMMU_HWPT_ALLOC, 48, 40), E2BIG);
}

Test(dispatch, grown_structs_newest)
{
    unsetenv("MOCKFD_KERNEL");
    cr_assert_neq(grown(IOMMU_VIOMMU_ALLOC, 40, 24), E2BIG);
    cr_assert_neq(grown(IOMMU_HWPT_ALLOC, 48, 40), E2BIG);
    cr_assert_eq(grown(IOMMU_HWPT_ALLOC, 56, 48), E2BIG);
}

Test(dispatch, respond_clips_to_kernel_size)
{
    unsigned char kbuf[48], ubuf[48];
    struct mfd_ucmd u;

    memset(kbuf, 0x11, sizeof(kbuf));
    memset(ubuf, 0, sizeof(ubuf));
    memset(&u, 0, sizeof(u));
    u.user_size = 48;
    u.ksize = 24;
    u.cmd_buf = kbuf;
    u.ubuffer = mfd_uptr(ubuf);
    cr_assert_eq(mfd_ucmd_respond(&u, 48), 0);
    for (int i = 0; i < 48; i++)
        cr_assert_eq(ubuf[i], i < 24 ? 0x11 : 0);
}
