/* SPDX-License-Identifier: MIT */
/*
 * The /dev/iommu file of the mock: open, the ioctl dispatcher with struct-size
 * negotiation, IOMMU_DESTROY, release (close), the kernel-version knob and the
 * fault-injection point. Mirrors drivers/iommu/iommufd/main.c
 * (iommufd_fops_ioctl, iommufd_ioctl_ops[]); the order of checks is that of
 * iommufd.md §2, which the kernel selftests cmd_fail/cmd_length/cmd_ex_fail
 * depend on.
 */
#include "handlers.h"
#include "mockfd_internal.h"

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The kernel-side copy of one command: a union of every command struct, so
 * that the buffer is as large and as aligned as the largest (iommufd.md
 * §11.1: 72 bytes with the test command). */
union ucmd_buffer {
    struct iommu_destroy destroy;
    struct iommu_ioas_alloc alloc;
    struct iommu_ioas_allow_iovas allow_iovas;
    struct iommu_ioas_copy ioas_copy;
    struct iommu_ioas_iova_ranges iova_ranges;
    struct iommu_ioas_map map;
    struct iommu_ioas_map_file map_file;
    struct iommu_ioas_unmap unmap;
    struct iommu_option option;
    struct iommu_vfio_ioas vfio_ioas;
    struct iommu_hwpt_alloc hwpt;
    struct iommu_hw_info info;
    struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
    struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
    struct iommu_hwpt_invalidate cache;
    struct iommu_fault_alloc fault;
    struct iommu_viommu_alloc viommu;
    struct iommu_vdevice_alloc vdev;
    struct iommu_ioas_change_process change_process;
    struct iommu_veventq_alloc veventq;
    struct iommu_hw_queue_alloc hw_queue;
    struct iommu_test_cmd test;
};

/* A struct size of an older kernel: in effect for kernels >= since. */
struct vsize {
    unsigned int since, size;
};

struct ioctl_op {
    unsigned int size;            /* sizeof the newest struct */
    const struct vsize *older;    /* sizes by release, newest first; NULL: fixed */
    unsigned int min_size;        /* offsetofend(last mandatory field) */
    unsigned int ioctl_num;       /* the exact accepted number */
    unsigned int since;           /* first kernel (major*100+minor) */
    mfd_ioctl_fn execute;
};

/* iommufd.md §1.2: sizes, minimum sizes (the kernel's IOCTL_OP(_, _, struct,
 * last)) and the release that added each command (those are marked [verify]
 * in the reference; they only matter with MOCKFD_KERNEL set). */
#define IOCTL_OP(_ioctl, _fn, _struct, _last, _since)                            \
    [_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                                      \
        .size = sizeof(struct _struct),                                           \
        .min_size = offsetofend(struct _struct, _last),                           \
        .ioctl_num = _ioctl,                                                      \
        .since = _since,                                                          \
        .execute = _fn,                                                           \
    }

/* Structs that grew optional tails (iommufd.md §1.2 "added" column, [verify];
 * §11.2c): on an older target kernel the kernel's struct is the older size,
 * so a newer caller's non-zero new fields are E2BIG and responses are clipped
 * to the older size. */
static const struct vsize hwpt_alloc_sizes[] = { { 611, 48 }, { 607, 40 }, { 0, 24 } };
static const struct vsize hw_info_sizes[] = { { 607, 40 }, { 0, 32 } };
static const struct vsize viommu_alloc_sizes[] = { { 617, 40 }, { 0, 24 } };

#define IOCTL_OP_GREW(_ioctl, _fn, _struct, _last, _since, _older)               \
    [_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                                      \
        .size = sizeof(struct _struct),                                           \
        .older = _older,                                                          \
        .min_size = offsetofend(struct _struct, _last),                           \
        .ioctl_num = _ioctl,                                                      \
        .since = _since,                                                          \
        .execute = _fn,                                                           \
    }

