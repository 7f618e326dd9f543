/* SPDX-License-Identifier: MIT */
/*
 * VFIO cdev device files (/dev/vfio/devices/vfioN; the kernel's
 * drivers/vfio/device_cdev.c and the cdev half of vfio_main.c's
 * vfio_device_fops_unl_ioctl), and device DMA through the IOMMU.
 *
 * Ioctls: VFIO_DEVICE_BIND_IOMMUFD first (every other ioctl before it is
 * -EINVAL: access not granted), then VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 * VFIO_DEVICE_DETACH_IOMMUFD_PT and VFIO_DEVICE_GET_INFO (vfio-pci's basic
 * answer); anything else -ENOTTY (vfio_pci_core_ioctl). close() unbinds.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "device.h"
#include "platform.h"

struct vfio_df {
    struct mfd_pdev *pdev;
    pthread_mutex_t lock;            /* the vfio dev_set lock */
    bool access_granted;
    struct mfd_ctx *ctx;             /* bound iommufd */
    struct mfd_device *idev;
};

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))

static long df_bind(struct vfio_df *df, unsigned long arg)
{
    struct vfio_device_bind_iommufd bind;
    const size_t minsz = offsetofend(struct vfio_device_bind_iommufd, out_devid);
    struct mfd_file *f;
    struct mfd_ctx *ctx;
    struct mfd_device *idev;
    long rc;

    /* vfio_df_ioctl_bind_iommufd */
    if (mfd_copy_from_user(&bind, arg, minsz))
        return -EFAULT;
    if (bind.argsz < minsz || bind.iommufd < 0 || (bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN))
        return -EINVAL;
    if (bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
        uint8_t uuid[16];
        uint64_t uptr;

        if (bind.argsz < offsetofend(struct vfio_device_bind_iommufd, token_uuid_ptr))
            return -EINVAL;
        if (mfd_copy_from_user(&uptr, arg + offsetof(struct vfio_device_bind_iommufd,
                                                     token_uuid_ptr), sizeof(uptr)) ||
            mfd_copy_from_user(uuid, uptr, sizeof(uuid)))
            return -EFAULT;
        /* vfio_pci_validate_vf_token: a token given to a device that is
         * neither an SR-IOV PF nor a VF */
        return -EINVAL;
    }
    pthread_mutex_lock(&df->lock);
    /* one device file cannot be bound twice */
    if (df->access_granted) {
        rc = -EINVAL;
        goto out_unlock;
    }
    /* iommufd_ctx_from_fd: not a file -> EBADF, not an iommufd -> EBADFD */
    f = mfd_file_get(bind.iommufd);
    if (!f) {
        rc = -EBADF;
        goto out_unlock;
    }
    ctx = mfd_ctx_from_file(f);
    if (!ctx) {
        mfd_file_put(f);
        rc = -EBADFD;
        goto out_unlock;
    }
    /* vfio_df_open: a cdev device is open by one file at a time */
    mfd_platform_lock();
    if (df->pdev->bound) {
        mfd_platform_unlock();
        mfd_file_put(f);
        rc = -EINVAL;
        goto out_unlock;
    }
    df->pdev->bound = true;
    mfd_platform_unlock();
    pthread_mutex_lock(&ctx->lock);
    rc = mfd_device_bind(ctx, df->pdev, f, &idev);
    pthread_mutex_unlock(&ctx->lock);
    if (rc)
        goto out_close;
    if (mfd_copy_to_user(arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
                         &idev->obj.id, sizeof(uint32_t))) {
        pthread_mutex_lock(&ctx->lock);
        mfd_device_unbind(idev);
        pthread_mutex_unlock(&ctx->lock);
        rc = -EFAULT;
        goto out_close;
    }
    df->ctx = ctx;
    df->idev = idev;
    df->access_granted = true;
    pthread_mutex_unlock(&df->lock);
    return 0;
out_close:
    mfd_platform_lock();
    df->pdev->bound = false;
    mfd_platform_unlock();
    mfd_file_put(f);
out_unlock:
    pthread_mutex_unlock(&df->lock);
    return rc;
}

