/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of the mock iommufd. Mirrors the kernel's structure
 * (drivers/iommu/iommufd/iommufd_private.h) so that behaviour can be compared
 * line for line: a per-fd context holding an ID table of reference-counted
 * objects, a ucmd carrying one ioctl, uaccess helpers that never fault.
 *
 * Layering: mockfd core (this directory) -> mockfd drivers (mockfd/drivers)
 * -> emu models. Handlers return 0 or a negative errno; only mockfd_ioctl()
 * converts to -1/errno.
 */
#ifndef IOMMU_EMU_MOCKFD_INTERNAL_H
#define IOMMU_EMU_MOCKFD_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../mockfd.h"

/* ------------------------------------------------------------------------ */
/* User memory access (mockfd/core/uaccess.c).                               */
/*
 * The kernel's copy_from_user/copy_to_user: a bad user pointer yields -EFAULT,
 * never a SIGSEGV. Partial copies are not reported: a copy either completes
 * or returns -EFAULT (the caller treats the destination as garbage then).
 * uptr is a user address as carried in the ABI (__aligned_u64).
 */
int mfd_copy_from_user(void *dst, uint64_t uptr, size_t len);
int mfd_copy_to_user(uint64_t uptr, const void *src, size_t len);
int mfd_clear_user(uint64_t uptr, size_t len);
/* 0 if every byte of [uptr, uptr+len) is zero, -E2BIG if one is not, -EFAULT. */
int mfd_check_zeroed_user(uint64_t uptr, size_t len);
/* The kernel's copy_struct_from_user(): ksize/usize rules of iommufd.md §2 step 5. */
int mfd_copy_struct_from_user(void *dst, size_t ksize, uint64_t uptr, size_t usize);
static inline uint64_t mfd_uptr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* ------------------------------------------------------------------------ */
/* Objects (mockfd/core/object.c).                                           */

enum mfd_obj_type {
    MFD_OBJ_NONE,
    MFD_OBJ_ANY = MFD_OBJ_NONE,   /* lookup wildcard, as IOMMUFD_OBJ_ANY */
    MFD_OBJ_DEVICE,
    MFD_OBJ_HWPT_PAGING,
    MFD_OBJ_HWPT_NESTED,
    MFD_OBJ_IOAS,
    MFD_OBJ_ACCESS,
    MFD_OBJ_FAULT,
    MFD_OBJ_VIOMMU,
    MFD_OBJ_VDEVICE,
    MFD_OBJ_VEVENTQ,
    MFD_OBJ_HW_QUEUE,
    MFD_OBJ_SELFTEST,
    MFD_OBJ_MAX
};

struct mfd_ctx;
struct mfd_obj;

struct mfd_obj_ops {
    /* Release everything the object holds (references on other objects
     * included). Called once, with ctx->lock held, after the object left the
     * ID table. Must not fail. */
    void (*destroy)(struct mfd_obj *obj);
};

struct mfd_obj {
    enum mfd_obj_type type;
    /* Reserved by mfd_obj_alloc (so a handler can put it in its response
     * before publishing, as the kernel does); visible to lookups only once
     * `published` (mfd_obj_finalize). */
    uint32_t id;
    /* users: 1 for the ID table, +1 per long-term reference from another
     * object (HWPT -> IOAS, attached device -> HWPT, ...). DESTROY with
     * users > 1 is EBUSY (iommufd.md §3). */
    int users;
    struct mfd_ctx *ctx;
    const struct mfd_obj_ops *ops;
    bool published;               /* set by mfd_obj_finalize */
};

/* Allocate a zeroed object of `size` bytes (>= sizeof(struct mfd_obj), obj
 * first member), reserve its ID (lowest free >= 1, shared by all kinds) but
 * leave it invisible to lookups. Publish with mfd_obj_finalize or drop with
 * mfd_obj_abort: a failed command leaves no ID behind. NULL means -ENOMEM
 * (allocation failure, fail-nth injection, or the 2^31-1 IDs exhausted). */
struct mfd_obj *mfd_obj_alloc(struct mfd_ctx *ctx, enum mfd_obj_type type, size_t size,
                              const struct mfd_obj_ops *ops);