static const struct ioctl_op ops[] = {
    IOCTL_OP(IOMMU_DESTROY, mfd_destroy, iommu_destroy, id, 602),
    IOCTL_OP(IOMMU_IOAS_ALLOC, mfd_ioas_alloc, iommu_ioas_alloc, out_ioas_id, 602),
    IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, mfd_ioas_allow_iovas, iommu_ioas_allow_iovas,
             allowed_iovas, 602),
    IOCTL_OP(IOMMU_IOAS_COPY, mfd_ioas_copy, iommu_ioas_copy, src_iova, 602),
    IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, mfd_ioas_iova_ranges, iommu_ioas_iova_ranges,
             out_iova_alignment, 602),
    IOCTL_OP(IOMMU_IOAS_MAP, mfd_ioas_map, iommu_ioas_map, iova, 602),
    IOCTL_OP(IOMMU_IOAS_UNMAP, mfd_ioas_unmap, iommu_ioas_unmap, length, 602),
    IOCTL_OP(IOMMU_OPTION, mfd_option, iommu_option, val64, 602),
    IOCTL_OP(IOMMU_VFIO_IOAS, mfd_vfio_ioas, iommu_vfio_ioas, __reserved, 602),
    IOCTL_OP_GREW(IOMMU_HWPT_ALLOC, mfd_hwpt_alloc, iommu_hwpt_alloc, __reserved, 606,
                  hwpt_alloc_sizes),
    IOCTL_OP_GREW(IOMMU_GET_HW_INFO, mfd_get_hw_info, iommu_hw_info, __reserved, 606,
                  hw_info_sizes),
    IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, mfd_hwpt_set_dirty_tracking,
             iommu_hwpt_set_dirty_tracking, __reserved, 607),
    IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, mfd_hwpt_get_dirty_bitmap,
             iommu_hwpt_get_dirty_bitmap, data, 607),
    IOCTL_OP(IOMMU_HWPT_INVALIDATE, mfd_hwpt_invalidate, iommu_hwpt_invalidate,
             __reserved, 608),
    IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, mfd_fault_alloc, iommu_fault_alloc, out_fault_fd, 611),
    IOCTL_OP(IOMMU_IOAS_MAP_FILE, mfd_ioas_map_file, iommu_ioas_map_file, iova, 613),
    IOCTL_OP_GREW(IOMMU_VIOMMU_ALLOC, mfd_viommu_alloc, iommu_viommu_alloc, out_viommu_id, 613,
                  viommu_alloc_sizes),
    IOCTL_OP(IOMMU_VDEVICE_ALLOC, mfd_vdevice_alloc, iommu_vdevice_alloc, virt_id, 613),
    IOCTL_OP(IOMMU_IOAS_CHANGE_PROCESS, mfd_ioas_change_process,
             iommu_ioas_change_process, __reserved, 614),
    IOCTL_OP(IOMMU_VEVENTQ_ALLOC, mfd_veventq_alloc, iommu_veventq_alloc,
             out_veventq_fd, 615),
    IOCTL_OP(IOMMU_HW_QUEUE_ALLOC, mfd_hw_queue_alloc, iommu_hw_queue_alloc, length, 617),
    /* CONFIG_IOMMUFD_TEST is always "enabled" in the mock. */
    IOCTL_OP(IOMMU_TEST_CMD, mfd_test_cmd, iommu_test_cmd, last, 0),
};

_Static_assert(sizeof(union ucmd_buffer) == 72, "largest command is iommu_test_cmd");

/* ---- dispatch ------------------------------------------------------------- */

/* The kernel's sizeof for this command on the target kernel. */
static unsigned int ksize_of(const struct ioctl_op *op)
{
    unsigned int kv;

    if (!op->older)
        return op->size;
    kv = mfd_kernel_version();
    for (const struct vsize *v = op->older;; v++)
        if (kv >= v->since)
            return v->size;
}

