/* IOMMU_OPTION (iommufd.md §4.8): every errno path and the val64-only
 * write-back. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "mockfd/core/mockfd_internal.h"
#include "tests/common/test_util.h"

static int opt(int fd, struct iommu_option *o)
{
    errno = 0;
    if (mockfd_ioctl(fd, IOMMU_OPTION, o) == 0)
        return 0;
    return errno;
}

static struct iommu_option mk(uint32_t option, uint16_t op, uint32_t obj, uint64_t val)
{
    struct iommu_option o;
    memset(&o, 0, sizeof(o));
    o.size = sizeof(o);
    o.option_id = option;
    o.op = op;
    o.object_id = obj;
    o.val64 = val;
    return o;
}

static bool have_cap(int cap)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    cr_assert_eq(syscall(SYS_capget, &h, d), 0);
    return d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

static void drop_cap(int cap)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    cr_assert_eq(syscall(SYS_capget, &h, d), 0);
    d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
    cr_assert_eq(syscall(SYS_capset, &h, d), 0);
    cr_assert(!have_cap(cap));
}

static uint32_t ioas_alloc(int fd)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &a), 0, "IOAS_ALLOC: %s", strerror(errno));
    return a.out_ioas_id;
}

Test(option, rlimit_get_set)
{
    int fd = mockfd_open();
    struct iommu_option o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 55);

    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 0, "default is user-based accounting");
    if (!have_cap(CAP_SYS_RESOURCE))
        cr_skip_test("needs CAP_SYS_RESOURCE");
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1);
    cr_assert_eq(opt(fd, &o), 0);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 1);
    /* val64 > 1: EINVAL, mode unchanged. */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 2);
    cr_assert_eq(opt(fd, &o), EINVAL);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, UINT64_MAX);
    cr_assert_eq(opt(fd, &o), EINVAL);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 1);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 0);
    cr_assert_eq(opt(fd, &o), 0);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 9);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 0);
    /* The mode is per fd. */
    int fd2 = mockfd_open();
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1);
    cr_assert_eq(opt(fd2, &o), 0);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 9);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 0);
    mockfd_close(fd2);
    mockfd_close(fd);
}

Test(option, eopnotsupp_paths)
{
    int fd = mockfd_open();
    struct iommu_option o;

    /* __reserved != 0 first, even for an otherwise valid GET. */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0);
    o.__reserved = 1;
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    o.__reserved = 0x8000;
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    /* Unknown option, unknown op. */
    o = mk(2, IOMMU_OPTION_OP_GET, 0, 0);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    o = mk(0xffffffff, IOMMU_OPTION_OP_SET, 0, 0);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, 2, 0, 0);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, 0xffff, 0, 0);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    /* RLIMIT_MODE is global: object_id != 0 -> EOPNOTSUPP (GET and SET). */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 1, 0);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 1, 0);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    mockfd_close(fd);
}

Test(option, ebusy_with_objects)
{
    int fd = mockfd_open();
    struct iommu_option o;

    if (!have_cap(CAP_SYS_RESOURCE))
        cr_skip_test("needs CAP_SYS_RESOURCE");
    uint32_t id = ioas_alloc(fd);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1);
    cr_assert_eq(opt(fd, &o), EBUSY);
    /* EBUSY is checked before the value. */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 7);
    cr_assert_eq(opt(fd, &o), EBUSY);
    /* GET still works. */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 7);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 0);
    struct iommu_destroy d = { .size = sizeof(d), .id = id };
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_DESTROY, &d), 0);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1);
    cr_assert_eq(opt(fd, &o), 0);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(option, eperm_without_cap_sys_resource)
{
    int fd = mockfd_open();
    struct iommu_option o;

    if (have_cap(CAP_SYS_RESOURCE))
        drop_cap(CAP_SYS_RESOURCE);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1);
    cr_assert_eq(opt(fd, &o), EPERM);
    /* EPERM wins over the value and over EBUSY. */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 5);
    cr_assert_eq(opt(fd, &o), EPERM);
    ioas_alloc(fd);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 5);
    cr_assert_eq(opt(fd, &o), EPERM);
    /* object_id is checked before the capability. */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 3, 1);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    /* GET needs no capability. */
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 5);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 0);
    mockfd_close(fd);
}

