/* SPDX-License-Identifier: MIT */
/*
 * `make demo`: a realistic IOAS session against the mock /dev/iommu, through
 * the public API only (mockfd_open/mockfd_ioctl/mockfd_close and the Linux
 * uapi structs). Each step prints what was asked, what came back, and the
 * errno name on failure; the program exits non-zero if anything behaves
 * differently from Linux iommufd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "mockfd/mockfd.h"

static int failures;

static const char *ename(int e)
{
    const char *n = e ? strerrorname_np(e) : "OK";

    return n ? n : "E?";
}

/* Report one step: rc/errno against the expectation (0 = success). */
static void step(int expect, int rc, int err, const char *fmt, ...)
{
    int got = rc == 0 ? 0 : err;
    va_list ap;

    printf("  ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (got == expect) {
        printf("  => %s%s\n", ename(got), expect ? " (as the kernel)" : "");
    } else {
        printf("  => %s, EXPECTED %s\n", ename(got), ename(expect));
        failures++;
    }
}

static int ioctl_e(int fd, unsigned long req, void *arg, int *err)
{
    int rc;

    errno = 0;
    rc = mockfd_ioctl(fd, req, arg);
    *err = errno;
    return rc;
}

static void show_ranges(int fd, uint32_t ioas)
{
    struct iommu_iova_range r[8];
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 8,
                                        .allowed_iovas = (uintptr_t)r };
    int err, rc = ioctl_e(fd, IOMMU_IOAS_IOVA_RANGES, &q, &err);

    step(0, rc, err, "IOAS_IOVA_RANGES ioas %u", ioas);
    if (rc)
        return;
    printf("      %u usable range(s), iova_alignment %llu\n", q.num_iovas,
           (unsigned long long)q.out_iova_alignment);
    for (uint32_t i = 0; i < q.num_iovas && i < 8; i++)
        printf("      [0x%016llx, 0x%016llx]\n", (unsigned long long)r[i].start,
               (unsigned long long)r[i].last);
}

static int huge_pages(int fd, uint32_t ioas, uint16_t op, uint64_t *val, int expect)
{
    struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                              .op = op, .object_id = ioas, .val64 = *val };
    int err, rc = ioctl_e(fd, IOMMU_OPTION, &o, &err);

    if (op == IOMMU_OPTION_OP_GET)
        step(expect, rc, err, "OPTION HUGE_PAGES GET ioas %u", ioas);
    else
        step(expect, rc, err, "OPTION HUGE_PAGES SET ioas %u = %llu", ioas,
             (unsigned long long)*val);
    if (!rc && op == IOMMU_OPTION_OP_GET) {
        *val = o.val64;
        printf("      huge pages %s\n", o.val64 ? "enabled" : "disabled");
    }
    return rc;
}

static int destroy(int fd, uint32_t id, int expect, const char *why)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };
    int err, rc = ioctl_e(fd, IOMMU_DESTROY, &d, &err);

    step(expect, rc, err, "DESTROY id %u (%s)", id, why);
    return rc;
}

/* DESTROY of an IOAS a device is attached to is EBUSY. That needs the
 * emulated platform (a device behind an IOMMU); if this build has none yet,
 * the step is reported as skipped. */
static void destroy_busy(int fd, uint32_t ioas)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = fd };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = ioas };
    struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };
    int iommu, dev, dfd, err = 0;

    iommu = mockfd_platform_add_iommu("vtd");
    dev = iommu >= 0 ? mockfd_platform_add_device(iommu, 0x10) : -1;
    dfd = dev >= 0 ? mockfd_device_open(dev) : -1;
    if (dfd < 0 || mockfd_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
        mockfd_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
        printf("  DESTROY while a device is attached: skipped, no emulated device "
               "available in this build (%s)\n", ename(errno));
        if (dfd >= 0)
            mockfd_close(dfd);
        return;
    }
    printf("      device %d attached to ioas %u through hwpt %u\n", dev, ioas, at.pt_id);
    destroy(fd, ioas, EBUSY, "a device's page table uses it");
    step(0, ioctl_e(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de, &err), err, "device detach");
    mockfd_close(dfd);
}