static long iommufd_ioctl(struct mfd_file *f, unsigned int cmd, unsigned long arg)
{
    struct mfd_ctx *ctx = f->priv;
    const struct ioctl_op *op;
    union ucmd_buffer buf;
    struct mfd_ucmd ucmd;
    unsigned int nr = _IOC_NR(cmd);
    uint32_t user_size;
    unsigned int ksize;
    bool prefetched;
    long ret;

    /* §2 step 1: outside the table -> VFIO type1 compat (ENOTTY if unknown).
     * It runs under ctx->lock like every command, for the IOAS state. */
    if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(ops)) {
        pthread_mutex_lock(&ctx->lock);
        ret = mfd_vfio_compat_ioctl(ctx, cmd, arg);
        pthread_mutex_unlock(&ctx->lock);
        return ret;
    }
    /* Step 2: get_user(size) before the entry is validated: EFAULT wins over
     * ENOTTY for a hole or a mis-encoded number.
     * Fast path: when the size word and the whole struct lie in one 4 KiB
     * window (one page), read them with a single access. That faults exactly
     * when reading the size word alone would (page permissions are per
     * page), and bytes past `size` that are read here are never used. */
    op = &ops[nr - IOMMUFD_CMD_BASE];
    ksize = ksize_of(op);
    prefetched = ksize >= sizeof(user_size) && (arg & 4095) + ksize <= 4096;
    ret = prefetched ? mfd_copy_from_user(&buf, arg, ksize)
                     : mfd_copy_from_user(&user_size, arg, sizeof(user_size));
    if (ret)
        return ret;
    if (prefetched)
        memcpy(&user_size, &buf, sizeof(user_size));
    /* Step 3: a hole, or a number with direction/size bits -> ENOTTY (the
     * VFS turns -ENOIOCTLCMD into ENOTTY). Commands newer than the target
     * kernel are holes there. */
    if (!op->execute || op->ioctl_num != cmd || mfd_kernel_version() < op->since)
        return -ENOTTY;
    /* Step 4. */
    if (user_size < op->min_size)
        return -EINVAL;
    /* Step 5: copy_struct_from_user (zero-extend / zero-tail-or-E2BIG). */
    if (!prefetched) {
        ret = mfd_copy_struct_from_user(&buf, ksize, arg, user_size);
    } else if (user_size < ksize) {
        memset((char *)&buf + user_size, 0, ksize - user_size);
    } else if (user_size > ksize) {
        /* The first ksize bytes are already in buf. */
        ret = mfd_check_zeroed_user(arg + ksize, user_size - ksize);
    }
    if (ret)
        return ret;
    /* Handlers see the newest layout; fields an older kernel lacks are 0. */
    if (ksize < op->size)
        memset((char *)&buf + ksize, 0, op->size - ksize);

    memset(&ucmd, 0, sizeof(ucmd));
    ucmd.ctx = ctx;
    ucmd.ubuffer = arg;
    ucmd.user_size = user_size;
    ucmd.cmd = cmd;
    ucmd.cmd_buf = &buf;
    ucmd.ksize = ksize;
    /* Step 6, serialised per fd; step 7: publish or abort the new object. */
    pthread_mutex_lock(&ctx->lock);
    ret = op->execute(&ucmd);
    if (ucmd.new_obj) {
        if (ret >= 0)
            mfd_obj_finalize(ucmd.new_obj);
        else
            mfd_obj_abort(ucmd.new_obj);
    }
    pthread_mutex_unlock(&ctx->lock);
    return ret;
}

int mfd_ucmd_respond(struct mfd_ucmd *ucmd, size_t len)
{
    /* iommufd_ucmd_respond(): min(user_size, len) bytes of the whole kernel
     * struct; a caller with an older, shorter struct never gets bytes written
     * past its size. */
    size_t n = ucmd->user_size < len ? ucmd->user_size : len;

    /* An older target kernel's struct is shorter (ksize_of). */
    if (ucmd->ksize && n > ucmd->ksize)
        n = ucmd->ksize;

    return mfd_copy_to_user(ucmd->ubuffer, ucmd->cmd_buf, n) ? -EFAULT : 0;
}

int mfd_destroy(struct mfd_ucmd *ucmd)
{
    struct iommu_destroy *cmd = ucmd->cmd_buf;

    /* iommufd.md §4.1: only id is checked (ENOENT / EBUSY, §3). */
    return mfd_obj_destroy_id(ucmd->ctx, cmd->id);
}

/* ---- the file ------------------------------------------------------------- */