static long df_attach(struct vfio_df *df, unsigned long arg)
{
    struct vfio_device_attach_iommufd_pt at;
    const size_t minsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
    uint32_t pasid = 0;
    long rc;

    /* vfio_df_ioctl_attach_pt */
    memset(&at, 0, sizeof(at));
    if (mfd_copy_from_user(&at, arg, minsz))
        return -EFAULT;
    if (at.argsz < minsz)
        return -EINVAL;
    if (at.flags & ~VFIO_DEVICE_ATTACH_PASID)
        return -EINVAL;
    if (at.flags & VFIO_DEVICE_ATTACH_PASID) {
        const size_t xend = offsetofend(struct vfio_device_attach_iommufd_pt, pasid);

        if (at.argsz < xend)
            return -EINVAL;
        if (mfd_copy_from_user(&at.pasid, arg + minsz, xend - minsz))
            return -EFAULT;
        /* IOMMU_NO_PASID is the RID, not a PASID */
        if (!at.pasid)
            return -EINVAL;
        pasid = at.pasid;
    }
    pthread_mutex_lock(&df->lock);
    pthread_mutex_lock(&df->ctx->lock);
    rc = mfd_device_attach(df->idev, pasid, &at.pt_id);
    if (!rc && mfd_copy_to_user(arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id),
                                &at.pt_id, sizeof(at.pt_id))) {
        mfd_device_detach(df->idev, pasid);
        rc = -EFAULT;
    }
    pthread_mutex_unlock(&df->ctx->lock);
    pthread_mutex_unlock(&df->lock);
    return rc;
}

static long df_detach(struct vfio_df *df, unsigned long arg)
{
    struct vfio_device_detach_iommufd_pt de;
    const size_t minsz = offsetofend(struct vfio_device_detach_iommufd_pt, flags);
    uint32_t pasid = 0;

    /* vfio_df_ioctl_detach_pt */
    memset(&de, 0, sizeof(de));
    if (mfd_copy_from_user(&de, arg, minsz))
        return -EFAULT;
    if (de.argsz < minsz)
        return -EINVAL;
    if (de.flags & ~VFIO_DEVICE_DETACH_PASID)
        return -EINVAL;
    if (de.flags & VFIO_DEVICE_DETACH_PASID) {
        const size_t xend = offsetofend(struct vfio_device_detach_iommufd_pt, pasid);

        if (de.argsz < xend)
            return -EINVAL;
        if (mfd_copy_from_user(&de.pasid, arg + minsz, xend - minsz))
            return -EFAULT;
        if (!de.pasid)
            return 0;            /* no PASID attachment can be named 0 */
        pasid = de.pasid;
    }
    pthread_mutex_lock(&df->lock);
    pthread_mutex_lock(&df->ctx->lock);
    mfd_device_detach(df->idev, pasid);
    pthread_mutex_unlock(&df->ctx->lock);
    pthread_mutex_unlock(&df->lock);
    return 0;
}