int main(void)
{
    const size_t blen = 64 * 1024;
    char *buf = mmap(NULL, blen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct iommu_ioas_alloc a1 = { .size = sizeof(a1) }, a2 = { .size = sizeof(a2) };
    uint64_t val = 0, fixed = 0x40000000;
    int fd, err, rc;

    printf("iommu-emu IOAS demo: the mock /dev/iommu, driven like a VMM would drive it\n\n");
    if (buf == MAP_FAILED)
        return 2;
    fd = mockfd_open();
    step(0, fd < 0 ? -1 : 0, errno, "open /dev/iommu (mockfd_open) = fd %d", fd);
    if (fd < 0)
        return 1;

    printf("\n1. An I/O address space\n");
    rc = ioctl_e(fd, IOMMU_IOAS_ALLOC, &a1, &err);
    step(0, rc, err, "IOAS_ALLOC = ioas %u", a1.out_ioas_id);
    if (rc)
        return 1;
    show_ranges(fd, a1.out_ioas_id);
    {
        struct iommu_iova_range allow = { 0x100000, 0x1fffffff };
        struct iommu_ioas_allow_iovas q = { .size = sizeof(q), .ioas_id = a1.out_ioas_id,
                                            .num_iovas = 1, .allowed_iovas = (uintptr_t)&allow };

        rc = ioctl_e(fd, IOMMU_IOAS_ALLOW_IOVAS, &q, &err);
        step(0, rc, err, "ALLOW_IOVAS [0x100000, 0x1fffffff] (steers automatic IOVAs)");
    }

    printf("\n2. Mapping a 64 KiB buffer\n");
    {
        struct iommu_ioas_map m = {
            .size = sizeof(m), .ioas_id = a1.out_ioas_id, .user_va = (uintptr_t)buf,
            .length = 16384, .iova = fixed,
            .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                     IOMMU_IOAS_MAP_WRITEABLE,
        };

        rc = ioctl_e(fd, IOMMU_IOAS_MAP, &m, &err);
        step(0, rc, err, "MAP 16 KiB at FIXED iova 0x%llx", (unsigned long long)fixed);
        rc = ioctl_e(fd, IOMMU_IOAS_MAP, &m, &err);
        step(EEXIST, rc, err, "MAP again at the same iova");
        m.flags = IOMMU_IOAS_MAP_READABLE;
        m.user_va = (uintptr_t)buf + 16384;
        m.length = 8192;
        m.iova = 0;
        rc = ioctl_e(fd, IOMMU_IOAS_MAP, &m, &err);
        step(0, rc, err, "MAP 8 KiB read-only at an automatic IOVA = 0x%llx",
             (unsigned long long)m.iova);
        if (!rc && (m.iova < 0x100000 || m.iova > 0x1fffffff)) {
            printf("      automatic IOVA outside the allowed range!\n");
            failures++;
        }
    }

    printf("\n3. Sharing pages with a second IOAS (IOAS_COPY)\n");
    rc = ioctl_e(fd, IOMMU_IOAS_ALLOC, &a2, &err);
    step(0, rc, err, "IOAS_ALLOC = ioas %u", a2.out_ioas_id);
    {
        struct iommu_ioas_copy c = {
            .size = sizeof(c), .dst_ioas_id = a2.out_ioas_id, .src_ioas_id = a1.out_ioas_id,
            .length = 8192, .src_iova = fixed + 4096,
            .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        };

        rc = ioctl_e(fd, IOMMU_IOAS_COPY, &c, &err);
        step(0, rc, err, "COPY 8 KiB from ioas %u @0x%llx -> ioas %u @0x%llx (auto)",
             a1.out_ioas_id, (unsigned long long)c.src_iova, a2.out_ioas_id,
             (unsigned long long)c.dst_iova);
        c.src_iova = fixed + 0x100000;
        rc = ioctl_e(fd, IOMMU_IOAS_COPY, &c, &err);
        step(ENOENT, rc, err, "COPY from an unmapped source range");
    }

    printf("\n4. Unmapping: areas are never split\n");
    {
        struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = a1.out_ioas_id,
                                      .iova = fixed + 4096, .length = 4096 };

        rc = ioctl_e(fd, IOMMU_IOAS_UNMAP, &u, &err);
        step(ENOENT, rc, err, "UNMAP 4 KiB inside the 16 KiB area");
        u.iova = fixed;
        u.length = 16384;
        rc = ioctl_e(fd, IOMMU_IOAS_UNMAP, &u, &err);
        step(0, rc, err, "UNMAP the whole area = %llu bytes", (unsigned long long)u.length);
    }

    printf("\n5. IOMMU_OPTION_HUGE_PAGES\n");
    huge_pages(fd, a1.out_ioas_id, IOMMU_OPTION_OP_GET, &val, 0);
    val = 0;
    huge_pages(fd, a1.out_ioas_id, IOMMU_OPTION_OP_SET, &val, 0);
    huge_pages(fd, a1.out_ioas_id, IOMMU_OPTION_OP_GET, &val, 0);
    if (val != 0)
        failures++;
    show_ranges(fd, a1.out_ioas_id);
    val = 2;
    huge_pages(fd, a1.out_ioas_id, IOMMU_OPTION_OP_SET, &val, EINVAL);
    val = 1;
    huge_pages(fd, a1.out_ioas_id, IOMMU_OPTION_OP_SET, &val, 0);

    printf("\n6. Destroying objects\n");
    destroy_busy(fd, a2.out_ioas_id);
    destroy(fd, a2.out_ioas_id, 0, "unused: freed, its pages released");
    destroy(fd, a2.out_ioas_id, ENOENT, "already gone");
    {
        struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = a1.out_ioas_id,
                                      .iova = 0, .length = UINT64_MAX };

        rc = ioctl_e(fd, IOMMU_IOAS_UNMAP, &u, &err);
        step(0, rc, err, "UNMAP all (iova 0, length U64_MAX) = %llu bytes",
             (unsigned long long)u.length);
        if (!rc && u.length != 8192)
            failures++;
        u.length = UINT64_MAX; /* the kernel wrote the byte count back */
        rc = ioctl_e(fd, IOMMU_IOAS_UNMAP, &u, &err);
        step(0, rc, err, "UNMAP all again on the empty IOAS = %llu bytes",
             (unsigned long long)u.length);
    }
    rc = mockfd_close(fd);
    step(0, rc, errno, "close (destroys the remaining ioas %u)", a1.out_ioas_id);
    munmap(buf, blen);

    printf("\n%s: %d unexpected result(s)\n", failures ? "FAILED" : "OK", failures);
    return failures ? 1 : 0;
}