static void iommufd_release(struct mfd_file *f)
{
    struct mfd_ctx *ctx = f->priv;

    /* iommufd_fops_release(): runs when the last reference is gone (the fd
     * closed and no ioctl in flight), destroying every object leaf-first. */
    pthread_mutex_lock(&ctx->lock);
    mfd_obj_destroy_all(ctx);
    pthread_mutex_unlock(&ctx->lock);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

static const struct mfd_file_ops iommufd_fops = {
    .name = "iommufd",
    .ioctl = iommufd_ioctl,
    /* No read/write on /dev/iommu itself (iommufd.md §2, the file). */
    .release = iommufd_release,
};

struct mfd_ctx *mfd_ctx_from_file(struct mfd_file *f)
{
    return f && f->ops == &iommufd_fops ? f->priv : NULL;
}

int mockfd_open(void)
{
    struct mfd_ctx *ctx;
    struct mfd_file *f;
    int fd, rc;

    mfd_uaccess_init();
    fd = mfd_file_new_fd();
    if (fd < 0) {
        errno = -fd;
        return -1;
    }
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    ctx->lowest_free = 1;
    pthread_mutex_init(&ctx->lock, NULL);
    rc = mfd_file_install(fd, &iommufd_fops, ctx);
    if (rc) {
        pthread_mutex_destroy(&ctx->lock);
        free(ctx);
        close(fd);
        errno = -rc;
        return -1;
    }
    /* The back pointer (ctx->file): the number is not handed out yet, so
     * the file found is ours; the table's reference keeps it alive, so the
     * lookup's own reference is dropped at once. NULL only if another
     * thread closed a number it was never given (ctx already released). */
    f = mfd_file_get(fd);
    if (!f) {
        errno = EBADF;
        return -1;
    }
    ctx->file = f;
    mfd_file_put(f);
    return fd;
}

/* ---- kernel-version knob -------------------------------------------------- */

static _Atomic unsigned kversion;   /* 0 = not parsed yet */

static unsigned parse_version(const char *s)
{
    unsigned long major, minor;
    char *end;

    if (!s || !*s || strcmp(s, "newest") == 0)
        return MFD_KERNEL_NEWEST;
    major = strtoul(s, &end, 10);
    if (end == s || *end != '.')
        goto bad;
    s = end + 1;
    minor = strtoul(s, &end, 10);
    if (end == s || (*end && *end != '.') || major == 0 || major > 98 || minor > 99)
        goto bad;
    return (unsigned)(major * 100 + minor);
bad:
    fprintf(stderr, "mockfd: MOCKFD_KERNEL='%s' not understood (want e.g. 6.12 or "
            "newest); using newest\n", getenv("MOCKFD_KERNEL"));
    return MFD_KERNEL_NEWEST;
}

unsigned mfd_kernel_version(void)
{
    unsigned v = atomic_load_explicit(&kversion, memory_order_relaxed);

    if (__builtin_expect(v == 0, 0)) {
        /* Idempotent: a racing first call parses the same string. */
        v = parse_version(getenv("MOCKFD_KERNEL"));
        atomic_store_explicit(&kversion, v, memory_order_relaxed);
    }
    return v;
}

/* ---- fault injection (the kernel's fail_nth via iommufd_should_fail) ------ */

static atomic_ulong fail_nth;     /* 0: disarmed */
static atomic_ulong fail_count;   /* points passed since mfd_fail_nth_set */

void mfd_fail_nth_set(unsigned long nth)
{
    atomic_store(&fail_count, 0);
    atomic_store(&fail_nth, nth);
}

unsigned long mfd_fail_nth_count(void)
{
    return atomic_load(&fail_count);
}

bool mfd_should_fail(void)
{
    unsigned long nth = atomic_load_explicit(&fail_nth, memory_order_relaxed);

    if (__builtin_expect(nth == 0, 1))
        return false;
    /* The Nth point after arming fails, once; counting goes on so that a
     * fail-nth loop sees "count < N" when N is past the last point. */
    return atomic_fetch_add(&fail_count, 1) + 1 == nth;
}