void mfd_obj_finalize(struct mfd_obj *obj);
void mfd_obj_abort(struct mfd_obj *obj);          /* calls ops->destroy, frees ID */
/* Lookup of a published object; type MFD_OBJ_ANY matches every kind.
 * NULL if missing or of another kind (callers map that to ENOENT, or EINVAL
 * where iommufd.md says so). No reference is taken: ctx->lock is held for
 * the whole ioctl. */
struct mfd_obj *mfd_obj_get(struct mfd_ctx *ctx, uint32_t id, enum mfd_obj_type type);
/* Long-term references between objects. */
static inline void mfd_obj_ref(struct mfd_obj *obj) { obj->users++; }
static inline void mfd_obj_unref(struct mfd_obj *obj) { obj->users--; }
/* IOMMU_DESTROY semantics: -ENOENT, -EBUSY, or 0 (destroyed and freed). */
int mfd_obj_destroy_id(struct mfd_ctx *ctx, uint32_t id);
/* Used by close(): destroy all objects, leaf first (retry until empty). */
void mfd_obj_destroy_all(struct mfd_ctx *ctx);
/* Objects of the ctx, for oracles and fuzzing: count, and iteration. */
size_t mfd_obj_count(struct mfd_ctx *ctx);
struct mfd_obj *mfd_obj_next(struct mfd_ctx *ctx, uint32_t after_id); /* published only */

#define mfd_container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

/* ------------------------------------------------------------------------ */
/* Per-fd context and dispatch (mockfd/core/main.c).                         */

struct mfd_ctx {
    /* The context's own file (the kernel's ictx->file): a back pointer, not
     * a counted reference (the file owns the ctx; release frees it), valid
     * for the ctx's whole life. Never look the context up by fd number: after
     * dup2(fd, n) + close(fd) that number is gone or names another file.
     * Files that must keep the iommufd alive take mfd_file_ref(ctx->file). */
    struct mfd_file *file;
    pthread_mutex_t lock;          /* serialises ioctls on this fd */
    /* ID table: objs[id] for id < cap; NULL = free. */
    struct mfd_obj **objs;
    uint32_t cap;
    uint32_t nobj;
    uint32_t lowest_free;          /* hint, >= 1 */
    bool account_mm;               /* IOMMU_OPTION_RLIMIT_MODE */
    uint32_t vfio_ioas_id;         /* IOMMU_VFIO_IOAS compat IOAS, 0 = none */
    int vfio_type;                 /* VFIO_SET_IOMMU type, 0 = unset */
};

/* One ioctl in flight (the kernel's struct iommufd_ucmd). */
struct mfd_ucmd {
    struct mfd_ctx *ctx;
    uint64_t ubuffer;              /* user pointer to the struct */
    uint32_t user_size;            /* the caller's size word */
    unsigned int cmd;              /* the full ioctl number */
    void *cmd_buf;                 /* kernel copy, op->size bytes */
    /* Optional (the kernel's ucmd->new_obj, iommufd.md §2 step 7): an object
     * the handler allocated and left unpublished. The dispatcher publishes it
     * if the handler returns >= 0 and aborts it otherwise. */
    struct mfd_obj *new_obj;
    /* The kernel's sizeof for this command on the target kernel
     * (MOCKFD_KERNEL); cmd_buf always has the newest layout, zero past
     * ksize. mfd_ucmd_respond never writes more than ksize bytes. 0 = no
     * limit (a ucmd built outside the dispatcher). */
    uint32_t ksize;
};

/* Copy min(user_size, len) bytes of the kernel struct back (iommufd.md §2
 * "Response path"). 0 or -EFAULT. */
int mfd_ucmd_respond(struct mfd_ucmd *ucmd, size_t len);

/* Handler signature of the dispatch table {nr, size, min_size, handler}. */
typedef int (*mfd_ioctl_fn)(struct mfd_ucmd *ucmd);

/* Kernel version knob (MOCKFD_KERNEL, default newest): lets handlers apply the
 * documented errno/ABI differences (docs/oracle.md). Encoded major*100+minor. */
unsigned mfd_kernel_version(void);
#define MFD_KERNEL_NEWEST 9999u

/* The iommufd context behind a file, or NULL if f is not an iommufd fd
 * (the kernel's iommufd_ctx_from_file -> EBADFD for callers). Device binding
 * keeps the file referenced (mfd_file_get) as the kernel keeps ictx->file. */
