/* The uapi description tables and the MOCKFD_RECORD recorder (record.c,
 * peers.md §2.5 items 1-2), in process: each Criterion test runs in its own
 * child, so the recorder's once-per-process getenv sees the MOCKFD_RECORD
 * the test sets. The recorded text is what iommu-sim replays, so every line
 * is checked byte for byte. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "mockfd/mockfd.h"
#include "mockfd/core/uapi_desc.h"
#include "tests/common/test_util.h"

/* ---- the tables ------------------------------------------------------------ */

Test(cov_record, tables_cover_every_struct_byte_for_byte)
{
    char msg[128] = "";

    cr_assert_eq(mfd_uapi_check(msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_str_empty(msg);
}

Test(cov_record, ioctl_lookup_by_request_and_name)
{
    const struct mfd_uioctl *u = mfd_uapi_ioctl_by_req(IOMMU_IOAS_MAP);

    cr_assert_not_null(u);
    cr_assert_str_eq(u->name, "IOMMU_IOAS_MAP");
    cr_assert_eq(u->st->size, sizeof(struct iommu_ioas_map));
    /* full name, scenario alias, and the name without IOMMU_ all resolve */
    cr_assert_eq(mfd_uapi_ioctl_by_name("IOMMU_IOAS_MAP"), u);
    cr_assert_eq(mfd_uapi_ioctl_by_name("MAP"), u);
    cr_assert_eq(mfd_uapi_ioctl_by_name("IOAS_MAP"), u);
    cr_assert_eq(mfd_uapi_ioctl_by_name("BIND")->req, (unsigned long)VFIO_DEVICE_BIND_IOMMUFD);
    cr_assert_eq(mfd_uapi_ioctl_by_name("BIND")->fdk, MFD_UFD_DEVICE);
    cr_assert_null(mfd_uapi_ioctl_by_name("IOMMU_NO_SUCH"));
    cr_assert_null(mfd_uapi_ioctl_by_name("map"), "names are case-sensitive");
    cr_assert_null(mfd_uapi_ioctl_by_req(0));
    cr_assert_null(mfd_uapi_ioctl_by_req(_IO(IOMMUFD_TYPE, 0x7f)));
    /* value ioctls (VFIO compat) have no struct */
    cr_assert_null(mfd_uapi_ioctl_by_req(VFIO_GET_API_VERSION)->st);
}

Test(cov_record, field_lookup_offsets_match_the_uapi)
{
    const struct mfd_ustruct *st = mfd_uapi_ioctl_by_req(IOMMU_IOAS_MAP)->st;
    const struct mfd_ufield *f = mfd_uapi_field(st, "iova");

    cr_assert_not_null(f);
    cr_assert_eq(f->off, offsetof(struct iommu_ioas_map, iova));
    cr_assert_eq(f->size, 8);
    f = mfd_uapi_field(st, "user_va");
    cr_assert_eq(f->kind, MFD_UF_PTR);
    cr_assert_str_eq(f->lenfield, "length");
    cr_assert_eq(f->in, 1);
    cr_assert_null(mfd_uapi_field(st, "nope"));
    cr_assert_null(mfd_uapi_field(NULL, "iova"));
}

Test(cov_record, errno_names_round_trip)
{
    static const int all[] = { EPERM, ENOENT, EFAULT, EBUSY, EINVAL, ENOTTY, E2BIG,
                               EOPNOTSUPP, EOVERFLOW, ENOSPC, ENODEV, EBADF, ENOMEM };

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *n = mfd_errno_name(all[i]);

        cr_assert_not_null(n, "errno %d has no name", all[i]);
        cr_assert_eq(mfd_errno_value(n), all[i], "%s", n);
    }
    cr_assert_str_eq(mfd_errno_name(ENOENT), "ENOENT");
    cr_assert_str_eq(mfd_errno_name(E2BIG), "E2BIG");
    cr_assert_null(mfd_errno_name(0));
    cr_assert_null(mfd_errno_name(4095));
    cr_assert_eq(mfd_errno_value("EWHATEVER"), -1);
}

Test(cov_record, get_set_are_little_endian_and_bounded)
{
    const struct mfd_ustruct *st = mfd_uapi_ioctl_by_req(IOMMU_OPTION)->st;
    const struct mfd_ufield *op = mfd_uapi_field(st, "op");          /* 2 bytes */
    const struct mfd_ufield *obj = mfd_uapi_field(st, "object_id");  /* 4 bytes */
    const struct mfd_ufield *val = mfd_uapi_field(st, "val64");      /* 8 bytes */
    struct iommu_option o;

    memset(&o, 0xee, sizeof(o));
    mfd_uapi_set(&o, op, 0x123456789abcull);
    cr_assert_eq(o.op, 0x9abc, "truncated to the field width");
    cr_assert_eq(o.__reserved, 0xeeee, "neighbour untouched");
    mfd_uapi_set(&o, obj, 0xdeadbeefcafeull);
    cr_assert_eq(o.object_id, 0xbeefcafe);
    mfd_uapi_set(&o, val, 0x0102030405060708ull);
    cr_assert_eq(o.val64, 0x0102030405060708ull);
    cr_assert_eq(mfd_uapi_get(&o, op), 0x9abc);
    cr_assert_eq(mfd_uapi_get(&o, obj), 0xbeefcafe);
    cr_assert_eq(mfd_uapi_get(&o, val), 0x0102030405060708ull);
    cr_assert_eq(((unsigned char *)&o)[offsetof(struct iommu_option, val64)], 0x08);
}

/* ---- the recorder ----------------------------------------------------------- */

static char rec_path[64];

static void rec_start(const char *platform)
{
    int fd;

    snprintf(rec_path, sizeof(rec_path), "/tmp/cov-record-XXXXXX");
    fd = mkstemp(rec_path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(setenv("MOCKFD_RECORD", rec_path, 1), 0);
    if (platform)
        cr_assert_eq(setenv("MOCKFD_PLATFORM", platform, 1), 0);
    else
        unsetenv("MOCKFD_PLATFORM");
}

static char *rec_read(void)
{
    static char text[1 << 16];
    FILE *f = fopen(rec_path, "r");
    size_t n;

    cr_assert_not_null(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(rec_path);
    return text;
}

#define HAS(text, s) cr_assert(strstr((text), (s)), "missing:\n%s\n--- in:\n%s", (s), (text))

static uint32_t ioas_alloc(int fd)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, &a), 0, "%s", strerror(errno));
    return a.out_ioas_id;
}

