/* One round of IOMMU dirty tracking, written as an ordinary Linux program:
 * libc and the uapi headers only, the real device paths, ioctl(2).
 *
 *   MOCKFD_PLATFORM="vtd:0x10" LD_PRELOAD=$PWD/build/libmockfd-preload.so \
 *       build/examples/dirty_round [--dup]
 *
 * open /dev/vfio/devices/vfio0 and /dev/iommu, VFIO_DEVICE_BIND_IOMMUFD,
 * IOMMU_IOAS_ALLOC, IOMMU_IOAS_MAP (16 pages at IOVA 0x100000),
 * IOMMU_HWPT_ALLOC(DIRTY_TRACKING), VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 * IOMMU_HWPT_SET_DIRTY_TRACKING, device DMA writes, then
 * IOMMU_HWPT_GET_DIRTY_BITMAP, printed one character per 4 KiB page.
 *
 * The one step a real program cannot do is make the device DMA: on real
 * hardware the device does it by itself. Under the shim the emulated device
 * is driven by mockfd_device_dma() (mockfd/mockfd.h), which this program
 * declares WEAK, so that it still links and runs without the mock: when
 * libmockfd-preload.so is preloaded the symbol resolves to the shim's
 * export; otherwise it is NULL and the program says so. That call is the
 * only non-standard line here (marked DMA below).
 *
 * --dup: dup2() both fds to other numbers and close the originals before
 * any ioctl, as shells and dd do (the mock follows dup/dup2/fcntl). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define NPAGES 16
#define IOVA   0x100000ull

/* mockfd/mockfd.h: DMA by the emulated device behind device_fd (a VFIO
 * cdev fd), through the IOMMU it is attached to. 0 or -1 with errno. */
extern int mockfd_device_dma(int device_fd, uint32_t pasid, uint64_t iova, void *buf,
                             size_t len, bool write) __attribute__((weak));

static int fail(const char *what)
{
    fprintf(stderr, "%s: %s (errno %d)\n", what, strerror(errno), errno);
    return 1;
}

/* Move fd to number `to` (dup2) or to the lowest free number >= -to
 * (fcntl F_DUPFD), then close the original: `exec 7<&3 3<&-` in a shell. */
static int move_fd(int fd, int to)
{
    int n = to >= 0 ? dup2(fd, to) : fcntl(fd, F_DUPFD, -to);

    if (n < 0 || close(fd))
        return -1;
    return n;
}

int main(int argc, char **argv)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct iommu_hwpt_set_dirty_tracking sd = { .size = sizeof(sd),
                                                .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
    struct iommu_hwpt_get_dirty_bitmap gd = { .size = sizeof(gd), .iova = IOVA,
                                              .length = NPAGES * 4096, .page_size = 4096 };
    static const unsigned writes[][2] = { { 1, 0 }, { 4, 4000 }, { 9, 17 } }; /* page, offset */
    uint8_t payload[200], bitmap[NPAGES / 8] = { 0 };
    bool dup_fds = argc > 1 && !strcmp(argv[1], "--dup");
    char bits[NPAGES + 1];
    int dev, fd, i;
    void *buf;

    dev = open("/dev/vfio/devices/vfio0", O_RDWR);
    if (dev < 0)
        return fail("open /dev/vfio/devices/vfio0");
    fd = open("/dev/iommu", O_RDWR);
    if (fd < 0)
        return fail("open /dev/iommu");
    if (dup_fds) {
        dev = move_fd(dev, 40);
        fd = move_fd(fd, -50);
        if (dev < 0 || fd < 0)
            return fail("dup2");
        printf("moved to fds %d (device) and %d (iommufd)\n", dev, fd);
    }
    bind.iommufd = fd;
    if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
        return fail("VFIO_DEVICE_BIND_IOMMUFD");
    if (ioctl(fd, IOMMU_IOAS_ALLOC, &ia))
        return fail("IOMMU_IOAS_ALLOC");
    buf = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return fail("mmap");
    {
        struct iommu_ioas_map map = {
            .size = sizeof(map), .ioas_id = ia.out_ioas_id, .user_va = (uintptr_t)buf,
            .length = NPAGES * 4096, .iova = IOVA,
            .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                     IOMMU_IOAS_MAP_WRITEABLE,
        };

        if (ioctl(fd, IOMMU_IOAS_MAP, &map))
            return fail("IOMMU_IOAS_MAP");
    }
    ha.dev_id = bind.out_devid;
    ha.pt_id = ia.out_ioas_id;
    if (ioctl(fd, IOMMU_HWPT_ALLOC, &ha))
        return fail("IOMMU_HWPT_ALLOC(DIRTY_TRACKING)");
    at.pt_id = ha.out_hwpt_id;
    if (ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
        return fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
    sd.hwpt_id = ha.out_hwpt_id;
    if (ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &sd))
        return fail("IOMMU_HWPT_SET_DIRTY_TRACKING");

    /* DMA: the device writes; the CPU's own stores are not tracked */
    if (!mockfd_device_dma) {
        fprintf(stderr, "no mockfd_device_dma: run with LD_PRELOAD=.../libmockfd-preload.so\n");
        return 2;
    }
    memset(payload, 0x5a, sizeof(payload));
    ((uint8_t *)buf)[12 * 4096] = 1;
    for (i = 0; i < (int)(sizeof(writes) / sizeof(writes[0])); i++) {
        uint64_t iova = IOVA + writes[i][0] * 4096ull + writes[i][1];

        if (mockfd_device_dma(dev, 0, iova, payload, sizeof(payload), true))
            return fail("device DMA");
        printf("device wrote %zu bytes at iova 0x%llx\n", sizeof(payload),
               (unsigned long long)iova);
    }

    gd.hwpt_id = ha.out_hwpt_id;
    gd.data = (uintptr_t)bitmap;
    if (ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gd))
        return fail("IOMMU_HWPT_GET_DIRTY_BITMAP");
    for (i = 0; i < NPAGES; i++)
        bits[i] = (bitmap[i / 8] >> (i % 8)) & 1 ? '1' : '0';
    bits[NPAGES] = '\0';
    printf("dirty bitmap (page 0..%d): %s\n", NPAGES - 1, bits);
    /* a second harvest: the first one cleared the bits */
    memset(bitmap, 0, sizeof(bitmap));
    if (ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gd))
        return fail("IOMMU_HWPT_GET_DIRTY_BITMAP");
    for (i = 0; i < NPAGES; i++)
        bits[i] = (bitmap[i / 8] >> (i % 8)) & 1 ? '1' : '0';
    printf("after the clear:            %s\n", bits);

    {
        struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };
        struct iommu_destroy d = { .size = sizeof(d), .id = ha.out_hwpt_id };

        if (ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de) || ioctl(fd, IOMMU_DESTROY, &d))
            return fail("detach/destroy");
    }
    if (close(dev) || close(fd))
        return fail("close");
    munmap(buf, NPAGES * 4096);
    return 0;
}