Test(option, huge_pages_delegates_to_ioas)
{
    int fd = mockfd_open();
    struct iommu_option o;

    /* No such IOAS. */
    o = mk(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, 0);
    cr_assert_eq(opt(fd, &o), ENOENT);
    o = mk(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 99, 0);
    cr_assert_eq(opt(fd, &o), ENOENT);
    uint32_t id = ioas_alloc(fd);
    o = mk(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, id, 0);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 1, "huge pages on by default");
    o = mk(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, id, 2);
    cr_assert_eq(opt(fd, &o), EINVAL);
    o = mk(IOMMU_OPTION_HUGE_PAGES, 5, id, 0);
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    o = mk(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, id, 0);
    o.__reserved = 1;
    cr_assert_eq(opt(fd, &o), EOPNOTSUPP);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

/* Only val64 (8 bytes at offset 16) is written: bytes 0..15 may sit on a
 * read-only page and GET still succeeds. */
Test(option, writes_back_only_val64)
{
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = mockfd_open();

    cr_assert_neq(p, MAP_FAILED);
    unsigned char *b = p + pg;                    /* ro | rw | none */
    struct iommu_option o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0x5555);
    memcpy(b - 16, &o, sizeof(o));
    cr_assert_eq(mprotect(p, pg, PROT_READ), 0);
    cr_assert_eq(mprotect(p + 2 * pg, pg, PROT_NONE), 0);
    cr_assert_eq(opt(fd, (void *)(b - 16)), 0);
    uint64_t v;
    memcpy(&v, b, 8);
    cr_assert_eq(v, 0);
    for (int i = 8; i < 64; i++)
        cr_assert_eq(b[i], 0, "nothing past val64");

    /* A larger struct (zero tail) with canaries after it: still only val64. */
    struct iommu_option *q = (void *)(p + 2 * pg - 80);
    memset(q, 0, 64);
    *q = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0x77);
    q->size = 64;
    memset((unsigned char *)q + 64, 0xcc, 16);
    cr_assert_eq(opt(fd, q), 0);
    cr_assert_eq(q->val64, 0);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(((unsigned char *)q)[64 + i], 0xcc);

    /* val64 on the read-only page: GET fails with EFAULT. */
    cr_assert_eq(mprotect(p, pg, PROT_READ | PROT_WRITE), 0);
    memcpy(b - 24, &o, sizeof(o));
    cr_assert_eq(mprotect(p, pg, PROT_READ), 0);
    cr_assert_eq(opt(fd, (void *)(b - 24)), EFAULT);

    /* Errors write nothing back. */
    struct iommu_option e = mk(IOMMU_OPTION_RLIMIT_MODE, 9, 0, 0x1234);
    cr_assert_eq(opt(fd, &e), EOPNOTSUPP);
    cr_assert_eq(e.val64, 0x1234);
    munmap(p, 3 * pg);
    mockfd_close(fd);
}

/* The kernel copies val64 back after a successful SET too (main.c
 * iommufd_option); that only shows as EFAULT when val64 is read-only, with
 * the option already applied. */
Test(option, set_writes_val64_back_like_the_kernel)
{
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = mockfd_open();

    if (!have_cap(CAP_SYS_RESOURCE))
        cr_skip_test("needs CAP_SYS_RESOURCE");
    struct iommu_option o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1);
    memcpy(p, &o, sizeof(o));
    cr_assert_eq(mprotect(p, pg, PROT_READ), 0);
    cr_assert_eq(opt(fd, (void *)p), EFAULT);
    o = mk(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0);
    cr_assert_eq(opt(fd, &o), 0);
    cr_assert_eq(o.val64, 1, "the SET took effect before the write-back");
    munmap(p, pg);
    mockfd_close(fd);
}