struct mfd_file;
struct mfd_ctx *mfd_ctx_from_file(struct mfd_file *f);

/* ------------------------------------------------------------------------ */
/* The process-wide file table (mockfd/core/fdtable.c).                      */
/*
 * Every fd the mock hands out (iommufd, VFIO cdev device, fault queue,
 * vEVENTQ, access fds) is a real fd (a dup of the library's template file;
 * a fault queue's own eventfd, a vEVENTQ's pipe) with a struct mfd_file
 * installed in a table indexed by fd number. Lookups are
 * O(1) and lock-free (the LD_PRELOAD shim asks mockfd_owns_fd() on every
 * ioctl/close/read/write of the process). A file is reference counted: the
 * table holds one reference, every call in flight holds one, so a close()
 * racing an ioctl on the same fd only drops the table's reference and the
 * file is released when the ioctl returns (the kernel's fget/fput).
 */
struct mfd_file_ops {
    const char *name;              /* for traces */
    /* Return the ioctl(2) value (>= 0) or a negative errno. NULL: -ENOTTY
     * (as the VFS for a file without unlocked_ioctl). */
    long (*ioctl)(struct mfd_file *f, unsigned int cmd, unsigned long arg);
    /* read(2)/write(2): bytes or negative errno. NULL: -EINVAL (as the VFS
     * for a file without read/write). */
    long (*read)(struct mfd_file *f, void *buf, size_t count);
    long (*write)(struct mfd_file *f, const void *buf, size_t count);
    /* Last reference dropped (the fd is already closed): free priv. */
    void (*release)(struct mfd_file *f);
};

struct mfd_file {
    const struct mfd_file_ops *ops;
    void *priv;
    int fd;                        /* fd it was installed under */
    atomic_uint refs;              /* internal: table + calls in flight */
    struct mfd_file *next_free;    /* internal: recycling pool */
};

/* A fresh real fd to install a file under (close-on-exec), or -errno: a
 * dup of the library's inert template file, for files whose real fd carries
 * no state (iommufd, VFIO device, access fds). */
int mfd_file_new_fd(void);
/* The same, as an eventfd of its own: for files whose readiness the mock
 * signals through the fd's counter (the fault queue). */
int mfd_file_new_eventfd(void);
/* True for the fds the library keeps for itself (the template above, the
 * maps fd of vmas.c): caches opened on first use, which checks that count a
 * process's fds (iommu-sim's fail-nth sweep) leave out. */
bool mfd_private_fd(int fd);
/* Install a file for fd (obtained from mfd_file_new_fd). A stale entry for
 * the same number (the user closed the fd behind our back and the kernel
 * reused the number) is dropped. 0 or -ENOMEM. */
int mfd_file_install(int fd, const struct mfd_file_ops *ops, void *priv);
/* Take a reference on the file of fd; NULL if the fd is not ours. */
struct mfd_file *mfd_file_get(int fd);
void mfd_file_put(struct mfd_file *f);
/* One more reference on a file the caller already holds one on (the
 * kernel's get_file), e.g. an ioctl in flight on an iommufd making an fd
 * that keeps it alive. Returns f. */
struct mfd_file *mfd_file_ref(struct mfd_file *f);
/* Remove fd from the table, close the real fd and drop the table's
 * reference (release runs now or when the last call in flight returns).
 * 0 or -EBADF. */
int mfd_file_uninstall(int fd);
bool mfd_file_owned(int fd);

/* ------------------------------------------------------------------------ */
/* uaccess setup (uaccess.c). Installs the SIGSEGV/SIGBUS handler once;
 * called by mockfd_open() and lazily by the copy routines. Returns the mode
 * in use. */
enum mfd_uaccess_mode { MFD_UACCESS_UNSET, MFD_UACCESS_SIGNAL, MFD_UACCESS_SYSCALL };
enum mfd_uaccess_mode mfd_uaccess_init(void);

/* ------------------------------------------------------------------------ */
/* Fault-injection point (iommu-sim --fail-nth). Returns true when this call
 * must fail; every allocation and lookup that can fail in the kernel passes
 * through it. */
bool mfd_should_fail(void);
void mfd_fail_nth_set(unsigned long nth);       /* 0 disables */
unsigned long mfd_fail_nth_count(void);         /* points passed since set */

#endif