/* A 4 MiB window whose base is 2 MiB aligned, so that the `align=` the
 * recorder writes for each buffer (the lowest set bit of its page address,
 * iommufd.md §4.5) is known. */
static unsigned char *aligned_window(void **map)
{
    *map = mmap(NULL, 6u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(*map, MAP_FAILED);
    return (unsigned char *)(((uintptr_t)*map + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
}

Test(cov_record, platform_header_and_object_names)
{
    char line[256], *t;
    uint32_t ioas;
    int fd;

    rec_start("vtd:0x10,0x18; ;smmuv3:0x100");
    fd = mockfd_open();
    cr_assert_geq(fd, 0);
    ioas = ioas_alloc(fd);
    {
        struct iommu_destroy d = { .size = sizeof(d), .id = 0x7777 };

        cr_assert_eq(mockfd_ioctl(fd, IOMMU_DESTROY, &d), -1);
        cr_assert_eq(errno, ENOENT);
        d.id = ioas;
        cr_assert_eq(mockfd_ioctl(fd, IOMMU_DESTROY, &d), 0);
    }
    mockfd_close(fd);
    t = rec_read();
    {
        static const char head[] = "# recorded by mockfd (MOCKFD_RECORD); replay: iommu-sim FILE\n"
                            "iommu iommu0 = vtd\n"
                            "device dev0 = iommu0 0x10\n"
                            "device dev1 = iommu0 0x18\n"
                            "iommu iommu1 = smmuv3\n"
                            "device dev2 = iommu1 0x100\n"
                            "IOMMU_IOAS_ALLOC\n"
                            "expect errno=0\n";

        cr_assert_eq(strncmp(t, head, strlen(head)), 0, "%s", t);
    }
    snprintf(line, sizeof(line), "let ioas%u = out_ioas_id\n"
             "IOMMU_DESTROY id=0x7777\nexpect errno=ENOENT\n"
             "IOMMU_DESTROY id=ioas%u\nexpect errno=0\n", ioas, ioas);
    HAS(t, line);
}

Test(cov_record, default_platform_when_unset)
{
    int fd;
    char *t;

    rec_start(NULL);
    fd = mockfd_open();
    ioas_alloc(fd);
    mockfd_close(fd);
    t = rec_read();
    HAS(t, "iommu iommu0 = vtd\ndevice dev0 = iommu0 0x10\nIOMMU_IOAS_ALLOC\n");
}

/* Non-default size, trailing bytes (trailing zeros trimmed) and the E2BIG
 * the kernel's copy_struct_from_user gives for a non-zero tail. */
Test(cov_record, size_and_tail)
{
    unsigned char buf[sizeof(struct iommu_ioas_alloc) + 8] = { 0 };
    struct iommu_ioas_alloc *a = (void *)buf;
    char *t;
    int fd;

    rec_start("vtd:0x10");
    fd = mockfd_open();
    a->size = sizeof(buf);
    buf[sizeof(*a) + 2] = 0x5a;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, buf), -1);
    cr_assert_eq(errno, E2BIG);
    buf[sizeof(*a) + 2] = 0;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, buf), 0);
    /* shorter than the struct: fields past the size are not printed */
    a->size = 4;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOC, buf), -1);
    cr_assert_eq(errno, EINVAL);
    mockfd_close(fd);
    t = rec_read();
    HAS(t, "IOMMU_IOAS_ALLOC size=20 tail=00,00,5a\nexpect errno=E2BIG\n");
    HAS(t, "IOMMU_IOAS_ALLOC size=20\nexpect errno=0\nlet ioas");
    HAS(t, "IOMMU_IOAS_ALLOC size=4\nexpect errno=EINVAL\n");
}