static long df_get_info(struct vfio_df *df, unsigned long arg)
{
    struct vfio_device_info info;
    const size_t minsz = offsetofend(struct vfio_device_info, num_irqs);

    (void)df;
    /* vfio_pci_ioctl_get_info: a PCI device with the 9 standard regions
     * (BARs 0-5, ROM, config, VGA) and 5 IRQ indexes, no capabilities */
    if (mfd_copy_from_user(&info, arg, minsz))
        return -EFAULT;
    if (info.argsz < minsz)
        return -EINVAL;
    info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
    info.num_regions = 9;
    info.num_irqs = 5;
    return mfd_copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long df_ioctl(struct mfd_file *f, unsigned int cmd, unsigned long arg)
{
    struct vfio_df *df = f->priv;
    bool granted;

    if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
        return df_bind(df, arg);
    pthread_mutex_lock(&df->lock);
    granted = df->access_granted;
    pthread_mutex_unlock(&df->lock);
    if (!granted)
        return -EINVAL;
    switch (cmd) {
    case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
        return df_attach(df, arg);
    case VFIO_DEVICE_DETACH_IOMMUFD_PT:
        return df_detach(df, arg);
    case VFIO_DEVICE_GET_INFO:
        return df_get_info(df, arg);
    default:
        return -ENOTTY;
    }
}

static void df_release(struct mfd_file *f)
{
    struct vfio_df *df = f->priv;
    struct mfd_file *ictx_file = NULL;

    /* vfio_df_unbind_iommufd: detach, destroy the DEVICE object, release
     * the device and drop the iommufd file reference (which may run the
     * iommufd's own release, so after its lock is dropped) */
    pthread_mutex_lock(&df->lock);
    if (df->access_granted) {
        ictx_file = df->idev->ictx_file;
        pthread_mutex_lock(&df->ctx->lock);
        mfd_device_unbind(df->idev);
        pthread_mutex_unlock(&df->ctx->lock);
        mfd_platform_lock();
        df->pdev->bound = false;
        mfd_platform_unlock();
        df->access_granted = false;
    }
    pthread_mutex_unlock(&df->lock);
    if (ictx_file)
        mfd_file_put(ictx_file);
    pthread_mutex_destroy(&df->lock);
    free(df);
}

static const struct mfd_file_ops vfio_df_fops = {
    .name = "vfio-device",
    .ioctl = df_ioctl,
    .release = df_release,
};

int mockfd_device_open(int device_index)
{
    struct mfd_pdev *pdev;
    struct vfio_df *df;
    int fd, rc;

    mfd_uaccess_init();
    pdev = mfd_platform_device(device_index);
    if (!pdev) {
        errno = ENOENT;          /* no /dev/vfio/devices/vfioN */
        return -1;
    }
    df = calloc(1, sizeof(*df));
    if (!df) {
        errno = ENOMEM;
        return -1;
    }
    df->pdev = pdev;
    pthread_mutex_init(&df->lock, NULL);
    fd = mfd_file_new_fd();
    if (fd < 0) {
        pthread_mutex_destroy(&df->lock);
        free(df);
        errno = -fd;
        return -1;
    }
    rc = mfd_file_install(fd, &vfio_df_fops, df);
    if (rc) {
        pthread_mutex_destroy(&df->lock);
        free(df);
        close(fd);
        errno = -rc;
        return -1;
    }
    return fd;
}

int mfd_vfio_df_index(struct mfd_file *f)
{
    if (!f || f->ops != &vfio_df_fops)
        return -EBADF;
    return ((struct vfio_df *)f->priv)->pdev->index;
}

int mockfd_device_dma(int device_fd, uint32_t pasid, uint64_t iova, void *buf, size_t len,
                      bool write)
{
    struct mfd_file *f = mfd_file_get(device_fd);
    struct mfd_pdev *pdev;
    int rc;

    if (!f || f->ops != &vfio_df_fops) {
        if (f)
            mfd_file_put(f);
        errno = EBADF;
        return -1;
    }
    pdev = ((struct vfio_df *)f->priv)->pdev;
    /* PASID 0 is the RID's own requests (VT-d RID_PASID, SMMU SSID 0) */
    rc = emu_dma(pdev->unit->hw, pdev->rid, (pasid == 0 || pasid == EMU_NO_PASID) ? EMU_NO_PASID
                                                                                  : pasid,
                 iova, buf, len, write, NULL);
    mfd_file_put(f);
    /* Interrupt delivery: a fault the DMA raised (or one pending from a
     * driver action since the last DMA) wrote its MSI doorbell; the
     * driver's handler consumes the fault log now, as Linux's IRQ thread
     * does, so fault state does not pile up. One load per unit otherwise. */
    mfd_platform_irq_poll();
    if (rc) {
        errno = rc == -EFAULT || rc < -4095 ? EFAULT : -rc;
        return -1;
    }
    return 0;
}
