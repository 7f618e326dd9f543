/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_OPTION (0x87), iommufd.md §4.8; the kernel's iommufd_option() and
 * iommufd_option_rlimit_mode() in drivers/iommu/iommufd/main.c.
 */
#include "handlers.h"
#include "mockfd_internal.h"

#include <linux/capability.h>
#include <linux/iommufd.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capable(CAP_SYS_RESOURCE): the effective set of the calling thread. */
static bool capable_sys_resource(void)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    if (syscall(SYS_capget, &hdr, data) != 0)
        return false;
    return (data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE)) != 0;
}

static int rlimit_mode(struct mfd_ctx *ctx, struct iommu_option *cmd)
{
    /* Global per-fd option: object_id must be 0. */
    if (cmd->object_id)
        return -EOPNOTSUPP;
    if (cmd->op == IOMMU_OPTION_OP_GET) {
        /* 1 = mm based (mm->pinned_vm, as VFIO type1), 0 = user based. */
        cmd->val64 = ctx->account_mm ? 1 : 0;
        return 0;
    }
    if (cmd->op == IOMMU_OPTION_OP_SET) {
        /* Order: EPERM, then EBUSY (any object at all, xa_empty), then the
         * value (EINVAL). */
        if (!capable_sys_resource())
            return -EPERM;
        if (mfd_obj_count(ctx))
            return -EBUSY;
        if (cmd->val64 == 0)
            ctx->account_mm = false;
        else if (cmd->val64 == 1)
            ctx->account_mm = true;
        else
            return -EINVAL;
        return 0;
    }
    return -EOPNOTSUPP;
}

int mfd_option(struct mfd_ucmd *ucmd)
{
    struct iommu_option *cmd = ucmd->cmd_buf;
    size_t off = offsetof(struct iommu_option, val64), n;
    int rc;

    if (cmd->__reserved)
        return -EOPNOTSUPP;
    switch (cmd->option_id) {
    case IOMMU_OPTION_RLIMIT_MODE:
        rc = rlimit_mode(ucmd->ctx, cmd);
        break;
    case IOMMU_OPTION_HUGE_PAGES:
        /* Per IOAS (ioas.c): ENOENT for a non-IOAS object_id, EOPNOTSUPP
         * for an unknown op, EINVAL/EADDRINUSE on SET. */
        {
            uint64_t v = cmd->val64;
            rc = mfd_ioas_option_huge_pages(ucmd->ctx, cmd->object_id, cmd->op, &v);
            cmd->val64 = v;
        }
        break;
    default:
        return -EOPNOTSUPP;
    }
    if (rc)
        return rc;
    /* Response: ONLY val64 (8 bytes at offset 16) goes back, never the whole
     * struct. The kernel copies it after every successful op, SET included
     * (main.c iommufd_option: copy_to_user(&ubuffer->val64, ...)
     * unconditionally); for SET that rewrites the caller's own value, and is
     * observable only as EFAULT on a read-only struct, after the option has
     * taken effect. Clipped to the caller's size (never below the 24-byte
     * minimum, so this is the full 8 bytes). */
    n = ucmd->user_size > off ? ucmd->user_size - off : 0;
    if (n > sizeof(cmd->val64))
        n = sizeof(cmd->val64);
    return mfd_copy_to_user(ucmd->ubuffer + off, &cmd->val64, n);
}