/* Buffers: declared once with their alignment, in-pointer content captured
 * as a fill (uniform), pokes (32 bytes a line) or a "not captured" note
 * (over 4 KiB); out-pointers declared without content; a pointer inside an
 * earlier buffer reuses it; a pointer too long to declare is printed raw. */
Test(cov_record, buffers_and_content)
{
    void *map;
    unsigned char *w = aligned_window(&map);
    struct iommu_ioas_map m = { .size = sizeof(m) };
    struct iommu_ioas_allow_iovas al = { .size = sizeof(al) };
    struct iommu_ioas_iova_ranges rg = { .size = sizeof(rg) };
    struct iommu_iova_range *r = (void *)(w + 0x10000);
    char line[1024], *t;
    uint32_t ioas, ioas2;
    int fd;

    rec_start("vtd:0x10");
    fd = mockfd_open();
    ioas = ioas_alloc(fd);
    ioas2 = ioas_alloc(fd);

    memset(w + 0x1000, 0xab, 0x1000);
    m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    m.ioas_id = ioas;
    m.user_va = (uintptr_t)(w + 0x1000);
    m.length = 0x1000;
    m.iova = 0x100000;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m), 0, "%s", strerror(errno));
    for (int i = 0; i < 0x2000; i++)
        w[0x2000 + i] = (unsigned char)i;
    m.user_va = (uintptr_t)(w + 0x2000);
    m.length = 0x2000;
    m.iova = 0x200000;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m), 0, "%s", strerror(errno));
    /* the same pages again, now 4 KiB: inside rbuf1, content captured */
    m.user_va = (uintptr_t)(w + 0x3000);
    m.length = 0x1000;
    m.iova = 0x300000;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m), 0, "%s", strerror(errno));
    /* too long to declare (> 1 GiB): printed as the raw address */
    m.ioas_id = 0x7777;
    m.user_va = (uintptr_t)(w + 0x1000);
    m.length = 3ull << 30;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_MAP, &m), -1);
    cr_assert_eq(errno, ENOENT);

    r[0] = (struct iommu_iova_range){ .start = 0x1000, .last = 0x1fffff };
    r[1] = (struct iommu_iova_range){ .start = 0x400000, .last = 0x7fffff };
    al.ioas_id = ioas2;
    al.num_iovas = 2;
    al.allowed_iovas = (uintptr_t)r;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &al), 0, "%s", strerror(errno));
    rg.ioas_id = ioas2;
    rg.num_iovas = 4;
    rg.allowed_iovas = (uintptr_t)(w + 0x10100);
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg), 0, "%s", strerror(errno));
    mockfd_close(fd);
    t = rec_read();

    snprintf(line, sizeof(line),
             "buffer rbuf0 = 0x1000 align=0x1000\n"
             "fill rbuf0+0x0 len=0x1000 pattern=0xab\n"
             "IOMMU_IOAS_MAP flags=0x7 ioas_id=ioas%u user_va=rbuf0+0x0 length=0x1000 iova=0x100000\n"
             "expect errno=0\n"
             "buffer rbuf1 = 0x2000 align=0x2000\n"
             "# rbuf1+0x0: content (0x2000 bytes) not captured\n"
             "IOMMU_IOAS_MAP flags=0x7 ioas_id=ioas%u user_va=rbuf1+0x0 length=0x2000 iova=0x200000\n"
             "expect errno=0\n"
             "poke rbuf1+0x1000 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"
             " 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f\n"
             "poke rbuf1+0x1020 20 21", ioas, ioas);
    HAS(t, line);
    snprintf(line, sizeof(line),
             "poke rbuf1+0x1fe0 e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 ea eb ec ed ee ef"
             " f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff\n"
             "IOMMU_IOAS_MAP flags=0x7 ioas_id=ioas%u user_va=rbuf1+0x1000 length=0x1000 iova=0x300000\n"
             "expect errno=0\n"
             "IOMMU_IOAS_MAP flags=0x7 ioas_id=0x7777 user_va=0x%llx length=0xc0000000 iova=0x300000\n"
             "expect errno=ENOENT\n"
             "buffer rbuf2 = 0x1000 align=0x10000\n"
             "poke rbuf2+0x0 00 10 00 00 00 00 00 00 ff ff 1f 00 00 00 00 00"
             " 00 00 40 00 00 00 00 00 ff ff 7f 00 00 00 00 00\n"
             "IOMMU_IOAS_ALLOW_IOVAS ioas_id=ioas%u num_iovas=0x2 allowed_iovas=rbuf2+0x0\n"
             "expect errno=0\n"
             "IOMMU_IOAS_IOVA_RANGES ioas_id=ioas%u num_iovas=0x4 allowed_iovas=rbuf2+0x100\n"
             "expect errno=0\n",
             ioas, (unsigned long long)(uintptr_t)(w + 0x1000), ioas2, ioas2);
    HAS(t, line);
    munmap(map, 6u << 20);
}

/* Device-fd ioctls carry the device's platform index; new objects get a
 * name by kind (idev, hwpt, fault) that later lines use. */
Test(cov_record, device_ioctls_and_object_kinds)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct iommu_hwpt_alloc ha = { .size = sizeof(ha) };
    struct iommu_fault_alloc fa = { .size = sizeof(fa) };
    char line[1024], *t;
    uint32_t ioas;
    int fd, dfd;

    rec_start("vtd:0x10,0x18");
    fd = mockfd_open();
    ioas = ioas_alloc(fd);
    dfd = mockfd_device_open(1);
    cr_assert_geq(dfd, 0);
    bind.iommufd = fd;
    cr_assert_eq(mockfd_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0, "%s", strerror(errno));
    at.pt_id = ioas;
    cr_assert_eq(mockfd_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0, "%s", strerror(errno));
    ha.dev_id = bind.out_devid;
    ha.pt_id = ioas;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0, "%s", strerror(errno));
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0, "%s", strerror(errno));
    /* a device ioctl on the iommufd itself is not recorded (not a device) */
    cr_assert_eq(mockfd_ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -1);
    cr_assert_eq(errno, ENOTTY);
    mockfd_close(dfd);
    mockfd_close(fd);
    t = rec_read();
    snprintf(line, sizeof(line),
             "VFIO_DEVICE_BIND_IOMMUFD dev1 iommufd=iommufd\nexpect errno=0\n"
             "let idev%u = out_devid\n"
             "VFIO_DEVICE_ATTACH_IOMMUFD_PT dev1 pt_id=ioas%u\nexpect errno=0\n"
             "IOMMU_HWPT_ALLOC dev_id=idev%u pt_id=ioas%u\nexpect errno=0\n"
             "let hwpt%u = out_hwpt_id\n"
             "IOMMU_FAULT_QUEUE_ALLOC\nexpect errno=0\n"
             "let fault%u = out_fault_id\n",
             bind.out_devid, ioas, bind.out_devid, ioas, ha.out_hwpt_id, fa.out_fault_id);
    HAS(t, line);
    cr_assert_eq(strstr(t, "VFIO_DEVICE_BIND_IOMMUFD iommufd"), NULL, "%s", t);
    close(fa.out_fault_fd);
}

/* Pointer lengths from other fields: the dirty bitmap (one bit per
 * page_size, rounded to u64s) and the invalidation array (entry_num *
 * entry_len); value ioctls print their argument; requests the tables do not
 * know and bad fds pass through unrecorded. */
Test(cov_record, pointer_lengths_value_ioctls_and_passthrough)
{
    void *map;
    unsigned char *w = aligned_window(&map);
    struct iommu_hwpt_get_dirty_bitmap gd = { .size = sizeof(gd) };
    struct iommu_hwpt_invalidate inv = { .size = sizeof(inv) };
    struct iommu_destroy d = { .size = sizeof(d), .id = 1 };
    char line[1024], *t;
    int fd;

    rec_start("vtd:0x10");
    fd = mockfd_open();
    gd.hwpt_id = 0x7777;
    gd.iova = 0;
    gd.length = 0x80000;                 /* 128 pages: a 16-byte bitmap */
    gd.page_size = 0x1000;
    gd.data = (uintptr_t)(w + 0x4000);
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gd), -1);
    cr_assert_eq(errno, ENOENT);
    gd.data = (uintptr_t)(w + 0x4ff0);   /* fits in rbuf0's page only with 16 bytes */
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gd), -1);
    gd.length = 0x81000;                 /* 129 pages: 24 bytes, crosses into a new page */
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gd), -1);

    memset(w + 0x8000, 0, 64);
    w[0x8000] = 1;
    inv.hwpt_id = 0x7777;
    inv.data_uptr = (uintptr_t)(w + 0x8000);
    /* VTD_S1 is 0, and zero fields are not printed */
    cr_assert_eq(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0);
    inv.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
    inv.entry_len = 32;
    inv.entry_num = 2;
    cr_assert_eq(mockfd_ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv), -1);
    cr_assert_eq(errno, ENOENT);

    cr_assert_eq(mockfd_ioctl(fd, VFIO_GET_API_VERSION, 0), VFIO_API_VERSION);
    cr_assert_eq(mockfd_ioctl(fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 1);
    cr_assert_eq(mockfd_ioctl(fd, 0xdead, &d), -1);
    cr_assert_eq(errno, ENOTTY);
    cr_assert_eq(mockfd_ioctl(fd + 1000, IOMMU_DESTROY, &d), -1);
    cr_assert_eq(errno, EBADF);
    mockfd_close(fd);
    t = rec_read();
    HAS(t, "buffer rbuf0 = 0x1000 align=0x4000\n"
           "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt_id=0x7777 length=0x80000 page_size=0x1000 data=rbuf0+0x0\n"
           "expect errno=ENOENT\n"
           "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt_id=0x7777 length=0x80000 page_size=0x1000 data=rbuf0+0xff0\n"
           "expect errno=ENOENT\n"
           "buffer rbuf1 = 0x2000 align=0x4000\n"
           "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt_id=0x7777 length=0x81000 page_size=0x1000 data=rbuf1+0xff0\n"
           "expect errno=ENOENT\n");
    snprintf(line, sizeof(line),
             "buffer rbuf2 = 0x1000 align=0x8000\n"
             "poke rbuf2+0x0 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
             " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
             "poke rbuf2+0x20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
             " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
             "IOMMU_HWPT_INVALIDATE hwpt_id=0x7777 data_uptr=rbuf2+0x0"
             " entry_len=0x20 entry_num=0x2\nexpect errno=ENOENT\n"
             "VFIO_GET_API_VERSION arg=0x0\nexpect errno=0\n"
             "VFIO_CHECK_EXTENSION arg=0x%x\nexpect errno=0\n",
             VFIO_TYPE1v2_IOMMU);
    HAS(t, line);
    cr_assert_null(strstr(t, "0xdead"), "unknown request recorded:\n%s", t);
    cr_assert_null(strstr(t, "IOMMU_DESTROY"), "bad-fd ioctl recorded:\n%s", t);
    munmap(map, 6u << 20);
}

/* Without MOCKFD_RECORD (or with an unwritable path) nothing is written and
 * the ioctls behave as usual. */
Test(cov_record, off_when_unset_or_unwritable)
{
    int fd;

    setenv("MOCKFD_RECORD", "/nonexistent-dir/x/rec.scn", 1);
    fd = mockfd_open();
    cr_assert_gt(ioas_alloc(fd), 0);
    cr_assert_eq(access("/nonexistent-dir/x/rec.scn", F_OK), -1);
    mockfd_close(fd);
}
